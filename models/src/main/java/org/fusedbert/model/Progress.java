package org.fusedbert.model;

import java.util.function.Consumer;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Shows a long loop's progress: a progress bar with the running loss and tokens/s on a terminal,
 * plain log lines (at most one every few seconds, and one at the end) when output goes elsewhere.
 */
public abstract class Progress implements AutoCloseable {
    /** A terminal's bar when standard output is a terminal, else log lines on {@code out}. */
    public static Progress create(String task, long total, Consumer<String> out) {
        java.io.Console console = System.console();
        boolean terminal = console != null && console.isTerminal();
        return terminal ? new Bar(task, total) : new Lines(task, total, out, 10_000);
    }

    /** Plain lines every {@code intervalMillis} (tests use 0 to see every update). */
    public static Progress lines(String task, long total, Consumer<String> out, long intervalMillis) {
        return new Lines(task, total, out, intervalMillis);
    }

    /**
     * Progress is at {@code done} of the total, with the loss of the latest window read (which
     * ended at {@code lossStep}: behind {@code done} while reads are in flight) and the throughput.
     */
    public abstract void update(long done, long lossStep, double loss, double tokensPerSecond);

    @Override
    public abstract void close();

    static String describe(long lossStep, double loss, double tokensPerSecond) {
        return String.format(Locale.ROOT, "loss %.4f at step %d, %s tokens/s", loss, lossStep, humanRate(tokensPerSecond));
    }

    static String humanRate(double r) {
        if (r >= 1e6) {
            return String.format(Locale.ROOT, "%.2fM", r / 1e6);
        }
        if (r >= 1e3) {
            return String.format(Locale.ROOT, "%.1fk", r / 1e3);
        }
        return String.format(Locale.ROOT, "%.0f", r);
    }

    private static final class Bar extends Progress {
        private final ProgressBar bar;

        Bar(String task, long total) {
            bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total)
                    .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK).setUpdateIntervalMillis(250).build();
        }

        @Override
        public void update(long done, long lossStep, double loss, double tokensPerSecond) {
            bar.stepTo(done);
            bar.setExtraMessage(describe(lossStep, loss, tokensPerSecond));
        }

        @Override
        public void close() {
            bar.close();
        }
    }

    private static final class Lines extends Progress {
        private final String task;
        private final long total;
        private final Consumer<String> out;
        private final long intervalNanos;
        private long lastPrint = System.nanoTime();
        private String last;
        private boolean unprinted;

        Lines(String task, long total, Consumer<String> out, long intervalMillis) {
            this.task = task;
            this.total = total;
            this.out = out;
            this.intervalNanos = intervalMillis * 1_000_000L;
        }

        @Override
        public void update(long done, long lossStep, double loss, double tokensPerSecond) {
            last = task + ": " + done + "/" + total + " steps, " + describe(lossStep, loss, tokensPerSecond);
            long now = System.nanoTime();
            unprinted = true;
            if (now - lastPrint >= intervalNanos) {
                out.accept(last);
                lastPrint = now;
                unprinted = false;
            }
        }

        @Override
        public void close() {
            if (unprinted) {
                out.accept(last);
            }
        }
    }
}
