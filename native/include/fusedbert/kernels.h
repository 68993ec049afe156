// fusedbert/kernels.h — the kernel ABI: every entry point of fusedbert.fatbin, declared and
// documented once. The Java launch classes (org.fusedbert.kernels) pack arguments in exactly the
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
//  - Launch: grid (ceil(L / ROWS), heads, B), block (THREADS), dynamic shared memory
//    2 * TILE * D * 4 bytes (<= 32 KiB: no opt-in needed), where per kernel and D:
//                        ROWS/THREADS/TILE:  D=16         D=32          D=64          D=128
//      forward                               128/64/64    64/64/32      128/128/64    64/128/32
//      backward_dkdv                         64/64/32     64/128/64     64/128/64     64/256/32
//      backward_dq                           64/64/64     64/128/64     64/128/64     64/256/32
//    ROWS is the rows of L a block owns (queries; keys in backward_dkdv), TILE the rows per
//    shared-memory tile of the streamed operand. org.fusedbert.device.kernels.AttentionKernels
//    holds the same table.
//  - Backward order: backward_delta, then backward_dkdv and backward_dq (either order; together
//    they overwrite all of dqkv). No atomics: the results are deterministic.

/**
 * Forward: out = softmax(scale * Q K^T + mask) V per (b, h), and each row's log-sum-exp.
 * Launch: see the attention section (ROWS 128/64/128/64, THREADS 64/64/128/128, TILE 64/32/64/32
 * for D 16/32/64/128).
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
 * Launch: see the attention section (ROWS 64, THREADS 64/128/128/256, TILE 32/64/64/32 for
 * D 16/32/64/128).
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
 * Launch: see the attention section (ROWS 64, THREADS 64/128/128/256, TILE 64/64/64/32 for
 * D 16/32/64/128).
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
  /* end of FB_KERNEL_LIST */

#endif  // FUSEDBERT_KERNELS_H
