package org.fusedbert.bench.device;

import java.nio.file.Path;
import java.util.Optional;
import org.fusedbert.device.GemmPrecision;
import org.fusedbert.device.cuda.CublasLt;
import org.fusedbert.device.cuda.CublasLtLocator;
import org.fusedbert.device.cuda.CudaDevice;
import org.fusedbert.device.cuda.GpuAvailability;
import org.fusedbert.device.jcuda.JCudaDevice;

/**
 * Prints, as {@code key=value} lines for run.sh's {@code info.txt}, what each GPU device kind makes
 * of this machine: its description when it opens, or the one-line reason it cannot, and which
 * cuBLASLt was loaded.
 */
public final class GpuInfo {
    private GpuInfo() {
    }

    public static void main(String[] args) {
        Optional<String> cuda = GpuAvailability.cudaUnavailableReason();
        System.out.println("cuda_device=" + cuda.map(r -> "unavailable: " + r).orElseGet(() -> {
            try (CudaDevice d = CudaDevice.open(0, GemmPrecision.FP32)) {
                return d.description();
            }
        }));
        Optional<String> jcuda = JCudaDevice.unavailableReason();
        System.out.println("jcuda_device=" + jcuda.map(r -> "unavailable: " + r).orElseGet(() -> {
            try (JCudaDevice d = JCudaDevice.open(0, GemmPrecision.FP32)) {
                return d.description();
            }
        }));
        if (CublasLt.isLoaded()) {
            long v = CublasLt.cublasLtGetVersion();
            System.out.println("cublaslt=" + (v / 10000) + "." + (v / 100 % 100) + "." + (v % 100) + " (" + CublasLt.loadedFrom() + ")");
        } else {
            System.out.println("cublaslt=" + CublasLt.loadFailure().orElse("not loaded") + "; searched "
                    + CublasLtLocator.searchedDescription(System.getenv(), Path.of(System.getProperty("user.home", "/"))));
        }
    }
}
