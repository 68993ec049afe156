package org.fusedbert.device.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Optional;

/** The kernels' fatbin, built by CMake with nvcc and shipped inside the java-api jar. */
public final class Fatbin {
    /** Where the jar holds it. */
    public static final String RESOURCE = "/org/fusedbert/native/linux-x86_64/fusedbert.fatbin";

    private Fatbin() {
    }

    /** Whether the jar has a fatbin (it has none when built on a machine without nvcc). */
    public static boolean isPresent() {
        return Fatbin.class.getResource(RESOURCE) != null;
    }

    /** The fatbin's bytes, or empty when the jar has none. */
    public static Optional<byte[]> load() {
        try (InputStream in = Fatbin.class.getResourceAsStream(RESOURCE)) {
            return in == null ? Optional.empty() : Optional.of(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("Fatbin: cannot read " + RESOURCE, e);
        }
    }

    /** The fatbin's bytes, or an exception saying the build had no nvcc. */
    public static byte[] require() {
        return load().orElseThrow(() -> new IllegalStateException(
                "no fatbin: " + RESOURCE + " is not in the java-api jar (it was built without nvcc)"));
    }
}
