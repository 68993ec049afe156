package org.fusedbert.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A run's metrics: one JSON object per line in {@code metrics.jsonl} (appended and flushed as
 * they come, so an interrupted run keeps them) and the loss curve of every phase drawn into
 * {@code loss.png}.
 */
public final class MetricsLog implements AutoCloseable {
    /** File name of the JSON lines. */
    public static final String METRICS_FILE = "metrics.jsonl";
    /** File name of the loss chart. */
    public static final String CHART_FILE = "loss.png";

    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /**
     * One record: the start of a phase ({@code event = "start"}), a window of training steps
     * ({@code "step"}, loss averaged over the window), the end of an epoch ({@code "epoch"}, with
     * accuracies where there are any: {@code accuracy} on the training batches, validation and
     * test), or the classifier epoch whose parameters were put back ({@code "kept"}: its epoch and
     * validation accuracy, and the test accuracy of the parameters put back).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Metric(String event, String phase, int epoch, long step, Double loss, Double accuracy,
                         @JsonProperty("validation_accuracy") Double validationAccuracy,
                         @JsonProperty("test_accuracy") Double testAccuracy,
                         @JsonProperty("tokens_per_s") Double tokensPerSecond,
                         @JsonProperty("wall_s") double wallSeconds) {
    }

    /** Draws a chart into a PNG stream; the default is xchart's bitmap encoder. */
    interface ChartEncoder {
        void encode(XYChart chart, java.io.OutputStream out) throws IOException;
    }

    private final Path dir;
    private final BufferedWriter out;
    private final Map<String, List<double[]>> curves = new LinkedHashMap<>();
    private final ChartEncoder encoder;
    private final java.io.PrintStream warnings;
    private String chartProblem;

    /** Appends to {@code dir/metrics.jsonl} (creating the directory). */
    public MetricsLog(Path dir) {
        this(dir, (chart, s) -> BitmapEncoder.saveBitmap(chart, s, BitmapEncoder.BitmapFormat.PNG), System.err);
    }

    MetricsLog(Path dir, ChartEncoder encoder, java.io.PrintStream warnings) {
        this.dir = dir;
        this.encoder = encoder;
        this.warnings = warnings;
        try {
            Files.createDirectories(dir);
            readExisting(dir.resolve(METRICS_FILE));
            out = Files.newBufferedWriter(dir.resolve(METRICS_FILE), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot write metrics: " + e.getMessage(), e);
        }
    }

    // A resumed run appends: its chart starts with the curves already recorded.
    private void readExisting(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return;
        }
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            try {
                Metric m = JSON.readValue(line, Metric.class);
                addToCurve(m);
            } catch (IOException skipped) {
                // a line cut short by an interruption: the chart does without it
            }
        }
    }

    private void addToCurve(Metric m) {
        if ("step".equals(m.event()) && m.loss() != null) {
            curves.computeIfAbsent(m.phase(), k -> new ArrayList<>()).add(new double[] {m.step(), m.loss()});
        }
    }

    /** The run directory. */
    public Path directory() {
        return dir;
    }

    /** Writes one line; step records also extend the phase's loss curve. */
    public void record(Metric m) {
        try {
            out.write(JSON.writeValueAsString(m));
            out.newLine();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(dir.resolve(METRICS_FILE) + ": cannot write: " + e.getMessage(), e);
        }
        addToCurve(m);
    }

    /**
     * Draws every phase's loss against the global step into {@code loss.png} (atomically). A chart
     * is a convenience: where it cannot be drawn (a headless machine without fonts, as GPU servers
     * often are) one warning says so and the run goes on; {@code metrics.jsonl} holds the data.
     *
     * @return whether {@code loss.png} is up to date
     */
    public boolean writeChart() {
        if (curves.isEmpty() || chartProblem != null) {
            return false;
        }
        XYChart chart = new XYChartBuilder().width(900).height(500).title("fusedbert training loss")
                .xAxisTitle("step").yAxisTitle("loss").build();
        chart.getStyler().setMarkerSize(0);
        for (Map.Entry<String, List<double[]>> c : curves.entrySet()) {
            double[] x = new double[c.getValue().size()];
            double[] y = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = c.getValue().get(i)[0];
                y[i] = c.getValue().get(i)[1];
            }
            chart.addSeries(c.getKey(), x, y).setMarker(SeriesMarkers.NONE);
        }
        try {
            AtomicFiles.write(dir.resolve(CHART_FILE), s -> encoder.encode(chart, s));
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException(dir.resolve(CHART_FILE) + ": cannot write: " + e.getMessage(), e);
        } catch (OutOfMemoryError | StackOverflowError e) {
            throw e;
        } catch (RuntimeException | Error e) {
            chartProblem = e.getMessage() == null ? e.toString() : e.getMessage();
            warnings.println("fusedbert: warning: " + dir.resolve(CHART_FILE) + " not drawn (" + chartProblem
                    + "); the losses are in " + METRICS_FILE);
            return false;
        }
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
