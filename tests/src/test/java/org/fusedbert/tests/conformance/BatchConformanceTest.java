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
 * The resident-data path on each device against the CPU reference, exact: the batch gathered
 * through a permutation at several batch indices (the epoch's last batch wrapping around), labels
 * gathered as a one-column table, and values stored at the batch's place in a history (past its
 * end dropped).
 */
class BatchConformanceTest {
    static Stream<Arguments> cases() {
        return TestDevices.cross(
                new Object[] {1, 1, 1},
                new Object[] {7, 5, 3},
                new Object[] {100, 256, 32},
                new Object[] {33, 64, 32},
                new Object[] {1000, 1, 7});
    }

    @ParameterizedTest(name = "{0} rows={1} width={2} batch={3}")
    @MethodSource("cases")
    void gatherAndStoreMatchReference(Candidate device, int rows, int width, int batch) {
        String shape = "source [" + rows + ", " + width + "] batch " + batch;
        long seed = Conformance.seed("gatherBatch" + shape);
        SplittableRandom r = Conformance.random(seed);
        int[] order = new int[rows];
        for (int i = 0; i < rows; i++) {
            order[i] = i;
        }
        for (int i = rows - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        int[] source = new int[rows * width];
        for (int i = 0; i < source.length; i++) {
            source[i] = r.nextInt(0, 30000);
        }
        int steps = (rows + batch - 1) / batch;
        try (Twin t = new Twin(Conformance.reference(), TestDevices.backend(device))) {
            Pair src = t.input(source, rows, width);
            Pair ord = t.input(order, rows);
            // An input of zeros: the elements no store reaches must stay as they were.
            Pair history = t.input(new float[steps * batch - 1], steps * batch - 1);
            for (int index : new int[] {0, steps - 1, steps, 3 * steps + 1}) {
                Pair batchIndex = t.input(new int[] {index}, 1);
                Pair out = t.output(DType.INT32, batch, width);
                t.cpu().gatherBatch(src.cpu(), ord.cpu(), batchIndex.cpu(), out.cpu());
                t.dev().gatherBatch(src.dev(), ord.dev(), batchIndex.dev(), out.dev());
                new Conformance.Where("gatherBatch", device.name(), shape + " index " + index, seed)
                        .assertExact("out", out.cpuInts(), out.devInts());

                Pair values = t.input(Conformance.uniform(r, batch, 1f), batch);
                t.cpu().storeBatch(values.cpu(), batchIndex.cpu(), history.cpu());
                t.dev().storeBatch(values.dev(), batchIndex.dev(), history.dev());
                new Conformance.Where("storeBatch", device.name(), shape + " index " + index, seed)
                        .assertIdentical("history", history.cpuFloats(), history.devFloats());
            }
        }
    }
}
