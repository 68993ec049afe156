package org.fusedbert.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CPU reference gives the same bits whatever runs it: any thread count, and code interpreted,
 * compiled by C1 or by C2 (the Vector API's EXP and floating-point reductions do not, which made
 * two identical training runs in one JVM differ). Every operation is swept by {@link OpSweep}.
 */
class CpuDeterminismTest {
    /** Sweeps of the small shapes before comparing again: enough for C2 to compile the hot loops. */
    private static final int WARM_UP_SWEEPS = 800;

    @Test
    void everyThreadCountGivesTheSameBits() {
        Map<String, int[]> one = OpSweep.run(new CpuBackend(1), OpSweep.PARALLEL);
        for (int threads : new int[] {2, 3}) {
            CpuBackend cpu = new CpuBackend(threads);
            assertEquals(threads, cpu.threads());
            assertIdentical("1 thread", one, threads + " threads", OpSweep.run(cpu, OpSweep.PARALLEL));
        }
    }

    @Test
    void coldInterpretedAndWarmCompiledCodeGiveTheSameBits(@TempDir Path dir) throws Exception {
        CpuBackend cpu = new CpuBackend();
        Map<String, int[]> first = OpSweep.run(cpu, OpSweep.SMALL);
        // Every sweep while the JIT compiles (C1, OSR, C2) must give the first sweep's bits.
        for (int i = 0; i < WARM_UP_SWEEPS; i++) {
            assertIdentical("the first sweep", first, "sweep " + (i + 2), OpSweep.run(cpu, OpSweep.SMALL));
        }
        assertIdentical("this JVM after " + WARM_UP_SWEEPS + " sweeps", OpSweep.run(cpu, OpSweep.SMALL),
                "a JVM running -Xint", interpreted(dir));
    }

    @Test
    void threadCountMustBePositive() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new CpuBackend(0));
        assertEquals("CpuBackend: threads expected >= 1 but was 0", e.getMessage());
    }

    /** {@link OpSweep#SMALL} in a fresh JVM that only interprets (no JIT at all). */
    private static Map<String, int[]> interpreted(Path dir) throws IOException, InterruptedException {
        Path file = dir.resolve("sweep.bin");
        Path log = dir.resolve("sweep.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, "-Xint", "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                OpSweep.class.getName(), "SMALL", file.toString()))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("the -Xint sweep did not finish in 120 s: " + Files.readString(log));
        }
        assertEquals(0, p.exitValue(), () -> "the -Xint sweep failed: " + readQuietly(log));
        return OpSweep.read(file);
    }

    private static String readQuietly(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static void assertIdentical(String expectedWhat, Map<String, int[]> expected, String actualWhat,
                                        Map<String, int[]> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        for (Map.Entry<String, int[]> e : expected.entrySet()) {
            int[] want = e.getValue();
            int[] got = actual.get(e.getKey());
            assertEquals(want.length, got.length, e.getKey());
            for (int i = 0; i < want.length; i++) {
                if (want[i] != got[i]) {
                    fail(e.getKey() + "[" + i + "]: " + actualWhat + " gives " + describe(got[i]) + ", "
                            + expectedWhat + " " + describe(want[i]));
                }
            }
        }
        assertTrue(expected.size() > 30, "outputs compared: " + expected.size());
    }

    private static String describe(int bits) {
        return Float.intBitsToFloat(bits) + " (bits 0x" + Integer.toHexString(bits) + ")";
    }
}
