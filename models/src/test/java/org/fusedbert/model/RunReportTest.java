package org.fusedbert.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunReportTest {
    @Test
    void reportsMedianStepTimeEpochSecondsAndAnIncompleteRun(@TempDir Path dir) throws Exception {
        BertConfig config = BertConfig.SEED.toBuilder().batchSize(4).maxLen(10).build(); // 40 tokens per step
        try (MetricsLog log = new MetricsLog(dir)) {
            log.record(new MetricsLog.Metric("start", "pretrain", 1, 0, null, null, null, null, 2.0));
            // Windows of 20, 40 (warm-up, skipped), then 10, 20 and 40 ms per step: median 20.
            double[] msPerStep = {20, 10, 20, 40};
            log.record(new MetricsLog.Metric("step", "pretrain", 1, 10, 7.5, null, null, 40 / 0.5, 3.0));
            for (int i = 0; i < msPerStep.length; i++) {
                log.record(new MetricsLog.Metric("step", "pretrain", 1, 20 + 10 * i, 7.0, null, null,
                        40 / (msPerStep[i] / 1000), 4.0 + i));
            }
            log.record(new MetricsLog.Metric("epoch", "pretrain", 1, 60, 7.2, null, null, null, 12.0));
            log.record(new MetricsLog.Metric("epoch", "pretrain", 2, 120, 6.6, null, null, null, 19.5));
        }
        new RunSummary("cuda", "NVIDIA H100 (sm_90)", "imdb x", config, 2, List.of(7.2, 6.6), "probe [mask]",
                List.of("movie 0.5", "film 0.2"), List.of(), null, 30.0, 1 << 20, 1000, false).write(dir);
        String report = RunReport.markdown(dir);
        assertTrue(report.startsWith("# fusedbert `train` run on NVIDIA H100 (sm_90)"), report);
        assertTrue(report.contains("**Incomplete run**"), report);
        assertTrue(report.contains("| ms per MLM step (median) | 20.00 | 423 |"), report);
        assertTrue(report.contains("| s per MLM epoch | 10.0 / 7.5 | - |"), report);
        assertTrue(report.contains("| MLM loss after epoch 1 | 7.20 | 7.01 |"), report);
        assertTrue(report.contains("| MLM loss after epoch 3 | - | 5.87 |"), report);
        assertTrue(report.contains("| test accuracy | - | 84.4% |"), report);
        assertTrue(report.contains("| peak device memory | not measured | - |"), report);
        assertEquals(20.0, RunReport.median(List.of(40.0, 10.0, 20.0)));
    }
}
