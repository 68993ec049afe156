package org.fusedbert.device.cuda;

/**
 * A failed CUDA driver or cuBLASLt call: the API call, the status code, its name (for example
 * {@code CUDA_ERROR_OUT_OF_MEMORY}, {@code CUBLAS_STATUS_NOT_SUPPORTED}) and the library's own text.
 */
public final class CudaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int status;
    private final String statusName;
    private final String statusText;

    public CudaException(String call, int status, String statusName, String statusText) {
        super(call + " failed: " + statusName + " (" + status + "): " + statusText);
        this.call = call;
        this.status = status;
        this.statusName = statusName;
        this.statusText = statusText;
    }

    /** The API function that failed, as exported by the library (for example {@code cuMemAlloc_v2}). */
    public String call() {
        return call;
    }

    /** The raw status code ({@code CUresult} or {@code cublasStatus_t}). */
    public int status() {
        return status;
    }

    /** The status's symbolic name. */
    public String statusName() {
        return statusName;
    }

    /** The library's description of the status. */
    public String statusText() {
        return statusText;
    }
}
