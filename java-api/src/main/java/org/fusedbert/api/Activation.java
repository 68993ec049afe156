package org.fusedbert.api;

/** The activation a matmul epilogue (or {@link Backend#biasActivation}) applies. */
public enum Activation {
    /** Identity. */
    NONE,
    /** max(0, x). */
    RELU
}
