package org.fusedbert.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * Reads the Large Movie Review Dataset (aclImdb, Maas et al. 2011) from the official
 * {@code aclImdb_v1.tar.gz} (streamed, never extracted) or from an extracted folder.
 *
 * <p>Reviews are the files {@code <split>/<pos|neg>/<id>_<rating>.txt} (and {@code
 * train/unsup/<id>_0.txt} when asked for); every other file (README, vocab, bag-of-words features,
 * URL lists) is ignored. The result is ordered by split (train, test, unsup), then folder (neg, pos,
 * unsup), then id, whatever order the archive or the file system lists them in.
 *
 * <p>Bad input is one line naming the file: a missing path, a file that is not gzip or not tar, a
 * tree without the four labelled folders are errors; empty reviews (skipped), files not named
 * {@code <id>_<rating>.txt} (skipped) and bytes that are not UTF-8 (replaced with U+FFFD) are
 * counted into one warning each and the load goes on.
 */
public final class AclImdb {
    /** The official archive's file name. */
    public static final String ARCHIVE_NAME = "aclImdb_v1.tar.gz";
    /** The folder the official archive extracts to. */
    public static final String FOLDER_NAME = "aclImdb";

    private static final Pattern REVIEW_FILE = Pattern.compile("(\\d{1,9})_(\\d{1,2})\\.txt");
    private static final String EXPECTED_FOLDERS = "aclImdb folders train/pos, train/neg, test/pos, test/neg";

    private AclImdb() {
    }

    /**
     * Loads every labelled review, and {@code train/unsup} when {@code includeUnsup}.
     *
     * @param path an aclImdb {@code .tar.gz}, an extracted {@code aclImdb} folder, or the folder holding it
     * @throws IllegalArgumentException one line naming the file when the input is not an aclImdb tree
     * @throws UncheckedIOException     when reading fails midway
     */
    public static Corpus load(Path path, boolean includeUnsup) {
        if (!Files.exists(path)) {
            throw DataErrors.fail(path, "an aclImdb .tar.gz or an extracted aclImdb folder", "a path that does not exist");
        }
        Tally tally = new Tally(path, includeUnsup);
        if (Files.isDirectory(path)) {
            readFolder(path, tally);
        } else {
            readArchive(path, tally);
        }
        return tally.finish();
    }

    private static void readArchive(Path archive, Tally tally) {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(archive), 1 << 16)) {
            raw.mark(4);
            int b0 = raw.read(), b1 = raw.read();
            raw.reset();
            if (b0 != 0x1f || b1 != 0x8b) {
                throw DataErrors.fail(archive, "a gzip-compressed tar archive (.tar.gz)",
                        String.format("not gzip (first bytes %s)", hexBytes(b0, b1)));
            }
            try (TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(raw, true))) {
                TarArchiveEntry entry = firstEntry(archive, tar);
                for (; entry != null; entry = tar.getNextEntry()) {
                    if (!entry.isFile()) {
                        continue;
                    }
                    ReviewPath where = ReviewPath.parse(entry.getName(), tally);
                    if (where != null) {
                        tally.add(where, entry.getName(), readEntry(tar, entry));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(archive + ": reading the archive failed: " + DataErrors.describe(e), e);
        }
    }

    /** The entry's bytes, read straight into an array of its size (reviews are small). */
    private static byte[] readEntry(TarArchiveInputStream tar, TarArchiveEntry entry) throws IOException {
        long size = entry.getSize();
        if (size < 0 || size > Integer.MAX_VALUE - 16) {
            return tar.readAllBytes();
        }
        byte[] bytes = new byte[(int) size];
        int n = tar.readNBytes(bytes, 0, bytes.length);
        return n == bytes.length ? bytes : java.util.Arrays.copyOf(bytes, n);
    }

    private static TarArchiveEntry firstEntry(Path archive, TarArchiveInputStream tar) {
        try {
            TarArchiveEntry first = tar.getNextEntry();
            if (first == null) {
                throw DataErrors.fail(archive, "a tar archive inside the gzip", "an empty or non-tar stream");
            }
            return first;
        } catch (IOException e) {
            throw DataErrors.fail(archive, "a tar archive inside the gzip", "not tar (" + e.getMessage() + ")");
        }
    }

    private static void readFolder(Path folder, Tally tally) {
        Path root = folder;
        if (!Files.isDirectory(root.resolve("train")) && !Files.isDirectory(root.resolve("test"))
                && Files.isDirectory(folder.resolve(FOLDER_NAME))) {
            root = folder.resolve(FOLDER_NAME);
        }
        List<Path> files = new ArrayList<>();
        for (String sub : new String[] {"train/neg", "train/pos", "test/neg", "test/pos", "train/unsup"}) {
            Path dir = root.resolve(sub);
            if (Files.isDirectory(dir) && (tally.includeUnsup || !sub.endsWith("unsup"))) {
                try (Stream<Path> list = Files.list(dir)) {
                    list.filter(Files::isRegularFile).sorted().forEach(files::add);
                } catch (IOException e) {
                    throw new UncheckedIOException(dir + ": listing failed: " + e.getMessage(), e);
                }
            }
        }
        Path base = root.getParent() == null ? root : root.getParent();
        // Reading 50,000 small files is I/O- and decode-bound: spread it over the cores.
        List<Object[]> read = files.parallelStream().map(f -> {
            try {
                return new Object[] {base.relativize(f).toString(), Files.readAllBytes(f)};
            } catch (IOException e) {
                throw new UncheckedIOException(f + ": reading failed: " + e.getMessage(), e);
            }
        }).toList();
        for (Object[] nameAndBytes : read) {
            String name = (String) nameAndBytes[0];
            ReviewPath where = ReviewPath.parse(name, tally);
            if (where != null) {
                tally.add(where, name, (byte[]) nameAndBytes[1]);
            }
        }
    }

    private static String hexBytes(int... bytes) {
        StringBuilder sb = new StringBuilder();
        for (int b : bytes) {
            if (b < 0) {
                sb.append(sb.isEmpty() ? "" : " ").append("EOF");
                break;
            }
            sb.append(sb.isEmpty() ? "" : " ").append(String.format("%02x", b));
        }
        return sb.toString();
    }

    /** Where a review file sits: split, label and its {@code <id>_<rating>}. */
    private record ReviewPath(Split split, int label, int id, int rating) {
        /** Null for files that are not reviews; counts misnamed files in review folders. */
        static ReviewPath parse(String name, Tally tally) {
            String[] parts = name.split("/");
            int n = parts.length;
            if (n < 3) {
                return null;
            }
            String splitDir = parts[n - 3], labelDir = parts[n - 2], file = parts[n - 1];
            Split split;
            int label;
            if (labelDir.equals("unsup") && splitDir.equals("train")) {
                if (!tally.includeUnsup) {
                    return null;
                }
                split = Split.UNSUP;
                label = Review.UNLABELLED;
            } else if ((labelDir.equals("pos") || labelDir.equals("neg"))
                    && (splitDir.equals("train") || splitDir.equals("test"))) {
                split = splitDir.equals("train") ? Split.TRAIN : Split.TEST;
                label = labelDir.equals("pos") ? Review.POSITIVE : Review.NEGATIVE;
            } else {
                return null;
            }
            Matcher m = REVIEW_FILE.matcher(file);
            if (!m.matches() || Integer.parseInt(m.group(2)) > 10) {
                tally.misnamed.note(name);
                return null;
            }
            return new ReviewPath(split, label, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
        }
    }

    /** Occurrences of one kind of problem: how many, and the first file it happened in. */
    private static final class Occurrences {
        int count;
        String first;

        void note(String name) {
            if (count++ == 0) {
                first = name;
            }
        }
    }

    /** The reviews read so far and the problems met, turned into a {@link Corpus} at the end. */
    private static final class Tally {
        final Path source;
        final boolean includeUnsup;
        final List<Review> reviews = new ArrayList<>();
        final Occurrences misnamed = new Occurrences();
        final Occurrences empty = new Occurrences();
        final Occurrences notUtf8 = new Occurrences();

        Tally(Path source, boolean includeUnsup) {
            this.source = source;
            this.includeUnsup = includeUnsup;
        }

        void add(ReviewPath where, String name, byte[] bytes) {
            String text = decode(bytes, name);
            if (text.isBlank()) {
                empty.note(name);
                return;
            }
            reviews.add(new Review(where.split, where.label, where.id, where.rating, name, text));
        }

        /**
         * UTF-8 with U+FFFD for bad bytes, counted for the warning. The JDK's decoding is the fast
         * path; only a text that holds U+FFFD (a replacement, or a genuine one) is decoded again
         * strictly to tell which.
         */
        private String decode(byte[] bytes, String name) {
            String text = new String(bytes, StandardCharsets.UTF_8);
            if (text.indexOf('\uFFFD') >= 0 && !isValidUtf8(bytes)) {
                notUtf8.note(name);
            }
            return text;
        }

        private static boolean isValidUtf8(byte[] bytes) {
            try {
                StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
                return true;
            } catch (CharacterCodingException e) {
                return false;
            }
        }

        Corpus finish() {
            List<String> missing = new ArrayList<>();
            for (Split split : new Split[] {Split.TRAIN, Split.TEST}) {
                for (int label : new int[] {Review.POSITIVE, Review.NEGATIVE}) {
                    if (!has(split, label)) {
                        missing.add(split.folder() + "/" + (label == Review.POSITIVE ? "pos" : "neg"));
                    }
                }
            }
            if (!missing.isEmpty()) {
                throw DataErrors.fail(source, EXPECTED_FOLDERS + " holding <id>_<rating>.txt reviews",
                        missing.size() == 4 ? "a tree without them" : "a tree without reviews in " + String.join(", ", missing));
            }
            List<String> warnings = new ArrayList<>();
            warn(warnings, notUtf8, "had bytes that are not UTF-8 (decoded with U+FFFD replacement)");
            warn(warnings, empty, "empty (skipped)");
            warn(warnings, misnamed, "not named <id>_<rating>.txt (skipped)");
            if (includeUnsup && !has(Split.UNSUP, Review.UNLABELLED)) {
                warnings.add(source + ": no train/unsup reviews (this copy lacks them); going on without");
            }
            reviews.sort(Comparator.comparing(Review::split).thenComparing(Review::label)
                    .thenComparingInt(Review::id));
            return new Corpus("imdb " + source, reviews, warnings);
        }

        private boolean has(Split split, int label) {
            for (Review r : reviews) {
                if (r.split() == split && r.label() == label) {
                    return true;
                }
            }
            return false;
        }

        private void warn(List<String> warnings, Occurrences o, String what) {
            if (o.count > 0) {
                warnings.add(source + ": " + o.count + (o.count == 1 ? " review file " : " review files ") + what
                        + ", first " + o.first);
            }
        }
    }
}
