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
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.fusedbert.api.MaskingSpec;
import org.fusedbert.api.Philox;
import org.fusedbert.model.SafeTensors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The parts of the PyTorch peers that need only numpy, against this project's Java: the Philox
 * ({@code benchmarks/peers/philox.py}) against Random123's known answers and {@link Philox} and
 * {@link MaskingSpec} word for word, and the safetensors reader ({@code fbformat.py}) on a file
 * {@link SafeTensors} wrote. Skipped (with the reason) where {@code python3} with numpy is not installed.
 */
class PythonPeersTest {
    private static final Path SCRIPT = Path.of("peers", "philox.py");
    private static final Path FORMAT = Path.of("peers", "fbformat.py");

    @TempDir
    Path dir;

    @BeforeAll
    static void requirePythonWithNumpy() {
        Assumptions.assumeTrue(Files.isRegularFile(SCRIPT), "no " + SCRIPT.toAbsolutePath());
        var why = Peers.moduleUnavailableReason("python3", "numpy");
        Assumptions.assumeTrue(why.isEmpty(), () -> "skipped: " + why.orElse(""));
    }

    @Test
    void knownAnswersPass() throws Exception {
        List<String> out = run("selftest");
        assertEquals("philox selftest: 3 known answers, ok", out.get(out.size() - 1));
    }

    @Test
    void blocksMatchJavaAcrossSeedsAndCounters() throws Exception {
        long[] seeds = {0L, 42L, 0xFFFFFFFFFFFFFFFFL, 0x0123456789ABCDEFL};
        int[][] counters = {{0, 0, 0}, {7, 3, Philox.DOMAIN_DROPOUT}, {-1, -2, -3}, {0, 123456, Philox.DOMAIN_MASKING}};
        StringBuilder requests = new StringBuilder();
        List<String> expected = new ArrayList<>();
        int[] w = new int[4];
        for (long seed : seeds) {
            for (int[] c : counters) {
                int from = (int) (seed & 0x7FFF_FFFF) - 3; // spans 0 and negative (wrapping) starts
                requests.append(String.join(" ", Long.toUnsignedString(seed), Integer.toUnsignedString(c[0]),
                        Integer.toUnsignedString(c[1]), Integer.toUnsignedString(c[2]), Integer.toString(from), "9")).append('\n');
                for (int i = 0; i < 9; i++) {
                    Philox.block(seed, from + i, c[0], c[1], c[2], w);
                    expected.add(String.format(Locale.ROOT, "%08x %08x %08x %08x", w[0], w[1], w[2], w[3]));
                }
            }
        }
        List<String> out = runWithInput(requests.toString(), "blocks", "-");
        assertEquals(expected, out);
    }

    @Test
    void uniformsMatchJavaBitForBit() throws Exception {
        long seed = 0x5EED_0000_0001L;
        List<String> out = run("uniform", Long.toString(seed), "3", "17", Integer.toString(Philox.DOMAIN_DROPOUT), "5", "23");
        for (int i = 0; i < 23; i++) {
            float u = Philox.uniform(seed, 5 + i, 3, 17, Philox.DOMAIN_DROPOUT);
            assertEquals(String.format(Locale.ROOT, "%08x", Float.floatToRawIntBits(u)), out.get(i), "index " + (5 + i));
        }
    }

    @Test
    void maskingMatchesMaskingSpec() throws Exception {
        int maskId = 29_999;
        MaskingSpec spec = MaskingSpec.bert(1234L, maskId);
        int n = 4000; // ~600 selected: every branch (mask, random, keep) and the specials 0 and 1 occur
        List<String> args = new ArrayList<>(List.of("mask", "1234", "6", Integer.toString(maskId)));
        int[] ids = new int[n];
        for (int p = 0; p < n; p++) {
            ids[p] = p % 13 == 0 ? 0 : p % 17 == 0 ? 1 : 2 + (p * 7919) % (maskId - 1);
            args.add(Integer.toString(ids[p]));
        }
        List<String> out = run(args.toArray(String[]::new));
        int[] corrupted = new int[n];
        int[] labels = new int[n];
        spec.apply(ids, 6, corrupted, labels);
        int selected = 0;
        for (int p = 0; p < n; p++) {
            assertEquals(corrupted[p] + " " + labels[p], out.get(p), "position " + p);
            selected += labels[p] == -1 ? 0 : 1;
        }
        assertTrue(selected > 400, "the batch selects enough positions to cover every branch: " + selected);
    }

    @Test
    void safetensorsWrittenByJavaReadByThePeers() throws Exception {
        float[] f = new float[6];
        for (int i = 0; i < f.length; i++) {
            f[i] = 0.5f * i - 1f; // sums exactly in float and double
        }
        Map<String, SafeTensors.Entry> tensors = new LinkedHashMap<>();
        tensors.put("encoder.0.ffn.dense1.weight", SafeTensors.Entry.of(f, 2, 3));
        tensors.put("labels", SafeTensors.Entry.of(new int[] {-1, 7, 29_999}, 3));
        tensors.put("loss", SafeTensors.Entry.of(new float[] {2.25f}, 1));
        Path file = dir.resolve("t.safetensors");
        SafeTensors.write(file, tensors, Map.of("seed", "20251126", "step", "5"));
        List<String> out = runScript(FORMAT, "", "dump", file.toString());
        assertEquals(List.of("encoder.0.ffn.dense1.weight float32 2x3 1.5", "labels int32 3 30005", "loss float32 1 2.25",
                "meta seed=20251126", "meta step=5"), out);
    }

    private static List<String> run(String... args) throws IOException, InterruptedException {
        return runWithInput("", args);
    }

    private static List<String> runWithInput(String input, String... args) throws IOException, InterruptedException {
        return runScript(SCRIPT, input, args);
    }

    private static List<String> runScript(Path script, String input, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("python3", script.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try (var stdin = p.outputWriter()) {
            stdin.write(input);
        }
        List<String> lines;
        try (var reader = p.inputReader()) {
            lines = reader.lines().toList();
        }
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(script + " " + String.join(" ", args) + ": no answer in 60 s");
        }
        assertEquals(0, p.exitValue(), () -> script + " " + args[0] + " exited with " + p.exitValue() + ": " + lines);
        return lines;
    }
}
