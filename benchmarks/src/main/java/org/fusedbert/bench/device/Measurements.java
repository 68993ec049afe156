package org.fusedbert.bench.device;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Our raw samples of one run, as written to {@code measurements.json} beside the peers' output,
 * so that the report can be rebuilt elsewhere ({@code DeviceBench --report-from}), e.g. where
 * the GPU machine could not draw the charts.
 *
 * @param date          ISO date of the run
 * @param card          the device the kernels ran on
 * @param rehearsal     tiny shapes, not a performance run
 * @param setup         lines on software and method
 * @param ceilings      ceiling samples
 * @param kernels       per kernel case
 * @param steps         per end-to-end configuration
 * @param checkWritten  whether the checkpoint check's data was written for the peers
 * @param peerVariants  the end-to-end PyTorch variants asked for
 */
record Measurements(String date, String card, boolean rehearsal, List<String> setup, CeilingSamples ceilings,
                    List<KernelMeasurement> kernels, List<StepMeasurement> steps, boolean checkWritten,
                    List<String> peerVariants) {
    static final String FILE = "measurements.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Copy bandwidth samples (GB/s) and GEMM samples (TFLOP/s); null where not measured. */
    record CeilingSamples(double[] copyGBs, String copyShape, double[] gemmTflops, String gemmShape, String precision) {
    }

    /** One kernel case: its phases and, where measured, the device memory it needed beyond its inputs. */
    record KernelMeasurement(String op, String shape, String id, List<PhaseMeasurement> phases, Long peakBytes) {
    }

    /** One phase: its work (bytes or flops) and our samples in ms, or why there are none. */
    record PhaseMeasurement(String name, double work, boolean bandwidth, double[] samplesMs, String missing) {
    }

    /** One end-to-end configuration and each of our implementations' results. */
    record StepMeasurement(String id, long tokensPerStep, List<StepResult> results) {
    }

    /** One implementation's step samples (empty with the reason in {@code note} when it did not run). */
    record StepResult(String implementation, double[] samplesMs, Long peakBytes, Float meanLoss, String note) {
    }

    void write(Path file) throws IOException {
        JSON.writeValue(file.toFile(), this);
    }

    static Measurements read(Path file) throws IOException {
        try {
            return JSON.readValue(file.toFile(), Measurements.class);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IllegalArgumentException(file + ": not a device-bench measurements file: " + e.getOriginalMessage(), e);
        }
    }
}
