package org.fusedbert.bench;

import java.util.concurrent.TimeUnit;
import org.fusedbert.api.Philox;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/** Host cost of one Philox4x32-10 block: what the CPU reference pays per four dropout draws. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PhiloxBenchmark {
    private final int[] out = new int[4];
    private int counter;

    @Benchmark
    public int block() {
        Philox.block(0x1234_5678_9abcL, counter++, 3, 7, Philox.DOMAIN_DROPOUT, out);
        return out[0] ^ out[3];
    }
}
