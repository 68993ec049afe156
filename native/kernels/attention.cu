// Fused multi-head attention, FlashAttention-style, fp32: forward and a deterministic backward.
// Entry points and their contract: native/include/fusedbert/kernels.h, section "attention".
//
// Work layout shared by all kernels: a block owns a run of rows (query rows in the forward and
// the dQ pass, key rows in the dK/dV pass) of one (batch, head); T consecutive lanes ("a group")
// share R of those rows, each lane holding a quarter-interleaved slice of the head dimension
// (float4 number k*T + lane), so a dot product is T partial sums added by warp shuffles, and the
// lanes of a group read T different float4 of one shared-memory row (no bank conflicts) while
// the groups of a warp read the same row (a broadcast). The other operand streams through shared
// memory in tiles; the L x L scores exist only as a few registers per thread.
#include "fusedbert/kernels.h"

namespace fb_attention {

constexpr float kLog2e = 1.4426950408889634f;
constexpr float kLn2 = 0.6931471805599453f;

// Tile shapes per head dimension. A block of THREADS owns ROWS rows; a group of T * SPLIT
// consecutive lanes shares R of them. T lanes split the head dimension (lane t holds float4 number
// k*T + t of a row, so a dot product is T partials added by shuffles); SPLIT lanes split the
// streamed rows (part p takes streamed rows j*SPLIT + p, keeping its own partial state, merged by
// shuffles at the end), which adds threads without per-row shuffles. TILE: streamed rows per
// shared-memory tile; CHUNK: streamed rows per lane per register batch (one softmax rescale per
// chunk in the forward). MIN_BLOCKS: resident blocks per SM the registers must allow
// (__launch_bounds__ caps them at 64K / (THREADS * MIN_BLOCKS)).
//
// Cost model used to pick them (per SM and cycle: 4 warp FMAs, but one 128-byte shared-memory
// return, so a broadcast LDS.128 costs 2 cycles and a shuffle 1): every float4 a lane reads
// feeds 4R FMAs, so R >= 2 keeps the FMA pipes ahead of shared memory only if T stays small;
// registers (R rows times the per-row state) bound R.
template <int D_, int T_, int SPLIT_, int R_, int THREADS_, int TILE_, int CHUNK_, int MIN_BLOCKS_>
struct Shape {
    static constexpr int D = D_;
    static constexpr int T = T_;
    static constexpr int SPLIT = SPLIT_;
    static constexpr int R = R_;
    static constexpr int THREADS = THREADS_;
    static constexpr int TILE = TILE_;
    static constexpr int CHUNK = CHUNK_;
    static constexpr int MIN_BLOCKS = MIN_BLOCKS_;
    static constexpr int D4 = D / 4;                     // float4 per row
    static constexpr int V4 = D4 / T;                    // float4 per row held by one lane
    static constexpr int GROUPS = THREADS / (T * SPLIT);
    static constexpr int ROWS = GROUPS * R;              // rows owned by one block
    static constexpr int STEP = CHUNK * SPLIT;           // streamed rows per register batch of a group
    static constexpr bool TILED = false;
    static constexpr int SHARED = 2 * TILE * D * 4;      // two [TILE, D] float tiles
    static_assert(D % (4 * T) == 0, "each lane must hold whole float4 of a row");
    static_assert(32 % (T * SPLIT) == 0 && THREADS % 32 == 0, "groups must not straddle warps");
    static_assert(TILE % STEP == 0, "a tile is a whole number of batches");
};

// Forward: query rows owned, keys/values streamed.         D   T  SPLIT R THREADS TILE CHUNK MIN_BLOCKS
template <int D> struct ForwardShape;
template <> struct ForwardShape<16> : Shape<16, 1, 2, 4, 64, 64, 4, 4> {};
template <> struct ForwardShape<32> : Shape<32, 2, 1, 4, 64, 32, 8, 4> {};
template <> struct ForwardShape<64> : Shape<64, 4, 1, 4, 128, 64, 8, 2> {};
template <> struct ForwardShape<128> : Shape<128, 8, 1, 4, 128, 32, 8, 2> {};

// Register-tiled backward shapes (head dims 64 and 128; see "register-tiled backward" below). A
// block of THREADS owns OWN rows (keys in dK/dV, queries in dQ) and streams the other operand in
// tiles of STREAM rows. Each thread computes an AM (owned) x AN (streamed) block of S and dP, and
// a CM (owned) x CN (columns) block of the gradients it accumulates. P_BUFFERS: shared-memory
// buffers for P and dS (2: both at once; 1: one after the other, to fit two blocks per SM).
template <int D_, int OWN_, int STREAM_, int THREADS_, int AM_, int AN_, int CM_, int CN_, int P_BUFFERS_,
          int MIN_BLOCKS_>
struct TiledShape {
    static constexpr bool TILED = true;
    static constexpr int D = D_;
    static constexpr int OWN = OWN_;
    static constexpr int STREAM = STREAM_;
    static constexpr int THREADS = THREADS_;
    static constexpr int AM = AM_;
    static constexpr int AN = AN_;
    static constexpr int CM = CM_;
    static constexpr int CN = CN_;
    static constexpr int P_BUFFERS = P_BUFFERS_;
    static constexpr int MIN_BLOCKS = MIN_BLOCKS_;
    static constexpr int ROWS = OWN;      // FB_ATTENTION_GEOMETRY's names
    static constexpr int TILE = STREAM;
    static constexpr int D4 = D / 4;
    static constexpr int NA = OWN / AM;   // thread groups along the owned rows of S and dP
    static constexpr int NB = STREAM / AN;  // ... along the streamed rows
    static constexpr int NR = OWN / CM;   // ... along the owned rows of the gradients
    static constexpr int NC = D / CN;     // ... along their columns
    // Shared-memory strides in float4. Streamed rows are padded by one float4, so the 4 rows a warp
    // reads at once start 4 banks apart; P^T / dS^T rows by two, so the 4 rows x 2 float4 a quarter
    // warp stores cover 32 distinct banks. The owned operands are stored transposed, [D][OWN].
    static constexpr int ROW4 = D4 + 1;
    static constexpr int OWN4 = OWN / 4;
    static constexpr int P4 = OWN4 + 2;
    static constexpr int SHARED = (2 * D * OWN4 + 2 * STREAM * ROW4 + P_BUFFERS * STREAM * P4) * 16;
    static_assert(NA * NB == THREADS && NR * NC == THREADS, "one thread per block of S and of the gradients");
    static_assert(NA % 8 == 0 && NB % 4 == 0 && NR % 8 == 0 && NC % 4 == 0, "TileLane's warp layout: 8 x 4 groups");
    static_assert(AM % 4 == 0 && CM % 4 == 0 && CN % 4 == 0, "float4 operands");
    static_assert(P_BUFFERS == 1 || P_BUFFERS == 2, "P and dS share a buffer or have one each");
};

// Backward dK/dV: key rows owned, queries/output gradients streamed.
template <int D> struct KeyGradShape;
template <> struct KeyGradShape<16> : Shape<16, 1, 2, 2, 64, 32, 4, 6> {};
template <> struct KeyGradShape<32> : Shape<32, 2, 1, 2, 64, 32, 4, 4> {};
//                                                    D  OWN STREAM THREADS AM AN CM CN P_BUFFERS MIN_BLOCKS
template <> struct KeyGradShape<64> : TiledShape<64, 64, 64, 128, 8, 4, 8, 4, 2, 2> {};
template <> struct KeyGradShape<128> : TiledShape<128, 32, 64, 128, 4, 4, 4, 8, 1, 2> {};

// Backward dQ: query rows owned, keys/values streamed.
template <int D> struct QueryGradShape;
template <> struct QueryGradShape<16> : Shape<16, 1, 2, 2, 64, 64, 4, 4> {};
template <> struct QueryGradShape<32> : Shape<32, 2, 1, 2, 64, 64, 4, 4> {};
template <> struct QueryGradShape<64> : TiledShape<64, 64, 64, 128, 8, 4, 8, 4, 1, 2> {};
template <> struct QueryGradShape<128> : TiledShape<128, 64, 32, 128, 4, 4, 8, 8, 1, 2> {};

// Where a thread sits in its block's layout (see Shape).
template <class S>
struct Lane {
    int group;  // which R rows of the block
    int dim;    // which float4 of each row: dim, dim + T, ...
    int part;   // which streamed rows: part, part + SPLIT, ...
    __device__ __forceinline__ Lane()
        : group((int) threadIdx.x / (S::T * S::SPLIT)),
          dim((int) threadIdx.x % S::T),
          part((int) threadIdx.x / S::T % S::SPLIT) {}
    __device__ __forceinline__ int row(int first, int r) const { return first + r * S::GROUPS + group; }
};

// The shapes must launch as kernels.h says (FB_ATTENTION_GEOMETRY), which AttentionKernels follows:
// checked at the end of this namespace, against every shape (the TF32 ones are defined below).
template <int D> using forward_shape = ForwardShape<D>;
template <int D> using backward_dkdv_shape = KeyGradShape<D>;
template <int D> using backward_dq_shape = QueryGradShape<D>;

__device__ __forceinline__ float4 zero4() { return make_float4(0.f, 0.f, 0.f, 0.f); }

// Global memory by float4 when the launch's pointers are 16-byte aligned (row strides and head
// offsets are multiples of 4 floats, so the base pointers decide), by scalars otherwise.
__device__ __forceinline__ bool aligned16(const void* p) { return (reinterpret_cast<unsigned long long>(p) & 15u) == 0; }

__device__ __forceinline__ float4 load4(const float* p, bool vec) {
    return vec ? *reinterpret_cast<const float4*>(p) : make_float4(p[0], p[1], p[2], p[3]);
}

__device__ __forceinline__ void store4(float* p, float4 v, bool vec) {
    if (vec) {
        *reinterpret_cast<float4*>(p) = v;
    } else {
        p[0] = v.x;
        p[1] = v.y;
        p[2] = v.z;
        p[3] = v.w;
    }
}

__device__ __forceinline__ float dot4(float4 a, float4 b, float acc) {
    acc = fmaf(a.x, b.x, acc);
    acc = fmaf(a.y, b.y, acc);
    acc = fmaf(a.z, b.z, acc);
    return fmaf(a.w, b.w, acc);
}

__device__ __forceinline__ void axpy4(float4& acc, float a, float4 x) {
    acc.x = fmaf(a, x.x, acc.x);
    acc.y = fmaf(a, x.y, acc.y);
    acc.z = fmaf(a, x.z, acc.z);
    acc.w = fmaf(a, x.w, acc.w);
}

__device__ __forceinline__ float4 scale4(float4 v, float s) { return make_float4(v.x * s, v.y * s, v.z * s, v.w * s); }

// Sum over the T lanes that split a row's head dimension (consecutive lanes; every lane of the
// warp calls it).
template <int T>
__device__ __forceinline__ float group_sum(float v) {
#pragma unroll
    for (int offset = T / 2; offset > 0; offset >>= 1) {
        v += __shfl_xor_sync(0xffffffffu, v, offset);
    }
    return v;
}

__device__ __forceinline__ float4 shfl_xor4(float4 v, int offset) {
    return make_float4(__shfl_xor_sync(0xffffffffu, v.x, offset), __shfl_xor_sync(0xffffffffu, v.y, offset),
                       __shfl_xor_sync(0xffffffffu, v.z, offset), __shfl_xor_sync(0xffffffffu, v.w, offset));
}

// Sums per-part accumulators over the SPLIT parts of a group (lanes T apart), in a fixed butterfly
// order: every part ends with the same total, deterministically.
template <class S>
__device__ __forceinline__ void part_sum(float4 (&acc)[S::R][S::V4]) {
#pragma unroll
    for (int offset = S::T; offset < S::T * S::SPLIT; offset <<= 1) {
#pragma unroll
        for (int r = 0; r < S::R; r++) {
#pragma unroll
            for (int k = 0; k < S::V4; k++) {
                const float4 other = shfl_xor4(acc[r][k], offset);
                acc[r][k] = make_float4(acc[r][k].x + other.x, acc[r][k].y + other.y, acc[r][k].z + other.z,
                                        acc[r][k].w + other.w);
            }
        }
    }
}

// Keys attended by sequence b: validLengths[b] clamped to [0, L], or all L without lengths.
__device__ __forceinline__ int key_extent(const int* valid_lengths, int b, int seq_len) {
    if (valid_lengths == nullptr) {
        return seq_len;
    }
    int n = valid_lengths[b];
    return n < 0 ? 0 : (n > seq_len ? seq_len : n);
}

// Copies rows [0, valid) of a ROWS x D tile (global row stride `stride` floats) into shared memory
// at float4 offset `at`, zero-filling rows [valid, ROWS) so masked rows multiply as zeros.
template <int D, int ROWS, int THREADS>
__device__ __forceinline__ void load_tile(fb_smem_ptr<float4> smem, int at, const float* __restrict__ src,
                                          long long stride, int valid, bool vec) {
    constexpr int D4 = D / 4;
    constexpr int N = ROWS * D4;
#pragma unroll
    for (int i0 = 0; i0 < N; i0 += THREADS) {
        const int i = i0 + (int) threadIdx.x;
        if (N % THREADS == 0 || i < N) {
            const int row = i / D4;
            const int c = i % D4;
            smem[at + i] = row < valid ? load4(src + row * stride + c * 4, vec) : zero4();
        }
    }
}

// Loads this lane's slice of its R rows (V4 float4 each) into registers, times `mul`; rows at
// or past `rows` read as zeros.
template <class S>
__device__ __forceinline__ void load_slices(float4 (&dst)[S::R][S::V4], const float* __restrict__ base,
                                            long long stride, int first_row, Lane<S> at, int rows, float mul,
                                            bool vec) {
#pragma unroll
    for (int r = 0; r < S::R; r++) {
        const int row = at.row(first_row, r);
#pragma unroll
        for (int k = 0; k < S::V4; k++) {
            dst[r][k] = row < rows ? scale4(load4(base + row * stride + (k * S::T + at.dim) * 4, vec), mul) : zero4();
        }
    }
}

// Stores this lane's slice of its R rows, times `mul`, from part 0 only; rows at or past `rows` are skipped.
template <class S>
__device__ __forceinline__ void store_slices(const float4 (&src)[S::R][S::V4], float* __restrict__ base,
                                             long long stride, int first_row, Lane<S> at, int rows, float mul,
                                             bool vec) {
#pragma unroll
    for (int r = 0; r < S::R; r++) {
        const int row = at.row(first_row, r);
        if (at.part == 0 && row < rows) {
#pragma unroll
            for (int k = 0; k < S::V4; k++) {
                store4(base + row * stride + (k * S::T + at.dim) * 4, scale4(src[r][k], mul), vec);
            }
        }
    }
}

// ---------------------------------------------------------------------------------- forward

template <int D>
__device__ __forceinline__ void forward(const float* __restrict__ qkv, const int* __restrict__ valid_lengths,
                                        float* __restrict__ out, float* __restrict__ lse, int seq_len, int heads,
                                        float scale) {
    using S = ForwardShape<D>;
    FB_DYNAMIC_SHARED(float4, smem);  // keys [TILE][D4], then values [TILE][D4]
    const int b = blockIdx.z, h = blockIdx.y, q0 = blockIdx.x * S::ROWS;
    const Lane<S> at;
    const int E = heads * D;
    const long long stride = 3LL * E;
    const float* head = qkv + (long long) b * seq_len * stride + h * D;  // Q of row 0, head h
    const int keys = key_extent(valid_lengths, b, seq_len);
    const bool vec = aligned16(qkv) && aligned16(out);

    float4 q[S::R][S::V4], o[S::R][S::V4];
    float m[S::R], l[S::R];  // this part's running max (exp2 domain) and sum of exp2(s - m)
    // Scores go straight to the exp2 domain: s = q.k * scale * log2(e).
    load_slices<S>(q, head, stride, q0, at, seq_len, scale * kLog2e, vec);
#pragma unroll
    for (int r = 0; r < S::R; r++) {
        m[r] = -INFINITY;
        l[r] = 0.f;
#pragma unroll
        for (int k = 0; k < S::V4; k++) {
            o[r][k] = zero4();
        }
    }

    for (int k0 = 0; k0 < keys; k0 += S::TILE) {
        const int tile_rows = keys - k0 < S::TILE ? keys - k0 : S::TILE;
        const float* rows = head + k0 * stride;
        __syncthreads();  // the previous tile is consumed
        load_tile<D, S::TILE, S::THREADS>(smem, 0, rows + E, stride, tile_rows, vec);
        load_tile<D, S::TILE, S::THREADS>(smem, S::TILE * S::D4, rows + 2 * E, stride, tile_rows, vec);
        __syncthreads();

        for (int c0 = 0; c0 < tile_rows; c0 += S::STEP) {
            float s[S::R][S::CHUNK];
#pragma unroll
            for (int j = 0; j < S::CHUNK; j++) {
                const int key = c0 + j * S::SPLIT + at.part;
#pragma unroll
                for (int r = 0; r < S::R; r++) {
                    s[r][j] = 0.f;
                }
#pragma unroll
                for (int k = 0; k < S::V4; k++) {
                    const float4 kv = smem[key * S::D4 + k * S::T + at.dim];
#pragma unroll
                    for (int r = 0; r < S::R; r++) {
                        s[r][j] = dot4(q[r][k], kv, s[r][j]);
                    }
                }
            }
#pragma unroll
            for (int r = 0; r < S::R; r++) {
#pragma unroll
                for (int j = 0; j < S::CHUNK; j++) {
                    s[r][j] = group_sum<S::T>(s[r][j]);
                }
            }
            if (c0 + S::STEP > tile_rows) {  // the tail of the last tile: keys past the extent
#pragma unroll
                for (int j = 0; j < S::CHUNK; j++) {
                    if (c0 + j * S::SPLIT + at.part >= tile_rows) {
#pragma unroll
                        for (int r = 0; r < S::R; r++) {
                            s[r][j] = -INFINITY;
                        }
                    }
                }
            }
            // Online softmax: one rescale of the running sum and output per chunk.
#pragma unroll
            for (int r = 0; r < S::R; r++) {
                float mx = m[r];
#pragma unroll
                for (int j = 0; j < S::CHUNK; j++) {
                    mx = fmaxf(mx, s[r][j]);
                }
                // A part that has seen only masked keys keeps m = -inf: subtract 0 so that
                // alpha and p are exp2(-inf) = 0 rather than NaN.
                const float base = mx == -INFINITY ? 0.f : mx;
                const float alpha = exp2f(m[r] - base);
                m[r] = mx;
                float sum = 0.f;
#pragma unroll
                for (int j = 0; j < S::CHUNK; j++) {
                    s[r][j] = exp2f(s[r][j] - base);
                    sum += s[r][j];
                }
                l[r] = l[r] * alpha + sum;
#pragma unroll
                for (int k = 0; k < S::V4; k++) {
                    o[r][k] = scale4(o[r][k], alpha);
                }
            }
#pragma unroll
            for (int j = 0; j < S::CHUNK; j++) {
                const int key = c0 + j * S::SPLIT + at.part;
#pragma unroll
                for (int k = 0; k < S::V4; k++) {
                    const float4 vv = smem[(S::TILE + key) * S::D4 + k * S::T + at.dim];
#pragma unroll
                    for (int r = 0; r < S::R; r++) {
                        axpy4(o[r][k], s[r][j], vv);
                    }
                }
            }
        }
    }

    // Merge the parts' softmax states (max, sum, output) pairwise, in a fixed order.
#pragma unroll
    for (int offset = S::T; offset < S::T * S::SPLIT; offset <<= 1) {
#pragma unroll
        for (int r = 0; r < S::R; r++) {
            const float m_other = __shfl_xor_sync(0xffffffffu, m[r], offset);
            const float l_other = __shfl_xor_sync(0xffffffffu, l[r], offset);
            const float mx = fmaxf(m[r], m_other);
            const float base = mx == -INFINITY ? 0.f : mx;
            const float mine = exp2f(m[r] - base), theirs = exp2f(m_other - base);
            m[r] = mx;
            l[r] = l[r] * mine + l_other * theirs;
#pragma unroll
            for (int k = 0; k < S::V4; k++) {
                const float4 o_other = shfl_xor4(o[r][k], offset);
                o[r][k] = scale4(o[r][k], mine);
                axpy4(o[r][k], theirs, o_other);
            }
        }
    }

#pragma unroll
    for (int r = 0; r < S::R; r++) {
        const float inv = l[r] > 0.f ? 1.f / l[r] : 0.f;  // no key at all (invalid length 0): zeros
#pragma unroll
        for (int k = 0; k < S::V4; k++) {
            o[r][k] = scale4(o[r][k], inv);
        }
        const int row = at.row(q0, r);
        if (at.dim == 0 && at.part == 0 && row < seq_len) {
            lse[((long long) b * heads + h) * seq_len + row] = l[r] > 0.f ? (m[r] + log2f(l[r])) * kLn2 : -INFINITY;
        }
    }
    store_slices<S>(o, out + (long long) b * seq_len * E + h * D, E, q0, at, seq_len, 1.f, vec);
}

// ---------------------------------------------------------------------------------- backward

// delta[b, h, i] = sum_c dOut[b, i, h*D + c] * out[b, i, h*D + c]. The (row, head) segments of D
// floats lie back to back in [B*L, E] memory, so segment s is floats [s*D, (s+1)*D); D/4 lanes
// share one, a float4 each.
__device__ __forceinline__ void backward_delta(const float* __restrict__ out, const float* __restrict__ d_out,
                                               float* __restrict__ delta, int rows, int seq_len, int heads,
                                               int head_dim) {
    const int lanes = head_dim / 4;
    const long long seg = ((long long) blockIdx.x * blockDim.x + threadIdx.x) / lanes;
    const int lane = (int) (threadIdx.x % lanes);
    const long long segments = (long long) rows * heads;
    float acc = 0.f;
    if (seg < segments) {
        const bool vec = aligned16(out) && aligned16(d_out);
        acc = dot4(load4(out + seg * head_dim + lane * 4, vec), load4(d_out + seg * head_dim + lane * 4, vec), 0.f);
    }
    for (int offset = lanes / 2; offset > 0; offset >>= 1) {
        acc += __shfl_xor_sync(0xffffffffu, acc, offset);
    }
    if (seg < segments && lane == 0) {
        const long long row = seg / heads;  // b * L + i
        const int h = (int) (seg % heads);
        const long long b = row / seq_len;
        const int i = (int) (row % seq_len);
        delta[(b * heads + h) * seq_len + i] = acc;
    }
}

// Sequence b's and head h's slices of the backward's tensors (layouts in kernels.h), for head dim D.
struct BackwardHead {
    int E;                   // heads * D: row length of out / d_out
    long long stride;        // 3E: row length of qkv / dqkv
    const float* head;       // qkv: Q of position 0, head h (K at +E, V at +2E)
    const float* d_out;      // d_out: position 0, head h
    const float* lse;        // lse[b, h, :]
    const float* delta;      // delta[b, h, :]
    float* d_head;           // dqkv: dQ of position 0, head h (dK at +E, dV at +2E)
    int keys;                // attended keys: validLengths[b] clamped to [0, L]
    bool vec;                // float4 global accesses
    __device__ __forceinline__ BackwardHead(const float* qkv, const int* valid_lengths, const float* d_out_all,
                                            const float* lse_all, const float* delta_all, float* dqkv, int seq_len,
                                            int heads, int D, int b = blockIdx.z, int h = blockIdx.y)
        : E(heads * D), stride(3LL * E),
          head(qkv + (long long) b * seq_len * stride + h * D),
          d_out(d_out_all + (long long) b * seq_len * E + h * D),
          lse(lse_all + ((long long) b * heads + h) * seq_len),
          delta(delta_all + ((long long) b * heads + h) * seq_len),
          d_head(dqkv + (long long) b * seq_len * stride + h * D),
          keys(key_extent(valid_lengths, b, seq_len)),
          vec(aligned16(qkv) && aligned16(d_out_all) && aligned16(dqkv)) {}
};

// dK and dV for a block of key rows: every query row streams past. With p = exp(s - lse),
// dV_j = sum_i p_ij dO_i, dK_j = scale * sum_i p_ij (dO_i.V_j - delta_i) Q_i.
template <int D>
__device__ __forceinline__ void backward_key_grad(const float* __restrict__ qkv,
                                                  const int* __restrict__ valid_lengths,
                                                  const float* __restrict__ d_out, const float* __restrict__ lse,
                                                  const float* __restrict__ delta, float* __restrict__ dqkv,
                                                  int seq_len, int heads, float scale) {
    using S = KeyGradShape<D>;
    FB_DYNAMIC_SHARED(float4, smem);  // queries [TILE][D4], then output gradients [TILE][D4]
    __shared__ float lse2_tile[S::TILE];    // lse * log2(e); +inf past the sequence (p = 0)
    __shared__ float delta_tile[S::TILE];
    const int j0 = blockIdx.x * S::ROWS;
    const Lane<S> at;
    const BackwardHead bh(qkv, valid_lengths, d_out, lse, delta, dqkv, seq_len, heads, D);
    const int E = bh.E, keys = bh.keys;
    const long long stride = bh.stride;
    const bool vec = bh.vec;

    float4 kr[S::R][S::V4], vr[S::R][S::V4], dk[S::R][S::V4], dv[S::R][S::V4];
#pragma unroll
    for (int r = 0; r < S::R; r++) {
#pragma unroll
        for (int k = 0; k < S::V4; k++) {
            dk[r][k] = zero4();
            dv[r][k] = zero4();
        }
    }
    if (j0 < keys) {  // uniform per block: a block wholly past the extent only writes zeros
        load_slices<S>(kr, bh.head + E, stride, j0, at, keys, scale * kLog2e, vec);
        load_slices<S>(vr, bh.head + 2 * E, stride, j0, at, keys, 1.f, vec);
        float key_bias[S::R];  // masks keys past the extent: p = exp2(-inf) = 0
#pragma unroll
        for (int r = 0; r < S::R; r++) {
            key_bias[r] = at.row(j0, r) < keys ? 0.f : -INFINITY;
        }

        for (int i0 = 0; i0 < seq_len; i0 += S::TILE) {
            const int tile_rows = seq_len - i0 < S::TILE ? seq_len - i0 : S::TILE;
            __syncthreads();
            load_tile<D, S::TILE, S::THREADS>(smem, 0, bh.head + i0 * stride, stride, tile_rows, vec);
            load_tile<D, S::TILE, S::THREADS>(smem, S::TILE * S::D4, bh.d_out + (long long) i0 * E, E, tile_rows,
                                              vec);
            for (int i = threadIdx.x; i < S::TILE; i += S::THREADS) {
                lse2_tile[i] = i < tile_rows ? bh.lse[i0 + i] * kLog2e : INFINITY;
                delta_tile[i] = i < tile_rows ? bh.delta[i0 + i] : 0.f;
            }
            __syncthreads();

            for (int c0 = 0; c0 < tile_rows; c0 += S::STEP) {
                float p[S::R][S::CHUNK], ds[S::R][S::CHUNK];
#pragma unroll
                for (int i = 0; i < S::CHUNK; i++) {
                    const int query = c0 + i * S::SPLIT + at.part;
#pragma unroll
                    for (int r = 0; r < S::R; r++) {
                        p[r][i] = 0.f;
                        ds[r][i] = 0.f;
                    }
#pragma unroll
                    for (int k = 0; k < S::V4; k++) {
                        const float4 qv = smem[query * S::D4 + k * S::T + at.dim];
                        const float4 gv = smem[(S::TILE + query) * S::D4 + k * S::T + at.dim];
#pragma unroll
                        for (int r = 0; r < S::R; r++) {
                            p[r][i] = dot4(kr[r][k], qv, p[r][i]);
                            ds[r][i] = dot4(vr[r][k], gv, ds[r][i]);
                        }
                    }
                }
#pragma unroll
                for (int r = 0; r < S::R; r++) {
#pragma unroll
                    for (int i = 0; i < S::CHUNK; i++) {
                        const int query = c0 + i * S::SPLIT + at.part;
                        const float s = group_sum<S::T>(p[r][i]);
                        const float dp = group_sum<S::T>(ds[r][i]);
                        // Rows past the tile have lse2 = +inf, zero Q and dO: p = 0, ds = 0.
                        p[r][i] = exp2f(s + key_bias[r] - lse2_tile[query]);
                        ds[r][i] = p[r][i] * (dp - delta_tile[query]);
                    }
                }
#pragma unroll
                for (int i = 0; i < S::CHUNK; i++) {
                    const int query = c0 + i * S::SPLIT + at.part;
#pragma unroll
                    for (int k = 0; k < S::V4; k++) {
                        const float4 qv = smem[query * S::D4 + k * S::T + at.dim];
                        const float4 gv = smem[(S::TILE + query) * S::D4 + k * S::T + at.dim];
#pragma unroll
                        for (int r = 0; r < S::R; r++) {
                            axpy4(dv[r][k], p[r][i], gv);
                            axpy4(dk[r][k], ds[r][i], qv);
                        }
                    }
                }
            }
        }
    }
    part_sum<S>(dk);
    part_sum<S>(dv);
    store_slices<S>(dk, bh.d_head + E, stride, j0, at, seq_len, scale, vec);
    store_slices<S>(dv, bh.d_head + 2 * E, stride, j0, at, seq_len, 1.f, vec);
}

// dQ for a block of query rows: the attended keys stream past.
// dQ_i = scale * sum_j p_ij (dO_i.V_j - delta_i) K_j.
template <int D>
__device__ __forceinline__ void backward_query_grad(const float* __restrict__ qkv,
                                                    const int* __restrict__ valid_lengths,
                                                    const float* __restrict__ d_out,
                                                    const float* __restrict__ lse,
                                                    const float* __restrict__ delta, float* __restrict__ dqkv,
                                                    int seq_len, int heads, float scale) {
    using S = QueryGradShape<D>;
    FB_DYNAMIC_SHARED(float4, smem);  // keys [TILE][D4], then values [TILE][D4]
    const int q0 = blockIdx.x * S::ROWS;
    const Lane<S> at;
    const BackwardHead bh(qkv, valid_lengths, d_out, lse, delta, dqkv, seq_len, heads, D);
    const int E = bh.E, keys = bh.keys;
    const long long stride = bh.stride;
    const bool vec = bh.vec;

    float4 q[S::R][S::V4], g[S::R][S::V4], dq[S::R][S::V4];
    float lse2[S::R], dl[S::R];
    load_slices<S>(q, bh.head, stride, q0, at, seq_len, scale * kLog2e, vec);
    load_slices<S>(g, bh.d_out, E, q0, at, seq_len, 1.f, vec);
#pragma unroll
    for (int r = 0; r < S::R; r++) {
        const int row = at.row(q0, r);
        lse2[r] = row < seq_len ? bh.lse[row] * kLog2e : INFINITY;
        dl[r] = row < seq_len ? bh.delta[row] : 0.f;
#pragma unroll
        for (int k = 0; k < S::V4; k++) {
            dq[r][k] = zero4();
        }
    }

    for (int k0 = 0; k0 < keys; k0 += S::TILE) {
        const int tile_rows = keys - k0 < S::TILE ? keys - k0 : S::TILE;
        const float* rows = bh.head + k0 * stride;
        __syncthreads();
        load_tile<D, S::TILE, S::THREADS>(smem, 0, rows + E, stride, tile_rows, vec);
        load_tile<D, S::TILE, S::THREADS>(smem, S::TILE * S::D4, rows + 2 * E, stride, tile_rows, vec);
        __syncthreads();

        for (int c0 = 0; c0 < tile_rows; c0 += S::STEP) {
            float p[S::R][S::CHUNK], ds[S::R][S::CHUNK];
#pragma unroll
            for (int j = 0; j < S::CHUNK; j++) {
                const int key = c0 + j * S::SPLIT + at.part;
#pragma unroll
                for (int r = 0; r < S::R; r++) {
                    p[r][j] = 0.f;
                    ds[r][j] = 0.f;
                }
#pragma unroll
                for (int k = 0; k < S::V4; k++) {
                    const float4 kv = smem[key * S::D4 + k * S::T + at.dim];
                    const float4 vv = smem[(S::TILE + key) * S::D4 + k * S::T + at.dim];
#pragma unroll
                    for (int r = 0; r < S::R; r++) {
                        p[r][j] = dot4(q[r][k], kv, p[r][j]);
                        ds[r][j] = dot4(g[r][k], vv, ds[r][j]);
                    }
                }
            }
            const bool tail = c0 + S::STEP > tile_rows;  // keys past the extent: p = 0
#pragma unroll
            for (int r = 0; r < S::R; r++) {
#pragma unroll
                for (int j = 0; j < S::CHUNK; j++) {
                    const float s = group_sum<S::T>(p[r][j]);
                    const float dp = group_sum<S::T>(ds[r][j]);
                    p[r][j] = (tail && c0 + j * S::SPLIT + at.part >= tile_rows) ? 0.f : exp2f(s - lse2[r]);
                    ds[r][j] = p[r][j] * (dp - dl[r]);
                }
            }
#pragma unroll
            for (int j = 0; j < S::CHUNK; j++) {
                const int key = c0 + j * S::SPLIT + at.part;
#pragma unroll
                for (int k = 0; k < S::V4; k++) {
                    const float4 kv = smem[key * S::D4 + k * S::T + at.dim];
#pragma unroll
                    for (int r = 0; r < S::R; r++) {
                        axpy4(dq[r][k], ds[r][j], kv);
                    }
                }
            }
        }
    }
    part_sum<S>(dq);
    store_slices<S>(dq, bh.d_head, stride, q0, at, seq_len, scale, vec);
}

// ------------------------------------------------------------------ register-tiled backward (D 64, 128)
//
// At head dims 64 and 128 each streamed tile of the backward is a handful of small GEMMs: S and dP
// are [owned x streamed] products over D, and the gradient update is an [owned x D] product over
// the streamed rows. The lane-slice layout above pays for them with one shuffle per partial sum and
// 2 FMAs per float it reads from shared memory, which makes these head dims shared-memory bound.
// Here every thread computes blocks, like a GEMM micro-kernel: an AM x AN block of S and dP from
// float4 operands (AM owned rows of the transposed owned operand at one d, AN streamed rows at
// four d), then, with P and dS passed through shared memory, a CM x CN block of the gradients
// (float4 of P^T and of the streamed operand at one streamed row). A block of AM x AN costs
// AM + AN floats per AM * AN FMAs: 2.67 FMAs per float at 8 x 4, 2 at 4 x 4, 4 at 8 x 8, and no
// shuffles; an SM returns 32 lane-floats of shared memory per cycle (64 when lane pairs n, n^1 or
// n, n^2 read one address, which TileLane arranges) against 128 lane FMAs.

// Where a thread sits in an NA x NB grid of thread blocks: a warp is 8 groups along A (lane bits 1,
// 3, 4) by 4 along B (lane bits 0, 2), so lanes n and n^1 read the same A operand and lanes n and
// n^2 the same B operand; the 8 A groups of a warp read 8 consecutive float4 (all 32 banks) and
// the 4 B groups 4 consecutive rows (padded: distinct banks).
template <int NA, int NB>
struct TileLane {
    int a;  // A group: rows 4 * (i4 * NA + a) + (0..3) of the A side
    int b;  // B group
    __device__ __forceinline__ TileLane() {
        const int lane = (int) threadIdx.x % 32, warp = (int) threadIdx.x / 32;
        a = (((lane >> 1) & 1) | ((lane >> 3) << 1)) + 8 * (warp % (NA / 8));
        b = ((lane & 1) | (((lane >> 2) & 1) << 1)) + 4 * (warp / (NA / 8));
    }
    // Row (or column) i of this thread's A side, for float4 runs of 4 rows.
    __device__ __forceinline__ int a_index(int i) const { return 4 * ((i / 4) * NA + a) + i % 4; }
};

__device__ __forceinline__ float component(const float4& v, int c) {
    return c == 0 ? v.x : (c == 1 ? v.y : (c == 2 ? v.z : v.w));
}

// Streamed rows [0, valid) of a STREAM x D tile into shared memory (float4 stride ROW4); rows
// [valid, STREAM) become zeros, so they multiply as zeros.
template <class S>
__device__ __forceinline__ void load_stream_rows(fb_smem_ptr<float4> dst, const float* __restrict__ src,
                                                 long long stride, int valid, bool vec) {
    constexpr int N = S::STREAM * S::D4;
#pragma unroll
    for (int i0 = 0; i0 < N; i0 += S::THREADS) {
        const int i = i0 + (int) threadIdx.x;
        if (N % S::THREADS == 0 || i < N) {
            const int row = i / S::D4, c = i % S::D4;
            dst[row * S::ROW4 + c] = row < valid ? load4(src + row * stride + c * 4, vec) : zero4();
        }
    }
}

// Owned rows [0, valid) of an OWN x D block, times `mul`, into shared memory transposed ([D][OWN]
// floats); rows [valid, OWN) become zeros. Consecutive lanes take consecutive rows, so the
// scattered stores hit distinct banks.
template <class S>
__device__ __forceinline__ void load_owned_transposed(fb_smem_ptr<float4> dst4, const float* __restrict__ src,
                                                      long long stride, int valid, float mul, bool vec) {
    const fb_smem_ptr<float> dst = fb_smem_cast<float>(dst4);
    constexpr int N = S::OWN * S::D4;
#pragma unroll
    for (int i0 = 0; i0 < N; i0 += S::THREADS) {
        const int i = i0 + (int) threadIdx.x;
        if (N % S::THREADS == 0 || i < N) {
            const int row = i % S::OWN, c = i / S::OWN;
            const float4 v = row < valid ? scale4(load4(src + row * stride + c * 4, vec), mul) : zero4();
            dst[(4 * c + 0) * S::OWN + row] = v.x;
            dst[(4 * c + 1) * S::OWN + row] = v.y;
            dst[(4 * c + 2) * S::OWN + row] = v.z;
            dst[(4 * c + 3) * S::OWN + row] = v.w;
        }
    }
}

// acc[i][j] = sum over d of At[d][a_index(i)] * B[b + NB * j][d]: At the owned operand transposed
// ([D][OWN], float4 stride OWN4), B the streamed tile (float4 stride ROW4). The sum runs over d in
// order, so results do not depend on the schedule.
template <class S>
__device__ __forceinline__ void tile_products(float (&acc)[S::AM][S::AN], fb_smem_ptr<float4> at,
                                              fb_smem_ptr<float4> bt, const TileLane<S::NA, S::NB>& at_lane) {
#pragma unroll
    for (int i = 0; i < S::AM; i++) {
#pragma unroll
        for (int j = 0; j < S::AN; j++) {
            acc[i][j] = 0.f;
        }
    }
#pragma unroll 4
    for (int d4 = 0; d4 < S::D4; d4++) {
        float4 bv[S::AN];
#pragma unroll
        for (int j = 0; j < S::AN; j++) {
            bv[j] = bt[(at_lane.b + S::NB * j) * S::ROW4 + d4];
        }
#pragma unroll
        for (int c = 0; c < 4; c++) {
            float av[S::AM];
#pragma unroll
            for (int i4 = 0; i4 < S::AM / 4; i4++) {
                const float4 v = at[(4 * d4 + c) * S::OWN4 + i4 * S::NA + at_lane.a];
                av[4 * i4 + 0] = v.x;
                av[4 * i4 + 1] = v.y;
                av[4 * i4 + 2] = v.z;
                av[4 * i4 + 3] = v.w;
            }
#pragma unroll
            for (int i = 0; i < S::AM; i++) {
#pragma unroll
                for (int j = 0; j < S::AN; j++) {
                    acc[i][j] = fmaf(av[i], component(bv[j], c), acc[i][j]);
                }
            }
        }
    }
}

// P and dS for an AM x AN block: p = exp2(S + row_bias[i] + col_bias[j]) with S = At_s . B_s
// (scores in the exp2 domain, the biases carrying -lse2 and the masks), then
// ds = p (dP - row_delta[i] - col_delta[j]) with dP = At_dp . B_dp.
template <class S>
__device__ __forceinline__ void score_gradients(float (&p)[S::AM][S::AN], float (&ds)[S::AM][S::AN],
                                                fb_smem_ptr<float4> at_s, fb_smem_ptr<float4> b_s,
                                                fb_smem_ptr<float4> at_dp, fb_smem_ptr<float4> b_dp,
                                                const TileLane<S::NA, S::NB>& at_lane, const float (&row_bias)[S::AM],
                                                const float (&col_bias)[S::AN], const float (&row_delta)[S::AM],
                                                const float (&col_delta)[S::AN]) {
    tile_products<S>(p, at_s, b_s, at_lane);
#pragma unroll
    for (int i = 0; i < S::AM; i++) {
#pragma unroll
        for (int j = 0; j < S::AN; j++) {
            p[i][j] = exp2f(p[i][j] + row_bias[i] + col_bias[j]);
        }
    }
    tile_products<S>(ds, at_dp, b_dp, at_lane);
#pragma unroll
    for (int i = 0; i < S::AM; i++) {
#pragma unroll
        for (int j = 0; j < S::AN; j++) {
            ds[i][j] = p[i][j] * (ds[i][j] - (row_delta[i] + col_delta[j]));
        }
    }
}

// Stores an AM x AN block (owned x streamed) as rows of Pt[streamed][owned] (float4 stride P4).
template <class S>
__device__ __forceinline__ void store_block_transposed(const float (&v)[S::AM][S::AN], fb_smem_ptr<float4> pt,
                                                       const TileLane<S::NA, S::NB>& at_lane) {
#pragma unroll
    for (int j = 0; j < S::AN; j++) {
#pragma unroll
        for (int i4 = 0; i4 < S::AM / 4; i4++) {
            pt[(at_lane.b + S::NB * j) * S::P4 + i4 * S::NA + at_lane.a] =
                make_float4(v[4 * i4][j], v[4 * i4 + 1][j], v[4 * i4 + 2][j], v[4 * i4 + 3][j]);
        }
    }
}

// acc[i][j] += sum over streamed rows s (in order) of Pt[s][a_index(i)] * B[s][column j], where
// column j is 4 * ((j / 4) * NC + b) + j % 4: the gradient update, an outer product per row s.
template <class S>
__device__ __forceinline__ void tile_update(float (&acc)[S::CM][S::CN], fb_smem_ptr<float4> pt,
                                            fb_smem_ptr<float4> bt, const TileLane<S::NR, S::NC>& at_lane) {
#pragma unroll 4
    for (int s = 0; s < S::STREAM; s++) {
        float4 av[S::CM / 4], bv[S::CN / 4];
#pragma unroll
        for (int i4 = 0; i4 < S::CM / 4; i4++) {
            av[i4] = pt[s * S::P4 + i4 * S::NR + at_lane.a];
        }
#pragma unroll
        for (int j4 = 0; j4 < S::CN / 4; j4++) {
            bv[j4] = bt[s * S::ROW4 + j4 * S::NC + at_lane.b];
        }
#pragma unroll
        for (int i = 0; i < S::CM; i++) {
#pragma unroll
            for (int j = 0; j < S::CN; j++) {
                acc[i][j] = fmaf(component(av[i / 4], i % 4), component(bv[j / 4], j % 4), acc[i][j]);
            }
        }
    }
}

// Stores a CM x CN gradient block, times `mul`, to rows first + a_index(i) below `rows`.
template <class S>
__device__ __forceinline__ void store_gradient_block(const float (&acc)[S::CM][S::CN], float* __restrict__ base,
                                                     long long stride, int first, int rows, float mul,
                                                     const TileLane<S::NR, S::NC>& at_lane, bool vec) {
#pragma unroll
    for (int i = 0; i < S::CM; i++) {
        const int row = first + at_lane.a_index(i);
        if (row < rows) {
#pragma unroll
            for (int j4 = 0; j4 < S::CN / 4; j4++) {
                store4(base + row * stride + 4 * (j4 * S::NC + at_lane.b),
                       make_float4(acc[i][4 * j4] * mul, acc[i][4 * j4 + 1] * mul, acc[i][4 * j4 + 2] * mul,
                                   acc[i][4 * j4 + 3] * mul),
                       vec);
            }
        }
    }
}

template <int AM, int AN>
__device__ __forceinline__ void zero_block(float (&acc)[AM][AN]) {
#pragma unroll
    for (int i = 0; i < AM; i++) {
#pragma unroll
        for (int j = 0; j < AN; j++) {
            acc[i][j] = 0.f;
        }
    }
}

// dK and dV for a block of OWN key rows, register-tiled: per tile of streamed queries,
// S^T = K Q^T and dP^T = V dO^T (K pre-scaled into the exp2 domain), P = exp2(S - lse2),
// dS = P (dP - delta), then dV += P^T dO and dK += dS^T Q.
template <int D>
__device__ __forceinline__ void backward_key_grad_tiled(const float* __restrict__ qkv,
                                                        const int* __restrict__ valid_lengths,
                                                        const float* __restrict__ d_out,
                                                        const float* __restrict__ lse,
                                                        const float* __restrict__ delta, float* __restrict__ dqkv,
                                                        int seq_len, int heads, float scale) {
    using S = KeyGradShape<D>;
    // K^T, V^T [D][OWN]; Q, dO [STREAM][ROW4]; P^T (and dS^T) [STREAM][P4].
    FB_DYNAMIC_SHARED(float4, smem);
    const fb_smem_ptr<float4> kt = smem, vt = kt + S::D * S::OWN4, qs = vt + S::D * S::OWN4,
                              gs = qs + S::STREAM * S::ROW4, ps = gs + S::STREAM * S::ROW4,
                              dss = S::P_BUFFERS == 2 ? ps + S::STREAM * S::P4 : ps;
    __shared__ float neg_lse2_tile[S::STREAM];  // -lse * log2(e); -inf past the sequence (p = 0)
    __shared__ float delta_tile[S::STREAM];
    const int j0 = blockIdx.x * S::OWN;
    const TileLane<S::NA, S::NB> sl;
    const TileLane<S::NR, S::NC> gl;
    const BackwardHead bh(qkv, valid_lengths, d_out, lse, delta, dqkv, seq_len, heads, D);
    const int E = bh.E, keys = bh.keys;
    const long long stride = bh.stride;
    const bool vec = bh.vec;

    float dk[S::CM][S::CN], dv[S::CM][S::CN];
    zero_block(dk);
    zero_block(dv);
    if (j0 < keys) {  // uniform per block: a block wholly past the extent only writes zeros
        const int own = keys - j0 < S::OWN ? keys - j0 : S::OWN;
        load_owned_transposed<S>(kt, bh.head + E + j0 * stride, stride, own, scale * kLog2e, vec);
        load_owned_transposed<S>(vt, bh.head + 2 * E + j0 * stride, stride, own, 1.f, vec);
        float key_bias[S::AM];  // masks keys past the extent: p = exp2(-inf) = 0
#pragma unroll
        for (int i = 0; i < S::AM; i++) {
            key_bias[i] = sl.a_index(i) < own ? 0.f : -INFINITY;
        }

        for (int i0 = 0; i0 < seq_len; i0 += S::STREAM) {
            const int tile_rows = seq_len - i0 < S::STREAM ? seq_len - i0 : S::STREAM;
            __syncthreads();  // the previous tile is consumed
            load_stream_rows<S>(qs, bh.head + i0 * stride, stride, tile_rows, vec);
            load_stream_rows<S>(gs, bh.d_out + (long long) i0 * E, E, tile_rows, vec);
            for (int i = threadIdx.x; i < S::STREAM; i += S::THREADS) {
                neg_lse2_tile[i] = i < tile_rows ? -(bh.lse[i0 + i] * kLog2e) : -INFINITY;
                delta_tile[i] = i < tile_rows ? bh.delta[i0 + i] : 0.f;
            }
            __syncthreads();

            float neg_lse2[S::AN], dl[S::AN], none[S::AM];
#pragma unroll
            for (int j = 0; j < S::AN; j++) {
                neg_lse2[j] = neg_lse2_tile[sl.b + S::NB * j];
                dl[j] = delta_tile[sl.b + S::NB * j];
            }
#pragma unroll
            for (int i = 0; i < S::AM; i++) {
                none[i] = 0.f;
            }
            float p[S::AM][S::AN], ds[S::AM][S::AN];
            score_gradients<S>(p, ds, kt, qs, vt, gs, sl, key_bias, neg_lse2, none, dl);
            store_block_transposed<S>(p, ps, sl);
            if constexpr (S::P_BUFFERS == 2) {
                store_block_transposed<S>(ds, dss, sl);
                __syncthreads();
                tile_update<S>(dv, ps, gs, gl);
                tile_update<S>(dk, dss, qs, gl);
            } else {
                __syncthreads();
                tile_update<S>(dv, ps, gs, gl);
                __syncthreads();  // P^T is consumed: dS^T takes its place
                store_block_transposed<S>(ds, dss, sl);
                __syncthreads();
                tile_update<S>(dk, dss, qs, gl);
            }
        }
    }
    store_gradient_block<S>(dk, bh.d_head + E, stride, j0, seq_len, scale, gl, vec);
    store_gradient_block<S>(dv, bh.d_head + 2 * E, stride, j0, seq_len, 1.f, gl, vec);
}

// dQ for a block of OWN query rows, register-tiled: per tile of streamed keys, S = Q K^T and
// dP = dO V^T (Q pre-scaled into the exp2 domain), dS = P (dP - delta), then dQ += dS K.
template <int D>
__device__ __forceinline__ void backward_query_grad_tiled(const float* __restrict__ qkv,
                                                          const int* __restrict__ valid_lengths,
                                                          const float* __restrict__ d_out,
                                                          const float* __restrict__ lse,
                                                          const float* __restrict__ delta,
                                                          float* __restrict__ dqkv, int seq_len, int heads,
                                                          float scale) {
    using S = QueryGradShape<D>;
    // Q^T, dO^T [D][OWN]; K, V [STREAM][ROW4]; dS^T [STREAM][P4].
    FB_DYNAMIC_SHARED(float4, smem);
    const fb_smem_ptr<float4> qt = smem, gt = qt + S::D * S::OWN4, ks = gt + S::D * S::OWN4,
                              vs = ks + S::STREAM * S::ROW4, dss = vs + S::STREAM * S::ROW4;
    const int q0 = blockIdx.x * S::OWN;
    const TileLane<S::NA, S::NB> sl;
    const TileLane<S::NR, S::NC> gl;
    const BackwardHead bh(qkv, valid_lengths, d_out, lse, delta, dqkv, seq_len, heads, D);
    const int E = bh.E, keys = bh.keys;
    const long long stride = bh.stride;
    const bool vec = bh.vec;

    const int own = seq_len - q0 < S::OWN ? seq_len - q0 : S::OWN;
    load_owned_transposed<S>(qt, bh.head + q0 * stride, stride, own, scale * kLog2e, vec);
    load_owned_transposed<S>(gt, bh.d_out + (long long) q0 * E, E, own, 1.f, vec);
    float neg_lse2[S::AM], dl[S::AM];  // -lse * log2(e); -inf past the sequence, so p = 0
#pragma unroll
    for (int i = 0; i < S::AM; i++) {
        const int row = sl.a_index(i);
        neg_lse2[i] = row < own ? -(bh.lse[q0 + row] * kLog2e) : -INFINITY;
        dl[i] = row < own ? bh.delta[q0 + row] : 0.f;
    }
    float dq[S::CM][S::CN];
    zero_block(dq);

    for (int k0 = 0; k0 < keys; k0 += S::STREAM) {
        const int tile_rows = keys - k0 < S::STREAM ? keys - k0 : S::STREAM;
        const float* rows = bh.head + k0 * stride;
        __syncthreads();  // the previous tile is consumed (the first time: Q^T and dO^T are written)
        load_stream_rows<S>(ks, rows + E, stride, tile_rows, vec);
        load_stream_rows<S>(vs, rows + 2 * E, stride, tile_rows, vec);
        __syncthreads();

        float key_bias[S::AN], none[S::AN];  // keys past the extent (zero rows of the last tile): p = 0
#pragma unroll
        for (int j = 0; j < S::AN; j++) {
            key_bias[j] = sl.b + S::NB * j < tile_rows ? 0.f : -INFINITY;
            none[j] = 0.f;
        }
        float p[S::AM][S::AN], ds[S::AM][S::AN];
        score_gradients<S>(p, ds, qt, ks, gt, vs, sl, neg_lse2, key_bias, dl, none);
        store_block_transposed<S>(ds, dss, sl);
        __syncthreads();
        tile_update<S>(dq, dss, ks, gl);
    }
    store_gradient_block<S>(dq, bh.d_head, stride, q0, seq_len, scale, gl,
                            vec);
}

// ------------------------------------------------------------------ TF32 tensor-core backward (D 64)
//
// For callers whose GEMMs run in TF32 (a GPU device's default), the backward's products run on the
// tensor cores: nvcuda::wmma m16n16k8 with TF32 operands (rounded by __float_to_tf32 as they are
// loaded; dP, which cancels against delta, from split operands to near fp32) and fp32 accumulation. A block of 4 warps owns 64 rows; warp w owns
// rows 16w..16w+15 and computes its strip of S and dP (16 x STREAM), P and dS (through its own rows
// of a shared scratch, since fragment layouts are unspecified), and its strip of the gradients, so
// between tile loads a warp only waits for itself. Same sums in the same order on every run:
// deterministic, like the fp32 kernels.
namespace wmma = nvcuda::wmma;
using TfA = wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::row_major>;
using TfBRows = wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::row_major>;
using TfBCols = wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::col_major>;
using TfAcc = wmma::fragment<wmma::accumulator, 16, 16, 8, float>;

template <int D_>
struct TensorShape {
    static constexpr int D = D_;
    static constexpr int OWN = 64;     // rows owned by a block: 16 per warp
    static constexpr int STREAM = 64;  // streamed rows per tile
    static constexpr int THREADS = 128;
    static constexpr int MIN_BLOCKS = 2;
    static constexpr int ROWS = OWN;   // FB_ATTENTION_GEOMETRY's names
    static constexpr int TILE = STREAM;
    static constexpr int LD = D + 4;        // floats per operand row in shared memory (padded)
    static constexpr int SLD = STREAM + 4;  // floats per scratch row
    static constexpr int DT = D / 16;       // 16-column blocks of a gradient strip
    static constexpr int ST = STREAM / 16;  // 16-column blocks of an S strip
    // Operands: the owned pair [OWN][LD] and the streamed pair [STREAM][LD]; scratch: S/P and dP/dS [OWN][SLD].
    static constexpr int SHARED = (2 * OWN * LD + 2 * STREAM * LD + 2 * OWN * SLD) * 4;
    static_assert(OWN == 16 * (THREADS / 32), "16 owned rows per warp");
    static_assert(STREAM >= D, "a warp's gradient strip leaves through its scratch rows");
};
template <int D> struct KeyGradTf32Shape;
template <> struct KeyGradTf32Shape<64> : TensorShape<64> {};
template <int D> struct QueryGradTf32Shape;
template <> struct QueryGradTf32Shape<64> : TensorShape<64> {};
template <int D> using backward_dkdv_tf32_shape = KeyGradTf32Shape<D>;
template <int D> using backward_dq_tf32_shape = QueryGradTf32Shape<D>;

// Rows [0, valid) of a block of `Rows` rows, times `mul`, into shared memory rows of LD floats;
// rows [valid, Rows) become zeros.
template <class S, int Rows>
__device__ __forceinline__ void load_rows_padded(fb_smem_ptr<float> dst, const float* __restrict__ src,
                                                 long long stride, int valid, float mul, bool vec) {
    const fb_smem_ptr<float4> dst4 = fb_smem_cast<float4>(dst);
    constexpr int N = Rows * (S::D / 4);
#pragma unroll
    for (int i0 = 0; i0 < N; i0 += S::THREADS) {
        const int i = i0 + (int) threadIdx.x;
        if (N % S::THREADS == 0 || i < N) {
            const int row = i / (S::D / 4), c = i % (S::D / 4);
            dst4[row * (S::LD / 4) + c] = row < valid ? scale4(load4(src + row * stride + c * 4, vec), mul) : zero4();
        }
    }
}

// Rounds a fragment's elements to TF32 (hi), and with `lo` keeps what rounding lost, rounded too.
template <class Frag>
__device__ __forceinline__ void tf32_split(Frag& hi, Frag* lo) {
#pragma unroll
    for (int i = 0; i < hi.num_elements; i++) {
        const float x = hi.x[i];
        hi.x[i] = wmma::__float_to_tf32(x);
        if (lo != nullptr) {
            lo->x[i] = wmma::__float_to_tf32(x - hi.x[i]);
        }
    }
}

// acc[n] (+)= A B for a warp's 16-row strip: A [16][KDIM] row-major at `a` (ld lda); B [KDIM][16 N]
// with element (k, col) at b[col * ldb + k] (Cols: the rows of a streamed operand, transposed) or at
// b[k * ldb + col] (Rows). Operands are fp32 in shared memory, rounded to TF32 as they are loaded;
// SPLIT adds the products with what rounding lost (a_lo b + a b_lo: three products instead of one,
// near-fp32 accuracy), for dP, whose difference with delta cancels in dS = P (dP - delta).
template <int N, int KDIM, class BFrag, bool SPLIT>
__device__ __forceinline__ void warp_product(TfAcc (&acc)[N], fb_smem_ptr<float> a, int lda, fb_smem_ptr<float> b,
                                             int ldb, bool accumulate) {
    constexpr bool cols = std::is_same<BFrag, TfBCols>::value;
    if (!accumulate) {
#pragma unroll
        for (int n = 0; n < N; n++) {
            wmma::fill_fragment(acc[n], 0.f);
        }
    }
#pragma unroll 1
    for (int k = 0; k < KDIM; k += 8) {
        TfA af, af_lo;
        wmma::load_matrix_sync(af, a + k, lda);
        tf32_split(af, SPLIT ? &af_lo : nullptr);
#pragma unroll
        for (int n = 0; n < N; n++) {
            BFrag bf, bf_lo;
            wmma::load_matrix_sync(bf, cols ? b + 16 * n * ldb + k : b + k * ldb + 16 * n, ldb);
            tf32_split(bf, SPLIT ? &bf_lo : nullptr);
            if (SPLIT) {  // the small terms first
                wmma::mma_sync(acc[n], af_lo, bf, acc[n]);
                wmma::mma_sync(acc[n], af, bf_lo, acc[n]);
            }
            wmma::mma_sync(acc[n], af, bf, acc[n]);
        }
    }
}

// The TF32 kernels' shared memory: the owned pair of operands [OWN][LD] (K, V or Q, dO), the
// streamed pair [STREAM][LD], and this warp's 16 scratch rows of S/P and dP/dS ([SLD] each).
template <class S>
struct TensorTiles {
    fb_smem_ptr<float> own0, own1, stream0, stream1, ss, dps;
    int warp;
    __device__ __forceinline__ explicit TensorTiles(fb_smem_ptr<float> smem)
        : own0(smem), own1(own0 + S::OWN * S::LD), stream0(own1 + S::OWN * S::LD),
          stream1(stream0 + S::STREAM * S::LD), ss(stream1 + S::STREAM * S::LD + 16 * ((int) threadIdx.x / 32) * S::SLD),
          dps(ss + S::OWN * S::SLD), warp((int) threadIdx.x / 32) {}
    // This warp's strip of an owned operand.
    __device__ __forceinline__ fb_smem_ptr<float> strip(fb_smem_ptr<float> owned) const { return owned + 16 * warp * S::LD; }
};

// S = A_s B_s^T and dP = A_dp B_dp^T (B: streamed rows) of a warp's 16-row strip, into its scratch rows.
template <class S>
__device__ __forceinline__ void strip_products(fb_smem_ptr<float> my_ss, fb_smem_ptr<float> my_dps,
                                               fb_smem_ptr<float> a_s, fb_smem_ptr<float> b_s,
                                               fb_smem_ptr<float> a_dp, fb_smem_ptr<float> b_dp) {
    TfAcc s[S::ST], dp[S::ST];
    warp_product<S::ST, S::D, TfBCols, false>(s, a_s, S::LD, b_s, S::LD, false);
    warp_product<S::ST, S::D, TfBCols, true>(dp, a_dp, S::LD, b_dp, S::LD, false);
#pragma unroll
    for (int n = 0; n < S::ST; n++) {
        wmma::store_matrix_sync(my_ss + 16 * n, s[n], S::SLD, wmma::mem_row_major);
        wmma::store_matrix_sync(my_dps + 16 * n, dp[n], S::SLD, wmma::mem_row_major);
    }
}

// Stores a warp's gradient strip (16 rows x D), times `mul`, to rows first + 16 * warp + r below
// `rows`, through the warp's scratch rows (fragment layouts are unspecified).
template <class S>
__device__ __forceinline__ void store_strip(const TfAcc (&acc)[S::DT], fb_smem_ptr<float> scratch, float* base,
                                            long long stride, int first, int rows, float mul, bool vec) {
    const int lane = (int) threadIdx.x % 32;
    __syncwarp();  // the warp's last reads of its scratch rows are done
#pragma unroll
    for (int n = 0; n < S::DT; n++) {
        wmma::store_matrix_sync(scratch + 16 * n, acc[n], S::SLD, wmma::mem_row_major);
    }
    __syncwarp();
    for (int e = lane; e < 16 * (S::D / 4); e += 32) {
        const int r = e / (S::D / 4), c = e % (S::D / 4);
        if (first + r < rows) {
            const int at = r * S::SLD + 4 * c;
            store4(base + (first + r) * stride + 4 * c,
                   make_float4(scratch[at] * mul, scratch[at + 1] * mul, scratch[at + 2] * mul, scratch[at + 3] * mul),
                   vec);
        }
    }
}

// P and dS of a warp's strip, from S and dP in its scratch rows: p = exp2(s + bias(r, c)),
// ds = p (dp - delta(r, c)), in place (the next products' operands).
template <class S, class Bias, class Delta>
__device__ __forceinline__ void strip_score_gradients(fb_smem_ptr<float> ss, fb_smem_ptr<float> dps, Bias bias,
                                                      Delta delta) {
    const int lane = (int) threadIdx.x % 32;
    __syncwarp();  // S and dP are in the scratch rows
    for (int e = lane; e < 16 * S::STREAM; e += 32) {
        const int r = e / S::STREAM, c = e % S::STREAM, at = r * S::SLD + c;
        const float p = exp2f(ss[at] + bias(r, c));
        ss[at] = p;
        dps[at] = p * (dps[at] - delta(r, c));
    }
    __syncwarp();
}

// dK and dV for a block of 64 key rows on the tensor cores: per tile of streamed queries,
// S^T = K Q^T and dP^T = V dO^T, then dV += P^T dO and dK += dS^T Q.
template <int D>
__device__ __forceinline__ void backward_key_grad_tf32(const float* __restrict__ qkv,
                                                       const int* __restrict__ valid_lengths,
                                                       const float* __restrict__ d_out, const float* __restrict__ lse,
                                                       const float* __restrict__ delta, float* __restrict__ dqkv,
                                                       int seq_len, int heads, float scale) {
    using S = KeyGradTf32Shape<D>;
    FB_DYNAMIC_SHARED(float, smem);
    const TensorTiles<S> t(smem);  // K, V owned; Q, dO streamed; S^T/P^T, dP^T/dS^T scratch
    const fb_smem_ptr<float> ks = t.own0, vs = t.own1, qs = t.stream0, gs = t.stream1, my_ss = t.ss, my_dps = t.dps;
    __shared__ float neg_lse2_tile[S::STREAM];  // -lse * log2(e); -inf past the sequence (p = 0)
    __shared__ float delta_tile[S::STREAM];
    const int j0 = blockIdx.x * S::OWN, warp = t.warp;
    const BackwardHead bh(qkv, valid_lengths, d_out, lse, delta, dqkv, seq_len, heads, D);
    const int E = bh.E;
    const long long stride = bh.stride;

    TfAcc dk[S::DT], dv[S::DT];
#pragma unroll
    for (int n = 0; n < S::DT; n++) {
        wmma::fill_fragment(dk[n], 0.f);
        wmma::fill_fragment(dv[n], 0.f);
    }
    if (j0 < bh.keys) {  // uniform per block: a block wholly past the extent only writes zeros
        const int own = bh.keys - j0 < S::OWN ? bh.keys - j0 : S::OWN;
        load_rows_padded<S, S::OWN>(ks, bh.head + E + j0 * stride, stride, own, scale * kLog2e, bh.vec);
        load_rows_padded<S, S::OWN>(vs, bh.head + 2 * E + j0 * stride, stride, own, 1.f, bh.vec);
        const int own_in_strip = own - 16 * warp;  // this warp's keys at or past it are masked: p = 0

        for (int i0 = 0; i0 < seq_len; i0 += S::STREAM) {
            const int tile_rows = seq_len - i0 < S::STREAM ? seq_len - i0 : S::STREAM;
            __syncthreads();  // the previous tile is consumed
            load_rows_padded<S, S::STREAM>(qs, bh.head + i0 * stride, stride, tile_rows, 1.f, bh.vec);
            load_rows_padded<S, S::STREAM>(gs, bh.d_out + (long long) i0 * E, E, tile_rows, 1.f, bh.vec);
            for (int i = threadIdx.x; i < S::STREAM; i += S::THREADS) {
                neg_lse2_tile[i] = i < tile_rows ? -(bh.lse[i0 + i] * kLog2e) : -INFINITY;
                delta_tile[i] = i < tile_rows ? bh.delta[i0 + i] : 0.f;
            }
            __syncthreads();

            strip_products<S>(my_ss, my_dps, t.strip(ks), qs, t.strip(vs), gs);
            strip_score_gradients<S>(
                my_ss, my_dps,
                [&](int r, int c) { return (r < own_in_strip ? 0.f : -INFINITY) + neg_lse2_tile[c]; },
                [&](int, int c) { return delta_tile[c]; });
            warp_product<S::DT, S::STREAM, TfBRows, false>(dv, my_ss, S::SLD, gs, S::LD, true);
            warp_product<S::DT, S::STREAM, TfBRows, false>(dk, my_dps, S::SLD, qs, S::LD, true);
        }
    }
    store_strip<S>(dk, my_ss, bh.d_head + E, stride, j0 + 16 * warp, seq_len, scale, bh.vec);
    store_strip<S>(dv, my_ss, bh.d_head + 2 * E, stride, j0 + 16 * warp, seq_len, 1.f, bh.vec);
}

// dQ for a block of 64 query rows on the tensor cores: per tile of streamed keys, S = Q K^T and
// dP = dO V^T, then dQ += dS K.
template <int D>
__device__ __forceinline__ void backward_query_grad_tf32(const float* __restrict__ qkv,
                                                         const int* __restrict__ valid_lengths,
                                                         const float* __restrict__ d_out,
                                                         const float* __restrict__ lse,
                                                         const float* __restrict__ delta, float* __restrict__ dqkv,
                                                         int seq_len, int heads, float scale) {
    using S = QueryGradTf32Shape<D>;
    FB_DYNAMIC_SHARED(float, smem);
    const TensorTiles<S> t(smem);  // Q, dO owned; K, V streamed; S/P, dP/dS scratch
    const fb_smem_ptr<float> qs = t.own0, gs = t.own1, ks = t.stream0, vs = t.stream1, my_ss = t.ss, my_dps = t.dps;
    __shared__ float neg_lse2_rows[S::OWN];  // -lse * log2(e); -inf past the sequence (p = 0)
    __shared__ float delta_rows[S::OWN];
    const int q0 = blockIdx.x * S::OWN, warp = t.warp;
    const BackwardHead bh(qkv, valid_lengths, d_out, lse, delta, dqkv, seq_len, heads, D);
    const int E = bh.E;
    const long long stride = bh.stride;

    const int own = seq_len - q0 < S::OWN ? seq_len - q0 : S::OWN;
    load_rows_padded<S, S::OWN>(qs, bh.head + q0 * stride, stride, own, scale * kLog2e, bh.vec);
    load_rows_padded<S, S::OWN>(gs, bh.d_out + (long long) q0 * E, E, own, 1.f, bh.vec);
    for (int i = threadIdx.x; i < S::OWN; i += S::THREADS) {
        neg_lse2_rows[i] = i < own ? -(bh.lse[q0 + i] * kLog2e) : -INFINITY;
        delta_rows[i] = i < own ? bh.delta[q0 + i] : 0.f;
    }
    TfAcc dq[S::DT];
#pragma unroll
    for (int n = 0; n < S::DT; n++) {
        wmma::fill_fragment(dq[n], 0.f);
    }

    for (int k0 = 0; k0 < bh.keys; k0 += S::STREAM) {
        const int tile_rows = bh.keys - k0 < S::STREAM ? bh.keys - k0 : S::STREAM;
        const float* rows = bh.head + k0 * stride;
        __syncthreads();  // the previous tile is consumed (the first time: Q, dO and the row terms are written)
        load_rows_padded<S, S::STREAM>(ks, rows + E, stride, tile_rows, 1.f, bh.vec);
        load_rows_padded<S, S::STREAM>(vs, rows + 2 * E, stride, tile_rows, 1.f, bh.vec);
        __syncthreads();

        strip_products<S>(my_ss, my_dps, t.strip(qs), ks, t.strip(gs), vs);
        const int row0 = 16 * warp;
        strip_score_gradients<S>(
            my_ss, my_dps,
            // Keys past the extent (zero rows of the last tile) get p = 0.
            [&](int r, int c) { return neg_lse2_rows[row0 + r] + (c < tile_rows ? 0.f : -INFINITY); },
            [&](int r, int) { return delta_rows[row0 + r]; });
        warp_product<S::DT, S::STREAM, TfBRows, false>(dq, my_dps, S::SLD, ks, S::LD, true);
    }
    store_strip<S>(dq, my_ss, bh.d_head, stride, q0 + 16 * warp, seq_len, scale, bh.vec);
}

// The backward passes of head dim D: lane-sliced (Shape) or register-tiled (TiledShape).
template <int D>
__device__ __forceinline__ void backward_dkdv(const float* __restrict__ qkv, const int* __restrict__ valid_lengths,
                                              const float* __restrict__ d_out, const float* __restrict__ lse,
                                              const float* __restrict__ delta, float* __restrict__ dqkv,
                                              int seq_len, int heads, float scale) {
    if constexpr (KeyGradShape<D>::TILED) {
        backward_key_grad_tiled<D>(qkv, valid_lengths, d_out, lse, delta, dqkv, seq_len, heads, scale);
    } else {
        backward_key_grad<D>(qkv, valid_lengths, d_out, lse, delta, dqkv, seq_len, heads, scale);
    }
}

template <int D>
__device__ __forceinline__ void backward_dq(const float* __restrict__ qkv, const int* __restrict__ valid_lengths,
                                            const float* __restrict__ d_out, const float* __restrict__ lse,
                                            const float* __restrict__ delta, float* __restrict__ dqkv,
                                            int seq_len, int heads, float scale) {
    if constexpr (QueryGradShape<D>::TILED) {
        backward_query_grad_tiled<D>(qkv, valid_lengths, d_out, lse, delta, dqkv, seq_len, heads, scale);
    } else {
        backward_query_grad<D>(qkv, valid_lengths, d_out, lse, delta, dqkv, seq_len, heads, scale);
    }
}

// Every shape against its FB_ATTENTION_GEOMETRY line.
#define FB_ATTENTION_CHECK_GEOMETRY(kind, d, rows, threads, tile, shared)                              \
    static_assert(kind##_shape<d>::ROWS == (rows) && kind##_shape<d>::THREADS == (threads) &&          \
                      kind##_shape<d>::TILE == (tile) && kind##_shape<d>::SHARED == (shared),           \
                  "fb_attention_" #kind "_d" #d ": tile shape differs from FB_ATTENTION_GEOMETRY");
FB_ATTENTION_GEOMETRY(FB_ATTENTION_CHECK_GEOMETRY)
#undef FB_ATTENTION_CHECK_GEOMETRY

}  // namespace fb_attention

// ---------------------------------------------------------------------------------- entry points

#define FB_ATTENTION_ENTRY_POINTS(D)                                                                        \
    extern "C" __global__ void __launch_bounds__(fb_attention::ForwardShape<D>::THREADS, fb_attention::ForwardShape<D>::MIN_BLOCKS)                   \
    fb_attention_forward_d##D(const float* __restrict__ qkv, const int* __restrict__ valid_lengths,         \
                              float* __restrict__ out, float* __restrict__ lse, int seq_len, int heads,     \
                              float scale) {                                                                \
        fb_attention::forward<D>(qkv, valid_lengths, out, lse, seq_len, heads, scale);                     \
    }                                                                                                       \
    extern "C" __global__ void __launch_bounds__(fb_attention::KeyGradShape<D>::THREADS, fb_attention::KeyGradShape<D>::MIN_BLOCKS)                   \
    fb_attention_backward_dkdv_d##D(const float* __restrict__ qkv, const int* __restrict__ valid_lengths,   \
                                    const float* __restrict__ d_out, const float* __restrict__ lse,         \
                                    const float* __restrict__ delta, float* __restrict__ dqkv, int seq_len, \
                                    int heads, float scale) {                                               \
        fb_attention::backward_dkdv<D>(qkv, valid_lengths, d_out, lse, delta, dqkv, seq_len, heads,    \
                                           scale);                                                          \
    }                                                                                                       \
    extern "C" __global__ void __launch_bounds__(fb_attention::QueryGradShape<D>::THREADS, fb_attention::QueryGradShape<D>::MIN_BLOCKS)                 \
    fb_attention_backward_dq_d##D(const float* __restrict__ qkv, const int* __restrict__ valid_lengths,     \
                                  const float* __restrict__ d_out, const float* __restrict__ lse,           \
                                  const float* __restrict__ delta, float* __restrict__ dqkv, int seq_len,   \
                                  int heads, float scale) {                                                 \
        fb_attention::backward_dq<D>(qkv, valid_lengths, d_out, lse, delta, dqkv, seq_len, heads,  \
                                             scale);                                                        \
    }

FB_ATTENTION_ENTRY_POINTS(16)
FB_ATTENTION_ENTRY_POINTS(32)
FB_ATTENTION_ENTRY_POINTS(64)
FB_ATTENTION_ENTRY_POINTS(128)

#define FB_ATTENTION_TF32_ENTRY_POINTS(D)                                                                   \
    extern "C" __global__ void __launch_bounds__(fb_attention::KeyGradTf32Shape<D>::THREADS,                \
                                                 fb_attention::KeyGradTf32Shape<D>::MIN_BLOCKS)             \
    fb_attention_backward_dkdv_tf32_d##D(const float* __restrict__ qkv, const int* __restrict__ valid_lengths, \
                                         const float* __restrict__ d_out, const float* __restrict__ lse,    \
                                         const float* __restrict__ delta, float* __restrict__ dqkv,         \
                                         int seq_len, int heads, float scale) {                             \
        fb_attention::backward_key_grad_tf32<D>(qkv, valid_lengths, d_out, lse, delta, dqkv, seq_len, heads, \
                                                scale);                                                     \
    }                                                                                                       \
    extern "C" __global__ void __launch_bounds__(fb_attention::QueryGradTf32Shape<D>::THREADS,              \
                                                 fb_attention::QueryGradTf32Shape<D>::MIN_BLOCKS)           \
    fb_attention_backward_dq_tf32_d##D(const float* __restrict__ qkv, const int* __restrict__ valid_lengths, \
                                       const float* __restrict__ d_out, const float* __restrict__ lse,      \
                                       const float* __restrict__ delta, float* __restrict__ dqkv,           \
                                       int seq_len, int heads, float scale) {                               \
        fb_attention::backward_query_grad_tf32<D>(qkv, valid_lengths, d_out, lse, delta, dqkv, seq_len,    \
                                                  heads, scale);                                            \
    }

FB_ATTENTION_TF32_ENTRY_POINTS(64)

extern "C" __global__ void __launch_bounds__(256)
fb_attention_backward_delta(const float* __restrict__ out, const float* __restrict__ d_out,
                            float* __restrict__ delta, int rows, int seq_len, int heads, int head_dim) {
    fb_attention::backward_delta(out, d_out, delta, rows, seq_len, heads, head_dim);
}
