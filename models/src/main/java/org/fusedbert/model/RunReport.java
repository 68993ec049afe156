package org.fusedbert.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The report of a {@code train} run, in Markdown, beside the seed's figures (the Keras example:
 * 423 ms per MLM step, MLM loss 7.01 / 6.45 / 5.87 after epochs 1-3, 84.4% test accuracy): card,
 * median ms per MLM step, seconds per epoch, losses, the probe's top-5, test accuracy, wall time,
 * and peak device memory when the run script measured it ({@value #PEAK_MEMORY_FILE}: MiB); then
 * the fine-tuning recipe, the validation and test accuracy of every classifier epoch and the epoch
 * kept, beside other runs' test accuracy (such as the seed's recipe on the same machine).
 */
public final class RunReport {
    /** Written by the GPU run script: the peak device memory in MiB, sampled while the run went on. */
    public static final String PEAK_MEMORY_FILE = "peak-memory-mib.txt";
    static final double[] SEED_MLM_LOSSES = {7.01, 6.45, 5.87};
    static final double SEED_MS_PER_STEP = 423;
    static final double SEED_TEST_ACCURACY = 0.844;

    private RunReport() {
    }

    /** The report of the run in {@code runDir} (its run.json and metrics.jsonl). */
    public static String markdown(Path runDir) throws IOException {
        return markdown(runDir, java.util.Map.of());
    }

    /**
     * The report, with the MLM losses of other runs of the same configuration beside this one's
     * (for example the same first epoch on another device binding), named by the map's keys.
     */
    public static String markdown(Path runDir, java.util.Map<String, Path> others) throws IOException {
        RunSummary s = RunSummary.read(runDir);
        List<Double> msPerStep = new ArrayList<>();
        List<Double> epochEnds = new ArrayList<>();
        double pretrainStart = 0;
        boolean first = true;
        ObjectMapper json = new ObjectMapper();
        double tokensPerStep = (double) s.config().batchSize() * s.config().maxLen();
        for (String line : Files.readAllLines(runDir.resolve(MetricsLog.METRICS_FILE))) {
            JsonNode m = json.readTree(line);
            if (!"pretrain".equals(m.path("phase").asText())) {
                continue;
            }
            if (m.path("event").asText().equals("start")) {
                pretrainStart = m.path("wall_s").asDouble();
            } else if (m.path("event").asText().equals("step")) {
                if (first) {
                    // The first window holds the warm-up (JIT, graph capture): the median skips it.
                    first = false;
                    continue;
                }
                msPerStep.add(1000 * tokensPerStep / m.path("tokens_per_s").asDouble());
            } else if (m.path("event").asText().equals("epoch")) {
                epochEnds.add(m.path("wall_s").asDouble());
            }
        }
        StringBuilder r = new StringBuilder();
        r.append("# fusedbert `train` run on ").append(s.device()).append("\n\n");
        if (!s.complete()) {
            r.append("**Incomplete run**: cut short after what is listed below.\n\n");
        }
        r.append("Backend `").append(s.backend()).append("`, data: ").append(s.data()).append(".\n");
        r.append("Configuration: vocabulary ").append(s.config().vocabSize()).append(", length ")
                .append(s.config().maxLen()).append(", hidden ").append(s.config().hidden()).append(", ")
                .append(s.config().heads()).append(" heads, FF ").append(s.config().ffDim()).append(", ")
                .append(s.config().layers()).append(" layer(s), batch ").append(s.config().batchSize()).append(", ")
                .append(s.mlmEpochs()).append(" MLM epochs, ")
                .append(s.config().attendPadding() ? "attention sees padding (as the seed)" : "key-padding mask")
                .append(".\n\n");
        r.append("| measure | fusedbert | seed (Keras example) |\n| --- | --- | --- |\n");
        r.append(row("card", s.device(), "-"));
        r.append(row("ms per MLM step (median)", msPerStep.isEmpty() ? "-" : fmt(median(msPerStep), 2),
                fmt(SEED_MS_PER_STEP, 0)));
        List<String> epochSeconds = new ArrayList<>();
        double previous = pretrainStart;
        for (double end : epochEnds) {
            epochSeconds.add(fmt(end - previous, 1));
            previous = end;
        }
        r.append(row("s per MLM epoch", String.join(" / ", epochSeconds), "-"));
        for (int e = 0; e < Math.max(3, s.mlmLosses().size()); e++) {
            String ours = e < s.mlmLosses().size() ? fmt(s.mlmLosses().get(e), 2) : "-";
            String seed = e < SEED_MLM_LOSSES.length ? fmt(SEED_MLM_LOSSES[e], 2) : "-";
            r.append(row("MLM loss after epoch " + (e + 1), ours, seed));
        }
        r.append(row("fill-mask top-5: \"" + s.probe() + "\"", String.join(", ", s.probeTop()), "-"));
        r.append(row("test accuracy" + (s.recipe() == null ? "" : " (recipe " + s.recipe().name() + ")"),
                s.testAccuracy() == null ? "-" : percent(s.testAccuracy()) + keptNote(s), percent(SEED_TEST_ACCURACY)));
        r.append(row("total wall time", fmt(s.wallSeconds(), 1) + " s", "-"));
        Path peak = runDir.resolve(PEAK_MEMORY_FILE);
        r.append(row("peak device memory", Files.isRegularFile(peak) ? Files.readString(peak).strip() + " MiB"
                : "not measured", "-"));
        r.append(row("activation arena", fmt(s.workspaceBytes() / 1048576.0, 1) + " MiB",
                "PyTorch peer: ~1 GB of [32, 256, 30000] fp32 logits alone"));
        for (java.util.Map.Entry<String, Path> o : others.entrySet()) {
            RunSummary other = RunSummary.read(o.getValue());
            List<String> pairs = new ArrayList<>();
            for (int e = 0; e < other.mlmLosses().size(); e++) {
                String ours = e < s.mlmLosses().size() ? fmt(s.mlmLosses().get(e), 4) : "-";
                pairs.add("epoch " + (e + 1) + ": " + fmt(other.mlmLosses().get(e), 4) + " (this run " + ours + ")");
            }
            r.append(row("MLM loss on " + o.getKey() + " (" + other.device() + ")", String.join("; ", pairs), "-"));
            // A run without classifier epochs (an MLM-only check) has no fine-tuned accuracy to show.
            if (other.testAccuracy() != null && !other.classifierEpochs().isEmpty()) {
                r.append(row("test accuracy on " + o.getKey() + (other.recipe() == null ? ""
                                : " (recipe " + other.recipe().name() + ")"),
                        percent(other.testAccuracy()) + keptNote(other) + (other.complete() ? "" : ", incomplete run"),
                        percent(SEED_TEST_ACCURACY)));
            }
        }
        r.append("\n## Fine-tuning\n\n");
        if (s.recipe() != null) {
            r.append(capitalize(s.recipe().describe()));
            if (s.validationSize() > 0) {
                r.append(String.format(Locale.ROOT, " (%,d reviews, never trained on)", s.validationSize()));
            }
            r.append(".\n");
        }
        if (s.kept() != null) {
            r.append(String.format(Locale.ROOT, "Kept: %s epoch %d, chosen by its validation accuracy %s; the test "
                    + "accuracy of its parameters: %s (the seed: %s).%n", phaseWord(s.kept().phase()),
                    s.kept().epoch(), percent(s.kept().validationAccuracy()),
                    s.testAccuracy() == null ? "-" : percent(s.testAccuracy()), percent(SEED_TEST_ACCURACY)));
        }
        for (java.util.Map.Entry<String, Path> o : others.entrySet()) {
            RunSummary other = RunSummary.read(o.getValue());
            if (other.testAccuracy() != null && !other.classifierEpochs().isEmpty() && other.recipe() != null
                    && s.recipe() != null
                    && !other.recipe().name().equals(s.recipe().name())) {
                r.append(String.format(Locale.ROOT, "Recipe %s here (run `%s`): %s test accuracy%s; this run's "
                        + "recipe %s: %s%s; the seed's own figure: %s.%n", other.recipe().name(), o.getKey(),
                        percent(other.testAccuracy()), keptNote(other), s.recipe().name(),
                        s.testAccuracy() == null ? "-" : percent(s.testAccuracy()), keptNote(s),
                        percent(SEED_TEST_ACCURACY)));
            }
        }
        r.append("\n| phase | epoch | train loss | train accuracy | validation accuracy | test accuracy | kept |\n"
                + "| --- | --- | --- | --- | --- | --- | --- |\n");
        for (Trainer.ClassifierEpoch c : s.classifierEpochs()) {
            r.append(String.format(Locale.ROOT, "| %s | %d | %.4f | %.4f | %s | %.4f | %s |%n",
                    phaseWord(c.phase()), c.epoch(), c.trainLoss(), c.trainAccuracy(),
                    c.validationAccuracy() == null ? "-" : fmt(c.validationAccuracy(), 4), c.testAccuracy(),
                    c.sameEpoch(s.kept()) ? "kept" : ""));
        }
        return r.toString();
    }

    /** How the final parameters were chosen, after a test accuracy. */
    private static String keptNote(RunSummary s) {
        if (s.kept() != null) {
            return String.format(Locale.ROOT, " (%s epoch %d, chosen by validation accuracy %s)",
                    phaseWord(s.kept().phase()), s.kept().epoch(), percent(s.kept().validationAccuracy()));
        }
        return s.recipe() == null ? "" : " (last epoch)";
    }

    private static String phaseWord(ParameterLayout.Phase phase) {
        return phase.name().toLowerCase(Locale.ROOT);
    }

    private static String percent(double fraction) {
        return fmt(100 * fraction, 1) + "%";
    }

    private static String capitalize(String text) {
        return text.isEmpty() ? text : Character.toUpperCase(text.charAt(0)) + text.substring(1);
    }

    private static String row(String what, String ours, String seed) {
        return "| " + what + " | " + ours + " | " + seed + " |\n";
    }

    private static String fmt(double v, int digits) {
        return String.format(Locale.ROOT, "%." + digits + "f", v);
    }

    static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
