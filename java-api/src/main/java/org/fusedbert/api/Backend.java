package org.fusedbert.api;

import java.lang.foreign.MemorySegment;

/**
 * Every operation the BERT model needs, forward and backward, on tensors in one backend's memory.
 *
 * <p>Conventions shared by all operations:
 * <ul>
 *   <li>Tensors are row-major and contiguous; {@code [N, H]} means N rows of H elements. A
 *       {@code [B, L, H]} tensor may be passed where {@code [B*L, H]} rows are expected, and back:
 *       a float32 "matrix" argument of rank &gt;= 2 is read as {@code [rows, cols]} with
 *       {@code cols} its last dimension and {@code rows} the product of the others.</li>
 *   <li>Outputs must not overlap inputs or each other unless the operation says so (for example
 *       {@link #biasActivation} may run in place).</li>
 *   <li>Outputs are passed in, preallocated, so a training step allocates nothing. Activation
 *       gradients are <b>overwritten</b>; parameter gradients (weights, biases, tables, gamma, beta)
 *       are <b>accumulated</b> ({@code +=}), so one {@link #fill} zeroes them once per step.</li>
 *   <li>Every operation checks shapes, dtypes and index ranges before it touches memory and throws
 *       {@link IllegalArgumentException} naming the operation, the argument, what was expected and
 *       what was found; {@link OpChecks} holds these checks so that all backends agree. Index checks
 *       on values that live in device memory (token ids, labels, lengths) are done by the CPU
 *       backend always and by devices where the values are host-visible.</li>
 *   <li>Operations may run asynchronously (devices); reading a tensor to the host waits.</li>
 * </ul>
 */
public interface Backend extends AutoCloseable {

    /** Short name for messages: {@code cpu}, {@code sim}, {@code cuda}, {@code jcuda}. */
    String name();

    // ------------------------------------------------------------------ memory

    /** A new zero-filled tensor that owns its memory. */
    Tensor allocate(DType dtype, int... shape);

    /** Copies {@code count} elements of {@code dtype} from host memory into {@code dst}. */
    void upload(MemorySegment src, DType dtype, long count, Tensor dst);

    /** Copies all of {@code src} into host memory {@code dst} (waits for pending work). */
    void download(Tensor src, MemorySegment dst);

    /**
     * Starts copying {@code src} to host memory without waiting for pending work: the copy takes its
     * place in the backend's order, so it reads what the operations issued before it wrote and
     * nothing issued after. Poll the result's {@link PendingRead#isDone()} (the CPU is done at
     * once); after {@link #synchronize()} every read issued before is done. Not inside a captured
     * graph: issue reads between its launches.
     */
    PendingRead readAsync(Tensor src);

    /** Sets every element to {@code value} (converted to the tensor's dtype). */
    void fill(Tensor t, double value);

    /** {@code dst = src} (same dtype and element count). */
    void copy(Tensor src, Tensor dst);

    /** {@code counter[0] += 1} for a one-element int32 tensor (step counters live in backend memory). */
    void increment(Tensor counter);

    /** Waits until all work issued so far has finished. */
    void synchronize();

    /**
     * Frees backend-wide resources. On the CPU, tensors the caller still owns stay valid (each has
     * its own arena); a device backend that owns its device (what {@code Backends.open} returns)
     * closes the device, which frees every tensor allocated on it: close tensors first, or use them
     * no longer.
     */
    @Override
    void close();

    // ------------------------------------------------------------------ embeddings

    /**
     * {@code out[b, l, :] = tokenTable[ids[b, l], :] + positionTable[l, :]}.
     *
     * @param ids           int32 [B, L], each in [0, V)
     * @param tokenTable    float32 [V, H]
     * @param positionTable float32 [Lmax, H] with Lmax &gt;= L
     * @param out           float32 [B, L, H]
     */
    void embeddingForward(Tensor ids, Tensor tokenTable, Tensor positionTable, Tensor out);

    /**
     * Scatter-adds {@code dOut} into the table gradients: {@code dTokenTable[ids[b,l]] += dOut[b,l]},
     * {@code dPositionTable[l] += dOut[b,l]}. Deterministic (a fixed summation order).
     *
     * @param ids            int32 [B, L]
     * @param dOut           float32 [B, L, H]
     * @param dTokenTable    float32 [V, H], accumulated
     * @param dPositionTable float32 [Lmax, H], accumulated
     */
    void embeddingBackward(Tensor ids, Tensor dOut, Tensor dTokenTable, Tensor dPositionTable);

    // ------------------------------------------------------------------ dense layers

    /**
     * {@code c = act(op(a) . op(b) + bias + (accumulate ? c : 0))} where {@code op} transposes a
     * matrix operand when asked. With {@code op(a)} [M, K] and {@code op(b)} [K, N], {@code c} is [M, N].
     * Operands of rank &gt; 2 are matrices of their leading dimensions' product by the last (so for
     * {@code x} [B, L, K], {@code op(x)} is [B*L, K], or [K, B*L] transposed).
     *
     * @param a          float32 [M, K], or [K, M] when {@code transposeA}
     * @param b          float32 [K, N], or [N, K] when {@code transposeB}
     * @param bias       float32 [N] added to every row, or {@code null}
     * @param activation applied last
     * @param accumulate add the product into {@code c} instead of overwriting it
     * @param c          float32 [M, N]
     */
    void matmul(Tensor a, boolean transposeA, Tensor b, boolean transposeB, Tensor bias,
                Activation activation, boolean accumulate, Tensor c);

    /** {@code c = a . b}. */
    default void matmul(Tensor a, Tensor b, Tensor c) {
        matmul(a, false, b, false, null, Activation.NONE, false, c);
    }

    /** {@code out = act(x + bias)} per row; {@code out} may be {@code x}. x, out: [M, N]; bias: [N], or {@code null} for none. */
    void biasActivation(Tensor x, Tensor bias, Activation activation, Tensor out);

    /** {@code dx = dy * (y > 0)}: the gradient through a ReLU whose output was {@code y}. {@code dx} may be {@code dy} (or {@code y}). */
    void reluBackward(Tensor y, Tensor dy, Tensor dx);

    /** {@code dBias (+)= sum over rows of dy}. dy: [M, N]; dBias: [N]. */
    void biasGradient(Tensor dy, Tensor dBias, boolean accumulate);

    /**
     * Gradients of {@code y = x . w + b} (no activation; apply {@link #reluBackward} to {@code dy}
     * first for a ReLU layer): {@code dx (+)= dy . w^T}, {@code dw += x^T . dy}, {@code db += colsum(dy)}.
     *
     * @param x            float32 [M, K]
     * @param w            float32 [K, N]
     * @param dy           float32 [M, N]
     * @param dx           float32 [M, K], or {@code null} when not needed (first layer, frozen input)
     * @param accumulateDx add into {@code dx} instead of overwriting it (a residual branch)
     * @param dw           float32 [K, N], accumulated
     * @param db           float32 [N], accumulated, or {@code null} for a layer without bias
     */
    default void linearBackward(Tensor x, Tensor w, Tensor dy, Tensor dx, boolean accumulateDx, Tensor dw, Tensor db) {
        OpChecks.linearBackward(this, x, w, dy, dx, accumulateDx, dw, db);
        if (dx != null) {
            matmul(dy, false, w, true, null, Activation.NONE, accumulateDx, dx);
        }
        matmul(x, true, dy, false, null, Activation.NONE, true, dw);
        if (db != null) {
            biasGradient(dy, db, true);
        }
    }

    // ------------------------------------------------------------------ attention

    /**
     * Multi-head attention core: per batch {@code b} and head {@code h},
     * {@code out = softmax(Q K^T * scale + mask) V}, where keys at positions {@code >= validLengths[b]}
     * are masked out. Q, K and V come packed from one projection: for E = heads * headDim, columns
     * {@code [0, E)} of {@code qkv} hold Q, {@code [E, 2E)} K and {@code [2E, 3E)} V, and head h uses
     * columns {@code [h*headDim, (h+1)*headDim)} of each. Every query row is computed, padded
     * positions included (they attend to the valid keys like the others). The CPU takes any head
     * dimension; a device backend has kernels for head dimensions 16, 32, 64 and 128 only and
     * rejects others (one line naming them), as it rejects layernorm rows wider than 6,144.
     *
     * @param qkv          float32 [B, L, 3E]
     * @param validLengths int32 [B], each in [1, L]; {@code null} attends to all L keys
     * @param heads        number of heads; E must divide by it
     * @param scale        multiplies the scores, usually {@code 1/sqrt(headDim)}; finite
     * @param out          float32 [B, L, E]
     * @param lse          float32 [B, heads, L]: each row's log-sum-exp of the scaled, masked scores, for the backward
     */
    void attentionForward(Tensor qkv, Tensor validLengths, int heads, float scale, Tensor out, Tensor lse);

    /**
     * Backward of {@link #attentionForward}: recomputes the probabilities from {@code lse}. Keys
     * and values at masked positions ({@code >= validLengths[b]}) get zero gradient.
     *
     * @param dOut  float32 [B, L, E]
     * @param delta float32 [B, heads, L] workspace, overwritten with rowsum(dOut * out)
     * @param dqkv  float32 [B, L, 3E], overwritten
     */
    void attentionBackward(Tensor qkv, Tensor validLengths, int heads, float scale, Tensor out, Tensor lse,
                           Tensor dOut, Tensor delta, Tensor dqkv);

    // ------------------------------------------------------------------ residual + dropout + layernorm

    /**
     * {@code s = residual + dropout(sublayer)}; {@code out = (s - mean(s)) * rstd * gamma + beta} per
     * row, with {@code rstd = 1 / sqrt(var(s) + eps)} (biased variance). Dropout's element index is
     * {@code r * H + c} over the {@code [N, H]} view, and in float32
     * {@code s = residual + sublayer * dropout.scale()} where kept, {@code s = residual} where
     * dropped. The outputs must not overlap the inputs: the backward reads them again.
     *
     * @param residual float32 [N, H]
     * @param sublayer float32 [N, H]
     * @param gamma    float32 [H]
     * @param beta     float32 [H]
     * @param eps      added to the variance (1e-6 in the seed); finite and &gt; 0
     * @param dropout  applied to {@code sublayer}; {@link Dropout#NONE} for inference
     * @param out      float32 [N, H]
     * @param mean     float32 [N], saved for the backward
     * @param rstd     float32 [N], saved for the backward
     */
    void addDropoutLayerNormForward(Tensor residual, Tensor sublayer, Tensor gamma, Tensor beta, float eps,
                                    Dropout dropout, Tensor out, Tensor mean, Tensor rstd);

    /**
     * Backward of {@link #addDropoutLayerNormForward}, regenerating the dropout mask.
     *
     * @param dResidual float32 [N, H], overwritten with dL/ds
     * @param dSublayer float32 [N, H], overwritten with dL/ds * dropout.scale() where kept, 0 where dropped
     * @param dGamma    float32 [H], accumulated (deterministic reduction)
     * @param dBeta     float32 [H], accumulated
     */
    void addDropoutLayerNormBackward(Tensor dOut, Tensor residual, Tensor sublayer, Tensor gamma, Tensor mean,
                                     Tensor rstd, Dropout dropout, Tensor dResidual, Tensor dSublayer,
                                     Tensor dGamma, Tensor dBeta);

    // ------------------------------------------------------------------ losses and heads

    /**
     * Masked softmax cross-entropy, fused with its gradient: for each row {@code r} with
     * {@code labels[r] != -1}, {@code loss_r = logsumexp(logits[r]) - logits[r, labels[r]]}; the mean
     * over the n labelled rows goes to {@code loss[0]} and {@code logits} is <b>overwritten</b> with
     * dLoss/dlogits = {@code (softmax - onehot) / n} (rows labelled -1 get zeros). n = 0 gives loss 0.
     *
     * @param logits  float32 [N, V] (any matrix view), replaced by its gradient
     * @param labels  int32 [N], each -1 or in [0, V)
     * @param loss    float32 [1]
     */
    void softmaxCrossEntropy(Tensor logits, Tensor labels, Tensor loss);

    /**
     * Global max pooling over the sequence: {@code out[b, h] = max_l x[b, l, h]}, and the first
     * position attaining it in {@code argmax}.
     *
     * @param x      float32 [B, L, H]
     * @param out    float32 [B, H]
     * @param argmax int32 [B, H]
     */
    void maxPoolForward(Tensor x, Tensor out, Tensor argmax);

    /** {@code dx[b, argmax[b,h], h] = dOut[b, h]}, zero elsewhere; dx [B, L, H] is overwritten; argmax each in [0, L). */
    void maxPoolBackward(Tensor dOut, Tensor argmax, Tensor dx);

    /**
     * Sigmoid + binary cross-entropy from logits, mean over the batch, with its gradient:
     * {@code probs = sigmoid(z)}, {@code loss[0] = mean(max(z,0) - z*y + log(1 + exp(-|z|)))},
     * {@code dLogits = (probs - y) / B}.
     *
     * @param logits  float32 [B] (or [B, 1])
     * @param labels  int32 [B], each 0 or 1
     * @param probs   float32 [B]
     * @param loss    float32 [1]
     * @param dLogits float32, the shape of {@code logits}, overwritten; may be {@code null} (evaluation)
     */
    void sigmoidBinaryCrossEntropy(Tensor logits, Tensor labels, Tensor probs, Tensor loss, Tensor dLogits);

    // ------------------------------------------------------------------ MLM data path

    /**
     * {@code lengths[b]} = 1 + the position of the last non-zero id of row b (at least 1), the key
     * extent attention uses.
     *
     * @param ids     int32 [B, L]
     * @param lengths int32 [B]
     */
    void sequenceLengths(Tensor ids, Tensor lengths);

    /**
     * Applies the {@link MaskingSpec} rule to a batch, drawing from (seed, position, step).
     *
     * @param ids         int32 [B, L], ids in [0, maskId]; the outputs must be other tensors
     * @param spec        the rule and its seed
     * @param stepCounter int32 [1], the draw's step (masks differ per step, hence per epoch)
     * @param maskedIds   int32 [B, L], the corrupted input
     * @param labels      int32 [B, L], the original id where selected, else -1
     */
    void mlmMask(Tensor ids, MaskingSpec spec, Tensor stepCounter, Tensor maskedIds, Tensor labels);

    /**
     * Gathers the rows whose label is not -1, in position order, so that only they are projected
     * to the vocabulary. Rows {@code [count, capacity)} of the outputs get zeros, label -1 and
     * index -1. Labelled rows beyond the capacity are not gathered (their label is lost); {@code
     * count[0]} receives the total number of labelled rows so the caller can detect that.
     *
     * @param hidden    float32 [N, H]
     * @param labels    int32 [N], each -1 or &gt;= 0
     * @param rows      float32 [C, H], C = capacity
     * @param rowLabels int32 [C]
     * @param rowIndex  int32 [C], the source row of each gathered row
     * @param count     int32 [1]
     */
    void gatherLabelledRows(Tensor hidden, Tensor labels, Tensor rows, Tensor rowLabels, Tensor rowIndex,
                            Tensor count);

    /**
     * Inverse of {@link #gatherLabelledRows} for gradients: {@code dHidden} is overwritten with
     * zeros, then {@code dHidden[rowIndex[i]] = dRows[i]} for each {@code rowIndex[i] != -1}
     * (each -1 or in [0, N); a repeated index keeps the last row).
     */
    void scatterRows(Tensor dRows, Tensor rowIndex, Tensor dHidden);

    /**
     * The number of gathered rows the host should process after {@link #gatherLabelledRows}: the
     * exact count clamped to the capacity where reading it costs nothing (host memory), else the
     * capacity itself, so that device code never waits on the host.
     */
    int rowsToProcess(Tensor count, int capacity);

    // ------------------------------------------------------------------ resident data

    /**
     * Gathers a batch from data resident in backend memory through an order that lives there too,
     * so a step reads no index from the host: {@code out[b, :] = source[order[(batchIndex[0] * B + b)
     * mod N], :]} for {@code b} in [0, B). The last batch of an epoch wraps around to the order's start.
     *
     * @param source     int32 [N, W]: N examples of W values (token ids, or labels as [N, 1])
     * @param order      int32 [N], each in [0, N): the epoch's permutation
     * @param batchIndex int32 [1], the batch's index within the epoch (at least 0)
     * @param out        int32 [B, W]
     */
    void gatherBatch(Tensor source, Tensor order, Tensor batchIndex, Tensor out);

    /**
     * Stores a step's values at the step's place in a history kept in backend memory, so they are
     * read back once for many steps: {@code history[batchIndex[0] * n + i] = values[i]} for {@code i}
     * in [0, n) where that index is below the history's length (the rest is dropped).
     *
     * @param values     float32 [n] (a loss: n = 1; a batch's probabilities: n = B)
     * @param batchIndex int32 [1], at least 0
     * @param history    float32 [M]
     */
    void storeBatch(Tensor values, Tensor batchIndex, Tensor history);

    // ------------------------------------------------------------------ optimizer

    /**
     * One fused Adam step over flat buffers ({@link AdamConfig}, which spells out the float32
     * arithmetic): increments {@code step[0]}, then updates every element of {@code params},
     * {@code m} and {@code v} from {@code grads}.
     *
     * @param params float32 [P]
     * @param grads  float32 [P]
     * @param m      float32 [P], first moment
     * @param v      float32 [P], second moment
     * @param step   int32 [1], the optimizer's step counter
     */
    void adamStep(Tensor params, Tensor grads, Tensor m, Tensor v, Tensor step, AdamConfig config);
}
