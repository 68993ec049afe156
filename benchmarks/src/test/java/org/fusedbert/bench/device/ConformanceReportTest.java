package org.fusedbert.bench.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConformanceReportTest {
    @TempDir
    Path tmp;

    private static final String JUNIT_XML = """
            <?xml version="1.0" encoding="UTF-8"?>
            <testsuite name="JUnit Jupiter" tests="4" skipped="1" failures="1" errors="0">
              <testcase name="layerNorm(Device)[1]" classname="org.fusedbert.tests.LayerNormConformanceTest" time="0.1"/>
              <testcase name="layerNorm(Device)[2]" classname="org.fusedbert.tests.LayerNormConformanceTest" time="0.1">
                <failure message="cuda: gamma grad | max error 3e-3&#10;second line" type="AssertionError">trace</failure>
              </testcase>
              <testcase name="gemm(String)[1]" classname="org.fusedbert.device.cuda.GpuDeviceTest" time="0">
                <skipped><![CDATA[org.opentest4j.TestAbortedException: Assumption failed: cuda skipped: no libcuda.so.1 (no NVIDIA driver installed)
            	at org.fusedbert.device.cuda.GpuDeviceTest.device(GpuDeviceTest.java:40)]]></skipped>
              </testcase>
              <testcase name="gemm(String)[2]" classname="org.fusedbert.device.cuda.GpuDeviceTest" time="0"/>
            </testsuite>
            """;

    @Test
    void aGpuRunPivotsCasesByDeviceAndSummarizesEverySection() throws IOException {
        Path junit = Files.createDirectories(tmp.resolve("junit"));
        Files.writeString(junit.resolve("TEST-junit-jupiter.xml"), JUNIT_XML);
        List<String> log = List.of(
                "some noise",
                "CONFORMANCE sim layerNormForward B=2 L=7 H=64 maxErr=1.2e-07 PASS",
                "CONFORMANCE cuda layerNormForward B=2 L=7 H=64 maxErr=2.4e-07 PASS",
                "CONFORMANCE cuda layerNormForward B=2 L=300 H=64 maxErr=5.0e-07 PASS",
                "CONFORMANCE jcuda layerNormForward B=2 L=7 H=64 maxErr=2.4e-07 PASS",
                "CONFORMANCE cuda attentionBackward B=1 L=300 d=64 maxErr=3.0e-03 FAIL",
                "LEAK cuda freeBefore=1000 freeAfter=1000 delta=0 liveAllocations=0",
                "LEAK jcuda freeBefore=1000 freeAfter=900 delta=100 liveAllocations=0");
        Path memcheck = Files.writeString(tmp.resolve("memcheck.log"), "========= ERROR SUMMARY: 0 errors\n");
        Path racecheck = Files.writeString(tmp.resolve("racecheck.log"),
                "========= RACECHECK SUMMARY: 2 hazards displayed (1 error, 1 warning)\n");
        Path skipped = Files.writeString(tmp.resolve("other.log"), "skipped: compute-sanitizer not found\n");
        Path cut = Files.writeString(tmp.resolve("cut.log"), "========= COMPUTE-SANITIZER\n"
                + "CONFORMANCE cuda adamStep:params [5] maxErr=0 PASS\n"
                + "CONFORMANCE cuda adamStep:m [5] maxErr=0 PASS\nfailed: timed out after 110s\n");
        Path cutWithHazard = Files.writeString(tmp.resolve("hazard.log"), "========= COMPUTE-SANITIZER\n"
                + "CONFORMANCE cuda adamStep:params [5] maxErr=0 PASS\n"
                + "========= Error: Race reported between Write access at fb_layernorm_backward+0x1c0\n"
                + "failed: timed out after 110s\n");
        assertEquals("failed: timed out after 110s; before it: 2 kernel comparisons ran under the tool, "
                + "no error or hazard reported", ConformanceReport.summarizeSanitizer(cut));
        assertEquals("failed: timed out after 110s; before it: 1 kernel comparisons ran under the tool, "
                + "**1 error or hazard lines**", ConformanceReport.summarizeSanitizer(cutWithHazard));

        String md = ConformanceReport.render(
                Map.of("gpu", "NVIDIA H100 80GB HBM3", "driver", "580.65", "cuda", "13.0", "date", "2025-06-01"),
                ConformanceReport.readJUnit(junit), log,
                Map.of("memcheck", ConformanceReport.summarizeSanitizer(memcheck),
                        "racecheck", ConformanceReport.summarizeSanitizer(racecheck),
                        "other", ConformanceReport.summarizeSanitizer(skipped)));

        assertTrue(md.startsWith("# GPU conformance: NVIDIA H100 80GB HBM3, 2025-06-01"), md);
        assertTrue(md.contains("| op:output | sim | cuda | jcuda |"), md);
        assertTrue(md.contains("| layerNormForward | PASS 1/1, max 1.2e-07 | PASS 2/2, max 5.0e-07 | PASS 1/1, max 2.4e-07 |"), md);
        assertTrue(md.contains("| attentionBackward | - | **FAIL** 0/1, max 3.0e-03 | - |"), md);
        assertTrue(md.contains("- **FAIL** cuda attentionBackward B=1 L=300 d=64 maxErr=3.0e-03"), md);
        assertTrue(md.contains("- cuda: 2 of 3 cases pass, **1 fail**"), md);
        assertTrue(md.contains("- jcuda: 1 of 1 cases pass"), md);
        assertTrue(md.contains("| LayerNormConformanceTest | 1 | **1** | 0 |  |"), md);
        assertTrue(md.contains("| GpuDeviceTest | 1 | 0 | 1 | cuda skipped: no libcuda.so.1 (no NVIDIA driver installed) |"), md);
        assertTrue(md.contains("- FAILED LayerNormConformanceTest.layerNorm(Device)[2]: cuda: gamma grad \\| max error 3e-3"), md);
        assertTrue(md.contains("| memcheck | 0 errors |"), md);
        assertTrue(md.contains("| racecheck | 2 hazards (1 errors, 1 warnings) |"), md);
        assertTrue(md.contains("| other | skipped: compute-sanitizer not found |"), md);
        assertTrue(md.contains("| cuda | 1000 | 1000 | 0 bytes | no leak |"), md);
        assertTrue(md.contains("| jcuda | 1000 | 900 | 100 bytes | **leak** |"), md);
    }

    @Test
    void aRunWithoutAGpuSaysSoAndStillShowsTheSimulatorRows() {
        String md = ConformanceReport.render(Map.of("gpu", "none", "gpu_reason", "nvidia-smi not found"), Map.of(),
                List.of("CONFORMANCE sim embeddingForward B=2 L=255 H=32 maxErr=0 PASS"), Map.of());
        assertTrue(md.startsWith("# GPU conformance: no GPU"), md);
        assertTrue(md.contains("**No GPU on this machine** (nvidia-smi not found)"), md);
        assertTrue(md.contains("| embeddingForward | PASS 1/1, max 0 |"), md);
        assertTrue(md.contains("Skipped: no GPU."), md);
        assertTrue(md.contains("| - | not run |"), md);
    }

    @Test
    void conformanceLinesParseWithShapesContainingSpaces() {
        List<ConformanceReport.Case> cases = ConformanceReport.parseCases(List.of(
                "  CONFORMANCE jcuda adamStep n=1001 maxErr=5.96e-08 PASS  ",
                "CONFORMANCE cuda x [2, 3] maxErr=NaN FAIL",
                "CONFORMANCE malformed"));
        assertEquals(List.of(
                new ConformanceReport.Case("jcuda", "adamStep", "n=1001", "5.96e-08", true),
                new ConformanceReport.Case("cuda", "x", "[2, 3]", "NaN", false)), cases);
        assertEquals("**FAIL** 1/2, max NaN", ConformanceReport.summarize(List.of(cases.get(1),
                new ConformanceReport.Case("cuda", "x", "[4]", "1e-3", true))));
        assertEquals("PASS 2/2, max 1e-3", ConformanceReport.summarize(List.of(
                new ConformanceReport.Case("cuda", "x", "[4]", "1e-3", true),
                new ConformanceReport.Case("cuda", "x", "[5]", "0", true))));
    }

    @Test
    void theMainEntryWritesTheReportFile() throws IOException {
        Path info = Files.writeString(tmp.resolve("info.txt"), "gpu=none\ngpu_reason=no nvidia-smi\ndate=2025-01-02\n");
        Path log = Files.writeString(tmp.resolve("run.log"), "CONFORMANCE sim op s maxErr=0 PASS\n");
        Path out = tmp.resolve("out/report.md");
        ConformanceReport.main(new String[] {"--info", info.toString(), "--log", log.toString(),
                "--junit", tmp.resolve("nothing").toString(), "--out", out.toString()});
        String md = Files.readString(out);
        assertTrue(md.contains("no GPU, 2025-01-02"), md);
        assertTrue(md.contains("| op | PASS 1/1, max 0 |"), md);
    }
}
