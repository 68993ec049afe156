package org.fusedbert.cli;

import java.net.URI;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.fusedbert.data.DataOrigin;
import org.fusedbert.data.DataSource;
import org.fusedbert.data.ImdbDownload;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The data options every command that reads reviews shares ({@code @Mixin DataOptions data;}):
 * where the reviews come from, in {@link DataSource}'s order.
 */
public final class DataOptions {
    @Option(names = "--data", paramLabel = "PATH",
            description = "aclImdb .tar.gz or extracted aclImdb folder (default: a checkpoint's own data where a command "
                    + "reads one, else $FUSEDBERT_DATA, then the cache)")
    Path data;

    @Option(names = "--cache-dir", paramLabel = "DIR",
            description = "cache for the download and prepared data (default: $FUSEDBERT_CACHE or ~/.cache/fusedbert)")
    Path cacheDirectory;

    @Option(names = "--download",
            description = "when no data is found, fetch the official aclImdb_v1.tar.gz (80 MiB) into the cache")
    boolean download;

    @Option(names = "--unsup", description = "also read the 50,000 unlabelled train/unsup reviews when present")
    boolean includeUnsup;

    @Option(names = "--synthetic-reviews", paramLabel = "N", defaultValue = "25000",
            description = "synthetic reviews per split when no IMDB data is found (default: ${DEFAULT-VALUE})")
    int syntheticReviews;

    @Option(names = "--synthetic-seed", paramLabel = "SEED", defaultValue = "42",
            description = "seed of the synthetic corpus (default: ${DEFAULT-VALUE})")
    long syntheticSeed;

    // Hidden: tests and mirrors point the download elsewhere.
    @Option(names = "--download-url", hidden = true)
    URI downloadUri = ImdbDownload.OFFICIAL_URI;

    @Option(names = "--download-sha256", hidden = true)
    String downloadSha256 = ImdbDownload.OFFICIAL_SHA256;

    // The command this is mixed into: its parse result says which options were given.
    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    /** The options as a {@link DataSource.Request}; the download's progress bar goes to stderr. */
    public DataSource.Request request() {
        OptionChecks.atLeast("--synthetic-reviews", syntheticReviews, 1);
        return new DataSource.Request(data, cacheDirectory, download, includeUnsup, syntheticSeed, syntheticReviews,
                downloadUri, downloadSha256, System.err);
    }

    /** Resolves the source with this process' environment, announcing it through {@code log}. */
    public DataSource resolve(Consumer<String> log) {
        return DataSource.resolve(request(), System.getenv(), log);
    }

    /**
     * Resolves the source for a command that starts from a checkpoint trained on {@code recorded}
     * (null if it does not say): the checkpoint's data unless data options choose other data.
     */
    public DataSource resolve(DataOrigin recorded, Consumer<String> log) {
        var given = command.commandLine().getParseResult();
        boolean syntheticChosen = given.hasMatchedOption("--synthetic-reviews") || given.hasMatchedOption("--synthetic-seed");
        return DataSource.resolve(request(), recorded, syntheticChosen, System.getenv(), log);
    }
}
