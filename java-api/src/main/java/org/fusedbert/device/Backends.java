package org.fusedbert.device;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.fusedbert.api.Backend;
import org.fusedbert.cpu.CpuBackend;
import org.fusedbert.device.cuda.CudaDevice;
import org.fusedbert.device.cuda.GpuAvailability;
import org.fusedbert.device.jcuda.JCudaDevice;
import org.fusedbert.device.sim.SimDevice;

/**
 * Opens a {@link Backend} by name, as {@code --backend} names them: {@code cpu} (the reference),
 * {@code sim} (the kernels on the CPU simulator, for tests), {@code cuda} (FFM), {@code jcuda}
 * (JCuda), or {@code auto}: the first of cuda and jcuda whose probe passes, else cpu. {@code auto}
 * never picks {@code sim}; where no GPU backend probes fine it falls back to the CPU with a one-line
 * notice naming what was missing (no libcuda.so.1, no GPU, no cuBLASLt, no fatbin), and where the
 * chosen one then fails to open (out of memory, a broken install), to the CPU too. Asking for
 * {@code cuda} or {@code jcuda} where it cannot open is a one-line {@link BackendUnavailableException}.
 */
public final class Backends {
    /** The names {@link #open} accepts. */
    public static final List<String> NAMES = List.of("cpu", "sim", "cuda", "jcuda", "auto");

    private Backends() {
    }

    /** A backend that cannot open on this machine; the message is one line saying why. */
    public static final class BackendUnavailableException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        public BackendUnavailableException(String message) {
            super(message);
        }
    }

    /**
     * What a name resolves to here.
     *
     * @param kind   cpu, sim, cuda or jcuda
     * @param notice the one-line notice when {@code auto} fell back to the CPU, else empty
     */
    public record Choice(String kind, Optional<String> notice) {
    }

    /** Opens {@code name} with TF32 GEMMs on a GPU (the training default), printing any notice to stderr. */
    public static Backend open(String name) {
        return open(name, GemmPrecision.TF32, System.err::println);
    }

    /**
     * Opens {@code name}.
     *
     * @param precision how GPU GEMMs compute (ignored by cpu and sim, which are fp32)
     * @param notices   receives the one-line notice when {@code auto} falls back to the CPU
     * @throws IllegalArgumentException     for a name not in {@link #NAMES}
     * @throws BackendUnavailableException  for cuda or jcuda where it cannot open
     */
    public static Backend open(String name, GemmPrecision precision, Consumer<String> notices) {
        Choice choice = choose(name, unavailableReasons());
        if (choice.notice().isPresent()) {
            notices.accept(choice.notice().get());
            return new CpuBackend();
        }
        try {
            return create(choice.kind(), precision);
        } catch (RuntimeException e) {
            if (!normalize(name).equals("auto")) {
                throw e;
            }
            // A GPU that probes fine can still fail to open (out of memory, a broken install).
            notices.accept("fusedbert: " + choice.kind() + " failed to open (" + oneLine(e) + "); using the CPU");
            return new CpuBackend();
        }
    }

    /** Why each GPU backend cannot open here (empty when it can), probed once per process. */
    public static Map<String, Optional<String>> unavailableReasons() {
        return Map.of("cuda", GpuAvailability.cudaUnavailableReason(), "jcuda", JCudaDevice.unavailableReason());
    }

    /**
     * What {@code name} means given why each GPU backend cannot open ({@code unavailable} maps cuda
     * and jcuda to a reason, or to empty when it can).
     */
    public static Choice choose(String name, Map<String, Optional<String>> unavailable) {
        String n = normalize(name);
        if (!NAMES.contains(n)) {
            throw new IllegalArgumentException("backend: name expected one of " + String.join(", ", NAMES)
                    + " but was " + name);
        }
        return switch (n) {
            case "cpu", "sim" -> new Choice(n, Optional.empty());
            case "cuda", "jcuda" -> {
                Optional<String> reason = unavailable.getOrDefault(n, Optional.of("not probed"));
                if (reason.isPresent()) {
                    throw new BackendUnavailableException("backend " + n + " unavailable: " + reason.get());
                }
                yield new Choice(n, Optional.empty());
            }
            default -> {
                for (String gpu : List.of("cuda", "jcuda")) {
                    if (unavailable.getOrDefault(gpu, Optional.of("not probed")).isEmpty()) {
                        yield new Choice(gpu, Optional.empty());
                    }
                }
                String why = unavailable.getOrDefault("cuda", Optional.of("not probed")).get();
                yield new Choice("cpu", Optional.of("fusedbert: no GPU backend (" + why + "); using the CPU"));
            }
        };
    }

    private static Backend create(String kind, GemmPrecision precision) {
        return switch (kind) {
            case "cpu" -> new CpuBackend();
            case "sim" -> DeviceBackend.owning(new SimDevice());
            case "cuda" -> DeviceBackend.owning(CudaDevice.open(0, precision));
            case "jcuda" -> DeviceBackend.owning(JCudaDevice.open(0, precision));
            default -> throw new IllegalArgumentException("backend: kind expected cpu, sim, cuda or jcuda but was " + kind);
        };
    }

    private static String normalize(String name) {
        return name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        return m.lines().findFirst().orElse(m);
    }
}
