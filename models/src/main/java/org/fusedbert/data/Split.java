package org.fusedbert.data;

import java.util.Locale;

/** The parts of the aclImdb dataset, named as its folders are. */
public enum Split {
    /** 25,000 labelled reviews for training. */
    TRAIN,
    /** 25,000 labelled reviews for evaluation. */
    TEST,
    /** {@code train/unsup}: 50,000 unlabelled reviews, read only when asked for (MLM pretraining). */
    UNSUP;

    /** The folder name in the aclImdb tree ({@code train}, {@code test}; unsup lives in {@code train/unsup}). */
    public String folder() {
        return name().toLowerCase(Locale.ROOT);
    }
}
