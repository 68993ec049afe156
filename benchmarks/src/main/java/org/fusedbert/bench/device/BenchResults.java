package org.fusedbert.bench.device;

import java.time.LocalDate;
import java.util.List;
import java.util.OptionalLong;
import org.fusedbert.bench.device.Peers.PeerTime;

/**
 * Everything one harness run measured, ready for the {@link Report}.
 *
 * @param date       the run's date
 * @param card       the device the kernels ran on (GPU name, or the simulator / CPU in a rehearsal)
 * @param rehearsal  whether this was a rehearsal (tiny shapes, not a GPU)
 * @param setup      lines describing software and method (JVM, commit, torch, sampler)
 * @param ceilings   measured on the same device in the same run
 * @param kernels    one row per kernel case and phase
 * @param endToEnd   one row per configuration and implementation
 * @param check      the checkpoint check's outcome lines (from the peer), or why it did not run
 * @param peers      the peers' results
 */
record BenchResults(LocalDate date, String card, boolean rehearsal, List<String> setup, Ceilings ceilings,
                    List<KernelRow> kernels, List<EndToEndRow> endToEnd, CheckOutcome check, Peers peers) {

    /** Copy bandwidth (GB/s, read + write) and GEMM throughput (TFLOP/s), or null where not measured. */
    record Ceilings(Stats copyGBs, String copyShape, Stats gemmTflops, String gemmShape, String gemmPrecision) {
    }

    /**
     * One kernel phase.
     *
     * @param ours       our samples (ms), or null with {@code oursMissing} saying why
     * @param phase      forward, backward, step, forward+backward
     * @param work       bytes or flops of the phase
     * @param bandwidth  whether {@code work} is bytes (GB/s) rather than flops (TFLOP/s)
     * @param peers      each peer variant's timing (attention: one per SDPA backend), by name
     * @param oursPeak   device memory our op needed beyond its inputs, where measured
     * @param peerPeak   the peer's, where measured (-1 otherwise)
     */
    record KernelRow(String op, String shape, String caseId, String phase, Stats ours, String oursMissing, double work,
                     boolean bandwidth, List<NamedPeer> peers, String peerDescription, OptionalLong oursPeak,
                     long peerPeak) {
        /** The fastest peer that ran, or null. */
        NamedPeer bestPeer() {
            NamedPeer best = null;
            for (NamedPeer p : peers) {
                if (p.time().present() && (best == null || p.time().stats().median() < best.time().stats().median())) {
                    best = p;
                }
            }
            return best;
        }

        /** GB/s or TFLOP/s at our median. */
        double achieved() {
            double seconds = ours.median() / 1e3;
            return bandwidth ? work / seconds / 1e9 : work / seconds / 1e12;
        }
    }

    /** A peer variant's timing by name. */
    record NamedPeer(String name, PeerTime time) {
    }

    /** One implementation of one end-to-end configuration (ours or a peer). */
    record EndToEndRow(String configId, long tokensPerStep, String implementation, boolean fusedbert, Stats stats,
                       String missing, OptionalLong peakBytes, String note) {
        double tokensPerSecond() {
            return tokensPerStep / (stats.median() / 1e3);
        }
    }

    /** The checkpoint check: passed or not, and its lines; or why it did not run. */
    record CheckOutcome(Boolean passed, List<String> lines) {
    }
}
