package org.fusedbert.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SyntheticReviewsTest {
    private static final Corpus CORPUS = new SyntheticReviews(SyntheticReviews.DEFAULT_SEED).corpus(2000);

    @Test
    void reviewsAreAFunctionOfSeedSplitAndIndex() {
        SyntheticReviews g = new SyntheticReviews(42);
        assertEquals(g.review(Split.TRAIN, 5), new SyntheticReviews(42).review(Split.TRAIN, 5));
        assertEquals(CORPUS.reviews().get(5), g.review(Split.TRAIN, 5));
        assertNotEquals(g.review(Split.TRAIN, 5).text(), new SyntheticReviews(43).review(Split.TRAIN, 5).text());
        assertNotEquals(g.review(Split.TRAIN, 5).text(), g.review(Split.TEST, 5).text());
    }

    @Test
    void corpusIsBalancedLabelledAndMarkedSynthetic() {
        assertEquals(1000, CORPUS.count(Split.TRAIN, Review.POSITIVE));
        assertEquals(1000, CORPUS.count(Split.TRAIN, Review.NEGATIVE));
        assertEquals(1000, CORPUS.count(Split.TEST, Review.POSITIVE));
        assertEquals(1000, CORPUS.count(Split.TEST, Review.NEGATIVE));
        assertTrue(CORPUS.source().startsWith("synthetic"), CORPUS.source());
        for (Review r : CORPUS.reviews()) {
            assertTrue(r.name().startsWith("synthetic/"), r.name());
            assertTrue(r.label() == Review.POSITIVE ? r.rating() >= 7 : r.rating() <= 4, r.name());
        }
    }

    @Test
    void textsLookLikeReviewsWithVariedLengths() {
        int withBreaks = 0, withQuotes = 0, withNonAscii = 0, longer = 0, shortest = Integer.MAX_VALUE, longest = 0;
        for (Review r : CORPUS.reviews()) {
            String t = r.text();
            withBreaks += t.contains("<br /><br />") ? 1 : 0;
            withQuotes += t.contains("\"") ? 1 : 0;
            withNonAscii += t.chars().anyMatch(c -> c > 127) ? 1 : 0;
            int tokens = TextVectorizer.tokens(t).size();
            longer += tokens > 256 ? 1 : 0;
            shortest = Math.min(shortest, tokens);
            longest = Math.max(longest, tokens);
        }
        int n = CORPUS.reviews().size();
        assertTrue(withBreaks > n / 4, "reviews with <br />: " + withBreaks);
        assertTrue(withQuotes > n / 5, "reviews with quotes: " + withQuotes);
        assertTrue(withNonAscii > n / 20, "reviews with non-ASCII letters: " + withNonAscii);
        double share = (double) longer / n;
        assertTrue(share > 0.05 && share < 0.30, "share longer than 256 tokens: " + share);
        assertTrue(shortest < 40 && longest > 300, "token counts from " + shortest + " to " + longest);
    }

    @Test
    void sentimentIsLearnableFromTheFirst256Tokens() {
        // A naive Bayes classifier on the tokens a 256-token model sees: if this cannot separate the
        // labels, no model can; the end-to-end test of the BERT needs >= 95%.
        Map<String, double[]> counts = new HashMap<>();
        double[] totals = new double[2];
        for (Review r : CORPUS.split(Split.TRAIN)) {
            for (String t : first256(r)) {
                counts.computeIfAbsent(t, k -> new double[2])[r.label()]++;
                totals[r.label()]++;
            }
        }
        int correct = 0;
        List<Review> test = CORPUS.split(Split.TEST);
        for (Review r : test) {
            double score = 0;
            for (String t : first256(r)) {
                double[] c = counts.getOrDefault(t, new double[2]);
                score += Math.log((c[1] + 1) / (totals[1] + counts.size())) - Math.log((c[0] + 1) / (totals[0] + counts.size()));
            }
            correct += (score > 0 ? Review.POSITIVE : Review.NEGATIVE) == r.label() ? 1 : 0;
        }
        double accuracy = (double) correct / test.size();
        assertTrue(accuracy >= 0.99, "naive Bayes test accuracy " + accuracy);
    }

    private static List<String> first256(Review r) {
        List<String> t = TextVectorizer.tokens(r.text());
        return t.subList(0, Math.min(256, t.size()));
    }

    @Test
    void probesMaskAWordTheTwoWordsBeforeItDetermine() {
        TextVectorizer v = TextVectorizer.adapt(CORPUS.split(Split.TRAIN).stream().map(Review::text).toList(), 30_000, 256);
        Map<String, Map<String, Integer>> following = new HashMap<>();
        for (Review r : CORPUS.reviews()) {
            List<String> t = TextVectorizer.tokens(r.text());
            for (int i = 2; i < t.size(); i++) {
                following.computeIfAbsent(t.get(i - 2) + " " + t.get(i - 1), k -> new HashMap<>()).merge(t.get(i), 1, Integer::sum);
            }
        }
        for (SyntheticReviews.MaskedProbe probe : SyntheticReviews.probes()) {
            List<String> t = TextVectorizer.tokens(probe.text());
            int m = t.indexOf(TextVectorizer.MASK_TOKEN);
            assertTrue(m >= 2, probe.text());
            Map<String, Integer> next = following.get(t.get(m - 2) + " " + t.get(m - 1));
            assertEquals(List.of(probe.answer()), List.copyOf(next.keySet()), probe.text());
            assertTrue(next.get(probe.answer()) >= 100, probe.text() + " context seen " + next.get(probe.answer()) + " times");
            int[] ids = v.encode(probe.text());
            for (int i = 0; i < t.size(); i++) {
                assertNotEquals(TextVectorizer.UNK_ID, ids[i], probe.text() + ": " + t.get(i));
            }
            assertEquals(v.maskId(), ids[m]);
            assertNotEquals(TextVectorizer.UNK_ID, v.id(probe.answer()));
        }
    }
}
