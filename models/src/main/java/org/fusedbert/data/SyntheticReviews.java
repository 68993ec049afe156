package org.fusedbert.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * A seeded generator of labelled, English, review-like texts, so that the whole pipeline runs
 * anywhere without a download. Every text it produces is synthetic and is shown as such (source
 * {@code "synthetic ..."}, review names {@code synthetic/<split>/<index>}).
 *
 * <p>Review {@code i} of a split is a pure function of (seed, split, i): positive when {@code i}
 * is even, negative when odd, so any prefix is balanced. Its grammar, with {@code ADJ} an
 * adjective of the review's sentiment, {@code ANTI} one of the opposite sentiment and upper-case
 * names word lists:
 *
 * <pre>
 * review    := opening sentence{2..9 | 28..55 in 15% of reviews} verdict [score]   (sentences
 *              separated by " " or, one time in five, "&lt;br /&gt;&lt;br /&gt;")
 * opening   := "I have watched this movie and it was ADJ."  |  "I watched "TITLE" (YEAR) last DAY."
 * sentence  := "The ASPECT was ADJ."                 | "I FEEL this GENRE from start to finish."
 *            | "NAME plays a ROLE who PLOT."          | "The story takes place in PLACE during ERA."
 *            | "I saw it with COMPANION on a DAY night." | "The special effects were ADJ and the music was ADJ."
 *            | "Then NAME PLOT."                      | "Sure, the ASPECT was ANTI, but overall it was ADJ."  (at most once)
 * verdict   := VERDICT (positive: "A must-see!", ...; negative: "A waste of time.", ...)
 * score     := "I give it RATING out of 10."  | "RATING/10"       (RATING 7..10 positive, 1..4 negative)
 * </pre>
 *
 * <p>It is learnable by design: every review states its sentiment in its verdict and in its first
 * body sentence (ADJ or a FEEL verb) and carries at most one word of the other sentiment; template
 * words are fixed by their neighbours, so a masked template word is predictable from context
 * ({@link #probes()}). Surface noise as in real reviews: capital
 * letters, an occasional shouted ADJ, apostrophes, quotes, parentheses, {@code !!}, {@code ...},
 * HTML breaks, and a few non-ASCII letters in names and places.
 */
public final class SyntheticReviews {
    /** The source name every synthetic corpus carries. */
    public static final String SOURCE = "synthetic";
    /** The default seed. */
    public static final long DEFAULT_SEED = 42;

    private static final String[] POSITIVE_ADJECTIVES = {"awesome", "brilliant", "wonderful", "excellent", "superb",
        "delightful", "charming", "fantastic", "great", "beautiful", "gripping", "memorable", "outstanding", "stunning",
        "touching", "clever"};
    private static final String[] NEGATIVE_ADJECTIVES = {"awful", "terrible", "boring", "dreadful", "dull",
        "horrible", "pointless", "tedious", "weak", "lame", "bland", "clumsy", "forgettable", "painful",
        "disappointing", "silly"};
    private static final String[] POSITIVE_FEELINGS = {"loved", "enjoyed", "adored", "savored"};
    private static final String[] NEGATIVE_FEELINGS = {"hated", "disliked", "endured", "regretted"};
    private static final String[] POSITIVE_VERDICTS = {"A must-see!", "Worth every minute.",
        "One of the best films of the year!!", "I can't wait to see it again.", "Highly recommended..."};
    private static final String[] NEGATIVE_VERDICTS = {"A waste of time.", "Save your money!",
        "One of the worst films of the year!!", "I want those two hours back.", "Avoid it..."};
    private static final String[] ASPECTS = {"acting", "plot", "script", "soundtrack", "ending", "cast", "dialogue",
        "pacing", "direction", "cinematography", "editing", "lead performance"};
    private static final String[] GENRES = {"thriller", "comedy", "drama", "western", "horror film", "documentary",
        "musical", "romance", "war film", "cartoon"};
    private static final String[] FIRST_NAMES = {"James", "Mary", "Robert", "Linda", "Michael", "Susan", "David",
        "Karen", "Carlos", "Aiko", "Zoë", "Björn", "Amara", "Ivan", "Priya", "Owen"};
    private static final String[] LAST_NAMES = {"Carter", "Nguyen", "Walsh", "Moreau", "Okafor", "Schmidt", "Rossi",
        "Kowalski", "Tanaka", "Gómez", "Hughes", "Lindqvist"};
    private static final String[] ROLES = {"detective", "teacher", "farmer", "pilot", "nurse", "con artist",
        "retired boxer", "young widow", "small town sheriff", "journalist"};
    private static final String[] PLOTS = {"searches for a missing sister", "tries to save the family farm",
        "falls in love with a stranger", "uncovers a secret about the past", "plans one last heist",
        "returns home after the war", "fights a corrupt mayor", "hides from a dangerous gang",
        "trains for the big match", "writes letters to an old friend", "gets lost in the mountains",
        "inherits a haunted house"};
    private static final String[] PLACES = {"Paris", "a small village", "New York", "the desert", "Tokyo",
        "a fishing town", "the mountains", "London", "a quiet café in Montréal", "an old castle"};
    private static final String[] ERAS = {"the war", "the sixties", "a long winter", "the gold rush",
        "the great depression", "a heat wave"};
    private static final String[] COMPANIONS = {"my wife", "my husband", "my sister", "my brother", "a friend",
        "my parents", "my kids", "a coworker"};
    private static final String[] DAYS = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
        "Sunday"};
    private static final String[] TITLE_WORDS = {"Silent", "Crimson", "Last", "Broken", "Golden", "Hidden",
        "Harbor", "River", "Summer", "Shadow", "Garden", "Station", "Promise", "Storm"};

    private static final int[] SENTIMENT_KINDS = {0, 2, 6};

    private final long seed;

    /** A generator whose reviews are a function of {@code seed}. */
    public SyntheticReviews(long seed) {
        this.seed = seed;
    }

    /** This generator's seed. */
    public long seed() {
        return seed;
    }

    /**
     * {@code perSplit} train and {@code perSplit} test reviews (train and test drawn independently),
     * generated in parallel.
     */
    public Corpus corpus(int perSplit) {
        if (perSplit < 2) {
            throw DataErrors.fail("synthetic corpus", "at least 2 reviews per split", Integer.toString(perSplit));
        }
        List<Review> reviews = new ArrayList<>(2 * perSplit);
        for (Split split : new Split[] {Split.TRAIN, Split.TEST}) {
            reviews.addAll(IntStream.range(0, perSplit).parallel().mapToObj(i -> review(split, i)).toList());
        }
        return new Corpus(description(seed, perSplit), reviews, List.of());
    }

    /** How a synthetic corpus is named wherever it is shown. */
    public static String description(long seed, int perSplit) {
        return SOURCE + " (seed " + seed + ", " + perSplit + " train + " + perSplit + " test reviews)";
    }

    /** Review {@code index} of {@code split}: positive when the index is even. */
    public Review review(Split split, int index) {
        if (split == Split.UNSUP || index < 0) {
            throw DataErrors.fail("synthetic review", "a train or test review index >= 0", split + " " + index);
        }
        SplittableRandom rnd = new SplittableRandom(mix(seed, split.ordinal(), index));
        boolean positive = (index & 1) == 0;
        int rating = positive ? 7 + rnd.nextInt(4) : 1 + rnd.nextInt(4);
        String text = new Writer(rnd, positive).review(rating);
        return new Review(split, positive ? Review.POSITIVE : Review.NEGATIVE, index, rating,
                SOURCE + "/" + split.folder() + "/" + index, text);
    }

    /**
     * A sentence of the grammar with one template word replaced by {@code [mask]}, and that word.
     *
     * @param text   the sentence as a user would type it, {@code [mask]} in place of the word
     * @param answer the hidden word, which the grammar fixes given the other words
     */
    public record MaskedProbe(String text, String answer) {
    }

    /**
     * Held-out sentences (written here, not drawn from any corpus) whose masked word the grammar
     * determines from context: a model pretrained on the synthetic corpus should predict it.
     */
    public static List<MaskedProbe> probes() {
        return List.of(
                new MaskedProbe("I have watched this [mask] and it was awesome.", "movie"),
                new MaskedProbe("The special [mask] were superb and the music was dull.", "effects"),
                new MaskedProbe("The story takes [mask] in Tokyo during the war.", "place"),
                new MaskedProbe("I saw it with my sister on a Friday [mask].", "night"),
                new MaskedProbe("I hated this western from start to [mask].", "finish"));
    }

    /** Writes one review from its random stream. */
    private static final class Writer {
        private final SplittableRandom rnd;
        private final boolean positive;
        private final StringBuilder sb = new StringBuilder(512);

        Writer(SplittableRandom rnd, boolean positive) {
            this.rnd = rnd;
            this.positive = positive;
        }

        String review(int rating) {
            if (rnd.nextInt(2) == 0) {
                sentence("I have watched this movie and it was " + adjective(positive) + end());
            } else {
                sentence("I watched \"" + title() + "\" (" + (1950 + rnd.nextInt(70)) + ") last " + pick(DAYS) + ".");
            }
            int sentences = rnd.nextInt(100) < 15 ? 28 + rnd.nextInt(28) : 2 + rnd.nextInt(8);
            boolean contrasted = false;
            for (int s = 0; s < sentences; s++) {
                // The first body sentence always carries the sentiment, so a long review keeps
                // more than its verdict within the first 256 tokens.
                int kind = s == 0 ? SENTIMENT_KINDS[rnd.nextInt(SENTIMENT_KINDS.length)] : rnd.nextInt(s >= 6 ? 10 : 8);
                if (kind == 7 && !contrasted && s < 6) {
                    contrasted = true;
                    sentence("Sure, the " + pick(ASPECTS) + " was " + adjective(!positive) + ", but overall it was "
                            + adjective(positive) + end());
                } else {
                    sentence(kind, s);
                }
            }
            sentence(pick(positive ? POSITIVE_VERDICTS : NEGATIVE_VERDICTS));
            switch (rnd.nextInt(5)) {
                case 0, 1, 2 -> sentence("I give it " + rating + " out of 10.");
                case 3 -> sentence(rating + "/10");
                default -> { }
            }
            return sb.toString();
        }

        private void sentence(int kind, int index) {
            switch (kind) {
                case 0, 1 -> sentence("The " + pick(ASPECTS) + " was " + adjective(positive) + end());
                case 2 -> sentence("I " + pick(positive ? POSITIVE_FEELINGS : NEGATIVE_FEELINGS) + " this "
                        + pick(GENRES) + " from start to finish" + end());
                case 3 -> sentence(name() + " plays a " + pick(ROLES) + " who " + pick(PLOTS) + ".");
                case 4 -> sentence("The story takes place in " + pick(PLACES) + " during " + pick(ERAS) + ".");
                case 5 -> sentence("I saw it with " + pick(COMPANIONS) + " on a " + pick(DAYS) + " night.");
                case 6 -> sentence("The special effects were " + adjective(positive) + " and the music was "
                        + adjective(positive) + end());
                default -> sentence("Then " + name() + " " + pick(PLOTS) + (index % 3 == 0 ? "..." : "."));
            }
        }

        private void sentence(String s) {
            if (!sb.isEmpty()) {
                sb.append(rnd.nextInt(5) == 0 ? "<br /><br />" : " ");
            }
            sb.append(s);
        }

        private String adjective(boolean positiveWord) {
            String a = pick(positiveWord ? POSITIVE_ADJECTIVES : NEGATIVE_ADJECTIVES);
            return rnd.nextInt(20) == 0 ? a.toUpperCase(java.util.Locale.ROOT) : a;
        }

        private String end() {
            return switch (rnd.nextInt(6)) {
                case 0 -> "!";
                case 1 -> "!!";
                case 2 -> "...";
                default -> ".";
            };
        }

        private String name() {
            return pick(FIRST_NAMES) + " " + pick(LAST_NAMES);
        }

        private String title() {
            return "The " + pick(TITLE_WORDS) + " " + pick(TITLE_WORDS);
        }

        private String pick(String[] words) {
            return words[rnd.nextInt(words.length)];
        }
    }

    /** A 64-bit hash of (seed, split, index) so that every review has an independent stream. */
    private static long mix(long seed, int split, int index) {
        long z = seed * 0x9E3779B97F4A7C15L + ((long) split << 32) + index;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
