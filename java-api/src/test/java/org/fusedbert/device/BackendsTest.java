package org.fusedbert.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.fusedbert.api.Backend;
import org.fusedbert.cpu.CpuBackend;
import org.fusedbert.device.cuda.CudaDriver;
import org.junit.jupiter.api.Test;

class BackendsTest {
    private static final Optional<String> OK = Optional.empty();
    private static final Optional<String> NO_DRIVER = Optional.of("no libcuda.so.1 (no NVIDIA driver installed)");
    private static final Optional<String> NO_JCUDA = Optional.of("JCuda's native driver library did not load");

    @Test
    void autoPrefersCudaThenJcudaThenTheCpuWithANoticeNamingWhatIsMissing() {
        assertEquals(new Backends.Choice("cuda", OK), Backends.choose("auto", Map.of("cuda", OK, "jcuda", OK)));
        assertEquals(new Backends.Choice("cuda", OK), Backends.choose("auto", Map.of("cuda", OK, "jcuda", NO_JCUDA)));
        assertEquals(new Backends.Choice("jcuda", OK), Backends.choose("AUTO", Map.of("cuda", NO_DRIVER, "jcuda", OK)));
        Backends.Choice cpu = Backends.choose("auto", Map.of("cuda", NO_DRIVER, "jcuda", NO_DRIVER));
        assertEquals("cpu", cpu.kind());
        assertEquals("fusedbert: no GPU backend (no libcuda.so.1 (no NVIDIA driver installed)); using the CPU",
                cpu.notice().orElseThrow());
    }

    @Test
    void askingForAnAbsentGpuBackendIsAOneLineError() {
        Backends.BackendUnavailableException e = assertThrows(Backends.BackendUnavailableException.class,
                () -> Backends.choose("cuda", Map.of("cuda", NO_DRIVER, "jcuda", OK)));
        assertEquals("backend cuda unavailable: no libcuda.so.1 (no NVIDIA driver installed)", e.getMessage());
        e = assertThrows(Backends.BackendUnavailableException.class,
                () -> Backends.choose("jcuda", Map.of("cuda", OK, "jcuda", NO_JCUDA)));
        assertEquals("backend jcuda unavailable: JCuda's native driver library did not load", e.getMessage());
        assertEquals(new Backends.Choice("jcuda", OK), Backends.choose("jcuda", Map.of("cuda", NO_DRIVER, "jcuda", OK)));
    }

    @Test
    void cpuAndSimAreAlwaysThereAndAutoNeverPicksTheSimulator() {
        Map<String, Optional<String>> none = Map.of("cuda", NO_DRIVER, "jcuda", NO_DRIVER);
        assertEquals(new Backends.Choice("cpu", OK), Backends.choose("cpu", none));
        assertEquals(new Backends.Choice("sim", OK), Backends.choose(" Sim ", none));
        assertFalse(Backends.choose("auto", none).kind().equals("sim"));
    }

    @Test
    void unknownNamesListTheAcceptedOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Backends.choose("gpu", Map.of()));
        assertEquals("backend: name expected one of cpu, sim, cuda, jcuda, auto but was gpu", e.getMessage());
    }

    @Test
    void onThisMachineWithoutADriverAutoFallsBackAndCudaFails() {
        assumeFalse(CudaDriver.isLoaded(), "this machine has libcuda.so.1");
        List<String> notices = new ArrayList<>();
        try (Backend auto = Backends.open("auto", GemmPrecision.TF32, notices::add)) {
            assertInstanceOf(CpuBackend.class, auto);
        }
        assertEquals(1, notices.size());
        assertTrue(notices.get(0).startsWith("fusedbert: no GPU backend (no libcuda.so.1"), notices.get(0));
        for (String gpu : List.of("cuda", "jcuda")) {
            Backends.BackendUnavailableException e = assertThrows(Backends.BackendUnavailableException.class,
                    () -> Backends.open(gpu));
            assertTrue(e.getMessage().startsWith("backend " + gpu + " unavailable: no libcuda.so.1"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
        }
    }

    @Test
    void cpuAndSimOpenWithoutNotices() {
        List<String> notices = new ArrayList<>();
        try (Backend cpu = Backends.open("cpu", GemmPrecision.FP32, notices::add);
             Backend sim = Backends.open("sim", GemmPrecision.FP32, notices::add)) {
            assertEquals("cpu", cpu.name());
            assertEquals("sim", sim.name());
            assertInstanceOf(DeviceBackend.class, sim);
        }
        assertEquals(List.of(), notices);
    }
}
