package org.fusedbert.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Comparator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.fusedbert.data.SyntheticReviews;
import org.fusedbert.model.Checkpoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code ./fusedbert train} end to end on the synthetic corpus (the quick CPU configuration at a
 * smaller size: 800 reviews per split; the default recipe with a fifth of the training reviews
 * validating), then every command that reads its checkpoint, and the
 * bad inputs each must reject with one line and a non-zero exit.
 */
class TrainEndToEndTest {
    private static Path tmp;
    private static Path run;
    private static Path checkpoint;
    private static CliRun train;

    @BeforeAll
    static void trainOnce() throws Exception {
        tmp = Files.createTempDirectory("fusedbert-e2e");
        run = tmp.resolve("run");
        train = CliRun.of("train", "--cache-dir", tmp.resolve("cache").toString(), "--run-dir", run.toString(),
                "--synthetic-reviews", "800", "--mlm-epochs", "3", "--frozen-epochs", "1", "--unfrozen-epochs", "4",
                // 80 validation reviews (the default 10%) are too few to choose between epochs one review apart.
                "--validation-split", "0.2");
        checkpoint = run.resolve("checkpoint");
    }

    @AfterAll
    static void cleanUp() throws Exception {
        try (Stream<Path> files = Files.walk(tmp)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static String[] with(String command, String... args) {
        String[] all = new String[args.length + 1];
        all[0] = command;
        System.arraycopy(args, 0, all, 1, args.length);
        return all;
    }

    @Test
    void trainsOnTheSyntheticCorpusAnnouncingTheQuickConfiguration() {
        assertEquals(0, train.code(), train.err() + train.out());
        assertTrue(train.out().contains("using the synthetic"), train.out());
        assertTrue(train.out().contains("config: quick synthetic-data configuration for CPU"), train.out());
        assertTrue(train.out().contains("pretrain epoch 3/3: MLM loss"), train.out());
        assertTrue(train.out().contains("./fusedbert predict --checkpoint " + run), "a --run-dir run is not runs/latest: "
                + train.out());
        for (String f : new String[] {"metrics.jsonl", "loss.png", "checkpoint/model.safetensors",
            "checkpoint/config.json", "checkpoint/vocabulary.txt"}) {
            assertTrue(Files.isRegularFile(run.resolve(f)), f);
        }
        assertTrue(!Files.exists(checkpoint.resolve(Checkpoint.STATE_FILE)), "a finished run leaves no trainer state");
        try {
            org.fusedbert.model.RunSummary summary = org.fusedbert.model.RunSummary.read(run);
            assertTrue(summary.complete());
            assertEquals(3, summary.mlmLosses().size());
            assertEquals(5, summary.classifierEpochs().size());
            assertTrue(summary.recipe().name().startsWith("validated"), summary.recipe().name());
            assertEquals(160, summary.validationSize());
            assertTrue(summary.kept() != null && summary.kept().validationAccuracy() != null, summary.toString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void reportsTheRunBesideTheSeed() {
        CliRun report = CliRun.of("report", run.toString(), "--compare", "again=" + run);
        assertEquals(0, report.code(), report.err());
        assertTrue(report.out().contains("| MLM loss after epoch 1 | "), report.out());
        assertTrue(report.out().contains(" | 7.01 |"), report.out());
        assertTrue(report.out().matches("(?s).*\\| ms per MLM step \\(median\\) \\| \\d+\\.\\d\\d \\| 423 \\|.*"),
                report.out());
        assertTrue(report.out().contains("| test accuracy | "), report.out());
        assertTrue(report.out().contains("| MLM loss on again ("), report.out());
        assertTrue(report.out().contains("| test accuracy (recipe validated"), report.out());
        assertTrue(report.out().contains("## Fine-tuning\n\nRecipe validated"), report.out());
        assertTrue(report.out().contains("| phase | epoch | train loss | train accuracy | validation accuracy | "
                + "test accuracy | kept |"), report.out());
        assertTrue(report.out().contains(" | kept |\n"), report.out());
        assertTrue(report.out().contains("| fill-mask top-5: \"I have watched this [mask] and it was awesome\" | movie "),
                report.out());
    }

    @Test
    void ranksTheHiddenWordOfAHeldOutSentenceFirst() {
        SyntheticReviews.MaskedProbe probe = SyntheticReviews.probes().get(0);
        // After each epoch train prints the probe's top-5; the last one must start with the answer.
        String lastProbe = train.out().substring(train.out().lastIndexOf("[mask] -> "));
        assertTrue(lastProbe.startsWith("[mask] -> " + probe.answer() + " "), lastProbe);
        CliRun fill = CliRun.of("fill-mask", "--checkpoint", checkpoint.toString(), probe.text());
        assertEquals(0, fill.code(), fill.err());
        assertTrue(fill.out().startsWith("[mask] -> " + probe.answer() + " "), fill.out());
    }

    @Test
    void reachesAtLeast95PercentTestAccuracy() {
        Matcher m = Pattern.compile("test accuracy: ([0-9.]+)").matcher(train.out());
        assertTrue(m.find(), train.out());
        assertTrue(Double.parseDouble(m.group(1)) >= 0.95, m.group());

        CliRun eval = CliRun.of("evaluate", "--checkpoint", run.toString(), "--cache-dir", tmp.resolve("cache").toString(),
                "--synthetic-reviews", "800", "--limit", "300");
        assertEquals(0, eval.code(), eval.err());
        m = Pattern.compile("test accuracy: ([0-9.]+) \\((\\d+) of 300 reviews").matcher(eval.out());
        assertTrue(m.find(), eval.out());
        assertTrue(Double.parseDouble(m.group(1)) >= 0.95, m.group());
    }

    @Test
    void predictsFromArgumentsAndFromStandardInput() {
        CliRun one = CliRun.of("predict", "--checkpoint", checkpoint.toString(),
                "I have watched this movie and it was wonderful. A must-see!");
        assertEquals(0, one.code(), one.err());
        assertTrue(one.out().matches("0\\.\\d{4} positive\\R"), one.out());
        CliRun lines = CliRun.withInput("I watched it last Monday. The plot was dreadful. A waste of time.\n"
                        + "I have watched this movie and it was superb. I loved this comedy from start to finish.\n",
                "predict", "--checkpoint", checkpoint.toString());
        assertEquals(0, lines.code(), lines.err());
        String[] out = lines.out().split("\\R");
        assertEquals(2, out.length, lines.out());
        assertTrue(out[0].endsWith(" negative") && out[1].endsWith(" positive"), lines.out());
    }

    @Test
    void finetunesFromTheCheckpoint() {
        CliRun ft = CliRun.of("finetune", "--checkpoint", checkpoint.toString(), "--cache-dir",
                tmp.resolve("cache").toString(), "--synthetic-reviews", "800", "--limit", "64", "--frozen-epochs", "1",
                "--unfrozen-epochs", "0", "--run-dir", tmp.resolve("ft").toString());
        assertEquals(0, ft.code(), ft.err());
        assertTrue(ft.out().contains("classifier-frozen epoch 1/1: loss "), ft.out());
        assertTrue(ft.out().contains("test accuracy"), ft.out());
        assertTrue(Files.isRegularFile(tmp.resolve("ft/checkpoint/model.safetensors")));
    }

    @Test
    void badInputIsOneLineAndANonZeroExit() throws Exception {
        String ck = checkpoint.toString();
        CliRun noMask = CliRun.of("fill-mask", "--checkpoint", ck, "no mask in this text");
        assertTrue(noMask.failedWithOneLine(), noMask.toString());
        assertTrue(noMask.err().contains("fill-mask: text expected at least one [mask] but had none"), noMask.err());

        CliRun empty = CliRun.of("predict", "--checkpoint", ck, "  ");
        assertTrue(empty.failedWithOneLine(), empty.toString());
        assertTrue(empty.err().contains("predict: review expected some words but was empty"), empty.err());
        // A line without words among others is answered n/a, keeping the output aligned with the input.
        CliRun emptyLine = CliRun.withInput("good film\n\n!!!\nbad film\n\n", "predict", "--checkpoint", ck);
        assertEquals(0, emptyLine.code(), emptyLine.toString());
        String[] answers = emptyLine.out().split("\\R");
        assertEquals(5, answers.length, emptyLine.out());
        assertEquals(List.of(PredictCommand.NO_WORDS, PredictCommand.NO_WORDS, PredictCommand.NO_WORDS),
                List.of(answers[1], answers[2], answers[4]), emptyLine.out());
        assertTrue(answers[0].matches("0\\.\\d{4} (positive|negative)") && answers[3].matches("0\\.\\d{4} (positive|negative)"),
                emptyLine.out());
        CliRun noInput = CliRun.withInput("", "predict", "--checkpoint", ck);
        assertTrue(noInput.failedWithOneLine(), noInput.toString());
        assertTrue(noInput.err().contains("review expected as an argument or on standard input"), noInput.err());

        CliRun unknown = CliRun.of("train", "--no-such-flag");
        assertEquals(2, unknown.code());
        assertTrue(unknown.failedWithOneLine(), unknown.toString());
        assertTrue(unknown.err().contains("Unknown option: '--no-such-flag'"), unknown.err());

        Path truncated = copy("truncated");
        Path model = truncated.resolve(Checkpoint.MODEL_FILE);
        byte[] bytes = Files.readAllBytes(model);
        Files.write(model, Arrays.copyOf(bytes, bytes.length - 100));
        CliRun cut = CliRun.of("fill-mask", "--checkpoint", truncated.toString(), "this [mask]");
        assertTrue(cut.failedWithOneLine(), cut.toString());
        assertTrue(cut.err().contains("truncated"), cut.err());

        Path otherVocab = copy("other-vocabulary");
        Path vocab = otherVocab.resolve(Checkpoint.VOCABULARY_FILE);
        Files.writeString(vocab, Files.readString(vocab).replace("\nmovie\n", "\nfilm_\n"));
        CliRun wrongVocab = CliRun.of("predict", "--checkpoint", otherVocab.toString(), "a fine movie");
        assertTrue(wrongVocab.failedWithOneLine(), wrongVocab.toString());
        assertTrue(wrongVocab.err().contains("vocabulary expected the one model.safetensors was trained with"),
                wrongVocab.err());

        Path otherConfig = copy("other-configuration");
        Path config = otherConfig.resolve(Checkpoint.CONFIG_FILE);
        Files.writeString(config, Files.readString(config).replace("\"ffDim\" : 128", "\"ffDim\" : 96"));
        CliRun wrongConfig = CliRun.of("evaluate", "--checkpoint", otherConfig.toString());
        assertTrue(wrongConfig.failedWithOneLine(), wrongConfig.toString());
        assertTrue(wrongConfig.err().contains("configuration expected the one in config.json"), wrongConfig.err());

        CliRun missing = CliRun.of("fill-mask", "--checkpoint", tmp.resolve("nothing").toString(), "a [mask]");
        assertTrue(missing.failedWithOneLine(), missing.toString());

        CliRun precision = CliRun.of("fill-mask", "--precision", "fp16", "--checkpoint", ck, "a [mask]");
        assertTrue(precision.failedWithOneLine(), precision.toString());
        assertTrue(precision.err().contains("expected fp32 or tf32 but was fp16"), precision.err());

        CliRun absent = CliRun.of("fill-mask", "--backend", "cuda", "--checkpoint", ck, "a [mask]");
        assertTrue(absent.failedWithOneLine(), absent.toString());
        assertTrue(absent.err().contains("backend cuda unavailable"), absent.err());
    }

    private static Path copy(String name) throws Exception {
        Path dir = tmp.resolve(name);
        Files.createDirectories(dir);
        try (Stream<Path> files = Files.list(checkpoint)) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return dir;
    }
}
