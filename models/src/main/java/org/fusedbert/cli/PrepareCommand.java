package org.fusedbert.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.fusedbert.data.Corpus;
import org.fusedbert.data.DataSource;
import org.fusedbert.data.PreparedData;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code fusedbert prepare}: builds the vocabulary and the encoded dataset cache. */
@Command(name = "prepare", description = "Build the vocabulary and the encoded dataset cache from the reviews.")
final class PrepareCommand implements Callable<Integer> {
    @Mixin
    DataOptions data;

    @Option(names = "--vocabulary-size", paramLabel = "N", defaultValue = "30000",
            description = "ids in all, padding, [UNK] and [mask] included (default: ${DEFAULT-VALUE})")
    int vocabularySize;

    @Option(names = "--sequence-length", paramLabel = "L", defaultValue = "256",
            description = "ids per review (default: ${DEFAULT-VALUE})")
    int sequenceLength;

    @Option(names = "--vocabulary-from", paramLabel = "TEXTS", defaultValue = "train",
            description = "texts the vocabulary is counted over: train (and unsup), or all (test too, as the seed) "
                    + "(default: ${DEFAULT-VALUE})")
    String vocabularyFrom;

    @Option(names = "--out", paramLabel = "DIR",
            description = "where to write vocabulary.txt and dataset.fbdata (default: <cache>/prepared/<source>-v<size>-l<length>, -all with --vocabulary-from all)")
    Path out;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        OptionChecks.atLeast("--vocabulary-size", vocabularySize, 4);  // padding, [UNK], a word, [mask]
        OptionChecks.atLeast("--sequence-length", sequenceLength, 1);
        if (out != null && java.nio.file.Files.exists(out.resolve("model.safetensors"))) {
            // Its vocabulary.txt is the model's: writing another would make the checkpoint unusable.
            throw new IllegalArgumentException("--out " + out + ": expected a folder for prepared data but it holds a "
                    + "checkpoint (model.safetensors)");
        }
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter stderr = spec.commandLine().getErr();
        long start = System.nanoTime();
        DataSource source = data.resolve(line -> {
            stdout.println(line);
            stdout.flush();
        });
        PreparedData.Settings settings = new PreparedData.Settings(vocabularySize, sequenceLength, texts());
        Corpus corpus = source.load();
        corpus.warnings().forEach(w -> stderr.println("warning: " + w));
        long loaded = System.nanoTime();
        Path dir = out != null ? out : PreparedData.directoryFor(source, settings);
        try (PreparedData prepared = PreparedData.prepare(corpus, settings, dir)) {
            long done = System.nanoTime();
            prepared.summary().forEach(stdout::println);
            stdout.println(String.format(Locale.ROOT, "time: %.1f s (reading %.1f s, vocabulary and encoding %.1f s)",
                    (done - start) / 1e9, (loaded - start) / 1e9, (done - loaded) / 1e9));
        }
        stdout.flush();
        return 0;
    }

    private PreparedData.VocabularyTexts texts() {
        return switch (vocabularyFrom.toLowerCase(Locale.ROOT)) {
            case "train" -> PreparedData.VocabularyTexts.TRAIN;
            case "all" -> PreparedData.VocabularyTexts.ALL;
            default -> throw new CommandLine.ParameterException(spec.commandLine(),
                    "--vocabulary-from: expected train or all but was " + vocabularyFrom);
        };
    }
}
