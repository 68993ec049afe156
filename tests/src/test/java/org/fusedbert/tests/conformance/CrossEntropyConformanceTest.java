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
 * Masked softmax cross-entropy (logits overwritten with dlogits) and sigmoid binary
 * cross-entropy on each device against the CPU reference: the default vocabulary (30,000, rows
 * 16-byte aligned), an odd one (1,001: every row starts at a different alignment), rows labelled
 * -1, and a batch with no labelled row at all.
 */
class CrossEntropyConformanceTest {
    static Stream<Arguments> softmaxCases() {
        return TestDevices.cross(
                new Object[] {5, 30000, 0.6},
                new Object[] {7, 1001, 0.7},
                new Object[] {1, 1001, 1.0},
                new Object[] {300, 2, 0.5},
                new Object[] {4, 1001, 0.0},
                new Object[] {3, 30001, 1.0});
    }

    @ParameterizedTest(name = "{0} rows={1} vocab={2} labelled={3}")
    @MethodSource("softmaxCases")
    void softmaxCrossEntropyMatchesReference(Candidate device, int rows, int vocab, double labelled) {
        String shape = "[" + rows + ", " + vocab + "] labelled " + labelled;
        long seed = Conformance.seed("softmaxCrossEntropy" + shape);
        SplittableRandom r = Conformance.random(seed);
        int[] labels = new int[rows];
        for (int i = 0; i < rows; i++) {
            labels[i] = r.nextDouble() < labelled ? r.nextInt(0, vocab) : -1;
        }
        try (Twin t = new Twin(Conformance.reference(), TestDevices.backend(device))) {
            Pair logits = t.input(Conformance.uniform(r, rows * vocab, 4f), rows, vocab);
            Pair label = t.input(labels, rows);
            Pair loss = t.output(DType.FLOAT32, 1);
            t.cpu().softmaxCrossEntropy(logits.cpu(), label.cpu(), loss.cpu());
            t.dev().softmaxCrossEntropy(logits.dev(), label.dev(), loss.dev());
            var where = new Conformance.Where("softmaxCrossEntropy", device.name(), shape, seed);
            where.assertClose("loss", loss.cpuFloats(), loss.devFloats(), Conformance.CROSS_ENTROPY);
            where.assertClose("dlogits (in place)", logits.cpuFloats(), logits.devFloats(), Conformance.CROSS_ENTROPY);
        }
    }

    static Stream<Arguments> binaryCases() {
        return TestDevices.cross(
                new Object[] {1, true, false},
                new Object[] {7, true, true},
                new Object[] {300, false, true},
                new Object[] {300, true, false});
    }

    @ParameterizedTest(name = "{0} batch={1} gradient={2} column={3}")
    @MethodSource("binaryCases")
    void sigmoidBinaryCrossEntropyMatchesReference(Candidate device, int batch, boolean gradient, boolean column) {
        int[] shapeDims = column ? new int[] {batch, 1} : new int[] {batch};
        String shape = Conformance.shape(shapeDims) + (gradient ? "" : " no gradient");
        long seed = Conformance.seed("sigmoidBinaryCrossEntropy" + shape);
        SplittableRandom r = Conformance.random(seed);
        try (Twin t = new Twin(Conformance.reference(), TestDevices.backend(device))) {
            Pair logits = t.input(Conformance.uniform(r, batch, 8f), shapeDims);
            Pair labels = t.input(Conformance.ints(r, batch, 0, 2), batch);
            Pair probs = t.output(DType.FLOAT32, batch);
            Pair loss = t.output(DType.FLOAT32, 1);
            Pair dLogits = gradient ? t.output(DType.FLOAT32, shapeDims) : new Pair(null, null);
            t.cpu().sigmoidBinaryCrossEntropy(logits.cpu(), labels.cpu(), probs.cpu(), loss.cpu(), dLogits.cpu());
            t.dev().sigmoidBinaryCrossEntropy(logits.dev(), labels.dev(), probs.dev(), loss.dev(), dLogits.dev());
            var where = new Conformance.Where("sigmoidBinaryCrossEntropy", device.name(), shape, seed);
            where.assertClose("probs", probs.cpuFloats(), probs.devFloats(), Conformance.CROSS_ENTROPY);
            where.assertClose("loss", loss.cpuFloats(), loss.devFloats(), Conformance.CROSS_ENTROPY);
            if (gradient) {
                where.assertClose("dLogits", dLogits.cpuFloats(), dLogits.devFloats(), Conformance.CROSS_ENTROPY);
            }
        }
    }
}
