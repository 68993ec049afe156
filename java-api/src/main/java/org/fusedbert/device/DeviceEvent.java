package org.fusedbert.device;

/**
 * A point in a {@link Device}'s stream, recorded after some work (for example
 * {@link Device#copyDeviceToHostAsync}): the host polls it instead of waiting for the stream.
 */
public interface DeviceEvent extends AutoCloseable {
    /**
     * Whether the device has finished all work issued before the event; never waits.
     *
     * @throws IllegalStateException once closed
     */
    boolean isComplete();

    /** Hands the event back to its device (idempotent). */
    @Override
    void close();
}
