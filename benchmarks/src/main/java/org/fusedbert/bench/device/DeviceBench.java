package org.fusedbert.bench.device;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import org.fusedbert.api.Backend;
import org.fusedbert.api.DType;
import org.fusedbert.api.Tensor;
import org.fusedbert.bench.device.BenchResults.Ceilings;
import org.fusedbert.bench.device.BenchResults.CheckOutcome;
import org.fusedbert.bench.device.BenchResults.EndToEndRow;
import org.fusedbert.bench.device.BenchResults.KernelRow;
import org.fusedbert.bench.device.BenchResults.NamedPeer;
import org.fusedbert.device.cuda.GpuDevice;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The device benchmark: fusedbert's kernels and pretraining step against their PyTorch peers on
 * the same device in the same run, with ceilings measured there too, written up as a dated report.
 *
 * <p>Order: ceilings, kernels and end-to-end steps on our targets (the first target runs the
 * kernels and writes the checkpoint check's data); every target closed; then {@code peers.py} in
 * its own process with the spec of the same shapes; then the report. {@code --rehearse} runs the
 * same code paths at tiny shapes (on the simulator, or the CPU backend) so CI exercises them.
 */
@Command(name = "device-bench", mixinStandardHelpOptions = true,
        description = "Benchmarks fusedbert against PyTorch on one device and writes a dated report.")
public final class DeviceBench implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "Directory for the report, the peers' spec and output, logs.")
    Path out;

    @Option(names = "--work", description = "Directory for the peers' spec, the batches and the checkpoint check (default: --out).")
    Path work;

    @Option(names = "--results", description = "Also copy the report and charts here (benchmarks/results).")
    Path results;

    @Option(names = "--targets", split = ",", description = "Implementations: cuda, jcuda, sim, cpu "
            + "(default: cuda,jcuda; with --rehearse: sim). The first also runs the kernels.")
    List<String> targets;

    @Option(names = "--rehearse", description = "Tiny shapes, few samples: exercises every code path quickly.")
    boolean rehearse;

    @Option(names = "--report-from", description = "Only rebuild the report from a run's directory (its "
            + Measurements.FILE + " and peers.json).")
    Path reportFrom;

    @Option(names = "--python", defaultValue = "python3", description = "Python with torch for the peers (default: ${DEFAULT-VALUE}).")
    String python;

    @Option(names = "--peers-dir", description = "Where peers.py is (default: benchmarks/peers or peers under the working directory).")
    Path peersDir;

    @Option(names = "--no-peers", description = "Skip the PyTorch peers.")
    boolean noPeers;

    @Option(names = "--peer-variants", split = ",", defaultValue = "eager,compile,seed",
            description = "End-to-end PyTorch variants (default: ${DEFAULT-VALUE}).")
    List<String> peerVariants;

    @Option(names = "--commit", defaultValue = "${env:FUSEDBERT_COMMIT:-unknown}", description = "The commit measured, for the report.")
    String commit;

    @Option(names = "--peer-timeout", defaultValue = "900", description = "Seconds the peers may take (default: ${DEFAULT-VALUE}).")
    long peerTimeout;

    /** Runs the benchmark from the command line; exit code 0 when a report was written. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new DeviceBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(out);
        Measurements m;
        Peers peers;
        if (reportFrom != null) {
            m = Measurements.read(reportFrom.resolve(Measurements.FILE));
            Path peersJson = reportFrom.resolve("peers.json");
            peers = Files.isRegularFile(peersJson) ? Peers.read(peersJson) : Peers.notRun("no " + peersJson);
        } else {
            Path work = this.work != null ? this.work : out;
            Files.createDirectories(work);
            m = measure(work);
            m.write(out.resolve(Measurements.FILE));
            peers = runPeers(work);
        }
        peers.notRunReason().ifPresent(w -> System.out.println("device-bench: peer: not run (" + w + ")"));
        Report report = new Report(assemble(m, peers));
        Path md = report.write(out);
        System.out.println("device-bench: report " + md);
        if (results != null) {
            Files.createDirectories(results);
            try (var files = Files.list(out)) {
                for (Path f : files.filter(f -> f.getFileName().toString().startsWith(report.baseName())).toList()) {
                    Files.copy(f, results.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            System.out.println("device-bench: copied to " + results);
        }
        for (Report.TargetCheck tc : report.targets()) {
            System.out.println("device-bench: target: " + tc.target() + ": " + tc.verdict());
        }
        return 0;
    }

    private Sampler kernelSampler() {
        return rehearse ? new Sampler(1, 6, 1) : new Sampler(10, 30, 10);
    }

    private List<KernelCase> cases() {
        return rehearse ? KernelCases.rehearsal() : KernelCases.full();
    }

    private List<EndToEnd> runs() {
        Sampler stepSampler = rehearse ? new Sampler(1, 6, 1) : new Sampler(20, 50, 1);
        return rehearse ? EndToEnd.rehearsal(stepSampler) : EndToEnd.full(stepSampler);
    }

    /** Our side: ceilings and kernels on the first target, the pretraining step on every target. */
    private Measurements measure(Path work) throws IOException {
        List<String> names = targets != null ? targets : rehearse ? List.of("sim") : List.of("cuda", "jcuda");
        Sampler kernelSampler = kernelSampler();
        Sampler ceilingSampler = rehearse ? new Sampler(1, 6, 1) : new Sampler(3, 20, 1);
        List<KernelCase> cases = cases();
        List<EndToEnd> runs = runs();
        Sampler stepSampler = runs.get(0).sampler();

        List<String> setup = new ArrayList<>();
        setup.add("fusedbert commit " + commit + "; " + System.getProperty("java.vm.name") + " "
                + System.getProperty("java.runtime.version") + "; " + System.getProperty("os.name") + " "
                + System.getProperty("os.arch") + ", " + Runtime.getRuntime().availableProcessors() + " CPUs");
        setup.add(String.format(Locale.ROOT, "kernels: %d warm-up calls, %d samples of %d calls each; steps: %d warm-up, "
                        + "%d samples of %d; inputs rotated over copies totalling at least %d MiB per case, random values",
                kernelSampler.warmup(), kernelSampler.samples(), kernelSampler.inner(), stepSampler.warmup(),
                stepSampler.samples(), stepSampler.inner(), KernelCase.ROTATE_BYTES >> 20));

        Measurements.CeilingSamples ceilings = new Measurements.CeilingSamples(null, "", null, "", "");
        List<Measurements.KernelMeasurement> kernels = new ArrayList<>();
        Map<String, List<Measurements.StepResult>> steps = new LinkedHashMap<>();
        String card = "no device";
        String gemmPrecision = "fp32";
        boolean checkWritten = false;
        List<int[]> batches = new ArrayList<>();
        for (EndToEnd run : runs) {
            batches.add(run.batches());
            steps.put(run.id(), new ArrayList<>());
        }
        for (int t = 0; t < names.size(); t++) {
            Target target;
            try {
                target = Targets.open(names.get(t));
            } catch (RuntimeException e) {
                System.out.println("device-bench: target " + names.get(t) + " not opened: " + EndToEnd.firstLine(e));
                for (EndToEnd run : runs) {
                    steps.get(run.id()).add(notRun(names.get(t), e));
                }
                continue;
            }
            try (target) {
                System.out.println("device-bench: " + target.name() + ": " + target.description());
                if (t == 0) {
                    card = target.description().replaceAll(" \\(.*", "");
                    if (target.device() instanceof GpuDevice<?, ?> gpu) {
                        gemmPrecision = gpu.gemmPrecision().name().toLowerCase(Locale.ROOT);
                    }
                    setup.add("kernels run on " + target.name() + " (" + target.description() + "), GEMMs in " + gemmPrecision);
                    ceilings = measureCeilings(target, ceilingSampler, gemmPrecision);
                    RandomData random = new RandomData(7);
                    for (KernelCase c : cases) {
                        kernels.add(measureCase(target, c, random, kernelSampler));
                        saveSoFar(card, setup, ceilings, kernels, runs, steps, checkWritten);
                    }
                }
                for (int i = 0; i < runs.size(); i++) {
                    EndToEnd run = runs.get(i);
                    // The first target whose seed run works writes the checkpoint check's data.
                    boolean writeCheck = !checkWritten && i == 0;
                    boolean[] written = {false};
                    int[] first = Arrays.copyOf(batches.get(i), run.config().batchSize() * run.config().maxLen());
                    try {
                        for (EndToEnd.Result r : run.run(target, batches.get(i), model -> {
                            if (writeCheck) {
                                try {
                                    CheckpointCheck.write(target, model, first, work.resolve("check"));
                                    written[0] = true;
                                } catch (IOException | RuntimeException e) {
                                    System.out.println("device-bench: checkpoint check data not written on " + target.name()
                                            + ": " + EndToEnd.firstLine(e));
                                }
                            }
                        })) {
                            steps.get(run.id()).add(new Measurements.StepResult(r.implementation(), r.samplesMs(),
                                    r.peakBytes().isPresent() ? r.peakBytes().getAsLong() : null,
                                    Float.isNaN(r.meanLoss()) ? null : r.meanLoss(), r.note()));
                        }
                        checkWritten |= written[0];
                    } catch (RuntimeException e) {
                        System.out.println("device-bench: " + run.id() + " on " + target.name() + ": " + EndToEnd.firstLine(e));
                        steps.get(run.id()).add(notRun(target.name(), e));
                    }
                    System.out.println("device-bench: end to end " + run.id() + " on " + target.name() + " done");
                    saveSoFar(card, setup, ceilings, kernels, runs, steps, checkWritten);
                }
            }
        }
        List<Measurements.StepMeasurement> stepList = stepList(runs, steps);
        // The peers' inputs: the same batches, and the spec of every shape.
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("device", rehearse ? "cpu" : "cuda");
        spec.put("precision", gemmPrecision);
        spec.put("warmup", kernelSampler.warmup());
        spec.put("samples", kernelSampler.samples());
        spec.put("inner", kernelSampler.inner());
        spec.put("kernels", KernelCases.peerSpecs(cases));
        List<Map<String, Object>> e2eSpecs = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            Path file = work.resolve("batches-" + i + ".bin");
            writeInts(file, batches.get(i));
            e2eSpecs.add(runs.get(i).peerSpec(file.toAbsolutePath().toString(), peerVariants));
        }
        spec.put("e2e", e2eSpecs);
        if (checkWritten) {
            spec.put("check", CheckpointCheck.peerSpec(work.resolve("check")));
        }
        Peers.writeSpec(work.resolve(PEERS_SPEC), spec);
        return new Measurements(LocalDate.now().toString(), card, rehearse, setup, ceilings, kernels, stepList,
                checkWritten, peerVariants);
    }

    private static final String PEERS_SPEC = "peers-spec.json";

    private static List<Measurements.StepMeasurement> stepList(List<EndToEnd> runs,
                                                               Map<String, List<Measurements.StepResult>> steps) {
        List<Measurements.StepMeasurement> list = new ArrayList<>();
        for (EndToEnd run : runs) {
            list.add(new Measurements.StepMeasurement(run.id(), run.tokensPerStep(), List.copyOf(steps.get(run.id()))));
        }
        return list;
    }

    // A run cut short (the device tool's time limit, a hung kernel) still leaves what it measured.
    private void saveSoFar(String card, List<String> setup, Measurements.CeilingSamples ceilings,
                           List<Measurements.KernelMeasurement> kernels, List<EndToEnd> runs,
                           Map<String, List<Measurements.StepResult>> steps, boolean checkWritten) throws IOException {
        new Measurements(LocalDate.now().toString(), card, rehearse, List.copyOf(setup), ceilings, List.copyOf(kernels),
                stepList(runs, steps), checkWritten, peerVariants).write(out.resolve(Measurements.FILE));
    }

    private static Measurements.StepResult notRun(String implementation, RuntimeException e) {
        return new Measurements.StepResult(implementation, new double[0], null, null, "not run: " + EndToEnd.firstLine(e));
    }

    /**
     * Runs peers.py on the spec {@link #measure} wrote, after every device of ours is closed. When
     * they cannot run, {@code peers.json} still records why, so {@code --report-from} says the same.
     */
    private Peers runPeers(Path work) throws IOException {
        Path json = out.resolve("peers.json");
        Peers peers;
        if (noPeers) {
            peers = Peers.notRun("--no-peers");
        } else {
            System.out.println("device-bench: running the PyTorch peers (" + python + ")");
            peers = Peers.run(python, resolvePeersDir(), work.resolve(PEERS_SPEC), json, out.resolve("peers.log"), peerTimeout);
        }
        if (peers.notRunReason().isPresent() && !Files.isRegularFile(json)) {
            Peers.writeSpec(json, Map.of("not_run", peers.notRunReason().get()));
        }
        return peers;
    }

    /** The report's view of our measurements and the peers' results. */
    static BenchResults assemble(Measurements m, Peers peers) {
        var c = m.ceilings();
        Ceilings ceilings = new Ceilings(c.copyGBs() == null ? null : Stats.of(c.copyGBs()), c.copyShape(),
                c.gemmTflops() == null ? null : Stats.of(c.gemmTflops()), c.gemmShape(), c.precision());
        List<KernelRow> kernelRows = new ArrayList<>();
        for (Measurements.KernelMeasurement k : m.kernels()) {
            for (Measurements.PhaseMeasurement p : k.phases()) {
                List<NamedPeer> named = new ArrayList<>();
                List<String> phaseNames = peers.kernelPhases(k.id(), p.name());
                if (phaseNames.isEmpty()) {
                    named.add(new NamedPeer("PyTorch", peers.kernel(k.id(), p.name())));
                }
                for (String name : phaseNames) {
                    String label = name.contains("[") ? "SDPA " + name.substring(name.indexOf('[') + 1, name.length() - 1) : "PyTorch";
                    named.add(new NamedPeer(label, peers.kernel(k.id(), name)));
                }
                boolean ran = p.samplesMs() != null && p.samplesMs().length > 0;
                kernelRows.add(new KernelRow(k.op(), k.shape(), k.id(), p.name(), ran ? Stats.of(p.samplesMs()) : null,
                        ran ? null : p.missing(), p.work(), p.bandwidth(), named, peers.kernelPeer(k.id()),
                        k.peakBytes() == null ? OptionalLong.empty() : OptionalLong.of(k.peakBytes()),
                        peers.kernelPeakBytes(k.id(), p.name())));
            }
        }
        List<EndToEndRow> e2eRows = new ArrayList<>();
        for (Measurements.StepMeasurement s : m.steps()) {
            for (Measurements.StepResult r : s.results()) {
                boolean ran = r.samplesMs() != null && r.samplesMs().length > 0;
                e2eRows.add(new EndToEndRow(s.id(), s.tokensPerStep(), "fusedbert " + r.implementation(), true,
                        ran ? Stats.of(r.samplesMs()) : null, ran ? null : r.note().replaceFirst("^not run: ", ""),
                        r.peakBytes() == null ? OptionalLong.empty() : OptionalLong.of(r.peakBytes()),
                        ran ? r.note() + (r.meanLoss() == null ? "" : String.format(Locale.ROOT, "; mean loss %.3f", r.meanLoss())) : ""));
            }
            for (String variant : m.peerVariants()) {
                Peers.PeerTime p = peers.endToEnd(s.id(), variant);
                e2eRows.add(new EndToEndRow(s.id(), s.tokensPerStep(), "PyTorch " + variant, false, p.stats(), p.missing(),
                        p.peakBytes() < 0 ? OptionalLong.empty() : OptionalLong.of(p.peakBytes()), p.notes()));
            }
        }
        return new BenchResults(LocalDate.parse(m.date()), m.card(), m.rehearsal(), m.setup(), ceilings, kernelRows,
                e2eRows, checkOutcome(peers, m.checkWritten()), peers);
    }

    private Path resolvePeersDir() {
        if (peersDir != null) {
            return peersDir;
        }
        for (Path p : List.of(Path.of("benchmarks", "peers"), Path.of("peers"))) {
            if (Files.isRegularFile(p.resolve("peers.py"))) {
                return p;
            }
        }
        return Path.of("benchmarks", "peers");
    }

    /** Copy bandwidth and GEMM throughput of {@code target}, sampled like everything else. */
    static Measurements.CeilingSamples measureCeilings(Target target, Sampler sampler, String precision) {
        Backend be = target.backend();
        boolean gpu = target.isGpu();
        int copyFloats = gpu ? 1 << 28 : 1 << 20; // 1 GiB on a GPU: far beyond any cache
        int n = gpu ? 8192 : 256;
        double[] copy = null;
        double[] gemm = null;
        try (Tensor src = be.allocate(DType.FLOAT32, copyFloats); Tensor dst = be.allocate(DType.FLOAT32, copyFloats)) {
            be.fill(src, 0.5);
            double[] ms = sampler.run(target, 1, s -> be.copy(src, dst));
            copy = Arrays.stream(ms).map(t -> 2.0 * 4 * copyFloats / (t / 1e3) / 1e9).toArray();
        } catch (RuntimeException e) {
            System.out.println("device-bench: copy ceiling not measured: " + EndToEnd.firstLine(e));
        }
        RandomData random = new RandomData(3);
        try (Tensor a = random.floats(be, 1f, n, n); Tensor b = random.floats(be, 1f, n, n);
             Tensor c = be.allocate(DType.FLOAT32, n, n)) {
            double[] ms = sampler.run(target, 1, s -> be.matmul(a, b, c));
            gemm = Arrays.stream(ms).map(t -> 2.0 * n * n * (double) n / (t / 1e3) / 1e12).toArray();
        } catch (RuntimeException e) {
            System.out.println("device-bench: GEMM ceiling not measured: " + EndToEnd.firstLine(e));
        }
        return new Measurements.CeilingSamples(copy, String.format(Locale.ROOT, "%d MiB", (4L * copyFloats) >> 20), gemm,
                n + "x" + n + "x" + n, precision);
    }

    /** Our samples per phase of one case, or why a phase has none; the case is freed after. */
    static Measurements.KernelMeasurement measureCase(Target target, KernelCase c, RandomData random, Sampler sampler) {
        Map<String, Object> byPhase = new LinkedHashMap<>();
        try (c) {
            c.open(target, random);
            for (KernelCase.Phase p : c.phases()) {
                try {
                    byPhase.put(p.name(), sampler.run(target, c.slots(), s -> c.run(p.name(), s)));
                } catch (RuntimeException e) {
                    byPhase.put(p.name(), EndToEnd.firstLine(e));
                }
            }
        } catch (RuntimeException e) {
            for (KernelCase.Phase p : c.phases()) {
                byPhase.putIfAbsent(p.name(), EndToEnd.firstLine(e));
            }
        }
        System.out.println("device-bench: kernel " + c.id() + " done");
        List<Measurements.PhaseMeasurement> phases = new ArrayList<>();
        for (KernelCase.Phase p : c.phases()) {
            Object v = byPhase.get(p.name());
            phases.add(new Measurements.PhaseMeasurement(p.name(), p.bandwidthBound() ? p.bytes() : p.flops(),
                    p.bandwidthBound(), v instanceof double[] d ? d : new double[0], v instanceof String w ? w : null));
        }
        return new Measurements.KernelMeasurement(c.op(), c.shape(), c.id(), phases,
                c.peakBytes().isPresent() ? c.peakBytes().getAsLong() : null);
    }

    private static CheckOutcome checkOutcome(Peers peers, boolean written) {
        if (!written) {
            return new CheckOutcome(null, List.of("no checkpoint was written (no target completed the seed run)"));
        }
        if (peers.notRunReason().isPresent()) {
            return new CheckOutcome(null, List.of("peer: not run (" + peers.notRunReason().get() + ")"));
        }
        var c = peers.root().path("check");
        if (c.isMissingNode()) {
            return new CheckOutcome(null, List.of("the peers wrote no check"));
        }
        List<String> lines = new ArrayList<>();
        if (c.has("error")) {
            lines.add("error: " + c.path("error").asText());
        }
        if (c.has("tolerance")) {
            lines.add("tolerance: " + c.path("tolerance").asText());
            lines.add(String.format(Locale.ROOT, "masking: %d of %d positions differ from philox.py's draw",
                    c.path("masking_mismatches").asInt(), c.path("positions").asInt()));
            lines.add(String.format(Locale.ROOT, "logits: %d rows x %d, largest |difference| %.3g (worst excess over the tolerance %.3g)",
                    c.path("rows").asInt(), c.path("vocab").asInt(), c.path("logits_max_abs_error").asDouble(),
                    c.path("logits_worst_excess").asDouble()));
            lines.add(String.format(Locale.ROOT, "loss: fusedbert %.6f, PyTorch %.6f, relative difference %.2e",
                    c.path("loss_fusedbert").asDouble(), c.path("loss_peer").asDouble(), c.path("loss_rel_error").asDouble()));
            lines.add("reference: " + c.path("peer").asText());
        }
        return new CheckOutcome(c.path("passed").asBoolean(false), lines);
    }

    private static void writeInts(Path file, int[] values) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.asIntBuffer().put(values);
        Files.write(file, buf.array());
    }
}
