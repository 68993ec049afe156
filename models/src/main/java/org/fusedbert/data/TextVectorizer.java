package org.fusedbert.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;

/**
 * Text to token ids, equivalent to the Keras {@code TextVectorization} layer as the seed (the Keras
 * "End-to-end Masked Language Modeling with BERT" example) configures it.
 *
 * <p><b>Standardize</b>: lowercase, then {@code "<br />"} becomes a space, then every character of
 * {@link #STRIPPED} is deleted (the double quote and the brackets are not in it and survive).
 * Lowercasing is ASCII-only, as {@code tf.strings.lower} does with its default encoding {@code ""}:
 * {@code A-Z} become {@code a-z}; other letters ({@code É}, {@code Ä}, {@code Σ}) are kept as they are.
 * <b>Split</b> on ASCII whitespace (space, tab, LF, VT, FF, CR), as {@code tf.strings.split} does;
 * other spaces (U+00A0) are part of a token.
 *
 * <p><b>Vocabulary</b>: id 0 is padding (the empty token), 1 is {@code [UNK]}, then the most
 * frequent tokens of the texts it was adapted on (equal counts in {@link String#compareTo} order),
 * and the last id is {@code [mask]}: {@link #DEFAULT_VOCABULARY_SIZE} ids in all unless the texts
 * have fewer distinct tokens. A literal {@code [mask]} in the text (brackets survive standardizing)
 * encodes to the mask id, as in the seed, which is how a masked probe sentence is written; it is
 * not counted as a word when adapting. <b>Encode</b> to exactly {@link #sequenceLength()} ids: the
 * first tokens, unknown ones as 1, padded with 0.
 *
 * <p>Saved as a UTF-8 text file with one token per line, line {@code i + 1} holding id {@code i}
 * (so the file starts with an empty line, the padding token).
 */
public final class TextVectorizer {
    /** Id of the padding token. */
    public static final int PAD_ID = 0;
    /** Id of the out-of-vocabulary token. */
    public static final int UNK_ID = 1;
    /** Token of padding: the empty string. */
    public static final String PAD_TOKEN = "";
    /** Token of an out-of-vocabulary word. */
    public static final String UNK_TOKEN = "[UNK]";
    /** Token of a masked position; always the last id. */
    public static final String MASK_TOKEN = "[mask]";
    /** The seed's vocabulary size, specials included. */
    public static final int DEFAULT_VOCABULARY_SIZE = 30_000;
    /** The seed's sequence length. */
    public static final int DEFAULT_SEQUENCE_LENGTH = 256;
    /** Characters deleted by standardizing (the seed's list; note: no double quote, no brackets). */
    public static final String STRIPPED = "!#$%&'()*+,-./:;<=>?@\\^_`{|}~";

    private static final boolean[] IS_STRIPPED = new boolean[128];

    static {
        for (char c : STRIPPED.toCharArray()) {
            IS_STRIPPED[c] = true;
        }
    }

    private final String[] vocabulary;
    private final Map<String, Integer> ids;
    private final TokenTable table;
    private final int sequenceLength;
    private final byte[] sha256;

    private TextVectorizer(String[] vocabulary, Map<String, Integer> ids, int sequenceLength) {
        this.vocabulary = vocabulary;
        this.ids = ids;
        this.table = new TokenTable(vocabulary.length);
        for (String token : vocabulary) {
            table.add(token.toCharArray(), token.length(), 0); // index = id: tokens are unique
        }
        this.sequenceLength = sequenceLength;
        this.sha256 = Sha256.of(fileContent(vocabulary));
    }

    /**
     * Builds the vocabulary from {@code texts} (Keras' {@code adapt}), counting in parallel.
     *
     * @param maxVocabularySize ids in all, specials included (at least 4)
     * @param sequenceLength    ids per encoded text (at least 1)
     */
    public static TextVectorizer adapt(List<String> texts, int maxVocabularySize, int sequenceLength) {
        checkSizes("adapt", maxVocabularySize, sequenceLength);
        int chunks = Math.max(1, Math.min(texts.size() / 256, 4 * ForkJoinPool.commonPool().getParallelism()));
        TokenTable counts = IntStream.range(0, chunks).parallel().mapToObj(c -> {
            TokenTable local = new TokenTable(1 << 14);
            int from = (int) ((long) texts.size() * c / chunks), to = (int) ((long) texts.size() * (c + 1) / chunks);
            for (int i = from; i < to; i++) {
                forEachToken(texts.get(i), (buf, len) -> local.add(buf, len, 1));
            }
            return local;
        }).reduce((a, b) -> {
            TokenTable big = a.size() >= b.size() ? a : b;
            big.addAll(big == a ? b : a);
            return big;
        }).orElseGet(() -> new TokenTable(16));
        List<Integer> ranked = new ArrayList<>(counts.size());
        String[] tokens = new String[counts.size()];
        for (int e = 0; e < counts.size(); e++) {
            tokens[e] = counts.token(e);
            if (!tokens[e].equals(MASK_TOKEN)) {
                ranked.add(e);
            }
        }
        ranked.sort((a, b) -> counts.count(a) != counts.count(b)
                ? Long.compare(counts.count(b), counts.count(a)) : tokens[a].compareTo(tokens[b]));
        int words = Math.min(ranked.size(), maxVocabularySize - 3);
        if (words == 0) {
            throw DataErrors.fail("adapt", "texts with at least one token", texts.size() + " texts without any");
        }
        String[] vocabulary = new String[words + 3];
        vocabulary[PAD_ID] = PAD_TOKEN;
        vocabulary[UNK_ID] = UNK_TOKEN;
        for (int i = 0; i < words; i++) {
            vocabulary[i + 2] = tokens[ranked.get(i)];
        }
        vocabulary[words + 2] = MASK_TOKEN;
        return of(Arrays.asList(vocabulary), sequenceLength);
    }

    /**
     * A vectorizer over a given vocabulary (id = index), validated as a loaded file would be.
     *
     * @throws IllegalArgumentException naming the first bad entry
     */
    public static TextVectorizer of(List<String> vocabulary, int sequenceLength) {
        return validated(vocabulary, sequenceLength, "vocabulary");
    }

    /**
     * Reads a vocabulary saved by {@link #save}.
     *
     * @throws IllegalArgumentException one line naming the file and line: missing file, missing
     *                                  specials, duplicate or blank tokens
     */
    public static TextVectorizer load(Path file, int sequenceLength) {
        if (!Files.isRegularFile(file)) {
            throw DataErrors.fail(file, "a vocabulary file (one token per line)", "missing");
        }
        String content;
        try {
            content = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": reading the vocabulary failed: " + e.getMessage(), e);
        }
        if (content.endsWith("\n")) {
            content = content.substring(0, content.length() - 1);
        }
        return validated(Arrays.asList(content.split("\n", -1)), sequenceLength, file.toString());
    }

    private static TextVectorizer validated(List<String> vocabulary, int sequenceLength, String where) {
        checkSizes(where, vocabulary.size(), sequenceLength);
        String[] tokens = vocabulary.toArray(new String[0]);
        int last = tokens.length - 1;
        expectSpecial(where, tokens, PAD_ID, PAD_TOKEN, "the padding token (an empty line)");
        expectSpecial(where, tokens, UNK_ID, UNK_TOKEN, UNK_TOKEN);
        expectSpecial(where, tokens, last, MASK_TOKEN, MASK_TOKEN + " (the last line)");
        Map<String, Integer> ids = HashMap.newHashMap(tokens.length);
        for (int i = 0; i < tokens.length; i++) {
            String t = tokens[i];
            if (i != PAD_ID && (t.isEmpty() || hasAsciiWhitespace(t))) {
                throw DataErrors.fail(where + ": line " + (i + 1), "a non-empty token without whitespace", quoted(t));
            }
            Integer before = ids.putIfAbsent(t, i);
            if (before != null) {
                throw DataErrors.fail(where + ": line " + (i + 1), "a token not seen before",
                        quoted(t) + ", a duplicate of line " + (before + 1));
            }
        }
        return new TextVectorizer(tokens, ids, sequenceLength);
    }

    private static void expectSpecial(String where, String[] tokens, int id, String token, String what) {
        if (!tokens[id].equals(token)) {
            throw DataErrors.fail(where + ": line " + (id + 1), what, quoted(tokens[id]));
        }
    }

    private static void checkSizes(String where, int vocabularySize, int sequenceLength) {
        if (vocabularySize < 4) {
            throw DataErrors.fail(where, "at least 4 ids (padding, [UNK], a word, [mask])", vocabularySize + " ids");
        }
        if (sequenceLength < 1) {
            throw DataErrors.fail(where, "a sequence length >= 1", Integer.toString(sequenceLength));
        }
    }

    private static String quoted(String s) {
        return "\"" + s + "\"";
    }

    /** Writes the vocabulary, one token per line (line 1 is the empty padding token). */
    public void save(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(file, fileContent(vocabulary), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": writing the vocabulary failed: " + e.getMessage(), e);
        }
    }

    private static String fileContent(String[] vocabulary) {
        return String.join("\n", vocabulary) + "\n";
    }

    /**
     * Encodes {@code text} into {@code out[offset, offset + sequenceLength())}: the first tokens'
     * ids, unknown tokens as {@link #UNK_ID}, then {@link #PAD_ID}.
     *
     * @return the number of tokens the text has (more than the sequence length when it was truncated)
     */
    public int encode(String text, int[] out, int offset) {
        int[] count = {0};
        forEachToken(text, (buf, len) -> {
            if (count[0] < sequenceLength) {
                int id = table.find(buf, len);
                out[offset + count[0]] = id < 0 ? UNK_ID : id;
            }
            count[0]++;
        });
        Arrays.fill(out, offset + Math.min(count[0], sequenceLength), offset + sequenceLength, PAD_ID);
        return count[0];
    }

    /** {@code text} as exactly {@link #sequenceLength()} ids. */
    public int[] encode(String text) {
        int[] out = new int[sequenceLength];
        encode(text, out, 0);
        return out;
    }

    /** The tokens of {@code ids} joined by spaces, padding left out (for showing predictions). */
    public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            if (id != PAD_ID) {
                sb.append(sb.isEmpty() ? "" : " ").append(token(id));
            }
        }
        return sb.toString();
    }

    /** The token of {@code id}. */
    public String token(int id) {
        if (id < 0 || id >= vocabulary.length) {
            throw DataErrors.fail("token", "an id in [0, " + (vocabulary.length - 1) + "]", Integer.toString(id));
        }
        return vocabulary[id];
    }

    /** The id of {@code token}, {@link #UNK_ID} when it is not in the vocabulary (no standardizing). */
    public int id(String token) {
        return ids.getOrDefault(token, UNK_ID);
    }

    /** Ids in all, specials included. */
    public int vocabularySize() {
        return vocabulary.length;
    }

    /** The id of {@code [mask]}: the last one. */
    public int maskId() {
        return vocabulary.length - 1;
    }

    /** Ids per encoded text. */
    public int sequenceLength() {
        return sequenceLength;
    }

    /** The vocabulary, id = index. */
    public List<String> vocabulary() {
        return List.of(vocabulary);
    }

    /** SHA-256 of the saved vocabulary file's bytes: identifies the vocabulary an encoded dataset was built with. */
    public byte[] sha256() {
        return sha256.clone();
    }

    /** {@link #sha256()} in hex. */
    public String sha256Hex() {
        return Sha256.hex(sha256);
    }

    /**
     * The seed's standardization as a string (what {@code tf.strings.lower} then the two
     * {@code regex_replace} calls produce). {@link #tokens} gives the same tokens without building it.
     */
    public static String standardize(String text) {
        StringBuilder lower = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            lower.append(asciiLower(text.charAt(i)));
        }
        String noBreaks = lower.toString().replace("<br />", " ");
        StringBuilder out = new StringBuilder(noBreaks.length());
        for (int i = 0; i < noBreaks.length(); i++) {
            char c = noBreaks.charAt(i);
            if (!(c < 128 && IS_STRIPPED[c])) {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** The tokens of {@code text} after standardizing, in order. */
    public static List<String> tokens(String text) {
        List<String> out = new ArrayList<>();
        forEachToken(text, (buf, len) -> out.add(new String(buf, 0, len)));
        return out;
    }

    /** Receives each token of a text; {@code buf} is reused, valid only during the call. */
    @FunctionalInterface
    interface TokenSink {
        void token(char[] buf, int len);
    }

    /**
     * One pass over {@code text} doing standardize-then-split: {@code <br />} (matched after ASCII
     * lowercasing, before deleting, as the seed's order implies) and ASCII whitespace end a token;
     * stripped characters are dropped without ending one ({@code "don't"} is {@code "dont"}).
     */
    static void forEachToken(String text, TokenSink sink) {
        int n = text.length();
        char[] buf = new char[Math.min(n, 64) + 1];
        int len = 0;
        for (int i = 0; i < n; i++) {
            char c = asciiLower(text.charAt(i));
            boolean boundary;
            if (c == '<' && isLineBreakAt(text, i)) {
                boundary = true;
                i += 5;
            } else {
                boundary = c == ' ' || (c >= '\t' && c <= '\r');
            }
            if (boundary) {
                if (len > 0) {
                    sink.token(buf, len);
                    len = 0;
                }
            } else if (!(c < 128 && IS_STRIPPED[c])) {
                if (len == buf.length) {
                    buf = Arrays.copyOf(buf, 2 * len);
                }
                buf[len++] = c;
            }
        }
        if (len > 0) {
            sink.token(buf, len);
        }
    }

    private static boolean isLineBreakAt(String text, int i) {
        return i + 5 < text.length()
                && asciiLower(text.charAt(i + 1)) == 'b' && asciiLower(text.charAt(i + 2)) == 'r'
                && text.charAt(i + 3) == ' ' && text.charAt(i + 4) == '/' && text.charAt(i + 5) == '>';
    }

    private static boolean hasAsciiWhitespace(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == ' ' || (c >= '\t' && c <= '\r')) {
                return true;
            }
        }
        return false;
    }

    private static char asciiLower(char c) {
        return c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c;
    }
}
