package org.fusedbert.device.sim;

/**
 * A kernel failed inside the CPU simulator: a divergent or deadlocked barrier, a warp collective
 * whose lanes disagree or exited, dynamic shared memory indexed out of bounds, a device-side
 * assert. The message is the simulator's: kernel, block, thread and reason.
 */
public final class SimKernelException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String kernel;

    public SimKernelException(String kernel, String message) {
        super(message);
        this.kernel = kernel;
    }

    /** The kernel whose launch failed. */
    public String kernel() {
        return kernel;
    }
}
