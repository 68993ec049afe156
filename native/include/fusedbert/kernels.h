// fusedbert/kernels.h — the kernel ABI: every entry point of fusedbert.fatbin, declared and
// documented once. The Java launch classes (org.fusedbert.device.kernels) pack arguments in exactly the
// order declared here; the CPU simulator builds its kernel registry from FB_KERNEL_LIST below.
//
// Conventions (see docs/ARCHITECTURE.md, "Kernel source conventions"):
//  - Names: fb_<family>_<what>, one family per native/kernels/<family>.cu, whose sections below
//    follow the same order as FB_KERNEL_LIST.
//  - Declaration: extern "C" __global__ void fb_<family>_<what>(...); the definition in the .cu
//    repeats the signature exactly (include this header there, so the compiler checks it).
//  - Parameter types: only what KernelArgs packs — pointers to device memory ('p'), int or
//    unsigned int ('i'), float ('f'), long long / unsigned long long ('l'). The simulator
//    derives each kernel's signature string from these types and rejects a launch whose
//    KernelArgs.signature() differs; any other parameter type fails the simulator's build.
//  - Documentation, per kernel, in this shape:
//      /**
//       * One sentence: what it computes.
//       * Launch: grid (..), block (..), dynamic shared memory (.. bytes).
//       * @param name  [shape] dtype, layout; read / written / read-written
//       * ...
//       * Spills: only where ptxas reports spill bytes, one line saying why.
//       */
//  - List each kernel once in FB_KERNEL_LIST as X(fb_<family>_<what>) \ (one line per kernel,
//    grouped by family, in the order of the sections).
#ifndef FUSEDBERT_KERNELS_H
#define FUSEDBERT_KERNELS_H

#include "fb_device.cuh"

// ==== kernel families: one section each (attention, layernorm, cross_entropy, embedding, adam,
// ==== masking, ...), added by the .cu that defines them ====

// ---- attention (native/kernels/attention.cu) -------------------------------------------------
// FlashAttention-style fused multi-head attention in fp32: the L x L scores live only in
// registers, K/V (or Q/dO) stream through shared memory in tiles. Shared by every kernel below:
//  - B sequences (grid z) of L = seq_len positions, `heads` heads (grid y) of D = head dim each,
//    E = heads * D. D is 16, 32, 64 or 128: one entry point per D (suffix _d<D>).
//  - qkv [B, L, 3E] float32 row-major: row (b, l) holds Q in columns [0, E), K in [E, 2E) and V
//    in [2E, 3E); head h uses columns [h*D, (h+1)*D) of each. out and d_out [B, L, E] likewise
//    (head h in columns [h*D, (h+1)*D)); dqkv [B, L, 3E] like qkv.
//  - lse, delta [B, heads, L] float32: element (b, h, l) at (b * heads + h) * L + l.
//  - valid_lengths int32 [B], or null for all L: keys at positions >= valid_lengths[b] (clamped
//    to [0, L]) are masked out. Query rows are never masked: every row of out is written. A
//    sequence with no valid key gets out 0, lse -inf and zero gradients.
//  - scale multiplies the scores (usually 1/sqrt(D)); lse is in natural-log units of the scaled,
//    masked scores: lse = log(sum_j exp(scale * q.k_j)).
//  - Pointers 16-byte aligned use float4 accesses, others scalar ones (same results, slower).
//  - Launch: grid (ceil(L / ROWS), heads, B), block (THREADS), dynamic shared memory SHARED
//    bytes, with ROWS, THREADS, TILE and SHARED per kernel in FB_ATTENTION_GEOMETRY below. ROWS is
//    the rows of L a block owns (queries; keys in backward_dkdv), TILE the rows per shared-memory
//    tile of the streamed operand. SHARED is at most 110592 (108 KiB: over 48 KiB needs the
//    opt-in attribute; within sm_80's 163 KiB limit).
//  - Backward order: backward_delta, then backward_dkdv and backward_dq (either order; together
//    they overwrite all of dqkv). No atomics: the results are deterministic.

// The launch geometry of every attention kernel but backward_delta, one line each:
// X(kind, D, ROWS, THREADS, TILE, SHARED) for the kernel fb_attention_<kind>_d<D>. attention.cu checks
// its tile shapes against these lines at compile time, and AttentionKernelsTest checks the Java
// launch class against them, so a retuned shape cannot launch with a stale geometry.
#define FB_ATTENTION_GEOMETRY(X)                 \
  X(forward, 16, 128, 64, 64, 8192)              \
  X(forward, 32, 128, 64, 32, 8192)              \
  X(forward, 64, 128, 128, 64, 32768)            \
  X(forward, 128, 64, 128, 32, 32768)            \
  X(backward_dkdv, 16, 64, 64, 32, 4096)         \
  X(backward_dkdv, 32, 64, 64, 32, 8192)         \
  X(backward_dkdv, 64, 64, 128, 64, 104448)      \
  X(backward_dkdv, 128, 32, 128, 64, 110592)     \
  X(backward_dq, 16, 64, 64, 64, 8192)           \
  X(backward_dq, 32, 64, 64, 64, 16384)          \
  X(backward_dq, 64, 64, 128, 64, 86016)         \
  X(backward_dq, 128, 64, 128, 32, 108544)      \
  X(backward_dkdv_tf32, 64, 64, 128, 64, 104448) \
  X(backward_dq_tf32, 64, 64, 128, 64, 104448)

/**
 * Forward: out = softmax(scale * Q K^T + mask) V per (b, h), and each row's log-sum-exp.
 * Launch: see the attention section and FB_ATTENTION_GEOMETRY.
 * @param qkv            [B, L, 3E] float32; read
 * @param valid_lengths  [B] int32 or null; read
 * @param out            [B, L, E] float32; written (head h's columns)
 * @param lse            [B, heads, L] float32; written
 * @param seq_len        L >= 1
 * @param heads          number of heads (E = heads * D)
 * @param scale          score multiplier
 */
extern "C" __global__ void fb_attention_forward_d16(const float* qkv, const int* valid_lengths, float* out,
                                                    float* lse, int seq_len, int heads, float scale);
extern "C" __global__ void fb_attention_forward_d32(const float* qkv, const int* valid_lengths, float* out,
                                                    float* lse, int seq_len, int heads, float scale);
extern "C" __global__ void fb_attention_forward_d64(const float* qkv, const int* valid_lengths, float* out,
                                                    float* lse, int seq_len, int heads, float scale);
extern "C" __global__ void fb_attention_forward_d128(const float* qkv, const int* valid_lengths, float* out,
                                                     float* lse, int seq_len, int heads, float scale);

/**
 * Backward preprocessing: delta[b, h, l] = sum_c d_out[b, l, h*D + c] * out[b, l, h*D + c].
 * Launch: grid (ceil(rows * heads * D/4 / 256)), block (256), no dynamic shared memory; D/4
 * consecutive lanes share one (row, head), a float4 each.
 * @param out       [B, L, E] float32, the forward's output; read
 * @param d_out     [B, L, E] float32; read
 * @param delta     [B, heads, L] float32; written
 * @param rows      B * L
 * @param seq_len   L
 * @param heads     number of heads
 * @param head_dim  D: 16, 32, 64 or 128
 */
extern "C" __global__ void fb_attention_backward_delta(const float* out, const float* d_out, float* delta,
                                                       int rows, int seq_len, int heads, int head_dim);

/**
 * Backward, key side: with p = exp(scale * q_i.k_j - lse_i) recomputed from lse,
 * dV_j = sum_i p_ij dO_i and dK_j = scale * sum_i p_ij (dO_i.v_j - delta_i) q_i; a block owns ROWS
 * keys of one (b, h) and streams every query row past them. Masked keys get zero gradients.
 * Launch: see the attention section and FB_ATTENTION_GEOMETRY.
 * @param qkv            [B, L, 3E] float32, the forward's input; read
 * @param valid_lengths  [B] int32 or null; read
 * @param d_out          [B, L, E] float32; read
 * @param lse            [B, heads, L] float32 from the forward; read
 * @param delta          [B, heads, L] float32 from fb_attention_backward_delta; read
 * @param dqkv           [B, L, 3E] float32; columns [E, 3E) written (head h's dK and dV columns)
 * @param seq_len        L >= 1
 * @param heads          number of heads
 * @param scale          the forward's score multiplier
 */
extern "C" __global__ void fb_attention_backward_dkdv_d16(const float* qkv, const int* valid_lengths,
                                                          const float* d_out, const float* lse, const float* delta,
                                                          float* dqkv, int seq_len, int heads, float scale);
extern "C" __global__ void fb_attention_backward_dkdv_d32(const float* qkv, const int* valid_lengths,
                                                          const float* d_out, const float* lse, const float* delta,
                                                          float* dqkv, int seq_len, int heads, float scale);
extern "C" __global__ void fb_attention_backward_dkdv_d64(const float* qkv, const int* valid_lengths,
                                                          const float* d_out, const float* lse, const float* delta,
                                                          float* dqkv, int seq_len, int heads, float scale);
extern "C" __global__ void fb_attention_backward_dkdv_d128(const float* qkv, const int* valid_lengths,
                                                           const float* d_out, const float* lse, const float* delta,
                                                           float* dqkv, int seq_len, int heads, float scale);

/**
 * Backward, query side: dQ_i = scale * sum_j p_ij (dO_i.v_j - delta_i) k_j over the valid keys; a
 * block owns ROWS query rows of one (b, h) and streams the keys and values past them.
 * Launch: see the attention section and FB_ATTENTION_GEOMETRY.
 * @param qkv            [B, L, 3E] float32; read
 * @param valid_lengths  [B] int32 or null; read
 * @param d_out          [B, L, E] float32; read
 * @param lse            [B, heads, L] float32; read
 * @param delta          [B, heads, L] float32; read
 * @param dqkv           [B, L, 3E] float32; columns [0, E) written (head h's dQ columns)
 * @param seq_len        L >= 1
 * @param heads          number of heads
 * @param scale          the forward's score multiplier
 */
extern "C" __global__ void fb_attention_backward_dq_d16(const float* qkv, const int* valid_lengths,
                                                        const float* d_out, const float* lse, const float* delta,
                                                        float* dqkv, int seq_len, int heads, float scale);
extern "C" __global__ void fb_attention_backward_dq_d32(const float* qkv, const int* valid_lengths,
                                                        const float* d_out, const float* lse, const float* delta,
                                                        float* dqkv, int seq_len, int heads, float scale);
extern "C" __global__ void fb_attention_backward_dq_d64(const float* qkv, const int* valid_lengths,
                                                        const float* d_out, const float* lse, const float* delta,
                                                        float* dqkv, int seq_len, int heads, float scale);
extern "C" __global__ void fb_attention_backward_dq_d128(const float* qkv, const int* valid_lengths,
                                                         const float* d_out, const float* lse, const float* delta,
                                                         float* dqkv, int seq_len, int heads, float scale);

/**
 * Backward on the TF32 tensor cores, for callers whose GEMMs run in TF32: the same contract and
 * outputs as backward_dkdv / backward_dq of the same D (deterministic too), with every product's
 * inputs (Q, K, V, dO, P, dS) rounded to TF32 (10-bit mantissa) and accumulated in fp32, so
 * results differ from the fp32 kernels by about 1e-3 relative. Launch: see the attention section
 * and FB_ATTENTION_GEOMETRY (kinds backward_dkdv_tf32, backward_dq_tf32). Needs sm_80 or newer.
 */
extern "C" __global__ void fb_attention_backward_dkdv_tf32_d64(const float* qkv, const int* valid_lengths,
                                                               const float* d_out, const float* lse,
                                                               const float* delta, float* dqkv, int seq_len,
                                                               int heads, float scale);
extern "C" __global__ void fb_attention_backward_dq_tf32_d64(const float* qkv, const int* valid_lengths,
                                                             const float* d_out, const float* lse, const float* delta,
                                                             float* dqkv, int seq_len, int heads, float scale);

// Common to the families below: tensors are row-major and contiguous; [N, H] is N rows of H.
// Kernels do not range-check values read from device memory (token ids, labels): where such a
// value could address memory, the kernel skips it instead (each kernel says how), so a bad value
// gives a wrong element, never an access outside the tensors. Every kernel compiles for sm_80
// and sm_90 with 0 spill bytes (ptxas report: java-api/target/native-build/ptxas-report.txt).

// ---- layernorm.cu: residual add + inverted dropout + layernorm --------------------------------
// s = residual + dropout(sublayer); out = (s - mean(s)) * rstd * gamma + beta with
// rstd = 1 / sqrt(var(s) + eps) (biased variance). Dropout keeps element e = row * H + col when
// Philox.uniform(seed, e, site, step[0], DOMAIN_DROPOUT) >= rate (org.fusedbert.api.Dropout) and
// multiplies it by 1 / (1 - rate); the backward regenerates the mask, nothing is stored.
// The float4 variants _v4x<C> (C = 1..8) need H % 4 == 0, H <= 128 * C and every pointer 16-byte
// aligned: each lane holds C float4 of a row in registers (the launch takes C = ceil(H / 128)).
// The plain variants serve any H (odd, unaligned, or > 1024) with the row cached in dynamic
// shared memory.
#define FB_LAYERNORM_FORWARD_PARAMS                                                                  \
  const float *residual, const float *sublayer, const float *gamma, const float *beta, float *out,    \
      float *mean, float *rstd, int rows, int hidden, float eps, float dropoutRate,                    \
      unsigned long long seed, int site, const int *step
/**
 * Forward, float4 registers: one warp per row.
 * Launch: grid (ceil(rows / 8)), block (256), dynamic shared memory 0.
 * @param residual  [rows, hidden] float32; read
 * @param sublayer  [rows, hidden] float32; read (dropout applies to it)
 * @param gamma     [hidden] float32; read
 * @param beta      [hidden] float32; read
 * @param out       [rows, hidden] float32; written
 * @param mean      [rows] float32; written (saved for the backward)
 * @param rstd      [rows] float32; written (saved for the backward)
 * @param eps       added to the variance
 * @param dropoutRate  in [0, 1); 0 disables dropout (then step may be null)
 * @param seed, site   the Dropout's seed and site
 * @param step      [1] int32, the step counter; read
 */
extern "C" __global__ void fb_layernorm_forward_v4x1(FB_LAYERNORM_FORWARD_PARAMS);
extern "C" __global__ void fb_layernorm_forward_v4x2(FB_LAYERNORM_FORWARD_PARAMS);
extern "C" __global__ void fb_layernorm_forward_v4x3(FB_LAYERNORM_FORWARD_PARAMS);
extern "C" __global__ void fb_layernorm_forward_v4x4(FB_LAYERNORM_FORWARD_PARAMS);
extern "C" __global__ void fb_layernorm_forward_v4x5(FB_LAYERNORM_FORWARD_PARAMS);
extern "C" __global__ void fb_layernorm_forward_v4x6(FB_LAYERNORM_FORWARD_PARAMS);
extern "C" __global__ void fb_layernorm_forward_v4x7(FB_LAYERNORM_FORWARD_PARAMS);
extern "C" __global__ void fb_layernorm_forward_v4x8(FB_LAYERNORM_FORWARD_PARAMS);
/**
 * Forward, any hidden size: one warp per row, W rows per block, s cached in shared memory.
 * Launch: grid (ceil(rows / W)), block (32 * W), dynamic shared memory W * hidden * 4 bytes.
 * Parameters as fb_layernorm_forward_v4x*.
 */
extern "C" __global__ void fb_layernorm_forward(FB_LAYERNORM_FORWARD_PARAMS);

// The float4 backward's launch geometry, one line per kernel fb_layernorm_backward_v4x<CHUNKS>:
// X(CHUNKS, ROWS, WARPS, MIN_BLOCKS): blocks of 32 * WARPS threads, each warp taking ROWS rows
// per step; grid G = min(ceil(rows / (WARPS * ROWS)), multiprocessors * MIN_BLOCKS), MIN_BLOCKS
// being also the kernel's __launch_bounds__ minimum (so that grid is resident at once). layernorm.cu
// defines the entry points from these lines; LayerNormKernelsTest checks the launch class.
#define FB_LAYERNORM_BACKWARD_GEOMETRY(X) \
  X(1, 4, 4, 4)                           \
  X(2, 2, 4, 4)                           \
  X(3, 2, 4, 3)                           \
  X(4, 1, 4, 4)                           \
  X(5, 1, 4, 3)                           \
  X(6, 1, 4, 3)                           \
  X(7, 1, 4, 2)                           \
  X(8, 1, 4, 2)

#define FB_LAYERNORM_BACKWARD_PARAMS                                                                 \
  const float *dOut, const float *residual, const float *sublayer, const float *gamma, const float *mean, \
      const float *rstd, float *dResidual, float *dSublayer, float *partials, float *dGamma, float *dBeta, \
      int rows, int hidden, float dropoutRate, unsigned long long seed, int site, const int *step
/**
 * Backward, float4 registers: with xhat = (s - mean) * rstd and g = dOut * gamma,
 * dResidual = ds = rstd * (g - mean(g) - xhat * mean(g * xhat)), dSublayer = ds * mask / (1 - rate);
 * dGamma += sum over rows of dOut * xhat, dBeta += sum of dOut, without float atomics: each warp
 * keeps its rows' column sums in registers, each block adds its warps' sums in warp order; a
 * one-block grid adds straight into dGamma/dBeta, a larger grid G writes partials[b][0, H)
 * (dGamma) and [H, 2H) (dBeta), which fb_layernorm_backward_finish then adds in a fixed order.
 * Rows go to warps by a fixed rule: grid warp w = blockIdx.x * WARPS + warp takes rows
 * w + k * G * WARPS, k = 0, 1, ... (ROWS consecutive k per step).
 * Launch: FB_LAYERNORM_BACKWARD_GEOMETRY: grid (G), block (32 * WARPS),
 *         dynamic shared memory WARPS * 2 * hidden * 4 bytes.
 * @param dOut      [rows, hidden] float32; read
 * @param residual, sublayer  [rows, hidden] float32; read (s and the mask are recomputed)
 * @param gamma     [hidden] float32; read
 * @param mean, rstd  [rows] float32, from the forward; read
 * @param dResidual [rows, hidden] float32; written
 * @param dSublayer [rows, hidden] float32; written
 * @param partials  [G, 2 * hidden] float32; written when G > 1 (unused, may be null, when G == 1)
 * @param dGamma, dBeta  [hidden] float32; read-written (accumulated) when G == 1, untouched otherwise
 * @param dropoutRate, seed, site, step  as the forward's
 */
extern "C" __global__ void fb_layernorm_backward_v4x1(FB_LAYERNORM_BACKWARD_PARAMS);
extern "C" __global__ void fb_layernorm_backward_v4x2(FB_LAYERNORM_BACKWARD_PARAMS);
extern "C" __global__ void fb_layernorm_backward_v4x3(FB_LAYERNORM_BACKWARD_PARAMS);
extern "C" __global__ void fb_layernorm_backward_v4x4(FB_LAYERNORM_BACKWARD_PARAMS);
extern "C" __global__ void fb_layernorm_backward_v4x5(FB_LAYERNORM_BACKWARD_PARAMS);
extern "C" __global__ void fb_layernorm_backward_v4x6(FB_LAYERNORM_BACKWARD_PARAMS);
extern "C" __global__ void fb_layernorm_backward_v4x7(FB_LAYERNORM_BACKWARD_PARAMS);
extern "C" __global__ void fb_layernorm_backward_v4x8(FB_LAYERNORM_BACKWARD_PARAMS);
/**
 * Backward, any hidden size: as the float4 variant, W warps per block (one row per warp at a
 * time, rows w + k * G * W), each warp's column partials in shared memory (then summed in warp order).
 * Launch: grid (G = min(ceil(rows / W), multiprocessors * 4)), block (32 * W),
 *         dynamic shared memory W * 2 * hidden * 4 bytes.
 * Parameters as fb_layernorm_backward_v4x*.
 */
extern "C" __global__ void fb_layernorm_backward(FB_LAYERNORM_BACKWARD_PARAMS);
/**
 * Backward, the finishing pass of a grid of G > 1 blocks: dGamma[c] += sum over b < G of
 * partials[b][c] and dBeta[c] += sum of partials[b][H + c], each in a fixed order (so reruns are
 * bitwise identical).
 * Launch: grid (ceil(2 * hidden / 32)), block (32, 32), dynamic shared memory 0.
 * @param partials     [numPartials, 2 * hidden] float32, the backward's; read
 * @param numPartials  G >= 1
 * @param dGamma, dBeta  [hidden] float32; read-written (accumulated)
 */
extern "C" __global__ void fb_layernorm_backward_finish(const float *partials, int numPartials, int hidden,
                                                        float *dGamma, float *dBeta);

// ---- cross_entropy.cu: losses fused with their gradients -------------------------------------
/**
 * Counts the labelled rows (labels != -1), so the mean needs no host round trip.
 * Launch: grid (1), block (1024), dynamic shared memory 0.
 * @param labels  [rows] int32; read
 * @param count   [1] int32; written
 */
extern "C" __global__ void fb_cross_entropy_count(const int *labels, int rows, int *count);
/**
 * Masked softmax cross-entropy of one row per block, fused with its gradient: for label y != -1,
 * rowLoss[r] = logsumexp(x_r) - x_r[y] and x_r is overwritten IN PLACE with
 * (softmax(x_r) - onehot(y)) / count[0]; rows labelled -1 become zeros with rowLoss 0. A label
 * outside [-1, vocab) gives rowLoss NaN and no onehot. Any vocab: the row is peeled to a 16-byte
 * boundary, its body read and written as float4, its tail scalar.
 * Launch: grid (rows), block (128, 256 or 512 by vocab; a multiple of 32), dynamic shared memory 0.
 * @param logits   [rows, vocab] float32; read-written (logits in, dlogits out)
 * @param labels   [rows] int32, each -1 or in [0, vocab); read
 * @param count    [1] int32 from fb_cross_entropy_count; read
 * @param rowLoss  [rows] float32; written
 */
extern "C" __global__ void fb_cross_entropy_forward_backward(float *logits, const int *labels, const int *count,
                                                             float *rowLoss, int rows, int vocab);
/**
 * loss[0] = sum(rowLoss) / count[0], 0 when count is 0; a fixed-order block sum.
 * Launch: grid (1), block (1024), dynamic shared memory 0.
 * @param rowLoss  [rows] float32; read
 * @param count    [1] int32; read
 * @param loss     [1] float32; written
 */
extern "C" __global__ void fb_cross_entropy_mean_loss(const float *rowLoss, const int *count, int rows,
                                                      float *loss);
/**
 * Sigmoid + binary cross-entropy from logits: probs = sigmoid(z), loss[0] = mean over the batch
 * of max(z, 0) - z * y + log(1 + exp(-|z|)), dLogits = (probs - y) / batch.
 * Launch: grid (1), block (256), dynamic shared memory 0 (a fixed-order block sum).
 * @param logits   [batch] float32; read
 * @param labels   [batch] int32, 0 or 1; read
 * @param probs    [batch] float32; written
 * @param loss     [1] float32; written
 * @param dLogits  [batch] float32; written, or null (evaluation)
 */
extern "C" __global__ void fb_cross_entropy_sigmoid_binary(const float *logits, const int *labels, float *probs,
                                                           float *loss, float *dLogits, int batch);

// ---- embedding.cu: token + position embedding and its deterministic backward ----------------
/**
 * out[b, l, :] = tokenTable[ids[b, l], :] + positionTable[l, :]; float4 when hidden % 4 == 0 and
 * the tables and out are 16-byte aligned.
 * Launch: grid (any; grid-stride over batch * length * hidden / 4 or * hidden), block (256), shared 0.
 * @param ids            [batch, length] int32 in [0, V) (not checked); read
 * @param tokenTable     [V, hidden] float32; read
 * @param positionTable  [Lmax >= length, hidden] float32; read
 * @param out            [batch, length, hidden] float32; written
 */
extern "C" __global__ void fb_embedding_forward(const int *ids, const float *tokenTable, const float *positionTable,
                                                float *out, int batch, int length, int hidden);
// The backward, without float atomics: (1) a stable LSD radix sort of (id, position) pairs by id,
// 8 bits per pass (ceil(log2(V) / 8) passes of rank, scan, scatter, ping-ponging key/value
// buffers of count = batch * length ints); (2) fb_embedding_backward_chunks: for each
// FB_EMBEDDING_CHUNK-entry chunk of the sorted list, a run of one id lying inside the chunk is
// summed (in position order) and added to its table row by that chunk alone; (3)
// fb_embedding_backward_spans: a run crossing chunks is finished by the chunk where it starts,
// adding the partials of the chunks it covers in order. Ids outside [0, V) are skipped (and may
// split a valid id's run: not checked, undefined).
#define FB_EMBEDDING_CHUNK 32
/**
 * Radix sort, step 1: for each key of a 256-key tile, its stable rank among the tile's keys with
 * the same digit (key >> shift) & 255, and the tile's count of each digit (digit-major, so a flat
 * scan orders by digit, then tile).
 * Launch: grid (T = ceil(count / 256)), block (256, exactly), dynamic shared memory 0.
 * @param keys         [count] int32; read
 * @param localRank    [count] int32; written
 * @param digitCounts  [256 * T] int32; written at [digit * T + tile]
 */
extern "C" __global__ void fb_embedding_sort_rank(const int *keys, int count, int shift, int *localRank,
                                                  int *digitCounts);
/**
 * Radix sort, step 2: exclusive prefix sum in place, turning counts into first destinations.
 * Launch: grid (1), block (1024), dynamic shared memory 0.
 * @param digitCounts  [total] int32, total = 256 * T; read-written
 */
extern "C" __global__ void fb_embedding_sort_scan(int *digitCounts, int total);
/**
 * Radix sort, step 3: keysOut[d] = keys[i], valuesOut[d] = values ? values[i] : i, with
 * d = digitOffsets[digit * T + i / 256] + localRank[i] (a stable scatter).
 * Launch: grid (T), block (256), dynamic shared memory 0.
 * @param keys, values  [count] int32; read (values null: the identity, positions)
 * @param localRank     [count] int32 from step 1; read
 * @param digitOffsets  [256 * T] int32 from step 2; read
 * @param keysOut, valuesOut  [count] int32; written
 */
extern "C" __global__ void fb_embedding_sort_scatter(const int *keys, const int *values, int count, int shift,
                                                     const int *localRank, const int *digitOffsets, int *keysOut,
                                                     int *valuesOut);
/**
 * Run sums within chunks of the sorted list (one thread per column): runs inside chunk k are added
 * to dTokenTable; a run that began in an earlier chunk leaves its sum in chunkHead[k], one that
 * continues into later chunks in chunkTail[k] (each written only where such a run exists).
 * Launch: grid (C = ceil(count / FB_EMBEDDING_CHUNK), ceil(hidden / 128)), block (128), shared 0.
 * @param sortedIds, sortedPositions  [count] int32, from the sort; read
 * @param dOut         [count, hidden] float32 (the [batch, length, hidden] gradient); read
 * @param dTokenTable  [vocab, hidden] float32; read-written (accumulated)
 * @param chunkHead, chunkTail  [C, hidden] float32; written where needed
 */
extern "C" __global__ void fb_embedding_backward_chunks(const int *sortedIds, const int *sortedPositions,
                                                        const float *dOut, int count, int hidden, int vocab,
                                                        float *dTokenTable, float *chunkHead, float *chunkTail);
/**
 * Finishes runs that cross chunks: the chunk where such a run starts adds chunkTail[k] +
 * chunkHead[k + 1] + ... (in chunk order) into the id's table row. Needed only when C > 1.
 * Launch: as fb_embedding_backward_chunks.
 * @param sortedIds    [count] int32; read
 * @param chunkHead, chunkTail  [C, hidden] float32; read
 * @param dTokenTable  [vocab, hidden] float32; read-written (accumulated)
 */
extern "C" __global__ void fb_embedding_backward_spans(const int *sortedIds, int count, int hidden, int vocab,
                                                       const float *chunkHead, const float *chunkTail,
                                                       float *dTokenTable);
/**
 * dPositionTable[l, :] += sum over b, in order, of dOut[b, l, :] (one thread per element).
 * Launch: grid (any; grid-stride over length * hidden), block (256), dynamic shared memory 0.
 * @param dOut            [batch, length, hidden] float32; read
 * @param dPositionTable  [Lmax >= length, hidden] float32; first length rows read-written
 */
extern "C" __global__ void fb_embedding_backward_positions(const float *dOut, float *dPositionTable, int batch,
                                                           int length, int hidden);

// ---- adam.cu: fused Adam over the flat parameter buffer --------------------------------------
/**
 * One Keras Adam update with t = step[0] (incremented just before by fb_elementwise_increment):
 * alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t) in float64 rounded once, then per element with
 * each float32 operation rounded separately (bit-identical to AdamConfig's CPU order):
 * m += (g - m)(1 - beta1), v += (g^2 - v)(1 - beta2), p -= m * alpha / (sqrt(v) + epsilon).
 * float4 when all four buffers are 16-byte aligned, with a scalar tail.
 * Launch: grid (any; grid-stride over count / 4), block (256), dynamic shared memory 0.
 * @param params, m, v  [count] float32; read-written
 * @param grads         [count] float32; read
 * @param step          [1] int32; read
 */
extern "C" __global__ void fb_adam_update(float *params, const float *grads, float *m, float *v, const int *step,
                                          long long count, float learningRate, float beta1, float beta2,
                                          float epsilon);

// ---- mlm.cu: the masked-language-model data path --------------------------------------------
/**
 * BERT masking, MaskingSpec.draw at each position p (row-major over [batch, length]) with step =
 * step[0]: Philox block (p, 0, step, DOMAIN_MASKING); ids < 2 are never selected.
 * Launch: grid (ceil(count / 256)), block (256), dynamic shared memory 0.
 * @param ids        [count] int32 in [0, maskId]; read
 * @param step       [1] int32; read
 * @param maskedIds  [count] int32; written (the corrupted input)
 * @param labels     [count] int32; written (the original id where selected, else -1)
 */
extern "C" __global__ void fb_mlm_mask(const int *ids, int count, unsigned long long seed, float selectRate,
                                       float maskRate, float randomRate, int maskId, const int *step,
                                       int *maskedIds, int *labels);
/**
 * lengths[b] = max(1, 1 + the last l with ids[b, l] != 0): one warp per row.
 * Launch: grid (ceil(batch / 8)), block (256), dynamic shared memory 0.
 * @param ids      [batch, length] int32; read
 * @param lengths  [batch] int32; written
 */
extern "C" __global__ void fb_mlm_sequence_lengths(const int *ids, int batch, int length, int *lengths);
/**
 * The labelled rows (labels[r] != -1) in position order, from one block scan over contiguous
 * runs of rows: rowIndex[i] = r and rowLabels[i] = labels[r] for the first min(total, capacity);
 * -1 in both for i in [total, capacity); count[0] = total (labelled rows beyond the capacity are
 * counted, not gathered).
 * Launch: grid (1), block (1024), dynamic shared memory 0.
 * @param labels     [rows] int32; read
 * @param rowLabels  [capacity] int32; written
 * @param rowIndex   [capacity] int32; written
 * @param count      [1] int32; written
 */
extern "C" __global__ void fb_mlm_gather_index(const int *labels, int rows, int capacity, int *rowLabels,
                                               int *rowIndex, int *count);
/**
 * rows[i, :] = hidden[rowIndex[i], :], zeros where rowIndex[i] == -1; float4 when aligned.
 * Launch: grid (any; grid-stride over capacity * hiddenSize / 4 or * hiddenSize), block (256), shared 0.
 * @param hidden    [N, hiddenSize] float32; read
 * @param rowIndex  [capacity] int32, each -1 or in [0, N); read
 * @param rows      [capacity, hiddenSize] float32; written
 */
extern "C" __global__ void fb_mlm_gather_rows(const float *hidden, const int *rowIndex, int capacity,
                                              int hiddenSize, float *rows);
/**
 * dHidden[rowIndex[i], :] = dRows[i, :] for rowIndex[i] != -1; the other rows of dHidden are not
 * touched (the launch side zero-fills it first). Indices must be distinct (a gather's are).
 * Launch: as fb_mlm_gather_rows.
 * @param dRows     [capacity, hiddenSize] float32; read
 * @param rowIndex  [capacity] int32; read
 * @param dHidden   [N, hiddenSize] float32; indexed rows written
 */
extern "C" __global__ void fb_mlm_scatter_rows(const float *dRows, const int *rowIndex, int capacity,
                                               int hiddenSize, float *dHidden);

// ---- batch.cu: resident data (a step's batch gathered and its results stored on the device) ---
/**
 * out[b, c] = source[order[(batchIndex[0] * batch + b) mod rows], c]: the batch of a step, taken
 * from examples resident in device memory through the epoch's order; the last batch of an epoch
 * wraps around to the order's start.
 * Launch: grid (any; grid-stride over batch * width), block (256), dynamic shared memory 0.
 * @param source      [rows, width] int32; read
 * @param order       [rows] int32, each in [0, rows); read
 * @param batchIndex  [1] int32, >= 0; read
 * @param out         [batch, width] int32; written
 */
extern "C" __global__ void fb_batch_gather(const int *source, int rows, int width, const int *order,
                                           const int *batchIndex, int batch, int *out);
/**
 * history[batchIndex[0] * count + i] = values[i] for the indices below capacity (the rest dropped):
 * a step's loss or probabilities stored at its place, read back by the host once for many steps.
 * Launch: grid (ceil(count / 256)), block (256), dynamic shared memory 0.
 * @param values      [count] float32; read
 * @param batchIndex  [1] int32, >= 0; read
 * @param history     [capacity] float32; indexed elements written
 */
extern "C" __global__ void fb_batch_store(const float *values, int count, const int *batchIndex, float *history,
                                          long long capacity);

// ---- elementwise.cu: dense-layer helpers, column sums, the step counter ----------------------
#define FB_ACTIVATION_NONE 0
#define FB_ACTIVATION_RELU 1
/**
 * out[r, c] = act(x[r, c] + bias[c]) with act FB_ACTIVATION_*; out may be x; float4 when aligned.
 * Launch: grid (any; grid-stride), block (256), dynamic shared memory 0.
 * @param x     [rows, cols] float32; read
 * @param bias  [cols] float32; read, or null (no bias)
 * @param out   [rows, cols] float32; written
 */
extern "C" __global__ void fb_elementwise_bias_activation(const float *x, const float *bias, float *out, int rows,
                                                          int cols, int activation);
/**
 * dx = y > 0 ? dy : 0 (the gradient through a ReLU whose output was y); dx may be dy.
 * Launch: grid (any; grid-stride over count / 4), block (256), dynamic shared memory 0.
 * @param y, dy  [count] float32; read
 * @param dx     [count] float32; written
 */
extern "C" __global__ void fb_elementwise_relu_backward(const float *y, const float *dy, float *dx,
                                                        long long count);
/**
 * Column sums without float atomics, pass 1: block (bx, k) sums rows [k * rowsPerChunk,
 * (k + 1) * rowsPerChunk) of columns [32 bx, 32 bx + 32) in a fixed order. With K == 1 chunk it
 * finishes: out[c] = (accumulate ? out[c] : 0) + sum; else it writes partials[k, c].
 * Launch: grid (ceil(cols / 32), K), block (32, 8), dynamic shared memory 0.
 * @param x         [rows, cols] float32; read
 * @param partials  [K, cols] float32; written when K > 1
 * @param out       [cols] float32; written (read too when accumulate) when K == 1
 */
extern "C" __global__ void fb_elementwise_column_partials(const float *x, int rows, int cols, int rowsPerChunk,
                                                          float *partials, float *out, int accumulate);
/**
 * Column sums, finishing pass: out[c] = (accumulate ? out[c] : 0) + sum over k < numPartials, in
 * a fixed order, of partials[k * stride + c], for c < cols.
 * Launch: grid (ceil(cols / 32)), block (32, 8), dynamic shared memory 0.
 * @param partials  [numPartials, stride] float32; read
 * @param out       [cols] float32; written (read too when accumulate)
 */
extern "C" __global__ void fb_elementwise_reduce_partials(const float *partials, int numPartials, int stride,
                                                          int cols, float *out, int accumulate);
/**
 * counter[0] += 1, on the device so that graphs advance step counters at each replay.
 * Launch: grid (1), block (32), dynamic shared memory 0.
 * @param counter  [1] int32; read-written
 */
extern "C" __global__ void fb_elementwise_increment(int *counter);

// ---- pooling.cu: global max pooling over the sequence ----------------------------------------
/**
 * out[b, h] = max over l of x[b, l, h], argmax[b, h] = the first l attaining it (one thread per
 * (b, h): adjacent threads read adjacent features, so loads coalesce).
 * Launch: grid (any; grid-stride over batch * hidden), block (256), dynamic shared memory 0.
 * @param x       [batch, length, hidden] float32; read
 * @param out     [batch, hidden] float32; written
 * @param argmax  [batch, hidden] int32; written
 */
extern "C" __global__ void fb_pooling_max_forward(const float *x, float *out, int *argmax, int batch, int length,
                                                  int hidden);
/**
 * dx[b, l, h] = l == argmax[b, h] ? dOut[b, h] : 0, every element of dx written.
 * Launch: grid (any; grid-stride over batch * length * hidden), block (256), dynamic shared memory 0.
 * @param dOut    [batch, hidden] float32; read
 * @param argmax  [batch, hidden] int32; read
 * @param dx      [batch, length, hidden] float32; written
 */
extern "C" __global__ void fb_pooling_max_backward(const float *dOut, const int *argmax, float *dx, int batch,
                                                   int length, int hidden);

// ==== the registry: every entry point above, once ====
// Add one line per kernel, `  X(fb_<family>_<what>) \`, above the closing comment.
#define FB_KERNEL_LIST(X) \
  X(fb_attention_forward_d16) \
  X(fb_attention_forward_d32) \
  X(fb_attention_forward_d64) \
  X(fb_attention_forward_d128) \
  X(fb_attention_backward_delta) \
  X(fb_attention_backward_dkdv_d16) \
  X(fb_attention_backward_dkdv_d32) \
  X(fb_attention_backward_dkdv_d64) \
  X(fb_attention_backward_dkdv_d128) \
  X(fb_attention_backward_dq_d16) \
  X(fb_attention_backward_dq_d32) \
  X(fb_attention_backward_dq_d64) \
  X(fb_attention_backward_dq_d128) \
  X(fb_attention_backward_dkdv_tf32_d64) \
  X(fb_attention_backward_dq_tf32_d64) \
  X(fb_layernorm_forward_v4x1) \
  X(fb_layernorm_forward_v4x2) \
  X(fb_layernorm_forward_v4x3) \
  X(fb_layernorm_forward_v4x4) \
  X(fb_layernorm_forward_v4x5) \
  X(fb_layernorm_forward_v4x6) \
  X(fb_layernorm_forward_v4x7) \
  X(fb_layernorm_forward_v4x8) \
  X(fb_layernorm_forward) \
  X(fb_layernorm_backward_v4x1) \
  X(fb_layernorm_backward_v4x2) \
  X(fb_layernorm_backward_v4x3) \
  X(fb_layernorm_backward_v4x4) \
  X(fb_layernorm_backward_v4x5) \
  X(fb_layernorm_backward_v4x6) \
  X(fb_layernorm_backward_v4x7) \
  X(fb_layernorm_backward_v4x8) \
  X(fb_layernorm_backward) \
  X(fb_layernorm_backward_finish) \
  X(fb_cross_entropy_count) \
  X(fb_cross_entropy_forward_backward) \
  X(fb_cross_entropy_mean_loss) \
  X(fb_cross_entropy_sigmoid_binary) \
  X(fb_embedding_forward) \
  X(fb_embedding_sort_rank) \
  X(fb_embedding_sort_scan) \
  X(fb_embedding_sort_scatter) \
  X(fb_embedding_backward_chunks) \
  X(fb_embedding_backward_spans) \
  X(fb_embedding_backward_positions) \
  X(fb_adam_update) \
  X(fb_mlm_mask) \
  X(fb_mlm_sequence_lengths) \
  X(fb_mlm_gather_index) \
  X(fb_mlm_gather_rows) \
  X(fb_mlm_scatter_rows) \
  X(fb_batch_gather) \
  X(fb_batch_store) \
  X(fb_elementwise_bias_activation) \
  X(fb_elementwise_relu_backward) \
  X(fb_elementwise_column_partials) \
  X(fb_elementwise_reduce_partials) \
  X(fb_elementwise_increment) \
  X(fb_pooling_max_forward) \
  X(fb_pooling_max_backward) \
  /* end of FB_KERNEL_LIST */

#endif  // FUSEDBERT_KERNELS_H
