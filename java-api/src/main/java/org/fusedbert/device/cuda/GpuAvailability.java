package org.fusedbert.device.cuda;

import java.util.Locale;
import java.util.Optional;

/**
 * Whether a GPU device can open on this machine, and if not, the one-line reason: no
 * {@code libcuda.so.1} (no driver), no GPU, no cuBLASLt, or no fatbin in the jar. Probed once per
 * process (cuInit and the library searches are not free).
 */
public final class GpuAvailability {
    private GpuAvailability() {
    }

    private static final class Probe {
        static final Optional<String> REASON = probe();
    }

    /** Why {@link CudaDevice} cannot open here, or empty when it can. */
    public static Optional<String> cudaUnavailableReason() {
        return Probe.REASON;
    }

    /** Throws {@link IllegalStateException} with the reason when no GPU device can open. */
    public static void requireCuda() {
        cudaUnavailableReason().ifPresent(reason -> {
            throw new IllegalStateException(reason);
        });
    }

    private static Optional<String> probe() {
        Optional<String> driver = driverReason();
        if (driver.isPresent()) {
            return driver;
        }
        Optional<String> blas = CublasLt.loadFailure();
        if (blas.isPresent()) {
            return blas;
        }
        if (!Fatbin.isPresent()) {
            return Optional.of("no fatbin (" + Fatbin.RESOURCE + " is not in the java-api jar: it was built without nvcc)");
        }
        return Optional.empty();
    }

    /** The driver and GPU part of the probe: a loadable driver that initializes and sees at least one GPU. */
    static Optional<String> driverReason() {
        if (!CudaDriver.isLoaded()) {
            String why = CudaDriver.loadFailure().orElse("");
            // dlopen's "cannot open" just restates the absence; anything else (a broken install) is worth showing.
            return Optional.of("no " + CudaDriver.LIBRARY + " (no NVIDIA driver installed"
                    + (why.contains("Cannot open library") || why.isEmpty() ? "" : ": " + why) + ")");
        }
        try {
            CudaDriver.cuInit(0);
            if (CudaDriver.cuDeviceGetCount() == 0) {
                return Optional.of("no GPU (the driver reports 0 devices)");
            }
            return Optional.empty();
        } catch (CudaException e) {
            if (e.status() == CudaDriver.CUDA_ERROR_NO_DEVICE) {
                return Optional.of("no GPU (cuInit: " + e.statusName() + ")");
            }
            return Optional.of("no usable GPU (" + e.getMessage() + ")");
        } catch (UnsatisfiedLinkError e) {
            return Optional.of("no usable " + CudaDriver.LIBRARY + " (" + e.getMessage() + ")");
        }
    }

    /** "NVIDIA H100 80GB HBM3 (sm_90, 132 SMs, 79.2 GiB), driver CUDA 13.0" */
    public static String describe(String gpuName, int major, int minor, int sms, long totalBytes, int driverVersion) {
        return String.format(Locale.ROOT, "%s (sm_%d%d, %d SMs, %.1f GiB), driver CUDA %s", gpuName, major, minor, sms,
                totalBytes / (double) (1L << 30), cudaVersion(driverVersion));
    }

    /** 13000 → "13.0", 12040 → "12.4". */
    public static String cudaVersion(int version) {
        return (version / 1000) + "." + (version % 1000) / 10;
    }
}
