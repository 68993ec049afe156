package org.fusedbert.data;

/**
 * One movie review.
 *
 * @param split  where it belongs
 * @param label  1 = positive, 0 = negative, {@link #UNLABELLED} for {@code train/unsup}
 * @param id     the review's number within its folder (the {@code <id>} of {@code <id>_<rating>.txt})
 * @param rating the star rating 1..10 from the file name (0 for unlabelled reviews)
 * @param name   where it came from, for messages: the archive entry or file, or {@code synthetic/...}
 * @param text   the review, as written (HTML line breaks {@code <br />} kept)
 */
public record Review(Split split, int label, int id, int rating, String name, String text) {
    /** Label of a review without sentiment (train/unsup). */
    public static final int UNLABELLED = -1;
    /** Label of a positive review ({@code pos} folder). */
    public static final int POSITIVE = 1;
    /** Label of a negative review ({@code neg} folder). */
    public static final int NEGATIVE = 0;
}
