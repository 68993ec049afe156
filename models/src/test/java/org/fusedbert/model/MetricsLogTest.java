package org.fusedbert.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsLogTest {
    @TempDir
    Path dir;

    private static MetricsLog.Metric step(long step, double loss) {
        return new MetricsLog.Metric("step", "pretrain", 1, step, loss, null, null, null, 1000.0, 0.1);
    }

    @Test
    void aChartThatCannotBeDrawnIsOneWarningAndTheRunGoesOn() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int[] attempts = {0};
        try (MetricsLog log = new MetricsLog(dir, (chart, out) -> {
            attempts[0]++;
            // what AWT throws on a headless machine without fontconfig
            throw new Error("Fontconfig head is null, check your fonts or fonts configuration");
        }, new PrintStream(err, true, StandardCharsets.UTF_8))) {
            log.record(step(1, 5.0));
            assertFalse(log.writeChart());
            log.record(step(2, 4.0));
            assertFalse(log.writeChart());
        }
        String warning = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, warning.lines().count(), warning);
        assertTrue(warning.contains("loss.png not drawn (Fontconfig head is null"), warning);
        assertEquals(1, attempts[0], "after one failure the chart is not tried again");
        assertFalse(Files.exists(dir.resolve(MetricsLog.CHART_FILE)));
        assertEquals(2, Files.readAllLines(dir.resolve(MetricsLog.METRICS_FILE)).size(), "the metrics are all kept");
    }

    @Test
    void aDrawableChartIsWritten() throws Exception {
        try (MetricsLog log = new MetricsLog(dir, (chart, out) -> out.write(new byte[] {1, 2, 3}), System.err)) {
            log.record(step(1, 5.0));
            assertTrue(log.writeChart());
        }
        assertEquals(3, Files.size(dir.resolve(MetricsLog.CHART_FILE)));
    }
}
