package org.fusedbert.device;

/** A captured sequence of device work, replayed as a whole (a CUDA graph on a GPU). */
public interface DeviceGraph extends AutoCloseable {
    /** Issues the whole sequence again, asynchronously. */
    void launch();

    /** Number of recorded nodes (launches, GEMMs, copies, fills). */
    int nodeCount();

    @Override
    void close();
}
