package org.fusedbert.bench.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The device benchmark's rehearsal end to end, as CI can run it: tiny shapes, the ceilings and
 * kernels timed on the simulator (the same launch classes and kernels as on a GPU), the pretraining
 * step on the simulator (eager and as a replayed graph) and on the CPU backend, the checkpoint
 * check's data, the PyTorch peers where this machine's python3 has torch (else the report says
 * "peer: not run (no torch)"), and the dated report with its charts.
 */
class DeviceBenchRehearsalTest {
    @TempDir
    static Path out;
    static Path results;
    static String report;

    @BeforeAll
    static void rehearse() throws IOException {
        results = out.resolve("results");
        int code = new CommandLine(new DeviceBench()).execute("--rehearse", "--targets", "sim,cpu",
                "--out", out.toString(), "--results", results.toString(), "--peers-dir", "peers", "--commit", "test",
                "--peer-variants", "eager,seed"); // torch.compile would compile for minutes where python3 has torch
        assertEquals(0, code, "device-bench exit code");
        try (var files = Files.list(results)) {
            List<Path> md = files.filter(f -> f.toString().endsWith(".md")).toList();
            assertEquals(1, md.size(), "one report in " + results);
            report = Files.readString(md.get(0));
        }
    }

    @Test
    void reportHasEverySectionAndIsMarkedAsRehearsal() {
        for (String heading : List.of("# fusedbert device benchmark: ", "**Rehearsal**", "## Targets", "## Ceilings",
                "## Kernels", "## End to end", "## Independent check of the forward pass")) {
            assertTrue(report.contains(heading), "report lacks " + heading);
        }
        assertTrue(report.contains("fusedbert commit test"), "the commit is named");
    }

    @Test
    void everyKernelPhaseWasTimedOnTheFirstTarget() {
        for (String row : List.of("| layernorm | N=24 H=20 | forward | ", "| layernorm | N=24 H=20 | backward | ",
                "| attention | B=2 heads=2 L=10 d=16 | forward | ", "| attention | B=2 heads=2 L=10 d=16 | backward | ",
                "| mlm_cross_entropy | rows=5/7 H=8 V=50 | forward+backward | ", "| adam | P=1000 | step | ",
                "| embedding | B=2 L=5 H=8 V=30 | forward | ", "| embedding | B=2 L=5 H=8 V=30 | backward | ")) {
            int at = report.indexOf(row);
            assertTrue(at >= 0, "report lacks the row " + row);
            String cells = report.substring(at + row.length(), report.indexOf('\n', at));
            assertTrue(cells.matches("^\\d+(\\.\\d+)? \\(\\d.*"), row + " has no time: " + cells);
        }
    }

    @Test
    void peersEitherRanOrSayWhyNot() throws IOException {
        boolean torch = Peers.moduleUnavailableReason("python3", "torch").isEmpty();
        if (torch) {
            assertTrue(report.contains("PyTorch peers: PyTorch "), "the peers' environment is printed");
            assertTrue(report.contains("**Passed.**"), "the checkpoint check passes");
        } else {
            assertTrue(report.contains("peer: not run (no torch)") || report.contains("not run (no numpy"),
                    "the report says why the peers did not run");
        }
        assertTrue(Files.isRegularFile(out.resolve("peers-spec.json")), "the peers' spec is written");
    }

    @Test
    void endToEndRowsForEachTargetAndPeerVariant() {
        for (String impl : List.of("fusedbert sim eager", "fusedbert sim graph", "fusedbert cpu eager")) {
            String row = "| tiny (1 layer, H=32, L=16, B=3) | " + impl + " | ";
            int at = report.indexOf(row);
            assertTrue(at >= 0, "no end-to-end row for " + impl);
            assertTrue(report.substring(at + row.length()).matches("(?s)^\\d+(\\.\\d+)? \\(.*"), impl + " has no time");
        }
        for (String impl : List.of("PyTorch eager", "PyTorch seed")) {
            assertTrue(report.contains("| tiny (1 layer, H=32, L=16, B=3) | " + impl), "no end-to-end row for " + impl);
        }
    }

    @Test
    void checkpointAndBatchAreWrittenForThePeer() throws IOException {
        Path check = out.resolve("check");
        for (String f : List.of("model.safetensors", "config.json", "batch.safetensors")) {
            assertTrue(Files.size(check.resolve(f)) > 0, f);
        }
        var batch = org.fusedbert.model.SafeTensors.read(check.resolve("batch.safetensors"));
        int[] labels = batch.require("labels", check).ints();
        long labelled = Arrays.stream(labels).filter(l -> l != -1).count();
        assertEquals(labelled, batch.require("logits", check).shape()[0], "one logits row per labelled position");
        assertArrayEquals(new int[] {3, 16}, batch.require("masked_ids", check).shape());
    }

    @Test
    void reportRebuildsFromTheRawMeasurements() throws IOException {
        Path again = out.resolve("again");
        int code = new CommandLine(new DeviceBench()).execute("--report-from", out.toString(), "--out", again.toString());
        assertEquals(0, code, "device-bench --report-from exit code");
        try (var files = Files.list(again)) {
            Path md = files.filter(f -> f.toString().endsWith(".md")).findFirst().orElseThrow();
            assertEquals(report, Files.readString(md), "the same report from measurements.json and peers.json");
        }
    }

    @Test
    void chartsArePngs() throws IOException {
        try (var files = Files.list(results)) {
            List<Path> png = files.filter(f -> f.toString().endsWith(".png")).toList();
            assertEquals(2, png.size(), "kernel and end-to-end charts");
            for (Path p : png) {
                byte[] head = Arrays.copyOf(Files.readAllBytes(p), 4);
                assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, head, p + " is a PNG");
            }
        }
    }
}
