package org.fusedbert.data;

import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.file.Path;

/** The one-line errors of the data layer: {@code "<file>: expected <what> but was <found>"}. */
final class DataErrors {
    private DataErrors() {
    }

    /** An error about {@code file}: what it should have been and what it was. */
    static IllegalArgumentException fail(Path file, String expected, String actual) {
        return fail(file.toString(), expected, actual);
    }

    /**
     * What an I/O failure means to a user, in a few words: the JDK's own message where it has one
     * that says something, else the usual cause of that exception type (several carry no message).
     */
    static String describe(IOException e) {
        String message = e.getMessage() == null || e.getMessage().isBlank() ? null : e.getMessage();
        String meaning = switch (e) {
            case EOFException ignored -> "it ends early (a truncated file, or one still being written)";
            case ConnectException ignored -> "cannot connect (no network, or the server refused)";
            case UnknownHostException ignored -> "unknown host (no network or no DNS)";
            case HttpConnectTimeoutException ignored -> "connecting timed out";
            case HttpTimeoutException ignored -> "the server stopped answering";
            default -> null;
        };
        if (meaning == null) {
            return message != null ? message : e.getClass().getSimpleName();
        }
        return message == null || message.equals(meaning) ? meaning : meaning + ": " + message;
    }

    /** An error about {@code what} (a file, an archive entry, an option): expectation and finding. */
    static IllegalArgumentException fail(String what, String expected, String actual) {
        return new IllegalArgumentException(what + ": expected " + expected + " but was " + actual);
    }
}
