package org.fusedbert.data;

import java.nio.file.Path;

/** The one-line errors of the data layer: {@code "<file>: expected <what> but was <found>"}. */
final class DataErrors {
    private DataErrors() {
    }

    /** An error about {@code file}: what it should have been and what it was. */
    static IllegalArgumentException fail(Path file, String expected, String actual) {
        return fail(file.toString(), expected, actual);
    }

    /** An error about {@code what} (a file, an archive entry, an option): expectation and finding. */
    static IllegalArgumentException fail(String what, String expected, String actual) {
        return new IllegalArgumentException(what + ": expected " + expected + " but was " + actual);
    }
}
