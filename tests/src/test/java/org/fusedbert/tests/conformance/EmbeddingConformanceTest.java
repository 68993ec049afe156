package org.fusedbert.tests.conformance;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.fusedbert.api.DType;
import org.fusedbert.tests.TestDevices;
import org.fusedbert.tests.TestDevices.Candidate;
import org.fusedbert.tests.conformance.Twin.Pair;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Token + position embedding forward and its deterministic backward on each device against the
 * CPU reference. Ids are drawn so that padding (0) and a few frequent ids form long runs that
 * cross the backward's 32-entry chunks; vocabularies of one and two radix passes.
 */
class EmbeddingConformanceTest {
    static Stream<Arguments> cases() {
        return TestDevices.cross(
                new Object[] {1, 1, 1001, 128},
                new Object[] {2, 7, 30000, 128},
                new Object[] {3, 255, 1001, 36},
                new Object[] {2, 256, 200, 128},
                new Object[] {2, 300, 1001, 33},
                new Object[] {4, 300, 30000, 20});
    }

    @ParameterizedTest(name = "{0} batch={1} length={2} vocab={3} hidden={4}")
    @MethodSource("cases")
    void forwardAndBackwardMatchReference(Candidate device, int batch, int length, int vocab, int hidden) {
        String shape = "ids [" + batch + ", " + length + "] table [" + vocab + ", " + hidden + "]";
        long seed = Conformance.seed("embedding" + shape);
        SplittableRandom r = Conformance.random(seed);
        int n = batch * length;
        int maxLength = length + 3;
        int[] ids = new int[n];
        int[] frequent = Conformance.ints(r, 3, 1, vocab);
        for (int i = 0; i < n; i++) {
            double u = r.nextDouble();
            ids[i] = u < 0.3 ? 0 : u < 0.6 ? frequent[r.nextInt(frequent.length)] : r.nextInt(0, vocab);
        }
        try (Twin t = new Twin(Conformance.reference(), TestDevices.backend(device))) {
            Pair idt = t.input(ids, batch, length);
            Pair tokens = t.input(Conformance.uniform(r, vocab * hidden, 1f), vocab, hidden);
            Pair positions = t.input(Conformance.uniform(r, maxLength * hidden, 1f), maxLength, hidden);
            Pair out = t.output(DType.FLOAT32, batch, length, hidden);
            t.cpu().embeddingForward(idt.cpu(), tokens.cpu(), positions.cpu(), out.cpu());
            t.dev().embeddingForward(idt.dev(), tokens.dev(), positions.dev(), out.dev());
            new Conformance.Where("embeddingForward", device.name(), shape, seed)
                    .assertClose("out", out.cpuFloats(), out.devFloats(), Conformance.ELEMENTWISE);

            Pair dOut = t.input(Conformance.uniform(r, n * hidden, 1f), batch, length, hidden);
            float[] dTokens0 = Conformance.uniform(r, vocab * hidden, 1f);
            float[] dPositions0 = Conformance.uniform(r, maxLength * hidden, 1f);
            Pair dTokens = t.input(dTokens0, vocab, hidden);  // accumulated into
            Pair dPositions = t.input(dPositions0, maxLength, hidden);
            t.cpu().embeddingBackward(idt.cpu(), dOut.cpu(), dTokens.cpu(), dPositions.cpu());
            t.dev().embeddingBackward(idt.dev(), dOut.dev(), dTokens.dev(), dPositions.dev());
            var where = new Conformance.Where("embeddingBackward", device.name(), shape, seed);
            where.assertClose("dTokenTable", dTokens.cpuFloats(), dTokens.devFloats(), Conformance.REDUCTION);
            where.assertClose("dPositionTable", dPositions.cpuFloats(), dPositions.devFloats(), Conformance.REDUCTION);

            // Deterministic: a second run from the same state gives the same bits.
            Pair again = t.input(dTokens0, vocab, hidden);
            Pair againPositions = t.input(dPositions0, maxLength, hidden);
            t.dev().embeddingBackward(idt.dev(), dOut.dev(), again.dev(), againPositions.dev());
            var rerun = new Conformance.Where("embeddingBackward rerun", device.name(), shape, seed);
            rerun.assertIdentical("dTokenTable", dTokens.devFloats(), again.devFloats());
            rerun.assertIdentical("dPositionTable", dPositions.devFloats(), againPositions.devFloats());
        }
    }

    /**
     * The backward's column blocks are the grid's y extent (at most 65,535 blocks of 128 columns):
     * a wider table is refused in one line before any launch, not left to a bare CUDA launch error
     * after the sort has run.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("org.fusedbert.tests.TestDevices#all")
    void aTableWiderThanTheGridAllowsIsRefused(Candidate device) {
        org.fusedbert.api.Backend dev = TestDevices.backend(device);
        int hidden = 65535 * 128 + 1;
        try (org.fusedbert.api.Tensor ids = dev.allocate(DType.INT32, 1, 1);
             org.fusedbert.api.Tensor dOut = dev.allocate(DType.FLOAT32, 1, 1, hidden);
             org.fusedbert.api.Tensor dTokens = dev.allocate(DType.FLOAT32, 2, hidden);
             org.fusedbert.api.Tensor dPositions = dev.allocate(DType.FLOAT32, 1, hidden)) {
            var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> dev.embeddingBackward(ids, dOut, dTokens, dPositions));
            org.junit.jupiter.api.Assertions.assertEquals(
                    "embeddingBackward: hidden size expected at most 8388480 but was 8388481", e.getMessage());
        }
    }
}
