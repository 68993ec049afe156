package org.fusedbert.device.jcuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import jcuda.driver.CUdeviceptr;
import org.fusedbert.device.cuda.CudaDriver;
import org.junit.jupiter.api.Test;

/** Pointer conversion between FFM and JCuda is plain Java: it needs no driver. */
class JCudaPointersTest {
    @Test
    void deviceAddressesRoundTrip() {
        for (long address : new long[] {0L, 0x7f12_3456_7000L, 0xffff_ff00_0000_0000L, 256L}) {
            assertEquals(address, JCudaPointers.address(JCudaPointers.device(address)));
        }
    }

    @Test
    void jcudaPointerArithmeticIsSeenByTheConversion() {
        long base = 0x7000_0000_0000L;
        CUdeviceptr p = JCudaPointers.device(base).withByteOffset(4096);
        assertEquals(base + 4096, JCudaPointers.address(p));
        assertEquals(base + 4096 + 12, JCudaPointers.address(p.withByteOffset(12)));
    }

    @Test
    void aPointerJCudaFillsInReadsBackAsItsAddress() {
        JCudaPointers.DevicePointer p = new JCudaPointers.DevicePointer();
        assertEquals(0L, p.address());
        assertEquals(0L, JCudaPointers.address(p));
    }

    @Test
    void hostPointersCarryTheSegmentAddressAndRefuseHeapMemory() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(64);
            JCudaPointers.HostPointer p = (JCudaPointers.HostPointer) JCudaPointers.host(s);
            assertEquals(s.address(), p.address());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JCudaPointers.host(MemorySegment.ofArray(new float[4])));
        assertTrue(e.getMessage().contains("heap"), e.getMessage());
    }

    @Test
    void withoutADriverJCudaDeviceSaysWhatIsMissing() {
        assumeFalse(CudaDriver.isLoaded(), "this machine has libcuda.so.1");
        String reason = JCudaDevice.unavailableReason().orElseThrow();
        assertTrue(reason.startsWith("no libcuda.so.1"), reason);
        IllegalStateException e = assertThrows(IllegalStateException.class, JCudaDevice::open);
        assertEquals(reason, e.getMessage());
    }
}
