package org.fusedbert.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Reviews encoded to token ids, stored in one binary file and memory-mapped when opened, so a
 * split's ids can be handed to a device in one copy ({@link #ids}) or gathered into host batches
 * ({@link #batch}).
 *
 * <p>File layout, little-endian (the native order of the machines we run on):
 *
 * <pre>
 * offset  size  field
 *      0     8  magic "FBDATA\r\n"
 *      8     4  format version (1)
 *     12     4  sequence length L
 *     16     4  vocabulary size V
 *     20     4  reserved, 0
 *     24    32  SHA-256 of the vocabulary file it was encoded with
 *     56    24  rows per split: train, test, unsup (int64 each); rows are stored in that order
 *     80     4  byte length of the source description
 *     84   172  source description, UTF-8, zero-padded
 *    256        ids           int32 [N, L]
 *               labels        int32 [N]    1 positive, 0 negative, -1 unlabelled
 *               token counts  int32 [N]    tokens before truncation / padding
 *               review ids    int32 [N]
 *               ratings       int32 [N]
 * </pre>
 */
public final class EncodedDataset implements AutoCloseable {
    /** Current format version. */
    public static final int FORMAT_VERSION = 1;
    /** Bytes before the id rows. */
    public static final int HEADER_BYTES = 256;

    private static final byte[] MAGIC = "FBDATA\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final int SOURCE_OFFSET = 84;
    private static final int SOURCE_CAPACITY = HEADER_BYTES - SOURCE_OFFSET;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final Split[] SPLITS = Split.values();

    private final Path file;
    private final Arena arena;
    private final MemorySegment data;
    private final int sequenceLength;
    private final int vocabularySize;
    private final byte[] vocabularySha256;
    private final long[] splitRows = new long[SPLITS.length];
    private final long rows;
    private final String source;

    private EncodedDataset(Path file, Arena arena, MemorySegment data) {
        this.file = file;
        this.arena = arena;
        this.data = data;
        if (data.byteSize() < HEADER_BYTES) {
            throw fail("an encoded dataset of at least " + HEADER_BYTES + " bytes", data.byteSize() + " bytes");
        }
        byte[] magic = data.asSlice(0, MAGIC.length).toArray(ValueLayout.JAVA_BYTE);
        if (!Arrays.equals(magic, MAGIC)) {
            throw fail("a fusedbert encoded dataset (magic FBDATA)", "a file starting with " + java.util.HexFormat.of().formatHex(magic));
        }
        int version = data.get(INT, 8);
        if (version != FORMAT_VERSION) {
            throw fail("format version " + FORMAT_VERSION, "version " + version + " (run ./fusedbert prepare again)");
        }
        sequenceLength = data.get(INT, 12);
        vocabularySize = data.get(INT, 16);
        vocabularySha256 = data.asSlice(24, 32).toArray(ValueLayout.JAVA_BYTE);
        long n = 0;
        for (int s = 0; s < SPLITS.length; s++) {
            splitRows[s] = data.get(LONG, 56 + 8L * s);
            if (splitRows[s] < 0) {
                throw fail("row counts >= 0", Arrays.toString(splitRows));
            }
            n += splitRows[s];
        }
        rows = n;
        int sourceBytes = data.get(INT, 80);
        if (sequenceLength < 1 || vocabularySize < 4 || sourceBytes < 0 || sourceBytes > SOURCE_CAPACITY) {
            throw fail("a valid header", "sequence length " + sequenceLength + ", vocabulary size " + vocabularySize);
        }
        source = new String(data.asSlice(SOURCE_OFFSET, sourceBytes).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        long expected = fileSize(rows, sequenceLength);
        if (data.byteSize() != expected) {
            throw fail(expected + " bytes for " + rows + " rows of " + sequenceLength + " ids",
                    data.byteSize() + " bytes (truncated or damaged; run ./fusedbert prepare again)");
        }
    }

    private IllegalArgumentException fail(String expected, String actual) {
        return DataErrors.fail(file, expected, actual);
    }

    private static long fileSize(long rows, int sequenceLength) {
        return HEADER_BYTES + 4L * rows * (sequenceLength + 4L);
    }

    /**
     * Maps {@code file} read-only and checks its header.
     *
     * @throws IllegalArgumentException one line naming the file when it is missing, not an encoded
     *                                  dataset, of another format version, or truncated
     */
    public static EncodedDataset open(Path file) {
        if (!Files.isRegularFile(file)) {
            throw DataErrors.fail(file, "an encoded dataset (./fusedbert prepare writes one)", "missing");
        }
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return new EncodedDataset(file, arena, ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena));
        } catch (IOException e) {
            arena.close();
            throw new UncheckedIOException(file + ": mapping the encoded dataset failed: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Like {@link #open(Path)}, and checks that it was encoded with {@code vectorizer}'s vocabulary
     * and sequence length.
     *
     * @throws IllegalArgumentException naming the file when it was built with another vocabulary
     */
    public static EncodedDataset open(Path file, TextVectorizer vectorizer) {
        EncodedDataset d = open(file);
        if (!Arrays.equals(d.vocabularySha256, vectorizer.sha256()) || d.sequenceLength != vectorizer.sequenceLength()) {
            String expected = "a dataset encoded with vocabulary " + vectorizer.sha256Hex().substring(0, 16)
                    + " and length " + vectorizer.sequenceLength();
            String actual = "one built with vocabulary " + d.vocabularySha256Hex().substring(0, 16) + " and length "
                    + d.sequenceLength + " (another vocabulary; run ./fusedbert prepare again)";
            d.close();
            throw DataErrors.fail(file, expected, actual);
        }
        return d;
    }

    /**
     * Encodes {@code reviews} with {@code vectorizer} (in parallel) and writes them to {@code file}
     * (through a temporary file, so a reader never sees a half-written one).
     *
     * @param reviews in any order; they are stored grouped by split, in list order within a split
     * @param source  a description of where they came from, kept in the header (cut to 172 bytes)
     */
    public static void write(Path file, TextVectorizer vectorizer, List<Review> reviews, String source) {
        int length = vectorizer.sequenceLength();
        long[] counts = new long[SPLITS.length];
        for (Review r : reviews) {
            counts[r.split().ordinal()]++;
        }
        long[] next = new long[SPLITS.length];
        for (int s = 1; s < SPLITS.length; s++) {
            next[s] = next[s - 1] + counts[s - 1];
        }
        long[] rowOf = new long[reviews.size()];
        for (int i = 0; i < rowOf.length; i++) {
            rowOf[i] = next[reviews.get(i).split().ordinal()]++;
        }
        long n = reviews.size();
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.READ, StandardOpenOption.WRITE);
                 Arena arena = Arena.ofShared()) {
                MemorySegment out = ch.map(FileChannel.MapMode.READ_WRITE, 0, fileSize(n, length), arena);
                writeHeader(out, vectorizer, counts, source);
                long labels = HEADER_BYTES + 4L * n * length;
                int chunk = 256;
                IntStream.range(0, (int) ((n + chunk - 1) / chunk)).parallel().forEach(c -> {
                    int[] ids = new int[length];
                    for (int i = c * chunk; i < Math.min(n, (long) (c + 1) * chunk); i++) {
                        Review r = reviews.get(i);
                        long row = rowOf[i];
                        int tokens = vectorizer.encode(r.text(), ids, 0);
                        MemorySegment.copy(ids, 0, out, INT, HEADER_BYTES + 4L * row * length, length);
                        out.set(INT, labels + 4 * row, r.label());
                        out.set(INT, labels + 4 * (n + row), tokens);
                        out.set(INT, labels + 4 * (2 * n + row), r.id());
                        out.set(INT, labels + 4 * (3 * n + row), r.rating());
                    }
                });
                out.force();
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": writing the encoded dataset failed: " + e.getMessage(), e);
        }
    }

    private static void writeHeader(MemorySegment out, TextVectorizer vectorizer, long[] counts, String source) {
        MemorySegment.copy(MAGIC, 0, out, ValueLayout.JAVA_BYTE, 0, MAGIC.length);
        out.set(INT, 8, FORMAT_VERSION);
        out.set(INT, 12, vectorizer.sequenceLength());
        out.set(INT, 16, vectorizer.vocabularySize());
        out.set(INT, 20, 0);
        byte[] hash = vectorizer.sha256();
        MemorySegment.copy(hash, 0, out, ValueLayout.JAVA_BYTE, 24, hash.length);
        for (int s = 0; s < counts.length; s++) {
            out.set(LONG, 56 + 8L * s, counts[s]);
        }
        byte[] text = fitUtf8(source, SOURCE_CAPACITY);
        out.set(INT, 80, text.length);
        MemorySegment.copy(text, 0, out, ValueLayout.JAVA_BYTE, SOURCE_OFFSET, text.length);
    }

    /** The longest prefix of {@code s} whose UTF-8 fits {@code capacity} bytes, cut between characters. */
    private static byte[] fitUtf8(String s, int capacity) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        int end = Math.min(bytes.length, capacity);
        while (end < bytes.length && end > 0 && (bytes[end] & 0xC0) == 0x80) {
            end--;
        }
        return Arrays.copyOf(bytes, end);
    }

    /** The file this dataset is mapped from. */
    public Path file() {
        return file;
    }

    /** Ids per review. */
    public int sequenceLength() {
        return sequenceLength;
    }

    /** Size of the vocabulary the ids index. */
    public int vocabularySize() {
        return vocabularySize;
    }

    /** SHA-256 (hex) of the vocabulary file the reviews were encoded with. */
    public String vocabularySha256Hex() {
        return Sha256.hex(vocabularySha256);
    }

    /** Where the reviews came from, as recorded when it was written. */
    public String source() {
        return source;
    }

    /** Reviews in {@code split}. */
    public int size(Split split) {
        return (int) splitRows[split.ordinal()];
    }

    /** Reviews in all splits. */
    public long size() {
        return rows;
    }

    private long firstRow(Split split) {
        long r = 0;
        for (int s = 0; s < split.ordinal(); s++) {
            r += splitRows[s];
        }
        return r;
    }

    /**
     * The ids of {@code split}: int32 {@code [size(split), sequenceLength()]}, row-major,
     * little-endian, read-only, valid until {@link #close}.
     */
    public MemorySegment ids(Split split) {
        return data.asSlice(HEADER_BYTES + 4L * firstRow(split) * sequenceLength, 4L * size(split) * sequenceLength);
    }

    /**
     * Gathers the id rows {@code rows} of {@code split} into {@code out}, row after row.
     *
     * @param rows indices in {@code [0, size(split))}
     * @param out  at least {@code rows.length * sequenceLength()} elements
     */
    public void batch(Split split, int[] rows, int[] out) {
        if (out.length < (long) rows.length * sequenceLength) {
            throw DataErrors.fail("batch: out", rows.length * (long) sequenceLength + " elements", out.length + " elements");
        }
        long first = firstRow(split);
        for (int i = 0; i < rows.length; i++) {
            MemorySegment.copy(data, INT, HEADER_BYTES + 4L * (first + checkRow(split, rows[i])) * sequenceLength,
                    out, i * sequenceLength, sequenceLength);
        }
    }

    /** Label of row {@code row} of {@code split}: 1 positive, 0 negative, -1 unlabelled. */
    public int label(Split split, int row) {
        return column(0, split, row);
    }

    /** Tokens review {@code row} had before truncating or padding to the sequence length. */
    public int tokenCount(Split split, int row) {
        return column(1, split, row);
    }

    /** The review's id (its number in the aclImdb folder, or the synthetic index). */
    public int reviewId(Split split, int row) {
        return column(2, split, row);
    }

    /** The review's star rating (0 when unrated). */
    public int rating(Split split, int row) {
        return column(3, split, row);
    }

    /** All labels of {@code split}, in row order. */
    public int[] labels(Split split) {
        int[] out = new int[size(split)];
        MemorySegment.copy(data, INT, columnOffset(0) + 4 * firstRow(split), out, 0, out.length);
        return out;
    }

    /** Share of {@code split}'s reviews with more tokens than the sequence length (0 when empty). */
    public double shareTruncated(Split split) {
        int n = size(split), longer = 0;
        for (int r = 0; r < n; r++) {
            if (tokenCount(split, r) > sequenceLength) {
                longer++;
            }
        }
        return n == 0 ? 0 : (double) longer / n;
    }

    private int column(int column, Split split, int row) {
        return data.get(INT, columnOffset(column) + 4 * (firstRow(split) + checkRow(split, row)));
    }

    private long columnOffset(int column) {
        return HEADER_BYTES + 4L * rows * sequenceLength + 4L * column * rows;
    }

    private int checkRow(Split split, int row) {
        if (row < 0 || row >= splitRows[split.ordinal()]) {
            throw DataErrors.fail(file + ": " + split.folder() + " row", "a row in [0, " + splitRows[split.ordinal()] + ")",
                    Integer.toString(row));
        }
        return row;
    }

    /** Unmaps the file; segments from {@link #ids} become invalid. */
    @Override
    public void close() {
        arena.close();
    }
}
