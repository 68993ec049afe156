package org.fusedbert.tests;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.fusedbert.device.Device;
import org.fusedbert.device.DeviceBackend;
import org.fusedbert.device.GemmPrecision;
import org.fusedbert.device.cuda.CudaDevice;
import org.fusedbert.device.cuda.GpuAvailability;
import org.fusedbert.device.jcuda.JCudaDevice;
import org.fusedbert.device.sim.SimDevice;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.provider.Arguments;

/**
 * The devices every cross-device suite runs on. The simulator is always there; a GPU device is one
 * more {@link Candidate} line in {@link #ALL} that reports why it cannot open on this machine (no
 * driver, no GPU), and its tests are then skipped with that reason printed.
 */
public final class TestDevices {
    /** System property naming the device kinds to run on, e.g. {@code sim,cuda}. */
    public static final String DEVICES_PROPERTY = "fusedbert.test.devices";

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
    public static final List<Candidate> CANDIDATES = List.of(
            new Candidate("sim", () -> null, SimDevice::new),
            // GEMMs in full fp32 on the GPUs: the suites compare with CpuBackend at fp32 tolerances.
            new Candidate("cuda", () -> GpuAvailability.cudaUnavailableReason().orElse(null),
                    () -> CudaDevice.open(0, GemmPrecision.FP32)),
            new Candidate("jcuda", () -> JCudaDevice.unavailableReason().orElse(null),
                    () -> JCudaDevice.open(0, GemmPrecision.FP32)));

    /**
     * The candidates this run uses: all of them, or those named in the system property
     * {@value #DEVICES_PROPERTY} (comma-separated; the GPU script runs the sanitizer on cuda alone).
     */
    public static final List<Candidate> ALL = selected(System.getProperty(DEVICES_PROPERTY, ""));

    private static final Map<String, DeviceBackend> OPEN = new ConcurrentHashMap<>();

    private TestDevices() {
    }

    static List<Candidate> selected(String names) {
        if (names.isBlank()) {
            return CANDIDATES;
        }
        List<String> wanted = Stream.of(names.split(",")).map(String::trim).filter(n -> !n.isEmpty()).toList();
        for (String n : wanted) {
            if (CANDIDATES.stream().noneMatch(c -> c.name().equals(n))) {
                throw new IllegalArgumentException(DEVICES_PROPERTY + ": device expected one of "
                        + CANDIDATES.stream().map(Candidate::name).toList() + " but was " + n);
            }
        }
        return CANDIDATES.stream().filter(c -> wanted.contains(c.name())).toList();
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

    /** Sets how a simulator or GPU device computes GEMMs from now on (the TF32 tests set it back). */
    public static void gemmPrecision(Device device, GemmPrecision precision) {
        switch (device) {
            case SimDevice sim -> sim.gemmPrecision(precision);
            case org.fusedbert.device.cuda.GpuDevice<?, ?> gpu -> gpu.gemmPrecision(precision);
            default -> throw new IllegalArgumentException("no GEMM precision to set on " + device.name());
        }
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
