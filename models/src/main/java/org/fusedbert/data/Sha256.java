package org.fusedbert.data;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256, which every JDK provides, without the checked exception. */
final class Sha256 {
    private Sha256() {
    }

    static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    static byte[] of(String s) {
        return newDigest().digest(s.getBytes(StandardCharsets.UTF_8));
    }

    static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }
}
