package org.fusedbert.api;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The argument checks of every {@link Backend} operation, one method per operation, so that every
 * backend rejects bad input identically (same conditions, same message
 * {@code "<op>: <argument> expected <what> but was <found>"}, see {@link Checks}).
 *
 * <p>Shape checks ({@code matmul}, {@code attentionForward}, ...) look only at tensor metadata and
 * run before an operation touches memory. Value checks ({@link #intRange}, {@link #labels}, ...)
 * read index values (token ids, labels, lengths) from host-readable memory; the CPU backend runs
 * them always, a device backend where the values are host-visible.
 *
 * <p>Conventions checked here: a "matrix" argument is float32 of rank &gt;= 2 and is read as
 * {@code [rows, cols]} with {@code cols} its last dimension and {@code rows} the product of the
 * others (so {@code [B, L, H]} passes as {@code [B*L, H]}); outputs must not overlap inputs or each
 * other unless the operation's Javadoc allows the very same tensor (for example
 * {@link Backend#biasActivation}'s {@code out} may be {@code x}).
 */
public final class OpChecks {
    private OpChecks() {
    }

    // ------------------------------------------------------------------ memory

    /** {@link Backend#allocate}. */
    public static void allocate(DType dtype, int... shape) {
        if (dtype == null) {
            throw Checks.fail("allocate", "dtype", "FLOAT32 or INT32", "null");
        }
        if (shape == null) {
            throw Checks.fail("allocate", "shape", "an array of dimensions", "null");
        }
        for (int d : shape) {
            if (d < 0) {
                throw Checks.fail("allocate", "shape", "dimensions >= 0", Arrays.toString(shape));
            }
        }
    }

    /** {@link Backend#upload}. */
    public static void upload(Backend backend, MemorySegment src, DType dtype, long count, Tensor dst) {
        String op = "upload";
        if (src == null) {
            throw Checks.fail(op, "src", "a memory segment", "null");
        }
        if (dtype == null) {
            throw Checks.fail(op, "dtype", "FLOAT32 or INT32", "null");
        }
        Checks.present(op, "dst", dst, backend, dtype);
        if (count != dst.numel()) {
            throw Checks.fail(op, "count", dst.numel() + " (the elements of dst " + Arrays.toString(dst.shape()) + ")",
                    count);
        }
        if (src.byteSize() < count * dtype.byteSize()) {
            throw Checks.fail(op, "src", "at least " + count * dtype.byteSize() + " bytes", src.byteSize() + " bytes");
        }
    }

    /** {@link Backend#download}. */
    public static void download(Backend backend, Tensor src, MemorySegment dst) {
        String op = "download";
        open(op, "src", src, backend);
        if (dst == null) {
            throw Checks.fail(op, "dst", "a memory segment", "null");
        }
        if (dst.isReadOnly()) {
            throw Checks.fail(op, "dst", "a writable segment", "read-only");
        }
        if (dst.byteSize() < src.byteSize()) {
            throw Checks.fail(op, "dst", "at least " + src.byteSize() + " bytes", dst.byteSize() + " bytes");
        }
    }

    /** {@link Backend#readAsync}. */
    public static void readAsync(Backend backend, Tensor src) {
        open("readAsync", "src", src, backend);
    }

    /** {@link Backend#fill}: an int32 tensor takes only integral values in its range. */
    public static void fill(Backend backend, Tensor t, double value) {
        open("fill", "t", t, backend);
        if (t.dtype() == DType.INT32
                && (value != Math.rint(value) || value < Integer.MIN_VALUE || value > Integer.MAX_VALUE)) {
            throw Checks.fail("fill", "value", "an integer in the int32 range (t is INT32)", value);
        }
    }

    /** {@link Backend#copy}. */
    public static void copy(Backend backend, Tensor src, Tensor dst) {
        open("copy", "src", src, backend);
        open("copy", "dst", dst, backend);
        if (dst.dtype() != src.dtype()) {
            throw Checks.fail("copy", "dst", src.dtype() + " (the dtype of src)", dst.dtype());
        }
        if (dst.numel() != src.numel()) {
            throw Checks.fail("copy", "dst", src.numel() + " elements (as src)", dst.numel());
        }
    }

    /** {@link Backend#increment}. */
    public static void increment(Backend backend, Tensor counter) {
        Checks.elements("increment", "counter", counter, backend, DType.INT32, 1);
    }

    // ------------------------------------------------------------------ embeddings

    /** {@link Backend#embeddingForward}. */
    public static void embeddingForward(Backend backend, Tensor ids, Tensor tokenTable, Tensor positionTable,
                                        Tensor out) {
        String op = "embeddingForward";
        embeddingTables(op, backend, ids, "tokenTable", tokenTable, "positionTable", positionTable);
        rowsOf(op, "out", out, backend, ids.numel(), tokenTable.dim(1));
        Checks.distinct(op, "tokenTable", tokenTable, "out", out);
        Checks.distinct(op, "positionTable", positionTable, "out", out);
        Checks.distinct(op, "ids", ids, "out", out);
    }

    /** {@link Backend#embeddingBackward}. */
    public static void embeddingBackward(Backend backend, Tensor ids, Tensor dOut, Tensor dTokenTable,
                                         Tensor dPositionTable) {
        String op = "embeddingBackward";
        embeddingTables(op, backend, ids, "dTokenTable", dTokenTable, "dPositionTable", dPositionTable);
        rowsOf(op, "dOut", dOut, backend, ids.numel(), dTokenTable.dim(1));
        Checks.distinct(op, "dOut", dOut, "dTokenTable", dTokenTable);
        Checks.distinct(op, "dOut", dOut, "dPositionTable", dPositionTable);
        Checks.distinct(op, "ids", ids, "dTokenTable", dTokenTable);
        Checks.distinct(op, "ids", ids, "dPositionTable", dPositionTable);
        Checks.distinct(op, "dTokenTable", dTokenTable, "dPositionTable", dPositionTable);
    }

    /** ids int32 [B, L]; a token table float32 [V, H]; a position table float32 [Lmax &gt;= L, H]. */
    private static void embeddingTables(String op, Backend backend, Tensor ids, String tokenArg, Tensor token,
                                        String positionArg, Tensor position) {
        Checks.present(op, "ids", ids, backend, DType.INT32);
        Checks.rank(op, "ids", ids, 2);
        Checks.present(op, tokenArg, token, backend, DType.FLOAT32);
        Checks.rank(op, tokenArg, token, 2);
        positionTable(op, positionArg, position, backend, ids.dim(1), token.dim(1));
    }

    private static void positionTable(String op, String arg, Tensor t, Backend backend, int l, int h) {
        Checks.present(op, arg, t, backend, DType.FLOAT32);
        Checks.rank(op, arg, t, 2);
        if (t.dim(0) < l) {
            throw Checks.fail(op, arg, "at least " + l + " rows (the sequence length)",
                    t.dim(0) + " (shape " + Arrays.toString(t.shape()) + ")");
        }
        if (t.dim(1) != h) {
            throw Checks.fail(op, arg, h + " columns (the hidden size)",
                    t.dim(1) + " (shape " + Arrays.toString(t.shape()) + ")");
        }
    }

    // ------------------------------------------------------------------ dense layers

    /** {@link Backend#matmul}. */
    public static void matmul(Backend backend, Tensor a, boolean transposeA, Tensor b, boolean transposeB,
                              Tensor bias, Activation activation, boolean accumulate, Tensor c) {
        String op = "matmul";
        long[] am = matrix(op, "a", a, backend);
        long[] bm = matrix(op, "b", b, backend);
        long m = transposeA ? am[1] : am[0];
        long k = transposeA ? am[0] : am[1];
        long kb = transposeB ? bm[1] : bm[0];
        long n = transposeB ? bm[0] : bm[1];
        if (kb != k) {
            throw Checks.fail(op, "b", k + (transposeB ? " columns" : " rows") + " (the inner dimension of op(a))",
                    kb + " (shape " + Arrays.toString(b.shape()) + (transposeB ? ", transposed)" : ")"));
        }
        if (activation == null) {
            throw Checks.fail(op, "activation", "NONE or RELU", "null");
        }
        intSize(op, "m", m);
        intSize(op, "n", n);
        intSize(op, "k", k);
        long[] cm = matrix(op, "c", c, backend);
        if (cm[0] != m || cm[1] != n) {
            throw Checks.fail(op, "c", "[" + m + ", " + n + "] (rows of op(a), columns of op(b))",
                    Arrays.toString(c.shape()));
        }
        if (bias != null) {
            Checks.elements(op, "bias", bias, backend, DType.FLOAT32, n);
            Checks.distinct(op, "bias", bias, "c", c);
        }
        Checks.distinct(op, "a", a, "c", c);
        Checks.distinct(op, "b", b, "c", c);
    }

    /** {@link Backend#biasActivation}. */
    public static void biasActivation(Backend backend, Tensor x, Tensor bias, Activation activation, Tensor out) {
        String op = "biasActivation";
        long[] xm = matrix(op, "x", x, backend);
        if (activation == null) {
            throw Checks.fail(op, "activation", "NONE or RELU", "null");
        }
        rowsOf(op, "out", out, backend, xm[0], xm[1]);
        sameOrDistinct(op, "x", x, "out", out);
        if (bias != null) {
            Checks.elements(op, "bias", bias, backend, DType.FLOAT32, xm[1]);
            Checks.distinct(op, "bias", bias, "out", out);
        }
    }

    /** {@link Backend#reluBackward}. */
    public static void reluBackward(Backend backend, Tensor y, Tensor dy, Tensor dx) {
        String op = "reluBackward";
        Checks.present(op, "y", y, backend, DType.FLOAT32);
        Checks.elements(op, "dy", dy, backend, DType.FLOAT32, y.numel());
        Checks.elements(op, "dx", dx, backend, DType.FLOAT32, y.numel());
        sameOrDistinct(op, "dy", dy, "dx", dx);
        sameOrDistinct(op, "y", y, "dx", dx);
    }

    /** {@link Backend#biasGradient}. */
    public static void biasGradient(Backend backend, Tensor dy, Tensor dBias, boolean accumulate) {
        String op = "biasGradient";
        long[] dym = matrix(op, "dy", dy, backend);
        Checks.elements(op, "dBias", dBias, backend, DType.FLOAT32, dym[1]);
        Checks.distinct(op, "dy", dy, "dBias", dBias);
    }

    /** {@link Backend#linearBackward}: all of it, so that nothing is written when any argument is bad. */
    public static void linearBackward(Backend backend, Tensor x, Tensor w, Tensor dy, Tensor dx, boolean accumulateDx,
                                      Tensor dw, Tensor db) {
        String op = "linearBackward";
        long[] xm = matrix(op, "x", x, backend);
        Checks.present(op, "w", w, backend, DType.FLOAT32);
        Checks.rank(op, "w", w, 2);
        long m = xm[0], k = xm[1], n = w.dim(1);
        if (w.dim(0) != k) {
            throw Checks.fail(op, "w", k + " rows (the columns of x)", w.dim(0) + " (shape " + Arrays.toString(w.shape())
                    + ")");
        }
        rowsOf(op, "dy", dy, backend, m, n);
        Checks.tensor(op, "dw", dw, backend, DType.FLOAT32, w.shape());
        Checks.distinct(op, "x", x, "dw", dw);
        Checks.distinct(op, "w", w, "dw", dw);
        Checks.distinct(op, "dy", dy, "dw", dw);
        if (dx != null) {
            rowsOf(op, "dx", dx, backend, m, k);
            Checks.distinct(op, "x", x, "dx", dx);
            Checks.distinct(op, "w", w, "dx", dx);
            Checks.distinct(op, "dy", dy, "dx", dx);
            Checks.distinct(op, "dw", dw, "dx", dx);
        }
        if (db != null) {
            Checks.elements(op, "db", db, backend, DType.FLOAT32, n);
            Checks.distinct(op, "dy", dy, "db", db);
            Checks.distinct(op, "dw", dw, "db", db);
            if (dx != null) {
                Checks.distinct(op, "dx", dx, "db", db);
            }
        }
    }

    // ------------------------------------------------------------------ attention

    /** {@link Backend#attentionForward}. */
    public static void attentionForward(Backend backend, Tensor qkv, Tensor validLengths, int heads, float scale,
                                        Tensor out, Tensor lse) {
        String op = "attentionForward";
        int[] ble = attentionShape(op, backend, qkv, validLengths, heads, scale);
        long b = ble[0], l = ble[1], e = ble[2];
        Checks.elements(op, "out", out, backend, DType.FLOAT32, b * l * e);
        Checks.elements(op, "lse", lse, backend, DType.FLOAT32, b * heads * l);
        Checks.distinct(op, "qkv", qkv, "out", out);
        Checks.distinct(op, "qkv", qkv, "lse", lse);
        Checks.distinct(op, "out", out, "lse", lse);
        if (validLengths != null) {
            Checks.distinct(op, "validLengths", validLengths, "out", out);
            Checks.distinct(op, "validLengths", validLengths, "lse", lse);
        }
    }

    /** {@link Backend#attentionBackward}. */
    public static void attentionBackward(Backend backend, Tensor qkv, Tensor validLengths, int heads, float scale,
                                         Tensor out, Tensor lse, Tensor dOut, Tensor delta, Tensor dqkv) {
        String op = "attentionBackward";
        int[] ble = attentionShape(op, backend, qkv, validLengths, heads, scale);
        long b = ble[0], l = ble[1], e = ble[2];
        Checks.elements(op, "out", out, backend, DType.FLOAT32, b * l * e);
        Checks.elements(op, "lse", lse, backend, DType.FLOAT32, b * heads * l);
        Checks.elements(op, "dOut", dOut, backend, DType.FLOAT32, b * l * e);
        Checks.elements(op, "delta", delta, backend, DType.FLOAT32, b * heads * l);
        Checks.elements(op, "dqkv", dqkv, backend, DType.FLOAT32, b * l * 3 * e);
        Tensor[] inputs = {qkv, validLengths, out, lse, dOut};
        String[] names = {"qkv", "validLengths", "out", "lse", "dOut"};
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i] != null) {
                Checks.distinct(op, names[i], inputs[i], "delta", delta);
                Checks.distinct(op, names[i], inputs[i], "dqkv", dqkv);
            }
        }
        Checks.distinct(op, "delta", delta, "dqkv", dqkv);
    }

    /** Checks qkv, validLengths, heads and scale; returns {B, L, E}. */
    private static int[] attentionShape(String op, Backend backend, Tensor qkv, Tensor validLengths, int heads,
                                        float scale) {
        Checks.present(op, "qkv", qkv, backend, DType.FLOAT32);
        Checks.rank(op, "qkv", qkv, 3);
        int b = qkv.dim(0), l = qkv.dim(1), threeE = qkv.dim(2);
        if (threeE == 0 || threeE % 3 != 0) {
            throw Checks.fail(op, "qkv", "a last dimension 3 * E with E > 0", Arrays.toString(qkv.shape()));
        }
        int e = threeE / 3;
        if (heads < 1 || e % heads != 0) {
            throw Checks.fail(op, "heads", "a positive divisor of E = " + e, heads);
        }
        if (!Float.isFinite(scale)) {
            throw Checks.fail(op, "scale", "a finite number", scale);
        }
        if (validLengths != null) {
            Checks.elements(op, "validLengths", validLengths, backend, DType.INT32, b);
        }
        return new int[] {b, l, e};
    }

    // ------------------------------------------------------------------ residual + dropout + layernorm

    /** {@link Backend#addDropoutLayerNormForward}. */
    public static void addDropoutLayerNormForward(Backend backend, Tensor residual, Tensor sublayer, Tensor gamma,
                                                  Tensor beta, float eps, Dropout dropout, Tensor out, Tensor mean,
                                                  Tensor rstd) {
        String op = "addDropoutLayerNormForward";
        long[] rm = matrix(op, "residual", residual, backend);
        long n = rm[0], h = rm[1];
        rowsOf(op, "sublayer", sublayer, backend, n, h);
        Checks.elements(op, "gamma", gamma, backend, DType.FLOAT32, h);
        Checks.elements(op, "beta", beta, backend, DType.FLOAT32, h);
        epsilon(op, eps);
        dropout(op, backend, dropout);
        rowsOf(op, "out", out, backend, n, h);
        Checks.elements(op, "mean", mean, backend, DType.FLOAT32, n);
        Checks.elements(op, "rstd", rstd, backend, DType.FLOAT32, n);
        Tensor[] inputs = {residual, sublayer, gamma, beta};
        String[] names = {"residual", "sublayer", "gamma", "beta"};
        distinctOutputs(op, inputs, names, new Tensor[] {out, mean, rstd}, new String[] {"out", "mean", "rstd"});
    }

    /** {@link Backend#addDropoutLayerNormBackward}. */
    public static void addDropoutLayerNormBackward(Backend backend, Tensor dOut, Tensor residual, Tensor sublayer,
                                                   Tensor gamma, Tensor mean, Tensor rstd, Dropout dropout,
                                                   Tensor dResidual, Tensor dSublayer, Tensor dGamma, Tensor dBeta) {
        String op = "addDropoutLayerNormBackward";
        long[] rm = matrix(op, "residual", residual, backend);
        long n = rm[0], h = rm[1];
        rowsOf(op, "dOut", dOut, backend, n, h);
        rowsOf(op, "sublayer", sublayer, backend, n, h);
        Checks.elements(op, "gamma", gamma, backend, DType.FLOAT32, h);
        Checks.elements(op, "mean", mean, backend, DType.FLOAT32, n);
        Checks.elements(op, "rstd", rstd, backend, DType.FLOAT32, n);
        dropout(op, backend, dropout);
        rowsOf(op, "dResidual", dResidual, backend, n, h);
        rowsOf(op, "dSublayer", dSublayer, backend, n, h);
        Checks.elements(op, "dGamma", dGamma, backend, DType.FLOAT32, h);
        Checks.elements(op, "dBeta", dBeta, backend, DType.FLOAT32, h);
        Tensor[] inputs = {dOut, residual, sublayer, gamma, mean, rstd};
        String[] names = {"dOut", "residual", "sublayer", "gamma", "mean", "rstd"};
        distinctOutputs(op, inputs, names, new Tensor[] {dResidual, dSublayer, dGamma, dBeta},
                new String[] {"dResidual", "dSublayer", "dGamma", "dBeta"});
    }

    private static void epsilon(String op, float eps) {
        if (!(eps > 0f) || !Float.isFinite(eps)) {
            throw Checks.fail(op, "eps", "a finite number > 0", eps);
        }
    }

    private static void dropout(String op, Backend backend, Dropout dropout) {
        if (dropout == null) {
            throw Checks.fail(op, "dropout", "a Dropout (Dropout.NONE for none)", "null");
        }
        if (dropout.active()) {
            Checks.elements(op, "dropout.stepCounter", dropout.stepCounter(), backend, DType.INT32, 1);
        }
    }

    // ------------------------------------------------------------------ losses and heads

    /** {@link Backend#softmaxCrossEntropy}. */
    public static void softmaxCrossEntropy(Backend backend, Tensor logits, Tensor labels, Tensor loss) {
        String op = "softmaxCrossEntropy";
        long[] lm = matrix(op, "logits", logits, backend);
        if (lm[1] == 0 && lm[0] > 0) {
            throw Checks.fail(op, "logits", "at least one column (class)", Arrays.toString(logits.shape()));
        }
        Checks.elements(op, "labels", labels, backend, DType.INT32, lm[0]);
        Checks.elements(op, "loss", loss, backend, DType.FLOAT32, 1);
        Checks.distinct(op, "logits", logits, "loss", loss);
        Checks.distinct(op, "labels", labels, "loss", loss);
        Checks.distinct(op, "labels", labels, "logits", logits);
    }

    /** {@link Backend#maxPoolForward}. */
    public static void maxPoolForward(Backend backend, Tensor x, Tensor out, Tensor argmax) {
        String op = "maxPoolForward";
        Checks.present(op, "x", x, backend, DType.FLOAT32);
        Checks.rank(op, "x", x, 3);
        if (x.dim(1) < 1) {
            throw Checks.fail(op, "x", "a sequence length >= 1", Arrays.toString(x.shape()));
        }
        long bh = (long) x.dim(0) * x.dim(2);
        Checks.elements(op, "out", out, backend, DType.FLOAT32, bh);
        Checks.elements(op, "argmax", argmax, backend, DType.INT32, bh);
        Checks.distinct(op, "x", x, "out", out);
        Checks.distinct(op, "x", x, "argmax", argmax);
        Checks.distinct(op, "out", out, "argmax", argmax);
    }

    /** {@link Backend#maxPoolBackward}. */
    public static void maxPoolBackward(Backend backend, Tensor dOut, Tensor argmax, Tensor dx) {
        String op = "maxPoolBackward";
        Checks.present(op, "dx", dx, backend, DType.FLOAT32);
        Checks.rank(op, "dx", dx, 3);
        long bh = (long) dx.dim(0) * dx.dim(2);
        Checks.elements(op, "dOut", dOut, backend, DType.FLOAT32, bh);
        Checks.elements(op, "argmax", argmax, backend, DType.INT32, bh);
        Checks.distinct(op, "dOut", dOut, "dx", dx);
        Checks.distinct(op, "argmax", argmax, "dx", dx);
    }

    /** {@link Backend#sigmoidBinaryCrossEntropy}. */
    public static void sigmoidBinaryCrossEntropy(Backend backend, Tensor logits, Tensor labels, Tensor probs,
                                                 Tensor loss, Tensor dLogits) {
        String op = "sigmoidBinaryCrossEntropy";
        Checks.present(op, "logits", logits, backend, DType.FLOAT32);
        if (!(logits.rank() == 1 || (logits.rank() == 2 && logits.dim(1) == 1))) {
            throw Checks.fail(op, "logits", "shape [B] or [B, 1]", Arrays.toString(logits.shape()));
        }
        long b = logits.numel();
        Checks.elements(op, "labels", labels, backend, DType.INT32, b);
        Checks.elements(op, "probs", probs, backend, DType.FLOAT32, b);
        Checks.elements(op, "loss", loss, backend, DType.FLOAT32, 1);
        Tensor[] inputs = {logits, labels};
        String[] names = {"logits", "labels"};
        if (dLogits != null) {
            Checks.tensor(op, "dLogits", dLogits, backend, DType.FLOAT32, logits.shape());
            distinctOutputs(op, inputs, names, new Tensor[] {probs, loss, dLogits},
                    new String[] {"probs", "loss", "dLogits"});
        } else {
            distinctOutputs(op, inputs, names, new Tensor[] {probs, loss}, new String[] {"probs", "loss"});
        }
    }

    // ------------------------------------------------------------------ MLM data path

    /** {@link Backend#sequenceLengths}. */
    public static void sequenceLengths(Backend backend, Tensor ids, Tensor lengths) {
        String op = "sequenceLengths";
        Checks.present(op, "ids", ids, backend, DType.INT32);
        Checks.rank(op, "ids", ids, 2);
        if (ids.dim(1) < 1) {
            throw Checks.fail(op, "ids", "a sequence length >= 1", Arrays.toString(ids.shape()));
        }
        Checks.elements(op, "lengths", lengths, backend, DType.INT32, ids.dim(0));
        Checks.distinct(op, "ids", ids, "lengths", lengths);
    }

    /** {@link Backend#mlmMask}. */
    public static void mlmMask(Backend backend, Tensor ids, MaskingSpec spec, Tensor stepCounter, Tensor maskedIds,
                               Tensor labels) {
        String op = "mlmMask";
        Checks.present(op, "ids", ids, backend, DType.INT32);
        Checks.rank(op, "ids", ids, 2);
        if (spec == null) {
            throw Checks.fail(op, "spec", "a MaskingSpec", "null");
        }
        Checks.elements(op, "stepCounter", stepCounter, backend, DType.INT32, 1);
        Checks.elements(op, "maskedIds", maskedIds, backend, DType.INT32, ids.numel());
        Checks.elements(op, "labels", labels, backend, DType.INT32, ids.numel());
        distinctOutputs(op, new Tensor[] {ids, stepCounter}, new String[] {"ids", "stepCounter"},
                new Tensor[] {maskedIds, labels}, new String[] {"maskedIds", "labels"});
    }

    /** {@link Backend#gatherLabelledRows}. */
    public static void gatherLabelledRows(Backend backend, Tensor hidden, Tensor labels, Tensor rows,
                                          Tensor rowLabels, Tensor rowIndex, Tensor count) {
        String op = "gatherLabelledRows";
        long[] hm = matrix(op, "hidden", hidden, backend);
        Checks.elements(op, "labels", labels, backend, DType.INT32, hm[0]);
        long[] rm = matrix(op, "rows", rows, backend);
        if (rm[1] != hm[1]) {
            throw Checks.fail(op, "rows", hm[1] + " columns (as hidden)", Arrays.toString(rows.shape()));
        }
        Checks.elements(op, "rowLabels", rowLabels, backend, DType.INT32, rm[0]);
        Checks.elements(op, "rowIndex", rowIndex, backend, DType.INT32, rm[0]);
        Checks.elements(op, "count", count, backend, DType.INT32, 1);
        distinctOutputs(op, new Tensor[] {hidden, labels}, new String[] {"hidden", "labels"},
                new Tensor[] {rows, rowLabels, rowIndex, count}, new String[] {"rows", "rowLabels", "rowIndex", "count"});
    }

    /** {@link Backend#scatterRows}. */
    public static void scatterRows(Backend backend, Tensor dRows, Tensor rowIndex, Tensor dHidden) {
        String op = "scatterRows";
        long[] rm = matrix(op, "dRows", dRows, backend);
        Checks.elements(op, "rowIndex", rowIndex, backend, DType.INT32, rm[0]);
        long[] hm = matrix(op, "dHidden", dHidden, backend);
        if (hm[1] != rm[1]) {
            throw Checks.fail(op, "dHidden", rm[1] + " columns (as dRows)", Arrays.toString(dHidden.shape()));
        }
        Checks.distinct(op, "dRows", dRows, "dHidden", dHidden);
        Checks.distinct(op, "rowIndex", rowIndex, "dHidden", dHidden);
    }

    /** {@link Backend#rowsToProcess}. */
    public static void rowsToProcess(Backend backend, Tensor count, int capacity) {
        Checks.elements("rowsToProcess", "count", count, backend, DType.INT32, 1);
        if (capacity < 0) {
            throw Checks.fail("rowsToProcess", "capacity", ">= 0", capacity);
        }
    }

    // ------------------------------------------------------------------ resident data

    /** {@link Backend#gatherBatch}. */
    public static void gatherBatch(Backend backend, Tensor source, Tensor order, Tensor batchIndex, Tensor out) {
        String op = "gatherBatch";
        Checks.present(op, "source", source, backend, DType.INT32);
        Checks.rank(op, "source", source, 2);
        if (source.dim(0) < 1) {
            throw Checks.fail(op, "source", "at least one row", Arrays.toString(source.shape()));
        }
        Checks.elements(op, "order", order, backend, DType.INT32, source.dim(0));
        Checks.elements(op, "batchIndex", batchIndex, backend, DType.INT32, 1);
        Checks.present(op, "out", out, backend, DType.INT32);
        Checks.rank(op, "out", out, 2);
        if (out.dim(1) != source.dim(1)) {
            throw Checks.fail(op, "out", source.dim(1) + " columns (as source)", Arrays.toString(out.shape()));
        }
        distinctOutputs(op, new Tensor[] {source, order, batchIndex}, new String[] {"source", "order", "batchIndex"},
                new Tensor[] {out}, new String[] {"out"});
    }

    /** {@link Backend#storeBatch}. */
    public static void storeBatch(Backend backend, Tensor values, Tensor batchIndex, Tensor history) {
        String op = "storeBatch";
        Checks.present(op, "values", values, backend, DType.FLOAT32);
        Checks.elements(op, "batchIndex", batchIndex, backend, DType.INT32, 1);
        Checks.present(op, "history", history, backend, DType.FLOAT32);
        Checks.distinct(op, "values", values, "history", history);
        Checks.distinct(op, "batchIndex", batchIndex, "history", history);
    }

    // ------------------------------------------------------------------ optimizer

    /** {@link Backend#adamStep}. */
    public static void adamStep(Backend backend, Tensor params, Tensor grads, Tensor m, Tensor v, Tensor step,
                                AdamConfig config) {
        String op = "adamStep";
        Checks.present(op, "params", params, backend, DType.FLOAT32);
        long p = params.numel();
        Checks.elements(op, "grads", grads, backend, DType.FLOAT32, p);
        Checks.elements(op, "m", m, backend, DType.FLOAT32, p);
        Checks.elements(op, "v", v, backend, DType.FLOAT32, p);
        Checks.elements(op, "step", step, backend, DType.INT32, 1);
        if (config == null) {
            throw Checks.fail(op, "config", "an AdamConfig", "null");
        }
        Tensor[] all = {params, grads, m, v, step};
        String[] names = {"params", "grads", "m", "v", "step"};
        for (int i = 0; i < all.length; i++) {
            for (int j = i + 1; j < all.length; j++) {
                Checks.distinct(op, names[i], all[i], names[j], all[j]);
            }
        }
    }

    // ------------------------------------------------------------------ value checks (host-readable memory)

    /**
     * Each of the {@code count} int32 values in {@code values} is in {@code [lo, hi]}; the first
     * offender is named by index, e.g. {@code "embeddingForward: ids[17] expected a value in [0, 99]
     * but was 100"}.
     */
    public static void intRange(String op, String arg, MemorySegment values, long count, long lo, long hi) {
        for (long i = 0; i < count; i++) {
            int x = values.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i);
            if (x < lo || x > hi) {
                throw Checks.fail(op, arg + "[" + i + "]", "a value in [" + lo + ", " + hi + "]", x);
            }
        }
    }

    /** Token ids: each in {@code [0, vocab)}. */
    public static void tokenIds(String op, String arg, MemorySegment ids, long count, int vocab) {
        intRange(op, arg, ids, count, 0, (long) vocab - 1);
    }

    /** Class labels: each -1 (ignored) or in {@code [0, classes)}. */
    public static void labels(String op, String arg, MemorySegment labels, long count, int classes) {
        for (long i = 0; i < count; i++) {
            int x = labels.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i);
            if (x != -1 && (x < 0 || x >= classes)) {
                throw Checks.fail(op, arg + "[" + i + "]", "-1 or a value in [0, " + ((long) classes - 1) + "]", x);
            }
        }
    }

    /** Sequence lengths: each in {@code [1, maxLength]}. */
    public static void validLengths(String op, String arg, MemorySegment lengths, long count, int maxLength) {
        intRange(op, arg, lengths, count, 1, maxLength);
    }

    /** Binary labels: each 0 or 1. */
    public static void binaryLabels(String op, String arg, MemorySegment labels, long count) {
        intRange(op, arg, labels, count, 0, 1);
    }

    // ------------------------------------------------------------------ helpers

    /** Non-null, open, of {@code backend} (any dtype). */
    private static void open(String op, String arg, Tensor t, Backend backend) {
        if (t == null) {
            throw Checks.fail(op, arg, "a tensor", "null");
        }
        Checks.present(op, arg, t, backend, t.dtype());
    }

    /** A float32 tensor of rank &gt;= 2 read as {@code [rows, cols]}; returns {rows, cols}. */
    private static long[] matrix(String op, String arg, Tensor t, Backend backend) {
        Checks.present(op, arg, t, backend, DType.FLOAT32);
        if (t.rank() < 2) {
            throw Checks.fail(op, arg, "at least 2 dimensions", t.rank() + " (shape " + Arrays.toString(t.shape()) + ")");
        }
        return new long[] {t.rows(), t.dim(-1)};
    }

    /** A float32 tensor of rank &gt;= 1 holding {@code rows} rows of {@code cols} (its last dimension). */
    private static void rowsOf(String op, String arg, Tensor t, Backend backend, long rows, long cols) {
        Checks.present(op, arg, t, backend, DType.FLOAT32);
        if (t.rank() < 1 || t.dim(-1) != cols || t.numel() != rows * cols) {
            throw Checks.fail(op, arg, rows + " rows of " + cols + " (e.g. [" + rows + ", " + cols + "])",
                    Arrays.toString(t.shape()));
        }
    }

    private static void intSize(String op, String arg, long size) {
        if (size > Integer.MAX_VALUE) {
            throw Checks.fail(op, arg, "at most " + Integer.MAX_VALUE, size);
        }
    }

    /** The same tensor region (an in-place operation), or disjoint memory. */
    private static void sameOrDistinct(String op, String argA, Tensor a, String argB, Tensor b) {
        if (a.storage() == b.storage() && a.byteOffset() == b.byteOffset() && a.byteSize() == b.byteSize()) {
            return;
        }
        Checks.distinct(op, argA, a, argB, b);
    }

    /** Every output is disjoint from every input and from the other outputs. */
    private static void distinctOutputs(String op, Tensor[] inputs, String[] inputNames, Tensor[] outputs,
                                        String[] outputNames) {
        for (int o = 0; o < outputs.length; o++) {
            for (int i = 0; i < inputs.length; i++) {
                Checks.distinct(op, inputNames[i], inputs[i], outputNames[o], outputs[o]);
            }
            for (int p = o + 1; p < outputs.length; p++) {
                Checks.distinct(op, outputNames[o], outputs[o], outputNames[p], outputs[p]);
            }
        }
    }
}
