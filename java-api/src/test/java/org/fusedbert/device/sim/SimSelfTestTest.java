package org.fusedbert.device.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.fusedbert.device.Dim3;
import org.fusedbert.device.KernelArgs;
import org.junit.jupiter.api.Test;

/** The simulator's self-test kernels (native/sim/selftest) run through SimDevice. */
class SimSelfTestTest extends SimDeviceTestBase {
    private final Random random = new Random();

    private void launch(String kernel, Dim3 grid, Dim3 block, int sharedBytes, KernelArgs args) {
        try (args) {
            device.launch(kernel, grid, block, sharedBytes, args);
        }
    }

    @Test
    void registryListsTheSelfTestsWithTheirSignatures() {
        assertTrue(SimRuntime.kernelNames().contains("fb_selftest_block_sum"), SimRuntime.kernelNames().toString());
        assertEquals("pppi", SimRuntime.kernelSignature("fb_selftest_block_sum"));
        assertEquals("ppppppi", SimRuntime.kernelSignature("fb_selftest_atomics"));
        assertEquals(null, SimRuntime.kernelSignature("fb_no_such_kernel"));
    }

    @Test
    void blockSumThroughSharedMemoryAndBarriers() {
        blockSum(Dim3.of(3), Dim3.of(96), 1000);
        blockSum(new Dim3(2, 2, 1), new Dim3(8, 4, 3), 777);
        blockSum(Dim3.of(1), Dim3.of(1), 5);
        blockSum(Dim3.of(7), Dim3.of(1024), 7 * 2048 + 13);
        blockSum(Dim3.of(1000), Dim3.of(256), 256_000);
    }

    private void blockSum(Dim3 grid, Dim3 block, int n) {
        float[] in = new float[n];
        for (int i = 0; i < n; i++) {
            in[i] = random.nextInt(21) - 10;  // integers: every summation order gives the same float
        }
        int blocks = (int) grid.count();
        long sums = zeros(4L * blocks);
        long positives = zeros(4L * blocks);
        launch("fb_selftest_block_sum", grid, block, 0,
                new KernelArgs().pointer(floats(in)).pointer(sums).pointer(positives).i32(n));
        float[] got = readFloats(sums, blocks);
        int[] gotPositives = readInts(positives, blocks);
        int chunk = (n + blocks - 1) / blocks;
        for (int b = 0; b < blocks; b++) {
            int begin = b * chunk, end = Math.min(begin + chunk, n);
            float expected = 0;
            int expectedPositives = 0;
            for (int i = begin; i < end; i++) {
                expected += in[i];
                if (i - begin < block.count() && in[i] > 0) {
                    expectedPositives++;
                }
            }
            assertEquals(expected, got[b], "block " + b + " of " + grid + " x " + block);
            assertEquals(expectedPositives, gotPositives[b], "__syncthreads_count, block " + b);
        }
    }

    @Test
    void warpShufflesVotesAndReductions() {
        for (int width : new int[] {32, 8, 1}) {
            warpOps(width);
        }
    }

    private void warpOps(int width) {
        int threads = 64, blocks = 3, n = threads * blocks;
        int[] in = new int[n];
        for (int g = 0; g < n; g++) {
            in[g] = g / 32 == 1 ? random.nextInt(80) : random.nextInt(201) - 100;
        }
        long out = zeros(4L * n * 12);
        launch("fb_selftest_warp_ops", Dim3.of(blocks), Dim3.of(threads), 0,
                new KernelArgs().pointer(ints(in)).pointer(out).i32(width));
        int[] got = readInts(out, n * 12);
        for (int g = 0; g < n; g++) {
            int lane = g % 32, base = g - lane, first = lane & ~(width - 1);
            int sum = 0, ballot = 0;
            boolean any = false, all = true;
            for (int l = 0; l < 32; l++) {
                int v = in[base + l];
                sum += v;
                ballot |= (v & 1) << l;
                any |= v > 90;
                all &= v >= 0;
            }
            int up = lane - 1 < first ? lane : lane - 1;
            int down = lane + 2 >= first + width ? lane : lane + 2;
            int xor = (lane ^ 1) >= first + width ? lane : lane ^ 1;
            int[] expected = {in[base + first + (3 & (width - 1))], in[base + up], in[base + down], in[base + xor], sum,
                ballot, any ? 1 : 0, all ? 1 : 0, -1, sum, in[base + (lane < 16 ? 15 : 16)], in[base + (lane ^ 1)]};
            int[] actual = new int[12];
            System.arraycopy(got, g * 12, actual, 0, 12);
            assertArrayEquals(expected, actual, "thread " + g + ", width " + width);
        }
    }

    @Test
    void atomicsAcrossBlocksAndHostThreads() {
        int n = 5000, threads = 128, blocks = (n + threads - 1) / threads;
        long counter = ints(0), fsum = floats(0f), imax = ints(Integer.MIN_VALUE);
        long imin = ints(Integer.MAX_VALUE), cas = ints(0), exch = ints(-1);
        launch("fb_selftest_atomics", Dim3.of(blocks), Dim3.of(threads), 0, new KernelArgs().pointer(counter)
                .pointer(fsum).pointer(imax).pointer(imin).pointer(cas).pointer(exch).i32(n));
        int expectedMax = Integer.MIN_VALUE, expectedMin = Integer.MAX_VALUE;
        for (int g = 0; g < n; g++) {
            expectedMax = Math.max(expectedMax, g * 7 % 1001);
            expectedMin = Math.min(expectedMin, g * 7 % 1001 - 500);
        }
        assertEquals(n, readInts(counter, 1)[0], "atomicAdd(int)");
        assertEquals(n, readFloats(fsum, 1)[0], "atomicAdd(float)");
        assertEquals(expectedMax, readInts(imax, 1)[0], "atomicMax");
        assertEquals(expectedMin, readInts(imin, 1)[0], "atomicMin");
        assertEquals(n, readInts(cas, 1)[0], "atomicCAS loop");
        int last = readInts(exch, 1)[0];
        assertTrue(last >= 0 && last < n, "atomicExch left " + last);
    }

    @Test
    void dynamicSharedMemoryWithTwoTypedRegions() {
        for (int threads : new int[] {64, 50}) {
            int n = 300, blocks = (n + threads - 1) / threads;
            float[] in = new float[n];
            for (int i = 0; i < n; i++) {
                in[i] = random.nextFloat();
            }
            long out = zeros(4L * n), idx = zeros(4L * n);
            launch("fb_selftest_dynamic_smem", Dim3.of(blocks), Dim3.of(threads), 8 * threads,
                    new KernelArgs().pointer(floats(in)).pointer(out).pointer(idx).i32(n));
            float[] got = readFloats(out, n);
            int[] gotIdx = readInts(idx, n);
            for (int g = 0; g < n; g++) {
                int mirror = g / threads * threads + threads - 1 - g % threads;
                assertEquals(mirror < n ? in[mirror] : 0f, got[g], "value at " + g + ", block of " + threads);
                assertEquals(mirror, gotIdx[g], "index at " + g + ", block of " + threads);
            }
        }
    }

    @Test
    void threadAndBlockIndicesIn3d() {
        Dim3 grid = new Dim3(3, 2, 2), block = new Dim3(5, 3, 2);
        int threads = (int) block.count(), total = (int) (grid.count() * threads);
        long out = zeros(4L * total * 6);
        launch("fb_selftest_indices", grid, block, 0, new KernelArgs().pointer(out));
        int[] got = readInts(out, total * 6);
        for (int g = 0; g < total; g++) {
            int t = g % threads, b = g / threads;
            int[] expected = {t % 5, t / 5 % 3, t / 15, b % 3, b / 3 % 2, b / 6};
            int[] actual = new int[6];
            System.arraycopy(got, g * 6, actual, 0, 6);
            assertArrayEquals(expected, actual, "thread " + t + " of block " + b);
        }
    }

    // ---- planted failures ----

    private SimKernelException planted(String kernel, Dim3 block, int sharedBytes, KernelArgs args) {
        SimKernelException e = assertThrows(SimKernelException.class,
                () -> launch(kernel, Dim3.of(1), block, sharedBytes, args));
        assertEquals(kernel, e.kernel());
        assertTrue(e.getMessage().startsWith(kernel + ": block (0,0,0)"), e.getMessage());
        return e;
    }

    @Test
    void deadlockOnADivergentBarrierIsReported() {
        String m = planted("fb_selftest_divergent_barrier_deadlock", Dim3.of(32), 0,
                new KernelArgs().pointer(zeros(4 * 32))).getMessage();
        assertTrue(m.contains("deadlock") && m.contains("__syncthreads") && m.contains("__shfl_sync"), m);
        assertTrue(m.contains("wait for lanes 0x00000001"), m);
    }

    @Test
    void threadsAtDifferentBarriersAreReported() {
        String m = planted("fb_selftest_divergent_barrier_sites", Dim3.of(32), 0,
                new KernelArgs().pointer(zeros(4 * 32))).getMessage();
        assertTrue(m.contains("divergent barrier") && m.contains("selftest_kernels.cu"), m);
    }

    @Test
    void exitWhileOthersWaitAtABarrierIsReported() {
        String m = planted("fb_selftest_exit_while_waiting", Dim3.of(64), 0,
                new KernelArgs().pointer(zeros(4 * 64)).i32(40)).getMessage();
        assertTrue(m.contains("exited") && m.contains("__syncthreads"), m);
        // The whole block passing the barrier is fine.
        launch("fb_selftest_exit_while_waiting", Dim3.of(1), Dim3.of(64), 0,
                new KernelArgs().pointer(zeros(4 * 64)).i32(64));
    }

    @Test
    void dynamicSharedMemoryOutOfBoundsIsReported() {
        long out = zeros(4);
        String m = planted("fb_selftest_smem_out_of_bounds", Dim3.of(64), 256,
                new KernelArgs().pointer(out).i32(64)).getMessage();
        assertTrue(m.contains("dynamic shared memory index out of bounds") && m.contains("byte offset 256"), m);
        assertTrue(m.contains("thread (0,0,0)"), m);
        planted("fb_selftest_smem_out_of_bounds", Dim3.of(64), 256, new KernelArgs().pointer(out).i32(-1));
        launch("fb_selftest_smem_out_of_bounds", Dim3.of(1), Dim3.of(64), 256, new KernelArgs().pointer(out).i32(63));
        assertEquals(63f, readFloats(out, 1)[0], "the last in-bounds element");
    }

    @Test
    void shuffleNamingAnExitedLaneIsReported() {
        String m = planted("fb_selftest_shfl_exited_lane", Dim3.of(32), 0,
                new KernelArgs().pointer(zeros(4 * 32))).getMessage();
        assertTrue(m.contains("exited") && m.contains("__shfl_sync"), m);
    }

    @Test
    void lanesInDifferentCollectivesAreReported() {
        String m = planted("fb_selftest_warp_divergence", Dim3.of(32), 0,
                new KernelArgs().pointer(zeros(4 * 32))).getMessage();
        assertTrue(m.contains("warp 0 diverged") && m.contains("__ballot_sync") && m.contains("__shfl_sync"), m);
    }

    @Test
    void fullMaskInAPartialWarpIsReported() {
        int[] in = new int[48];
        String m = planted("fb_selftest_warp_ops", Dim3.of(48), 0,
                new KernelArgs().pointer(ints(in)).pointer(zeros(4 * 48 * 12)).i32(32)).getMessage();
        assertTrue(m.contains("not threads of the block"), m);
    }

    @Test
    void theSimulatorRecoversAfterAFailure() {
        planted("fb_selftest_divergent_barrier_sites", Dim3.of(32), 0, new KernelArgs().pointer(zeros(4 * 32)));
        blockSum(Dim3.of(5), Dim3.of(128), 3000);
    }

    // ---- launch validation ----

    @Test
    void badLaunchesAreRejectedBeforeRunning() {
        long out = zeros(4 * 64);
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> launch("fb_no_such_kernel", Dim3.of(1), Dim3.of(1), 0, new KernelArgs().pointer(out)));
        assertTrue(unknown.getMessage().contains("'fb_no_such_kernel'"), unknown.getMessage());
        IllegalArgumentException signature = assertThrows(IllegalArgumentException.class,
                () -> launch("fb_selftest_exit_while_waiting", Dim3.of(1), Dim3.of(1), 0, new KernelArgs().pointer(out)));
        assertTrue(signature.getMessage().contains("signature pi but was p"), signature.getMessage());
        IllegalArgumentException threads = assertThrows(IllegalArgumentException.class,
                () -> launch("fb_selftest_indices", Dim3.of(1), Dim3.of(32, 33), 0, new KernelArgs().pointer(out)));
        assertTrue(threads.getMessage().contains("at most 1024 threads"), threads.getMessage());
        IllegalArgumentException stray = assertThrows(IllegalArgumentException.class,
                () -> launch("fb_selftest_indices", Dim3.of(1), Dim3.of(1), 0, new KernelArgs().pointer(16)));
        assertTrue(stray.getMessage().contains("argument 0"), stray.getMessage());
    }
}
