package org.fusedbert.device.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import org.fusedbert.device.GemmPrecision;
import org.junit.jupiter.api.Test;

/** On a machine without an NVIDIA driver (CI, the development machines): every way in says so in one line. */
class NoGpuTest {
    @Test
    void withoutLibcudaEveryEntryNamesTheMissingDriver() {
        assumeFalse(CudaDriver.isLoaded(), "this machine has libcuda.so.1");
        String reason = GpuAvailability.cudaUnavailableReason().orElseThrow();
        assertTrue(reason.startsWith("no libcuda.so.1 (no NVIDIA driver installed"), reason);
        assertFalse(reason.contains("\n"), "one line");

        IllegalStateException e = assertThrows(IllegalStateException.class, CudaDevice::open);
        assertEquals(reason, e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> CudaDevice.open(0, GemmPrecision.FP32));
        assertEquals(reason, e.getMessage());

        // The raw bindings fail on first use with the same cause, never at class loading.
        UnsatisfiedLinkError link = assertThrows(UnsatisfiedLinkError.class, () -> CudaDriver.cuInit(0));
        assertTrue(link.getMessage().contains("libcuda.so.1"), link.getMessage());
    }

    @Test
    void theExceptionCarriesCallNameAndText() {
        CudaException e = new CudaException("cuMemAlloc_v2", 2, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory");
        assertEquals("cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (2): out of memory", e.getMessage());
        assertEquals("cuMemAlloc_v2", e.call());
        assertEquals(2, e.status());
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", e.statusName());
        assertEquals("out of memory", e.statusText());
    }

    @Test
    void fatbinPresenceAndLoadingAgree() {
        assertEquals(Fatbin.isPresent(), Fatbin.load().isPresent());
        if (!Fatbin.isPresent()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, Fatbin::require);
            assertTrue(e.getMessage().startsWith("no fatbin"), e.getMessage());
        } else {
            assertTrue(Fatbin.require().length > 0);
        }
    }

    @Test
    void versionsAndPrecisionsParse() {
        assertEquals("13.0", GpuAvailability.cudaVersion(13000));
        assertEquals("12.4", GpuAvailability.cudaVersion(12040));
        assertEquals(GemmPrecision.TF32, GemmPrecision.parse("tf32"));
        assertEquals(GemmPrecision.FP32, GemmPrecision.parse(" FP32 "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GemmPrecision.parse("fp16"));
        assertEquals("precision: value expected fp32 or tf32 but was fp16", e.getMessage());
    }
}
