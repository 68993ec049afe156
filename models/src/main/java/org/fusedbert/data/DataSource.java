package org.fusedbert.data;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Where the reviews come from, decided once per run by {@link #resolve} in this order:
 * {@code --data PATH}; the environment variable {@code FUSEDBERT_DATA}; an {@code aclImdb_v1.tar.gz}
 * or {@code aclImdb/} folder in the cache directory; with {@code --download}, the official archive
 * fetched into the cache; otherwise the built-in synthetic corpus, announced in one line.
 * A command that starts from a checkpoint resolves with {@link #resolve(Request, DataOrigin, boolean, Map, Consumer)}:
 * the checkpoint's recorded {@link DataOrigin} comes first unless the user chose data.
 *
 * <p>The cache directory is {@code --cache-dir}, else {@code FUSEDBERT_CACHE}, else
 * {@code ~/.cache/fusedbert}; prepared vocabularies and encoded datasets live below it in
 * {@code prepared/}.
 *
 * @param kind            which rule picked it
 * @param path            the aclImdb archive or folder (null for synthetic)
 * @param cacheDirectory  the cache directory in effect
 * @param includeUnsup    whether {@code train/unsup} is read too
 * @param syntheticSeed   the synthetic corpus' seed (used when {@code kind} is {@link Kind#SYNTHETIC})
 * @param syntheticReviews synthetic reviews per split
 */
public record DataSource(Kind kind, Path path, Path cacheDirectory, boolean includeUnsup, long syntheticSeed,
                         int syntheticReviews) {
    /** Environment variable naming the aclImdb archive or folder. */
    public static final String DATA_ENV = "FUSEDBERT_DATA";
    /** Environment variable naming the cache directory. */
    public static final String CACHE_ENV = "FUSEDBERT_CACHE";

    /** Which rule of the resolution order picked the source. */
    public enum Kind {
        /** {@code --data PATH}. */
        OPTION,
        /** {@code FUSEDBERT_DATA}. */
        ENVIRONMENT,
        /** Found in the cache directory. */
        CACHE,
        /** Downloaded into the cache directory by this run. */
        DOWNLOAD,
        /** The built-in synthetic corpus (also when a checkpoint recorded it). */
        SYNTHETIC,
        /** The aclImdb archive or folder a checkpoint recorded as its data. */
        CHECKPOINT
    }

    /**
     * What the user asked for (the CLI's data options).
     *
     * @param data             {@code --data}, or null
     * @param cacheDirectory   {@code --cache-dir}, or null
     * @param download         {@code --download}
     * @param includeUnsup     also read {@code train/unsup}
     * @param syntheticSeed    seed of the synthetic fallback
     * @param syntheticReviews synthetic reviews per split
     * @param downloadUri      where {@code --download} fetches from
     * @param downloadSha256   the hash the download must have
     * @param progress         where a download's progress bar goes, or null
     */
    public record Request(Path data, Path cacheDirectory, boolean download, boolean includeUnsup, long syntheticSeed,
                          int syntheticReviews, URI downloadUri, String downloadSha256, PrintStream progress) {
        /** Defaults: nothing given, synthetic seed 42 with 25,000 reviews per split, the official download. */
        public static Request defaults() {
            return new Request(null, null, false, false, SyntheticReviews.DEFAULT_SEED, 25_000,
                    ImdbDownload.OFFICIAL_URI, ImdbDownload.OFFICIAL_SHA256, null);
        }
    }

    /**
     * Picks the source and announces it in one line through {@code log}.
     *
     * @param env the environment ({@code System.getenv()}; tests pass their own)
     * @throws IllegalArgumentException naming the option or variable when it points to nothing
     */
    public static DataSource resolve(Request request, Map<String, String> env, Consumer<String> log) {
        Path cache = cacheDirectory(request, env);
        DataSource source;
        if (request.data() != null) {
            source = imdb(Kind.OPTION, existing(request.data(), "--data"), cache, request);
        } else if (env.get(DATA_ENV) != null && !env.get(DATA_ENV).isBlank()) {
            source = imdb(Kind.ENVIRONMENT, existing(Path.of(env.get(DATA_ENV)), DATA_ENV), cache, request);
        } else if (inCache(cache) != null) {
            source = imdb(Kind.CACHE, inCache(cache), cache, request);
        } else if (request.download()) {
            Path target = cache.resolve(AclImdb.ARCHIVE_NAME);
            log.accept("data: downloading " + request.downloadUri() + " into " + target);
            ImdbDownload.fetch(request.downloadUri(), target, request.downloadSha256(), request.progress());
            source = imdb(Kind.DOWNLOAD, target, cache, request);
        } else {
            source = new DataSource(Kind.SYNTHETIC, null, cache, false, request.syntheticSeed(),
                    request.syntheticReviews());
            log.accept("data: no IMDB data (no --data, no " + DATA_ENV + ", nothing in " + cache + "); using the "
                    + SyntheticReviews.description(request.syntheticSeed(), request.syntheticReviews())
                    + " -- pass --download to fetch IMDB");
            return source;
        }
        log.accept("data: " + source.description() + " (" + switch (source.kind) {
            case OPTION -> "from --data";
            case ENVIRONMENT -> "from " + DATA_ENV;
            case CACHE -> "found in the cache";
            default -> "downloaded";
        } + ")");
        return source;
    }

    /**
     * Picks the source for a command that starts from a checkpoint which recorded {@code recorded}
     * (null for a checkpoint from before such records: then as {@link #resolve(Request, Map, Consumer)}).
     * Without a data choice by the user (no {@code --data}, no {@code FUSEDBERT_DATA}, no synthetic
     * option: {@code syntheticChosen}), the recorded source, announced as the checkpoint's; if its
     * aclImdb path is gone, a one-line warning and the usual order. With a choice, the usual order,
     * and a one-line warning when it finds other reviews than the checkpoint was trained on.
     */
    public static DataSource resolve(Request request, DataOrigin recorded, boolean syntheticChosen,
                                     Map<String, String> env, Consumer<String> log) {
        if (recorded == null) {
            return resolve(request, env, log);
        }
        boolean chosen = request.data() != null || (env.get(DATA_ENV) != null && !env.get(DATA_ENV).isBlank())
                || syntheticChosen;
        Path cache = cacheDirectory(request, env);
        if (!chosen) {
            DataSource source = null;
            if (recorded.synthetic()) {
                source = new DataSource(Kind.SYNTHETIC, null, cache, false, recorded.syntheticSeed(),
                        recorded.syntheticReviews());
            } else if (Files.exists(recorded.path())) {
                source = new DataSource(Kind.CHECKPOINT, recorded.path(), cache,
                        recorded.includeUnsup() || request.includeUnsup(), request.syntheticSeed(),
                        request.syntheticReviews());
            }
            if (source != null) {
                log.accept("data: " + source.description() + " (the checkpoint's)");
                return source;
            }
            // Another IMDB copy (the cache, a download) is the same reviews; the synthetic corpus is not,
            // and continuing or judging a model on it silently would be wrong: then the user must choose.
            List<String> quiet = new ArrayList<>();
            DataSource fallback = resolve(request, env, quiet::add);
            if (fallback.synthetic()) {
                throw DataErrors.fail("the checkpoint's data (" + recorded.description() + ")",
                        "an aclImdb archive or folder that exists", "gone, and no other IMDB copy was found; pass "
                                + "--data with the archive (or a copy of it)");
            }
            log.accept("warning: the checkpoint was trained on " + recorded.description() + ", which no longer "
                    + "exists; using the IMDB copy found instead");
            quiet.forEach(log);
            return fallback;
        }
        DataSource source = resolve(request, env, log);
        if (!source.origin().sameReviews(recorded)) {
            log.accept("warning: the checkpoint was trained on " + recorded.description() + ", not on this data");
        }
        return source;
    }

    private static DataSource imdb(Kind kind, Path path, Path cache, Request r) {
        return new DataSource(kind, path.toAbsolutePath().normalize(), cache, r.includeUnsup(), r.syntheticSeed(),
                r.syntheticReviews());
    }

    private static Path existing(Path path, String from) {
        if (!Files.exists(path)) {
            throw DataErrors.fail(from + " " + path, "an aclImdb .tar.gz or an extracted aclImdb folder",
                    "a path that does not exist");
        }
        return path;
    }

    /** The cache directory: {@code --cache-dir}, else {@code FUSEDBERT_CACHE}, else {@code ~/.cache/fusedbert}. */
    public static Path cacheDirectory(Request request, Map<String, String> env) {
        if (request.cacheDirectory() != null) {
            return request.cacheDirectory().toAbsolutePath().normalize();
        }
        String fromEnv = env.get(CACHE_ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return Path.of(fromEnv).toAbsolutePath().normalize();
        }
        return Path.of(System.getProperty("user.home"), ".cache", "fusedbert");
    }

    /** The aclImdb archive or folder in {@code cache}, or null. */
    private static Path inCache(Path cache) {
        Path archive = cache.resolve(AclImdb.ARCHIVE_NAME);
        if (Files.isRegularFile(archive)) {
            return archive;
        }
        Path folder = cache.resolve(AclImdb.FOLDER_NAME);
        return Files.isDirectory(folder.resolve("train")) || Files.isDirectory(folder.resolve("test")) ? folder : null;
    }

    /** Whether this is the synthetic corpus. */
    public boolean synthetic() {
        return kind == Kind.SYNTHETIC;
    }

    /** Reads the reviews (with warnings for anything skipped or replaced). */
    public Corpus load() {
        return synthetic() ? new SyntheticReviews(syntheticSeed).corpus(syntheticReviews) : AclImdb.load(path, includeUnsup);
    }

    /** One line saying what the reviews are: {@code imdb <path>} or {@code synthetic (seed ...)}. */
    public String description() {
        return origin().description();
    }

    /** What a checkpoint records of this source. */
    public DataOrigin origin() {
        return synthetic() ? DataOrigin.synthetic(syntheticSeed, syntheticReviews) : DataOrigin.imdb(path, includeUnsup);
    }

    /**
     * A short name that changes when the data does, for the prepared-data folder: the synthetic
     * settings, or the IMDB path's file name with a hash of its path, size and modification time.
     */
    public String key() {
        if (synthetic()) {
            return "synthetic-s" + syntheticSeed + "-n" + syntheticReviews;
        }
        try {
            BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class);
            String identity = path + "|" + a.size() + "|" + a.lastModifiedTime().toMillis() + "|" + includeUnsup;
            String name = path.getFileName().toString().replaceAll("[^A-Za-z0-9_-]", "_");
            return "imdb-" + name + "-" + Sha256.hex(Sha256.of(identity)).substring(0, 12);
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": reading its attributes failed: " + e.getMessage(), e);
        }
    }
}
