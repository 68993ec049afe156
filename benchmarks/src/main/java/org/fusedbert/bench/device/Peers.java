package org.fusedbert.bench.device;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Runs the PyTorch peers ({@code benchmarks/peers/peers.py}) in a separate Python process with
 * the spec the harness wrote, and reads back their raw samples. Where Python, numpy or torch is
 * missing, the result says so and the report prints "peer: not run (why)".
 */
final class Peers {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final JsonNode root;
    private final String notRun;

    private Peers(JsonNode root, String notRun) {
        this.root = root;
        this.notRun = notRun;
    }

    /** No peer results, for {@code why}. */
    static Peers notRun(String why) {
        return new Peers(MissingNode.getInstance(), why);
    }

    /** Why the peers did not run, or empty when they did. */
    Optional<String> notRunReason() {
        return Optional.ofNullable(notRun);
    }

    /** The whole result tree (missing node when not run). */
    JsonNode root() {
        return root;
    }

    /** Writes {@code spec} as JSON. */
    static void writeSpec(Path file, Map<String, Object> spec) throws IOException {
        JSON.writeValue(file.toFile(), spec);
    }

    /**
     * Why {@code python} cannot import {@code module}, or empty when it can ("no python3 on the
     * PATH", "no torch (ModuleNotFoundError ...)").
     */
    static Optional<String> moduleUnavailableReason(String python, String module) {
        try {
            Process p = new ProcessBuilder(python, "-c", "import " + module).redirectErrorStream(true).start();
            String out;
            try (var in = p.getInputStream()) {
                out = new String(in.readAllBytes()).strip();
            }
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return Optional.of(python + " did not import " + module + " within 120 s");
            }
            if (p.exitValue() != 0) {
                String[] lines = out.split("\n");
                return Optional.of("no " + module + " (" + python + ": " + lines[lines.length - 1] + ")");
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of("no " + python + " (" + e.getMessage() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted");
        }
    }

    /**
     * Runs {@code peers.py} from {@code peersDir} on {@code spec}, its output going to {@code log},
     * and reads {@code out}. Never throws for a peer-side failure: the reason goes in the report.
     */
    static Peers run(String python, Path peersDir, Path spec, Path out, Path log, long timeoutSeconds) {
        Path script = peersDir.resolve("peers.py");
        if (!Files.isRegularFile(script)) {
            return notRun("no " + script);
        }
        Optional<String> numpy = moduleUnavailableReason(python, "numpy");
        if (numpy.isPresent()) {
            return notRun(numpy.get());
        }
        Optional<String> torch = moduleUnavailableReason(python, "torch");
        if (torch.isPresent()) {
            return notRun("no torch");
        }
        List<String> cmd = new ArrayList<>(List.of(python, script.toAbsolutePath().toString(),
                "--spec", spec.toAbsolutePath().toString(), "--out", out.toAbsolutePath().toString()));
        try {
            Process p = new ProcessBuilder(cmd).directory(peersDir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return notRun("peers.py ran past " + timeoutSeconds + " s (see " + log.getFileName() + ")");
            }
            if (p.exitValue() != 0 || !Files.isRegularFile(out)) {
                return notRun("peers.py exited with " + p.exitValue() + " (see " + log.getFileName() + ")");
            }
            return read(out);
        } catch (IOException e) {
            return notRun("peers.py: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return notRun("interrupted");
        }
    }

    /** The results a peers.py run wrote to {@code file}. */
    static Peers read(Path file) throws IOException {
        JsonNode root = JSON.readTree(file.toFile());
        JsonNode why = root.get("not_run");
        return new Peers(root, why == null || why.isNull() ? null : why.asText());
    }

    /** The samples of a kernel case's phase (e.g. "forward[math]"), or the reason it has none. */
    PeerTime kernel(String caseId, String phase) {
        return time(root.path("kernels").path(caseId), phase);
    }

    /** Every phase name of a kernel case that starts with {@code prefix} (attention has one per SDPA backend). */
    List<String> kernelPhases(String caseId, String prefix) {
        List<String> names = new ArrayList<>();
        root.path("kernels").path(caseId).path("phases").fieldNames().forEachRemaining(n -> {
            if (n.equals(prefix) || n.startsWith(prefix + "[")) {
                names.add(n);
            }
        });
        return names;
    }

    /** The peer's description of a kernel case. */
    String kernelPeer(String caseId) {
        return root.path("kernels").path(caseId).path("peer").asText("");
    }

    /** The peak bytes the peer measured for a kernel phase, or -1. */
    long kernelPeakBytes(String caseId, String phase) {
        JsonNode n = root.path("kernels").path(caseId).path("peak_bytes").path(phase);
        return n.isNumber() ? n.asLong() : -1;
    }

    /** An end-to-end variant's samples and peak memory. */
    PeerTime endToEnd(String runId, String variant) {
        JsonNode v = root.path("e2e").path(runId).path(variant);
        if (v.isMissingNode()) {
            return PeerTime.missing(notRun != null ? notRun : "not in the peers' output");
        }
        if (v.has("skipped")) {
            return PeerTime.missing(v.get("skipped").asText());
        }
        return PeerTime.of(samples(v.path("samples_ms")), v.path("peak_bytes").asLong(-1), notes(v));
    }

    private PeerTime time(JsonNode kase, String phase) {
        if (notRun != null) {
            return PeerTime.missing(notRun);
        }
        if (kase.isMissingNode()) {
            return PeerTime.missing("not in the peers' output");
        }
        if (kase.has("skipped")) {
            return PeerTime.missing(kase.get("skipped").asText());
        }
        JsonNode p = kase.path("phases").path(phase);
        if (p.isMissingNode()) {
            return PeerTime.missing("no " + phase + " peer");
        }
        if (p.has("skipped")) {
            return PeerTime.missing(p.get("skipped").asText());
        }
        return PeerTime.of(samples(p.path("samples_ms")), -1, "");
    }

    private static double[] samples(JsonNode arr) {
        double[] s = new double[arr.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = arr.get(i).asDouble();
        }
        return s;
    }

    private static String notes(JsonNode v) {
        List<String> n = new ArrayList<>();
        v.path("notes").forEach(x -> n.add(x.asText()));
        return String.join("; ", n);
    }

    /** A peer's timing, or why there is none. */
    record PeerTime(Stats stats, long peakBytes, String notes, String missing) {
        static PeerTime of(double[] samples, long peakBytes, String notes) {
            return samples.length == 0 ? missing("no samples") : new PeerTime(Stats.of(samples), peakBytes, notes, null);
        }

        static PeerTime missing(String why) {
            return new PeerTime(null, -1, "", why);
        }

        boolean present() {
            return stats != null;
        }
    }
}
