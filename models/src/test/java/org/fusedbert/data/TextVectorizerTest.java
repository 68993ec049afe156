package org.fusedbert.data;

import static org.fusedbert.data.AclImdbTest.assertOneLineNaming;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextVectorizerTest {
    @TempDir
    Path tmp;

    @Test
    void everyStrippedCharacterIsDeletedAndAsciiIsLowercased() {
        // The seed's list, one character between each pair of letters: all go, the letters join.
        assertEquals("!#$%&'()*+,-./:;<=>?@\\^_`{|}~", TextVectorizer.STRIPPED);
        assertEquals("abcdefghijklmnopqrstuvwxyzabcdef",
                TextVectorizer.standardize("a!b#c$d%e&f'g(h)i*j+k,l-m.n/o:p;q<r=s>t?u@v\\w^x_y`z{A|B}C~DEF"));
    }

    @Test
    void standardizationHandChecked() {
        // Double quotes and brackets are not in the list: they survive.
        assertEquals("he said \"wow\" [sic]", TextVectorizer.standardize("He said \"WOW!\" [sic]."));
        // <br /> becomes a space after lowercasing (so <BR /> too); other spellings lose only < / >.
        assertEquals("one two three threebrfourbr  five",
                TextVectorizer.standardize("One<br />two<BR />three three<br/>four<br  />five"));
        // Digits stay; separators inside numbers are deleted and join the digits.
        assertEquals("1010 stars 45 out of 5 in 1999 599", TextVectorizer.standardize("10/10 stars, 4.5 out of 5 (in 1999) $5.99"));
        // Apostrophes join contractions.
        assertEquals("dont its rock n roll", TextVectorizer.standardize("Don't: it's rock 'n' roll"));
        // ASCII-only lowercasing, as tf.strings.lower's default: non-ASCII capitals are kept as written.
        assertEquals("École straße ÀÖ ΣΊΣΥΦΟΣ naÏve zoë café",
                TextVectorizer.standardize("ÉCOLE Straße ÀÖ ΣΊΣΥΦΟΣ NAÏVE Zoë Café"));
    }

    @Test
    void splitsOnAsciiWhitespaceOnly() {
        assertEquals(List.of("a", "b", "c", "d", "e", "f"), TextVectorizer.tokens("a\tb\nc\u000Bd\fe\rf"));
        assertEquals(List.of("a\u00A0b", "c"), TextVectorizer.tokens("  a\u00A0b   c  "));
        assertEquals(List.of("the", "end"), TextVectorizer.tokens("The<br /><br />end..."));
        assertEquals(List.of(), TextVectorizer.tokens(" ... <br /> !!! "));
    }

    @Test
    void onePassTokensEqualStandardizeThenSplitOnRandomText() {
        String[] pieces = {"a", "B", "z", "É", "ß", "9", " ", "\t", "\n", "\u000B", "\u00A0", "<br />", "<BR />", "<br",
            "<", "/>", "br", "\"", "'", ".", "[mask]", "[", "]", "\\", "^", "~", "!!", "…", "😀"};
        SplittableRandom rnd = new SplittableRandom(7);
        for (int trial = 0; trial < 3000; trial++) {
            StringBuilder sb = new StringBuilder();
            for (int i = rnd.nextInt(40); i > 0; i--) {
                sb.append(pieces[rnd.nextInt(pieces.length)]);
            }
            String text = sb.toString();
            List<String> expected = new ArrayList<>();
            for (String t : TextVectorizer.standardize(text).split("[ \\t\\n\\x0B\\f\\r]+")) {
                if (!t.isEmpty()) {
                    expected.add(t);
                }
            }
            assertEquals(expected, TextVectorizer.tokens(text), () -> "text: " + text);
        }
    }

    @Test
    void vocabularyIsSpecialsThenMostFrequentWithLexicographicTiesThenMask() {
        List<String> texts = List.of("the cat, the dog; The bird!", "a dog a cat", "zebra yak", "[mask] [MASK] yak");
        TextVectorizer v = TextVectorizer.adapt(texts, 30_000, 6);
        // the:3; a:2, cat:2, dog:2, yak:2; bird:1, zebra:1 -- [mask] in the text is not counted as a word
        assertEquals(List.of("", "[UNK]", "the", "a", "cat", "dog", "yak", "bird", "zebra", "[mask]"), v.vocabulary());
        assertEquals(10, v.vocabularySize());
        assertEquals(9, v.maskId());

        TextVectorizer capped = TextVectorizer.adapt(texts, 6, 6);
        assertEquals(List.of("", "[UNK]", "the", "a", "cat", "[mask]"), capped.vocabulary());
    }

    @Test
    void encodesToExactlyTheSequenceLengthTruncatingOrPadding() {
        TextVectorizer v = TextVectorizer.adapt(List.of("the cat the dog a dog a cat zebra yak yak"), 100, 5);
        int[] out = new int[12];
        Arrays.fill(out, -7);
        assertEquals(3, v.encode("The DOG, gnu!", out, 4));
        assertArrayEquals(new int[] {-7, -7, -7, -7, v.id("the"), v.id("dog"), TextVectorizer.UNK_ID, 0, 0, -7, -7, -7}, out);
        // seven tokens: the first five kept, the count says seven
        assertEquals(7, v.encode("a b c d e f g", out, 0));
        assertArrayEquals(new int[] {v.id("a"), 1, 1, 1, 1}, Arrays.copyOf(out, 5));
        // a literal [mask] (brackets survive standardizing) is the mask id: how a probe sentence is written
        assertArrayEquals(new int[] {v.id("the"), v.maskId(), v.id("yak"), 0, 0}, v.encode("The [mask] yak."));
        assertEquals("the [mask] yak", v.decode(v.encode("The [mask] yak.")));
        assertArrayEquals(new int[5], v.encode(""));
    }

    @Test
    void saveAndLoadRoundTripWithTheSameHash() throws IOException {
        TextVectorizer v = TextVectorizer.adapt(List.of("b a c a b a", "Zoë naïve"), 50, 8);
        Path file = tmp.resolve("vocab/vocabulary.txt");
        v.save(file);
        List<String> lines = Files.readAllLines(file);
        assertEquals("", lines.get(0));
        assertEquals("[UNK]", lines.get(1));
        assertEquals("a", lines.get(2));
        assertEquals("[mask]", lines.get(lines.size() - 1));
        TextVectorizer loaded = TextVectorizer.load(file, 8);
        assertEquals(v.vocabulary(), loaded.vocabulary());
        assertEquals(v.sha256Hex(), loaded.sha256Hex());
        assertNotEquals(v.sha256Hex(), TextVectorizer.adapt(List.of("b a c a b"), 50, 8).sha256Hex());
    }

    @Test
    void badVocabularyFilesAreOneLineNamingFileAndLine() throws IOException {
        assertBad("\n[UNK]\nthe\na\nthe\n[mask]\n", "line 5: expected a token not seen before but was \"the\", a duplicate of line 3");
        assertBad("\n[UNK]\nthe\n[UNK]\n[mask]\n", "line 4: expected a token not seen before but was \"[UNK]\"");
        assertBad("\nthe\na\n[mask]\n", "line 2: expected [UNK] but was \"the\"");
        assertBad("pad\n[UNK]\nthe\n[mask]\n", "line 1: expected the padding token (an empty line) but was \"pad\"");
        assertBad("\n[UNK]\nthe\na\n", "line 4: expected [mask] (the last line) but was \"a\"");
        assertBad("\n[UNK]\nthe\n\na\n[mask]\n", "line 4: expected a non-empty token without whitespace but was \"\"");
        assertBad("\n[UNK]\n[mask]\n", "expected at least 4 ids");
        Path missing = tmp.resolve("none.txt");
        var e = assertThrows(IllegalArgumentException.class, () -> TextVectorizer.load(missing, 8));
        assertOneLineNaming(e.getMessage(), missing.toString());
    }

    private void assertBad(String content, String expectedPart) throws IOException {
        Path file = Files.writeString(tmp.resolve("bad-" + Integer.toHexString(content.hashCode()) + ".txt"), content);
        var e = assertThrows(IllegalArgumentException.class, () -> TextVectorizer.load(file, 8));
        assertOneLineNaming(e.getMessage(), file.toString());
        assertTrue(e.getMessage().contains(expectedPart), e.getMessage());
    }
}
