package org.fusedbert.device.jcuda;

import java.lang.foreign.MemorySegment;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;

/**
 * Device pointers and handles between FFM ({@code long} addresses, {@link MemorySegment}s) and
 * JCuda's objects, without reflection: JCuda passes a {@link CUdeviceptr} to the driver as its
 * native pointer plus its byte offset (its own pointer arithmetic, {@link CUdeviceptr#withByteOffset}),
 * and subclasses may read both through the protected accessors.
 */
final class JCudaPointers {
    private JCudaPointers() {
    }

    /** A JCuda device pointer for an FFM address (for example a {@code Storage.address()}). */
    public static CUdeviceptr device(long address) {
        return new DevicePointer(new CUdeviceptr(), address);
    }

    /** The address a JCuda device pointer stands for (its native pointer plus byte offset). */
    public static long address(CUdeviceptr pointer) {
        return new DevicePointer(pointer).address();
    }

    /** A JCuda pointer to native host memory (a segment the driver may read or write directly). */
    public static Pointer host(MemorySegment segment) {
        if (!segment.isNative()) {
            throw new IllegalArgumentException("JCudaPointers.host: segment expected native but was a heap segment");
        }
        return new HostPointer(segment.address());
    }

    /** A JCuda pointer holding a raw host address (native pointer set, as JCuda's async copies require). */
    static HostPointer hostAddress(long address) {
        return new HostPointer(address);
    }

    /** A device pointer JCuda can fill in ({@code cuMemAlloc}) and that reads back as an address. */
    static final class DevicePointer extends CUdeviceptr {
        DevicePointer() {
        }

        DevicePointer(CUdeviceptr other) {
            super(other);
        }

        DevicePointer(CUdeviceptr base, long byteOffset) {
            super(base, byteOffset);
        }

        long address() {
            return getNativePointer() + getByteOffset();
        }
    }

    /** A host pointer from a raw address, or filled in by {@code cuMemAllocHost}. */
    static final class HostPointer extends Pointer {
        HostPointer(long address) {
            super(address);
        }

        long address() {
            return getNativePointer() + getByteOffset();
        }
    }

    /**
     * A graph JCuda captures, whose {@code CUgraph} value the FFM driver binding reads: JCuda 12.6's
     * {@code cuGraphGetNodes} passes an uninitialised {@code numNodes} to the driver together with
     * its node array, so the driver may write past that array and corrupt the native heap (seen on
     * an H200: the JVM died in malloc after the first captured graph). The node count is therefore
     * asked through FFM with a NULL array, which only reads the count.
     */
    static final class GraphHandle extends jcuda.driver.CUgraph {
        long address() {
            return getNativePointer();
        }
    }

    /** A stream JCuda creates, whose {@code CUstream} value cuBLASLt (FFM) needs. */
    static final class StreamHandle extends CUstream {
        long address() {
            return getNativePointer();
        }
    }
}
