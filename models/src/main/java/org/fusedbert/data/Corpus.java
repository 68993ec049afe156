package org.fusedbert.data;

import java.util.ArrayList;
import java.util.List;

/**
 * Reviews loaded from one source, with the warnings the load produced (the run went on).
 *
 * @param source   what they came from, as shown to the user: {@code "imdb <path>"} or {@code "synthetic ..."}
 * @param reviews  the reviews, grouped by split in the order train, test, unsup
 * @param warnings one line each, naming the file; empty when the load was clean
 */
public record Corpus(String source, List<Review> reviews, List<String> warnings) {
    public Corpus {
        reviews = List.copyOf(reviews);
        warnings = List.copyOf(warnings);
    }

    /** The reviews of one split, in corpus order. */
    public List<Review> split(Split split) {
        List<Review> out = new ArrayList<>();
        for (Review r : reviews) {
            if (r.split() == split) {
                out.add(r);
            }
        }
        return out;
    }

    /** How many reviews of {@code split} carry {@code label}. */
    public int count(Split split, int label) {
        int n = 0;
        for (Review r : reviews) {
            if (r.split() == split && r.label() == label) {
                n++;
            }
        }
        return n;
    }

    /** How many reviews {@code split} has. */
    public int count(Split split) {
        int n = 0;
        for (Review r : reviews) {
            if (r.split() == split) {
                n++;
            }
        }
        return n;
    }
}
