package org.fusedbert.tests.conformance;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.fusedbert.api.Backend;
import org.fusedbert.api.DType;
import org.fusedbert.api.Tensor;
import org.fusedbert.device.Device;
import org.fusedbert.device.DeviceBackend;
import org.fusedbert.device.GemmPrecision;
import org.fusedbert.device.kernels.AttentionKernels;
import org.fusedbert.tests.TestDevices;
import org.fusedbert.tests.TestDevices.Candidate;
import org.fusedbert.tests.conformance.Twin.Pair;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fused attention, forward and backward, on each device against the CPU reference: sequence
 * lengths 1, 7, 255, 256, 300, 512 and 1024 (tails of every query block and key tile), head dims
 * 16 and 64 throughout and 32 and 128 once each, without key padding and with valid lengths 1,
 * between 1 and L, and L; the scalar path on an unaligned {@code qkv}. Tolerance {@link Conformance#ATTENTION}:
 * {@code |dev - cpu| <= 1e-4 * (|cpu| + rms(cpu))} per element of out, lse, delta and dqkv. The
 * backward gets the reference's out and lse on both sides, so it is judged on its own; outputs
 * start as NaN so an element never written fails.
 */
class AttentionConformanceTest {
    /** Padding modes: no lengths (all L keys), or lengths cycling 1, in [L/2, L), L over the batch. */
    enum Keys { ALL, PADDED }

    static Stream<Arguments> cases() {
        return TestDevices.cross(
                new Object[] {2, 1, 2, 16, Keys.ALL, true},
                new Object[] {2, 1, 2, 16, Keys.PADDED, true},
                new Object[] {3, 7, 2, 16, Keys.PADDED, true},
                new Object[] {2, 7, 2, 64, Keys.ALL, true},
                new Object[] {3, 255, 1, 16, Keys.PADDED, true},
                new Object[] {1, 256, 2, 16, Keys.ALL, true},
                new Object[] {3, 256, 1, 64, Keys.PADDED, true},
                new Object[] {3, 300, 1, 16, Keys.PADDED, true},
                new Object[] {1, 300, 1, 64, Keys.ALL, true},
                new Object[] {2, 512, 1, 64, Keys.PADDED, true},
                new Object[] {1, 1024, 1, 16, Keys.ALL, true},
                new Object[] {3, 45, 2, 32, Keys.PADDED, true},
                new Object[] {3, 70, 1, 128, Keys.PADDED, true},
                new Object[] {3, 37, 2, 16, Keys.PADDED, false},
                new Object[] {2, 37, 1, 64, Keys.ALL, false});
    }

    @ParameterizedTest(name = "{0} B={1} L={2} heads={3} headDim={4} keys={5} aligned={6}")
    @MethodSource("cases")
    void forwardAndBackwardMatchReference(Candidate device, int batch, int seqLen, int heads, int headDim, Keys keys,
                                          boolean aligned) {
        compare(device, TestDevices.backend(device), batch, seqLen, heads, headDim, keys, aligned,
                Conformance.ATTENTION, false, null);
    }

    /** Head dim 64 (the TF32 kernels' own) with tails, padding and the scalar path; d32 falls back to fp32. */
    static Stream<Arguments> tf32Cases() {
        return TestDevices.cross(
                new Object[] {2, 7, 2, 64, Keys.ALL, true},
                new Object[] {3, 256, 1, 64, Keys.PADDED, true},
                new Object[] {1, 300, 1, 64, Keys.ALL, true},
                new Object[] {3, 45, 2, 32, Keys.PADDED, true},
                new Object[] {2, 37, 1, 64, Keys.PADDED, false});
    }

    /**
     * On a device set to TF32 GEMMs the backward takes the tensor-core kernels where there are
     * some: judged against the fp32 CPU reference with {@link Conformance#ATTENTION_TF32}, and still
     * bitwise reproducible. The device is set back to fp32 afterwards.
     */
    @ParameterizedTest(name = "{0} B={1} L={2} heads={3} headDim={4} keys={5} aligned={6}")
    @MethodSource("tf32Cases")
    void tf32BackwardMatchesReferenceWithinTf32Tolerance(Candidate device, int batch, int seqLen, int heads,
                                                          int headDim, Keys keys, boolean aligned) {
        tf32(device, batch, seqLen, heads, headDim, keys, aligned, null);
    }

    /**
     * The case and inputs that failed on an H200 (and, with the same seed, on the simulator) when
     * TF32 results were judged by {@code |cpu| + rms(cpu)} alone: dV of the one valid key of a
     * length-1 sequence is the sum of all 256 rows of dO, which cancelled to 0.16 while each term was
     * about 0.5, so the TF32 rounding of dO (0.0039 there) exceeded 1e-2 of the small result. Judged
     * against the terms' size it is 4e-4 of it; this pins those inputs.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("org.fusedbert.tests.TestDevices#all")
    void tf32BackwardOfACancellingSumIsJudgedByItsTerms(Candidate device) {
        tf32(device, 3, 256, 1, 64, Keys.PADDED, true, -8405762420896805667L);
    }

    private static void tf32(Candidate device, int batch, int seqLen, int heads, int headDim, Keys keys,
                             boolean aligned, Long pinnedSeed) {
        DeviceBackend backend = TestDevices.backend(device);
        try (Tf32 ignored = Tf32.on(backend.device())) {
            compare(device, backend, batch, seqLen, heads, headDim, keys, aligned,
                    AttentionKernels.TF32_HEAD_DIMS.contains(headDim) ? Conformance.ATTENTION_TF32
                            : Conformance.ATTENTION, AttentionKernels.TF32_HEAD_DIMS.contains(headDim), pinnedSeed);
        }
    }

    /** Sets a simulator or GPU device to TF32 GEMMs until closed. */
    private record Tf32(Device device) implements AutoCloseable {
        static Tf32 on(Device device) {
            TestDevices.gemmPrecision(device, GemmPrecision.TF32);
            return new Tf32(device);
        }

        @Override
        public void close() {
            TestDevices.gemmPrecision(device, GemmPrecision.FP32);
        }
    }

    private static void compare(Candidate device, Backend dev, int batch, int seqLen, int heads, int headDim,
                                Keys keys, boolean aligned, double backwardTolerance, boolean tf32Products,
                                Long pinnedSeed) {
        int embed = heads * headDim;
        String shape = "[" + batch + ", " + seqLen + ", 3*" + embed + "] heads " + heads + " keys " + keys
                + (aligned ? "" : " unaligned");
        long seed = pinnedSeed != null ? pinnedSeed : Conformance.seed("attention" + shape);
        SplittableRandom r = Conformance.random(seed);
        float scale = (float) (1 / Math.sqrt(headDim));
        try (Twin t = new Twin(Conformance.reference(), dev)) {
            // Inputs of magnitude 2 give scores up to ~4 * sqrt(headDim): peaked softmax rows, not flat ones.
            float[] qkvData = Conformance.uniform(r, batch * seqLen * 3 * embed, 2f);
            Pair qkv = aligned ? t.input(qkvData, batch, seqLen, 3 * embed)
                    : t.unalignedInput(qkvData, batch, seqLen, 3 * embed);
            Pair lengths = keys == Keys.ALL ? new Pair(null, null) : t.input(lengths(r, batch, seqLen), batch);

            Pair out = t.output(DType.FLOAT32, batch, seqLen, embed);
            Pair lse = t.output(DType.FLOAT32, batch, heads, seqLen);
            t.cpu().attentionForward(qkv.cpu(), lengths.cpu(), heads, scale, out.cpu(), lse.cpu());
            t.dev().attentionForward(qkv.dev(), lengths.dev(), heads, scale, out.dev(), lse.dev());
            var forward = new Conformance.Where("attentionForward", device.name(), shape, seed);
            forward.assertClose("out", out.cpuFloats(), out.devFloats(), Conformance.ATTENTION);
            forward.assertClose("lse", lse.cpuFloats(), lse.devFloats(), Conformance.ATTENTION);

            Pair savedOut = t.input(out.cpuFloats(), batch, seqLen, embed);
            Pair savedLse = t.input(lse.cpuFloats(), batch, heads, seqLen);
            Pair dOut = t.input(Conformance.uniform(r, batch * seqLen * embed, 1f), batch, seqLen, embed);
            Pair delta = t.output(DType.FLOAT32, batch, heads, seqLen);
            Pair dqkv = t.output(DType.FLOAT32, batch, seqLen, 3 * embed);
            t.cpu().attentionBackward(qkv.cpu(), lengths.cpu(), heads, scale, savedOut.cpu(), savedLse.cpu(),
                    dOut.cpu(), delta.cpu(), dqkv.cpu());
            t.dev().attentionBackward(qkv.dev(), lengths.dev(), heads, scale, savedOut.dev(), savedLse.dev(),
                    dOut.dev(), delta.dev(), dqkv.dev());
            var back = new Conformance.Where("attentionBackward", device.name(), shape, seed);
            back.assertClose("delta", delta.cpuFloats(), delta.devFloats(), Conformance.ATTENTION);
            if (tf32Products) {
                double[] terms = gradientTermScales(qkvData, lengths.cpu() == null ? null : lengths.cpuInts(),
                        lse.cpuFloats(), delta.cpuFloats(), dOut.cpuFloats(), batch, seqLen, heads, headDim, scale);
                back.assertCloseWithTerms("dqkv", dqkv.cpuFloats(), dqkv.devFloats(), terms, backwardTolerance);
            } else {
                back.assertClose("dqkv", dqkv.cpuFloats(), dqkv.devFloats(), backwardTolerance);
            }

            if (seqLen <= 64) {  // deterministic (no atomics): a rerun over fresh poison gives the same bits
                Pair again = t.output(DType.FLOAT32, batch, seqLen, 3 * embed);
                t.dev().attentionBackward(qkv.dev(), lengths.dev(), heads, scale, savedOut.dev(), savedLse.dev(),
                        dOut.dev(), delta.dev(), again.dev());
                new Conformance.Where("attentionBackward rerun", device.name(), shape, seed)
                        .assertIdentical("dqkv", dqkv.devFloats(), again.devFloats());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.fusedbert.tests.TestDevices#all")
    void headDimensionWithoutKernelIsRejected(Candidate device) {
        Backend dev = TestDevices.backend(device);
        int batch = 1, seqLen = 4, heads = 2, headDim = 8;
        try (Tensor qkv = dev.allocate(DType.FLOAT32, batch, seqLen, 3 * heads * headDim);
             Tensor out = dev.allocate(DType.FLOAT32, batch, seqLen, heads * headDim);
             Tensor lse = dev.allocate(DType.FLOAT32, batch, heads, seqLen)) {
            var e = assertThrows(IllegalArgumentException.class,
                    () -> dev.attentionForward(qkv, null, heads, 0.5f, out, lse));
            assertTrue(e.getMessage().startsWith("attentionForward: head dimension (E / heads) expected one of"),
                    e.getMessage());
            assertTrue(e.getMessage().endsWith("but was 8"), e.getMessage());
        }
    }

    /**
     * Per element of dqkv, the root-sum-square of the products its backward sums (in double, from
     * the reference's lse and delta): dQ_i = scale sum_j dS_ij K_j, dK_j = scale sum_i dS_ij Q_i,
     * dV_j = sum_i P_ij dO_i with P_ij = exp(scale q_i.k_j - lse_i) (0 for padded keys) and
     * dS_ij = P_ij (dO_i.V_j - delta_i). The scale of what TF32 operands cost a sum, see
     * {@link Conformance.Where#assertCloseWithTerms}.
     */
    static double[] gradientTermScales(float[] qkv, int[] lengths, float[] lse, float[] delta, float[] dOut,
                                       int batch, int seqLen, int heads, int headDim, float scale) {
        int embed = heads * headDim, stride = 3 * embed;
        double[] sq = new double[batch * seqLen * stride];
        double[] p = new double[seqLen], ds = new double[seqLen];
        for (int b = 0; b < batch; b++) {
            int keys = lengths == null ? seqLen : lengths[b];
            for (int h = 0; h < heads; h++) {
                int qCol = h * headDim, kCol = embed + qCol, vCol = 2 * embed + qCol;
                for (int i = 0; i < seqLen; i++) {
                    int qi = (b * seqLen + i) * stride, gi = (b * seqLen + i) * embed + qCol;
                    double rowLse = lse[(b * heads + h) * seqLen + i], rowDelta = delta[(b * heads + h) * seqLen + i];
                    for (int j = 0; j < keys; j++) {
                        int kj = (b * seqLen + j) * stride;
                        double s = 0, dp = 0;
                        for (int c = 0; c < headDim; c++) {
                            s += (double) qkv[qi + qCol + c] * qkv[kj + kCol + c];
                            dp += (double) dOut[gi + c] * qkv[kj + vCol + c];
                        }
                        p[j] = Math.exp(scale * s - rowLse);
                        ds[j] = p[j] * (dp - rowDelta);
                    }
                    for (int j = 0; j < keys; j++) {
                        int kj = (b * seqLen + j) * stride;
                        for (int c = 0; c < headDim; c++) {
                            double dq = scale * ds[j] * qkv[kj + kCol + c];
                            double dk = scale * ds[j] * qkv[qi + qCol + c];
                            double dv = p[j] * dOut[gi + c];
                            sq[qi + qCol + c] += dq * dq;
                            sq[kj + kCol + c] += dk * dk;
                            sq[kj + vCol + c] += dv * dv;
                        }
                    }
                }
            }
        }
        for (int i = 0; i < sq.length; i++) {
            sq[i] = Math.sqrt(sq[i]);
        }
        return sq;
    }

    /** Valid lengths cycling over the batch: 1, one in [ceil(L/2), L) (L when L = 1), and L. */
    private static int[] lengths(SplittableRandom r, int batch, int seqLen) {
        int[] n = new int[batch];
        for (int b = 0; b < batch; b++) {
            n[b] = switch (b % 3) {
                case 0 -> 1;
                case 1 -> seqLen == 1 ? 1 : r.nextInt((seqLen + 1) / 2, seqLen);
                default -> seqLen;
            };
        }
        return n;
    }
}
