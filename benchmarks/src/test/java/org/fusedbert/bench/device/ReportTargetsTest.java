package org.fusedbert.bench.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fusedbert.bench.device.Measurements.CeilingSamples;
import org.fusedbert.bench.device.Measurements.KernelMeasurement;
import org.fusedbert.bench.device.Measurements.PhaseMeasurement;
import org.fusedbert.bench.device.Measurements.StepMeasurement;
import org.fusedbert.bench.device.Measurements.StepResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The targets evaluated from made-up measurements of a GPU run (our samples and a
 * peers.json as peers.py writes it): each verdict follows from the numbers, and flips with them.
 */
class ReportTargetsTest {
    @TempDir
    Path dir;

    private static double[] around(double ms) {
        double[] s = new double[12];
        for (int i = 0; i < s.length; i++) {
            s[i] = ms * (1 + 0.01 * (i - 5.5) / 6.0); // median exactly ms
        }
        return s;
    }

    private static PhaseMeasurement phase(String name, double work, boolean bandwidth, double ms) {
        return new PhaseMeasurement(name, work, bandwidth, around(ms), null);
    }

    /** Our side: copy 3000 GB/s; layernorm/Adam large at the given GB/s; attention; masked CE; a 0.5 ms step. */
    private Measurements ours(double largeGBs, double ceMs, long cePeak) {
        double stepMs = 0.5;
        double lnBytes = 4 * 5.0 * 32768 * 768;
        List<KernelMeasurement> k = new ArrayList<>();
        k.add(new KernelMeasurement("layernorm", "N=8192 H=128", "layernorm N=8192 H=128",
                List.of(phase("forward", 1e7, true, 0.01), phase("backward", 1e7, true, 0.02)), null));
        k.add(new KernelMeasurement("layernorm", "N=32768 H=768", "layernorm N=32768 H=768",
                List.of(phase("forward", lnBytes, true, lnBytes / (largeGBs * 1e9) * 1e3),
                        phase("backward", lnBytes, true, lnBytes / (largeGBs * 1e9) * 1e3)), null));
        k.add(new KernelMeasurement("adam", "P=7800000", "adam P=7800000", List.of(phase("step", 2.2e8, true, 0.1)), null));
        k.add(new KernelMeasurement("adam", "P=64000000", "adam P=64000000",
                List.of(phase("step", 28.0 * 64e6, true, 28.0 * 64e6 / (largeGBs * 1e9) * 1e3)), null));
        k.add(new KernelMeasurement("attention", "B=32 heads=8 L=256 d=16", "attention B=32 heads=8 L=256 d=16",
                List.of(phase("forward", 1e9, false, 0.05), phase("backward", 2.5e9, false, 0.12)), null));
        k.add(new KernelMeasurement("attention", "B=32 heads=12 L=1024 d=64", "attention B=32 heads=12 L=1024 d=64",
                List.of(phase("forward", 1e11, false, 1.0), phase("backward", 2.5e11, false, 3.0)), null));
        k.add(new KernelMeasurement("mlm_cross_entropy", "rows=1229/1552 H=128 V=30000", "mlm_cross_entropy rows=1229/1552 H=128 V=30000",
                List.of(phase("forward+backward", 3.6e10, false, ceMs)), cePeak));
        List<StepResult> steps = List.of(new StepResult("cuda graph", around(stepMs), 100L << 20, 7.1f, "replayed"),
                new StepResult("jcuda eager", around(stepMs * 1.4), 100L << 20, 7.1f, "eager"));
        return new Measurements("2026-01-02", "NVIDIA H100 80GB HBM3", false, List.of("made up"),
                new CeilingSamples(around(3000), "1024 MiB", around(400), "8192x8192x8192", "tf32"), k,
                List.of(new StepMeasurement("seed (1 layer, H=128, L=256, B=32)", 8192, steps)), true, List.of("eager", "compile"));
    }

    private Peers peers(double eagerMs, double compileMs, double flashMs, long cePeak) throws IOException {
        Map<String, Object> kernels = new LinkedHashMap<>();
        kernels.put("attention B=32 heads=8 L=256 d=16", Map.of("phases", Map.of(
                "forward[math]", Map.of("samples_ms", around(0.4)), "forward[efficient]", Map.of("samples_ms", around(0.08)),
                "forward[flash]", Map.of("skipped", "not supported here: RuntimeError: No available kernel"),
                "backward[math]", Map.of("samples_ms", around(1.0)), "backward[efficient]", Map.of("samples_ms", around(0.2)))));
        kernels.put("attention B=32 heads=12 L=1024 d=64", Map.of("phases", Map.of(
                "forward[efficient]", Map.of("samples_ms", around(flashMs)), "backward[efficient]", Map.of("samples_ms", around(2.5)))));
        kernels.put("mlm_cross_entropy rows=1229/1552 H=128 V=30000", Map.of("phases", Map.of(
                "forward+backward", Map.of("samples_ms", around(0.5))), "peak_bytes", Map.of("forward+backward", cePeak)));
        Map<String, Object> e2e = Map.of("seed (1 layer, H=128, L=256, B=32)", Map.of(
                "eager", Map.of("samples_ms", around(eagerMs), "peak_bytes", 300L << 20),
                "compile", Map.of("samples_ms", around(compileMs), "peak_bytes", 250L << 20)));
        Path f = dir.resolve("peers-" + eagerMs + "-" + compileMs + "-" + flashMs + "-" + cePeak + ".json");
        Peers.writeSpec(f, Map.of("env", Map.of("torch", "2.11.0", "gpu", "NVIDIA H100 80GB HBM3", "cuda", "13.0"),
                "kernels", kernels, "e2e", e2e, "notes", List.of()));
        return Peers.read(f);
    }

    private static Map<String, String> verdicts(Measurements m, Peers p) {
        Map<String, String> v = new LinkedHashMap<>();
        for (Report.TargetCheck t : new Report(DeviceBench.assemble(m, p)).targets()) {
            v.put(t.target().substring(0, t.target().indexOf(':')), t.verdict());
        }
        return v;
    }

    @Test
    void everyTargetMetWhenTheNumbersSaySo() throws IOException {
        Map<String, String> v = verdicts(ours(2700, 0.3, 200L << 20), peers(3.0, 1.2, 1.2, 450L << 20));
        assertEquals(5, v.size());
        v.forEach((target, verdict) -> assertEquals("met on NVIDIA H100 80GB HBM3", verdict, target));
    }

    @Test
    void eachTargetFailsOnItsOwnNumbers() throws IOException {
        // step 0.5 ms vs fastest PyTorch 0.9 ms: under 2x; large layernorm/Adam at 2000 of 3000 GB/s;
        // d=64 L=1024 forward 1.0 ms vs SDPA 0.6 ms: over 1.5x; masked CE 0.6 ms vs 0.5 ms.
        Map<String, String> v = verdicts(ours(2000, 0.6, 200L << 20), peers(3.0, 0.9, 0.6, 450L << 20));
        v.forEach((target, verdict) -> {
            if (target.startsWith("Attention at head dim 16")) {
                assertEquals("met on NVIDIA H100 80GB HBM3", verdict, target);
            } else {
                assertTrue(verdict.startsWith("not met"), target + ": " + verdict);
            }
        });
    }

    @Test
    void memoryAloneFailsTheCrossEntropyTarget() throws IOException {
        Map<String, String> v = verdicts(ours(2700, 0.3, 500L << 20), peers(3.0, 1.2, 1.2, 450L << 20));
        assertTrue(v.get("Masked cross-entropy with its projection").startsWith("not met"));
    }

    @Test
    void bandwidthJustUnderTheLineIsNotMetAndNotShownAsMet() throws IOException {
        // 79.6% of the copy ceiling (an H200's layernorm backward was 3275 of 4115 GB/s): the report
        // must neither pass it nor print it rounded to "80%", which reads as the target.
        Measurements m = ours(0.796 * 3000, 0.3, 200L << 20);
        Report.TargetCheck bandwidth = new Report(DeviceBench.assemble(m, peers(3.0, 1.2, 1.2, 450L << 20))).targets()
                .stream().filter(t -> t.target().startsWith("Layernorm")).findFirst().orElseThrow();
        assertTrue(bandwidth.verdict().startsWith("not met"), bandwidth.verdict());
        assertTrue(bandwidth.measured().contains("backward 79.6%"), bandwidth.measured());
    }

    @Test
    void withoutPeersNothingIsClaimed() {
        Map<String, String> v = verdicts(ours(2700, 0.3, 200L << 20), Peers.notRun("no torch"));
        assertTrue(v.get("Pretraining step at the seed configuration").startsWith("not evaluated (no PyTorch variant ran: no torch"));
        assertEquals("met on NVIDIA H100 80GB HBM3", v.get("Layernorm forward and backward, and Adam, at large sizes"),
                "bandwidth needs no peer");
        assertTrue(v.get("Attention at head dim 16, sequence 256").startsWith("not evaluated"));
    }

    @Test
    void reportShowsSkippedBackendsAndRatios() throws IOException {
        String md = new Report(DeviceBench.assemble(ours(2700, 0.3, 200L << 20), peers(3.0, 1.2, 1.2, 450L << 20)))
                .markdown(null, null);
        assertTrue(md.contains("| attention | B=32 heads=8 L=256 d=16 | forward | 0.0500 (")
                && md.contains("| SDPA efficient | 0.0800 (") && md.contains("| 1.60 |"), md);
        assertTrue(md.contains("SDPA flash: not supported here: RuntimeError: No available kernel"), "skipped backend named");
        assertTrue(md.contains("| PyTorch compile | 1.20 ("), "peer step row");
        assertTrue(Files.isDirectory(dir));
    }
}
