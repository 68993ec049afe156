package org.fusedbert.tests.conformance;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.fusedbert.api.DType;
import org.fusedbert.api.MaskingSpec;
import org.fusedbert.tests.TestDevices;
import org.fusedbert.tests.TestDevices.Candidate;
import org.fusedbert.tests.conformance.Twin.Pair;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The MLM data path on each device against the CPU reference, all exact: masking (the Philox
 * draws must be bit-identical), sequence lengths, the gather of labelled rows (capacity below,
 * at and above the count) and the scatter back, and the step counter increment.
 */
class MlmConformanceTest {
    static Stream<Arguments> cases() {
        return TestDevices.cross(
                new Object[] {1, 1, 30000, 0.15f},
                new Object[] {3, 7, 1001, 0.9f},
                new Object[] {2, 255, 30000, 0.15f},
                new Object[] {2, 256, 1001, 0.5f},
                new Object[] {4, 300, 30000, 0.15f});
    }

    /** Ids in [0, maskId] with padded tails and some [UNK] (1), as a batch of reviews looks. */
    private static int[] batchIds(SplittableRandom r, int batch, int length, int maskId) {
        int[] ids = new int[batch * length];
        for (int b = 0; b < batch; b++) {
            int real = r.nextInt(0, length + 1);
            for (int l = 0; l < real; l++) {
                ids[b * length + l] = r.nextDouble() < 0.05 ? 1 : r.nextInt(2, maskId + 1);
            }
        }
        return ids;
    }

    @ParameterizedTest(name = "{0} batch={1} length={2} vocab={3} select={4}")
    @MethodSource("cases")
    void maskingAndLengthsMatchReference(Candidate device, int batch, int length, int vocab, float select) {
        String shape = "[" + batch + ", " + length + "] vocab " + vocab + " select " + select;
        long seed = Conformance.seed("mlmMask" + shape);
        SplittableRandom r = Conformance.random(seed);
        MaskingSpec spec = new MaskingSpec(r.nextLong(), select, 0.8f, 0.1f, vocab - 1);
        try (Twin t = new Twin(Conformance.reference(), TestDevices.backend(device))) {
            Pair ids = t.input(batchIds(r, batch, length, spec.maskId()), batch, length);
            Pair step = t.input(new int[] {r.nextInt(0, 1 << 20)}, 1);
            Pair masked = t.output(DType.INT32, batch, length);
            Pair labels = t.output(DType.INT32, batch, length);
            t.cpu().mlmMask(ids.cpu(), spec, step.cpu(), masked.cpu(), labels.cpu());
            t.dev().mlmMask(ids.dev(), spec, step.dev(), masked.dev(), labels.dev());
            var where = new Conformance.Where("mlmMask", device.name(), shape, seed);
            where.assertExact("maskedIds", masked.cpuInts(), masked.devInts());
            where.assertExact("labels", labels.cpuInts(), labels.devInts());

            Pair lengths = t.output(DType.INT32, batch);
            t.cpu().sequenceLengths(ids.cpu(), lengths.cpu());
            t.dev().sequenceLengths(ids.dev(), lengths.dev());
            new Conformance.Where("sequenceLengths", device.name(), shape, seed)
                    .assertExact("lengths", lengths.cpuInts(), lengths.devInts());

            t.cpu().increment(step.cpu());
            t.dev().increment(step.dev());
            new Conformance.Where("increment", device.name(), "[1]", seed)
                    .assertExact("counter", step.cpuInts(), step.devInts());
        }
    }

    static Stream<Arguments> gatherCases() {
        return TestDevices.cross(
                new Object[] {1, 1, 0.0, 1},
                new Object[] {7, 33, 0.5, 8},
                new Object[] {255, 128, 0.15, 64},
                new Object[] {300, 128, 0.15, 20},
                new Object[] {1200, 20, 0.9, 1200});
    }

    @ParameterizedTest(name = "{0} rows={1} hidden={2} labelled={3} capacity={4}")
    @MethodSource("gatherCases")
    void gatherAndScatterMatchReference(Candidate device, int rows, int hidden, double labelled, int capacity) {
        String shape = "hidden [" + rows + ", " + hidden + "] capacity " + capacity;
        long seed = Conformance.seed("gatherLabelledRows" + shape);
        SplittableRandom r = Conformance.random(seed);
        int[] label = new int[rows];
        for (int i = 0; i < rows; i++) {
            label[i] = r.nextDouble() < labelled ? r.nextInt(0, 30000) : -1;
        }
        try (Twin t = new Twin(Conformance.reference(), TestDevices.backend(device))) {
            Pair hiddenRows = t.input(Conformance.uniform(r, rows * hidden, 1f), rows, hidden);
            Pair labels = t.input(label, rows);
            Pair gathered = t.output(DType.FLOAT32, capacity, hidden);
            Pair rowLabels = t.output(DType.INT32, capacity);
            Pair rowIndex = t.output(DType.INT32, capacity);
            Pair count = t.output(DType.INT32, 1);
            t.cpu().gatherLabelledRows(hiddenRows.cpu(), labels.cpu(), gathered.cpu(), rowLabels.cpu(), rowIndex.cpu(),
                    count.cpu());
            t.dev().gatherLabelledRows(hiddenRows.dev(), labels.dev(), gathered.dev(), rowLabels.dev(), rowIndex.dev(),
                    count.dev());
            var where = new Conformance.Where("gatherLabelledRows", device.name(), shape, seed);
            where.assertExact("count", count.cpuInts(), count.devInts());
            where.assertExact("rowIndex", rowIndex.cpuInts(), rowIndex.devInts());
            where.assertExact("rowLabels", rowLabels.cpuInts(), rowLabels.devInts());
            where.assertIdentical("rows", gathered.cpuFloats(), gathered.devFloats());

            Pair dRows = t.input(Conformance.uniform(r, capacity * hidden, 1f), capacity, hidden);
            Pair dHidden = t.output(DType.FLOAT32, rows, hidden);
            t.cpu().scatterRows(dRows.cpu(), rowIndex.cpu(), dHidden.cpu());
            t.dev().scatterRows(dRows.dev(), rowIndex.dev(), dHidden.dev());
            new Conformance.Where("scatterRows", device.name(), shape, seed)
                    .assertIdentical("dHidden", dHidden.cpuFloats(), dHidden.devFloats());
        }
    }
}
