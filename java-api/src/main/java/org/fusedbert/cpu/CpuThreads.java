package org.fusedbert.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;

/**
 * A worker pool of the CPU engine: a {@link ForkJoinPool} of daemon threads, one per thread count
 * and process ({@link #of}). The default, {@link #DEFAULT}, has as many threads as there are cores
 * (system property {@code fusedbert.cpu.threads} overrides it).
 *
 * <p>Work is split into chunks whose bounds depend only on the problem size, never on the thread
 * count, and every chunk writes disjoint outputs; reductions keep one partial per chunk and add
 * them in chunk order. So results are bit-identical whatever the number of threads.
 */
final class CpuThreads {
    private static final ConcurrentMap<Integer, CpuThreads> BY_COUNT = new ConcurrentHashMap<>();

    /** The pool of {@code new CpuBackend()}: one thread per core, or {@code -Dfusedbert.cpu.threads}. */
    static final CpuThreads DEFAULT = of(Math.max(1, Integer.getInteger("fusedbert.cpu.threads",
            Runtime.getRuntime().availableProcessors())));

    /** Worker threads: parallel loops use at most this many. */
    final int threads;
    private final ForkJoinPool pool;

    private CpuThreads(int threads) {
        this.threads = threads;
        this.pool = new ForkJoinPool(threads);
    }

    /** The process-wide pool of {@code threads} workers (created on first use; its threads are daemons). */
    static CpuThreads of(int threads) {
        return BY_COUNT.computeIfAbsent(threads, CpuThreads::new);
    }

    /** The body of a parallel loop over a range of indices. */
    @FunctionalInterface
    interface RangeBody {
        void run(int from, int to);
    }

    /** The body of a parallel loop over chunk numbers. */
    @FunctionalInterface
    interface ChunkBody {
        void run(int chunk);
    }

    /**
     * Runs {@code body} over {@code [0, n)} cut into consecutive chunks of {@code grain} indices
     * (the last may be shorter), in parallel when there is more than one chunk.
     */
    void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) {
            return;
        }
        int g = Math.max(1, grain);
        int chunks = (int) ((n + (long) g - 1) / g);
        forChunks(chunks, c -> body.run(c * g, (int) Math.min(n, (long) c * g + g)));
    }

    /** Runs {@code body(c)} for every {@code c} in {@code [0, chunks)}, in parallel when it pays. */
    void forChunks(int chunks, ChunkBody body) {
        if (chunks <= 0) {
            return;
        }
        // Nested calls (an op inside a parallel region) and single chunks run on the caller.
        if (chunks == 1 || threads == 1 || ForkJoinTask.inForkJoinPool()) {
            for (int c = 0; c < chunks; c++) {
                body.run(c);
            }
            return;
        }
        pool.invoke(new Chunks(body, 0, chunks));
    }

    /** Runs each task once, in parallel, and returns when all are done. */
    void runAll(List<Runnable> tasks) {
        if (tasks.size() <= 1 || threads == 1 || ForkJoinTask.inForkJoinPool()) {
            tasks.forEach(Runnable::run);
            return;
        }
        List<ForkJoinTask<?>> forked = new ArrayList<>(tasks.size());
        for (Runnable r : tasks) {
            forked.add(ForkJoinTask.adapt(r));
        }
        pool.invoke(new RecursiveAction() {
            @Override
            protected void compute() {
                invokeAll(forked);
            }
        });
    }

    /** Splits a chunk range in halves until single chunks remain. */
    private static final class Chunks extends RecursiveAction {
        private final ChunkBody body;
        private final int from;
        private final int to;

        Chunks(ChunkBody body, int from, int to) {
            this.body = body;
            this.from = from;
            this.to = to;
        }

        @Override
        protected void compute() {
            if (to - from == 1) {
                body.run(from);
                return;
            }
            int mid = (from + to) >>> 1;
            invokeAll(new Chunks(body, from, mid), new Chunks(body, mid, to));
        }
    }
}
