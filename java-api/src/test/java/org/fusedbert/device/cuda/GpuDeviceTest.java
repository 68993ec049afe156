package org.fusedbert.device.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.fusedbert.api.Activation;
import org.fusedbert.api.Storage;
import org.fusedbert.device.DeviceEvent;
import org.fusedbert.device.DeviceGraph;
import org.fusedbert.device.GemmPrecision;
import org.fusedbert.device.GemmSpec;
import org.fusedbert.device.PinnedBuffer;
import org.fusedbert.device.jcuda.JCudaDevice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Both GPU devices against plain Java: memory, copies (native, heap through pinned staging,
 * chunked), fills, cuBLASLt GEMMs in every transpose/epilogue combination, graph capture and
 * replay, asynchronous copies into pinned memory polled through cuEventQuery, and the leak check.
 * Skipped, with the reason, where no GPU is available.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GpuDeviceTest {
    private final Map<String, GpuDevice<?, ?>> devices = new HashMap<>();

    private GpuDevice<?, ?> device(String kind) {
        Optional<String> reason = kind.equals("cuda") ? GpuAvailability.cudaUnavailableReason()
                : JCudaDevice.unavailableReason();
        assumeTrue(reason.isEmpty(), () -> kind + " skipped: " + reason.orElse(""));
        return devices.computeIfAbsent(kind, k -> k.equals("cuda")
                ? CudaDevice.open(0, GemmPrecision.FP32) : JCudaDevice.open(0, GemmPrecision.FP32));
    }

    @AfterAll
    void closeDevices() {
        devices.values().forEach(GpuDevice::close);
    }

    /** A device allocation for try-with-resources. */
    private record Block(Storage storage) implements AutoCloseable {
        long address() {
            return storage.address();
        }

        @Override
        public void close() {
            storage.release();
        }
    }

    private static Block block(GpuDevice<?, ?> d, long bytes) {
        return new Block(d.allocate(bytes));
    }

    private static float[] download(GpuDevice<?, ?> d, long pointer, int floats) {
        float[] out = new float[floats];
        d.copyDeviceToHost(pointer, MemorySegment.ofArray(out), (long) floats * Float.BYTES);
        return out;
    }

    private static void upload(GpuDevice<?, ?> d, float[] values, long pointer) {
        d.copyHostToDevice(MemorySegment.ofArray(values), pointer, (long) values.length * Float.BYTES);
    }


    @ParameterizedTest
    @ValueSource(strings = {"cuda", "jcuda"})
    void allocationsAreZeroAndCopiesRoundTripThroughEveryPath(String kind) {
        GpuDevice<?, ?> d = device(kind);
        int n = (int) (GpuDevice.STAGING_BYTES / Float.BYTES) + 1234;  // more than one staging chunk
        try (Block s = block(d, (long) n * Float.BYTES); Arena arena = Arena.ofConfined()) {
            float[] zeros = download(d, s.address(), n);
            assertArrayEquals(new float[n], zeros);
            float[] values = RandomArrays.uniform(new SplittableRandom(1), n);
            upload(d, values, s.address());
            assertArrayEquals(values, download(d, s.address(), n));

            MemorySegment nativeBuf = arena.allocate((long) n * Float.BYTES, 64);
            d.copyDeviceToHost(s.address(), nativeBuf, nativeBuf.byteSize());
            assertArrayEquals(values, nativeBuf.toArray(ValueLayout.JAVA_FLOAT));
            nativeBuf.setAtIndex(ValueLayout.JAVA_FLOAT, 7, 42f);
            d.copyHostToDevice(nativeBuf, s.address(), nativeBuf.byteSize());
            assertEquals(42f, download(d, s.address(), 8)[7]);
        }
        assertEquals(0, d.liveAllocations());
    }

    @ParameterizedTest
    @ValueSource(strings = {"cuda", "jcuda"})
    void fillsAndDeviceCopiesWriteExactlyTheirRange(String kind) {
        GpuDevice<?, ?> d = device(kind);
        try (Block s = block(d, 40 * Float.BYTES)) {
            d.fill32(s.address() + 4 * Float.BYTES, Float.floatToRawIntBits(2.5f), 13);
            d.copyDeviceToDevice(s.address() + 4 * Float.BYTES, s.address() + 20 * Float.BYTES, 13 * Float.BYTES);
            float[] got = download(d, s.address(), 40);
            for (int i = 0; i < 40; i++) {
                boolean filled = (i >= 4 && i < 17) || (i >= 20 && i < 33);
                assertEquals(filled ? 2.5f : 0f, got[i], "element " + i);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cuda", "jcuda"})
    void gemmsMatchARowMajorReferenceInEveryCombination(String kind) {
        GpuDevice<?, ?> d = device(kind);
        SplittableRandom rnd = new SplittableRandom(7);
        int[][] shapes = {{1, 1, 1}, {3, 5, 7}, {33, 17, 65}, {128, 96, 64}, {255, 31, 300}};
        for (int[] shape : shapes) {
            for (int variant = 0; variant < 16; variant++) {
                boolean ta = (variant & 1) != 0, tb = (variant & 2) != 0, bias = (variant & 4) != 0;
                Activation act = (variant & 8) != 0 ? Activation.RELU : Activation.NONE;
                float beta = variant % 3 == 0 ? 1f : 0f;
                checkGemm(d, rnd, shape[0], shape[1], shape[2], ta, tb, bias, act, beta, 1e-4f);
            }
        }
        // TF32 rounds the inputs: same products within TF32's ~1e-3 relative error.
        d.gemmPrecision(GemmPrecision.TF32);
        try {
            checkGemm(d, rnd, 128, 96, 64, false, true, true, Activation.RELU, 0f, 2e-2f);
        } finally {
            d.gemmPrecision(GemmPrecision.FP32);
        }
    }

    private static void checkGemm(GpuDevice<?, ?> d, SplittableRandom rnd, int m, int n, int k, boolean ta,
                                  boolean tb, boolean withBias, Activation act, float beta, float tolerance) {
        float[] a = RandomArrays.uniform(rnd, m * k), b = RandomArrays.uniform(rnd, k * n), c = RandomArrays.uniform(rnd, m * n), bias = RandomArrays.uniform(rnd, n);
        int lda = ta ? m : k, ldb = tb ? k : n;
        try (Block sa = block(d, a.length * 4L); Block sb = block(d, b.length * 4L);
             Block sc = block(d, c.length * 4L); Block sbias = block(d, bias.length * 4L)) {
            upload(d, a, sa.address());
            upload(d, b, sb.address());
            upload(d, c, sc.address());
            upload(d, bias, sbias.address());
            d.gemm(new GemmSpec(ta, tb, m, n, k, sa.address(), lda, sb.address(), ldb,
                    withBias ? sbias.address() : 0, act, beta, sc.address(), n));
            float[] got = download(d, sc.address(), m * n);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        s += (double) (ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
                    }
                    s += beta * c[i * n + j] + (withBias ? bias[j] : 0);
                    double want = act == Activation.RELU ? Math.max(0, s) : s;
                    assertEquals(want, got[i * n + j], tolerance * (1 + Math.sqrt(k)),
                            () -> "m=" + m + " n=" + n + " k=" + k + " ta=" + ta + " tb=" + tb + " bias=" + withBias
                                    + " act=" + act + " beta=" + beta);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cuda", "jcuda"})
    void aCapturedGraphRunsNothingUntilLaunchedAndReplaysOnCurrentData(String kind) {
        GpuDevice<?, ?> d = device(kind);
        int m = 16, n = 24, k = 8;
        SplittableRandom rnd = new SplittableRandom(3);
        float[] a = RandomArrays.uniform(rnd, m * k), b = RandomArrays.uniform(rnd, k * n);
        try (Block sa = block(d, a.length * 4L); Block sb = block(d, b.length * 4L);
             Block sc = block(d, m * n * 4L); Block marker = block(d, 64 * 4L)) {
            upload(d, a, sa.address());
            upload(d, b, sb.address());
            GemmSpec spec = new GemmSpec(false, false, m, n, k, sa.address(), k, sb.address(), n, 0,
                    Activation.NONE, 0f, sc.address(), n);
            try (DeviceGraph g = d.capture(() -> {
                d.fill32(marker.address(), Float.floatToRawIntBits(1f), 64);
                d.gemm(spec);
                d.copyDeviceToDevice(sc.address(), marker.address(), 4);
            })) {
                assertTrue(g.nodeCount() >= 3, "nodes: " + g.nodeCount());
                d.synchronize();
                assertArrayEquals(new float[64], download(d, marker.address(), 64), "capture ran nothing");
                g.launch();
                float[] first = download(d, sc.address(), m * n);
                assertEquals(first[0], download(d, marker.address(), 1)[0]);
                assertEquals(1f, download(d, marker.address(), 2)[1]);

                float[] a2 = RandomArrays.uniform(rnd, m * k);
                upload(d, a2, sa.address());
                g.launch();
                float[] second = download(d, sc.address(), m * n);
                d.gemm(spec);
                assertArrayEquals(download(d, sc.address(), m * n), second, "replay reads the new input");
                assertFalse(java.util.Arrays.equals(first, second));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cuda", "jcuda"})
    void aFailedCaptureLeavesTheDeviceUsable(String kind) {
        GpuDevice<?, ?> d = device(kind);
        try (Block s = block(d, 16)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> d.capture(() ->
                    d.copyHostToDevice(MemorySegment.ofArray(new float[4]), s.address(), 16)));
            assertTrue(e.getMessage().contains("heap"), e.getMessage());
            assertFalse(d.isCapturing());
            assertThrows(IllegalStateException.class, () -> d.capture(() -> d.allocate(4)));
            d.fill32(s.address(), 5, 4);
            assertEquals(5, Float.floatToRawIntBits(download(d, s.address(), 1)[0]));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cuda", "jcuda"})
    void anAsyncCopyIsPolledWithoutWaitingAndReadsWhatTheWorkBeforeItWrote(String kind) {
        GpuDevice<?, ?> d = device(kind);
        int n = 4096;  // an FP32 4096^3 GEMM is ~137 GFLOP: several milliseconds each, even on an H200
        int gemms = 16;
        SplittableRandom rnd = new SplittableRandom(5);
        float[] a = RandomArrays.uniform(rnd, n * n);
        try (Block sa = block(d, 4L * n * n); Block sc = block(d, 4L * n * n);
             PinnedBuffer pinned = d.allocatePinned(4L * 1000)) {
            upload(d, a, sa.address());
            GemmSpec spec = new GemmSpec(false, true, n, n, n, sa.address(), n, sa.address(), n, 0,
                    Activation.NONE, 0f, sc.address(), n);
            d.gemm(spec);  // plans the shape
            d.synchronize();
            for (int i = 0; i < gemms; i++) {
                d.gemm(spec);
            }
            // The last 1000 floats of C: written by the GEMMs, copied after them in stream order.
            long tail = sc.address() + 4L * ((long) n * n - 1000);
            DeviceEvent copied = d.copyDeviceToHostAsync(tail, pinned, 4L * 1000);
            assertFalse(copied.isComplete(), "a copy queued behind " + gemms + " large GEMMs has not run yet");
            long polls = 0;
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!copied.isComplete()) {
                polls++;
                assertTrue(System.nanoTime() < deadline, "the copy completes (cuEventQuery reaches CUDA_SUCCESS)");
            }
            System.out.println("ASYNC " + kind + " polls until complete: " + polls);
            float[] viaEvent = pinned.segment().toArray(ValueLayout.JAVA_FLOAT);
            copied.close();
            assertThrows(IllegalStateException.class, copied::isComplete);
            float[] blocking = download(d, tail, 1000);
            assertArrayEquals(blocking, viaEvent, "the async copy read C after the GEMMs");
            assertTrue(blocking[999] != 0f, "C was written");

            // Reads in a row reuse the events handed back; each completes with its own value.
            for (int i = 0; i < 200; i++) {
                d.fill32(sc.address(), Float.floatToRawIntBits(i), 1);
                try (DeviceEvent e = d.copyDeviceToHostAsync(sc.address(), pinned, 4)) {
                    while (!e.isComplete()) {
                        Thread.onSpinWait();
                    }
                    assertEquals((float) i, Float.intBitsToFloat(pinned.segment().get(ValueLayout.JAVA_INT, 0)));
                }
            }
        }
        assertEquals(0, d.liveAllocations());
    }

    @ParameterizedTest
    @ValueSource(strings = {"cuda", "jcuda"})
    void asyncCopiesAreRefusedInCaptureAndIntoMemoryThatIsNotThisDevicesPinnedMemory(String kind) {
        GpuDevice<?, ?> d = device(kind);
        try (Block s = block(d, 64)) {
            PinnedBuffer pinned = d.allocatePinned(16);
            IllegalStateException captured = assertThrows(IllegalStateException.class,
                    () -> d.capture(() -> d.copyDeviceToHostAsync(s.address(), pinned, 16)));
            assertTrue(captured.getMessage().startsWith("copyDeviceToHostAsync: not allowed while capturing"),
                    captured.getMessage());
            assertFalse(d.isCapturing());
            IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                    () -> d.copyDeviceToHostAsync(s.address(), pinned, 32));
            assertTrue(tooLong.getMessage().startsWith("copyDeviceToHostAsync: bytes expected in [0, 16]"),
                    tooLong.getMessage());
            pinned.close();
            assertThrows(IllegalArgumentException.class, () -> d.copyDeviceToHostAsync(s.address(), pinned, 16));
            d.fill32(s.address(), 9, 1);
            assertEquals(9, Float.floatToRawIntBits(download(d, s.address(), 1)[0]), "the device is usable");
        }
    }

    @Tag("leak")
    @ParameterizedTest
    @ValueSource(strings = {"cuda", "jcuda"})
    void thousandAllocateLaunchFreeCyclesReturnFreeMemoryToItsStart(String kind) {
        GpuDevice<?, ?> d = device(kind);
        int n = 256 * 1024;  // 1 MiB blocks: a leaked block per cycle would be a gigabyte
        Runnable cycle = () -> {
            try (Block x = block(d, n * 4L); Block y = block(d, n * 4L)) {
                d.fill32(x.address(), Float.floatToRawIntBits(1f), n);
                d.gemm(new GemmSpec(false, false, 512, 512, 1, x.address(), 1, x.address(), 512, 0,
                        Activation.RELU, 0f, y.address(), 512));
            }
        };
        cycle.run();  // first use loads kernels lazily and plans the GEMM
        d.synchronize();
        long before = d.memoryInfo().free();
        for (int i = 0; i < 1000; i++) {
            cycle.run();
        }
        d.synchronize();
        long after = d.memoryInfo().free();
        System.out.println("LEAK " + kind + " freeBefore=" + before + " freeAfter=" + after
                + " delta=" + (before - after) + " liveAllocations=" + d.liveAllocations());
        assertEquals(0, d.liveAllocations());
        assertEquals(before, after, "free device memory after 1000 cycles");
    }
}
