package org.fusedbert.tests;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.fusedbert.device.Device;
import org.fusedbert.device.DeviceBackend;
import org.fusedbert.device.sim.SimDevice;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.provider.Arguments;

/**
 * The devices every cross-device suite runs on. The simulator is always there; a GPU device is one
 * more {@link Candidate} line in {@link #ALL} that reports why it cannot open on this machine (no
 * driver, no GPU), and its tests are then skipped with that reason printed.
 */
public final class TestDevices {
    /**
     * A device the suites run on.
     *
     * @param name        short name, as in test names
     * @param unavailable why it cannot open here, or {@code null} when it can
     * @param open        opens it (called once per JVM)
     */
    public record Candidate(String name, Supplier<String> unavailable, Supplier<Device> open) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** Every device candidate, in order. Add a GPU device here with one line. */
    public static final List<Candidate> ALL = List.of(
            new Candidate("sim", () -> null, SimDevice::new));

    private static final Map<String, DeviceBackend> OPEN = new ConcurrentHashMap<>();

    private TestDevices() {
    }

    /** The candidates, for {@code @MethodSource}. */
    public static Stream<Candidate> all() {
        return ALL.stream();
    }

    /**
     * Every candidate crossed with every case: one {@link Arguments} of (candidate, case values...)
     * per pair, for parameterized tests over devices and shapes.
     */
    public static Stream<Arguments> cross(Object[]... cases) {
        return ALL.stream().flatMap(d -> Stream.of(cases).map(c -> {
            Object[] row = new Object[c.length + 1];
            row[0] = d;
            System.arraycopy(c, 0, row, 1, c.length);
            return Arguments.of(row);
        }));
    }

    /**
     * A {@link DeviceBackend} on the candidate, opened once per JVM and shared; skips the calling
     * test (printing the reason) where the device cannot open here.
     */
    public static DeviceBackend backend(Candidate candidate) {
        String reason = candidate.unavailable().get();
        if (reason != null) {
            System.out.println("skipping " + candidate.name() + ": " + reason);
        }
        Assumptions.assumeTrue(reason == null, () -> candidate.name() + " unavailable: " + reason);
        return OPEN.computeIfAbsent(candidate.name(), n -> new DeviceBackend(candidate.open().get()));
    }
}
