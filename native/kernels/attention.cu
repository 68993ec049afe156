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

// Tile shapes per head dimension. THREADS: block size; T: lanes per row; R: rows per thread;
// TILE: rows of the streamed operand per shared-memory tile; CHUNK: streamed rows handled per
// register batch (one softmax rescale per chunk in the forward); MIN_BLOCKS: see below.
template <int D_, int T_, int R_, int THREADS_, int TILE_, int CHUNK_, int MIN_BLOCKS_>
struct Shape {
    static constexpr int D = D_;
    static constexpr int T = T_;
    static constexpr int R = R_;
    static constexpr int THREADS = THREADS_;
    static constexpr int TILE = TILE_;
    static constexpr int CHUNK = CHUNK_;
    static constexpr int MIN_BLOCKS = MIN_BLOCKS_;  // resident blocks per SM: caps registers at 64K / (THREADS * MIN_BLOCKS)
    static constexpr int D4 = D / 4;              // float4 per row
    static constexpr int V4 = D4 / T;             // float4 per row held by one lane
    static constexpr int GROUPS = THREADS / T;
    static constexpr int ROWS = GROUPS * R;       // rows owned by one block
    static_assert(D % (4 * T) == 0, "each lane must hold whole float4 of a row");
    static_assert(32 % T == 0 && THREADS % 32 == 0, "groups must not straddle warps");
    static_assert(TILE % CHUNK == 0, "a tile is a whole number of chunks");
};

// Forward: query rows owned, keys/values streamed.
template <int D> struct ForwardShape;
template <> struct ForwardShape<16> : Shape<16, 1, 2, 64, 64, 8, 8> {};
template <> struct ForwardShape<32> : Shape<32, 2, 2, 64, 32, 8, 8> {};
template <> struct ForwardShape<64> : Shape<64, 4, 4, 128, 64, 8, 2> {};
template <> struct ForwardShape<128> : Shape<128, 8, 4, 128, 32, 8, 2> {};

// Backward dK/dV: key rows owned, queries/output gradients streamed.
template <int D> struct KeyGradShape;
template <> struct KeyGradShape<16> : Shape<16, 2, 2, 64, 32, 8, 8> {};
template <> struct KeyGradShape<32> : Shape<32, 4, 2, 128, 64, 8, 4> {};
template <> struct KeyGradShape<64> : Shape<64, 4, 2, 128, 64, 4, 2> {};
template <> struct KeyGradShape<128> : Shape<128, 8, 2, 256, 32, 4, 1> {};

// Backward dQ: query rows owned, keys/values streamed.
template <int D> struct QueryGradShape;
template <> struct QueryGradShape<16> : Shape<16, 2, 2, 64, 64, 4, 8> {};
template <> struct QueryGradShape<32> : Shape<32, 4, 2, 128, 64, 4, 4> {};
template <> struct QueryGradShape<64> : Shape<64, 4, 2, 128, 64, 4, 2> {};
template <> struct QueryGradShape<128> : Shape<128, 8, 2, 256, 32, 4, 1> {};

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

// Sum over the T lanes of a group (T consecutive lanes of one warp; every lane of the warp calls it).
template <int T>
__device__ __forceinline__ float group_sum(float v) {
#pragma unroll
    for (int offset = T / 2; offset > 0; offset >>= 1) {
        v += __shfl_xor_sync(0xffffffffu, v, offset);
    }
    return v;
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

// Loads this lane's slice of one row (R rows, V4 float4 each) into registers, times `mul`; rows
// at or past `rows` read as zeros.
template <class S>
__device__ __forceinline__ void load_slices(float4 (&dst)[S::R][S::V4], const float* __restrict__ base,
                                            long long stride, int first_row, int group, int lane, int rows,
                                            float mul, bool vec) {
#pragma unroll
    for (int r = 0; r < S::R; r++) {
        const int row = first_row + r * S::GROUPS + group;
#pragma unroll
        for (int k = 0; k < S::V4; k++) {
            dst[r][k] = row < rows ? scale4(load4(base + row * stride + (k * S::T + lane) * 4, vec), mul) : zero4();
        }
    }
}

template <class S>
__device__ __forceinline__ void store_slices(const float4 (&src)[S::R][S::V4], float* __restrict__ base,
                                             long long stride, int first_row, int group, int lane, int rows,
                                             float mul, bool vec) {
#pragma unroll
    for (int r = 0; r < S::R; r++) {
        const int row = first_row + r * S::GROUPS + group;
        if (row < rows) {
#pragma unroll
            for (int k = 0; k < S::V4; k++) {
                store4(base + row * stride + (k * S::T + lane) * 4, scale4(src[r][k], mul), vec);
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
    const int group = threadIdx.x / S::T, lane = threadIdx.x % S::T;
    const int E = heads * D;
    const long long stride = 3LL * E;
    const float* head = qkv + (long long) b * seq_len * stride + h * D;  // Q of row 0, head h
    const int keys = key_extent(valid_lengths, b, seq_len);
    const bool vec = aligned16(qkv) && aligned16(out);

    float4 q[S::R][S::V4], o[S::R][S::V4];
    float m[S::R], l[S::R];
    // Scores go straight to the exp2 domain: s = q.k * scale * log2(e).
    load_slices<S>(q, head, stride, q0, group, lane, seq_len, scale * kLog2e, vec);
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

        for (int c0 = 0; c0 < tile_rows; c0 += S::CHUNK) {
            float s[S::R][S::CHUNK];
#pragma unroll
            for (int j = 0; j < S::CHUNK; j++) {
#pragma unroll
                for (int r = 0; r < S::R; r++) {
                    s[r][j] = 0.f;
                }
#pragma unroll
                for (int k = 0; k < S::V4; k++) {
                    const float4 kv = smem[(c0 + j) * S::D4 + k * S::T + lane];
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
            if (c0 + S::CHUNK > tile_rows) {  // the tail of the last tile: keys past the extent
#pragma unroll
                for (int j = 0; j < S::CHUNK; j++) {
                    if (c0 + j >= tile_rows) {
#pragma unroll
                        for (int r = 0; r < S::R; r++) {
                            s[r][j] = -INFINITY;
                        }
                    }
                }
            }
            // Online softmax: one rescale of the running sum and output per chunk. The first chunk
            // holds key 0, which is never masked, so m is finite from here on.
#pragma unroll
            for (int r = 0; r < S::R; r++) {
                float mx = m[r];
#pragma unroll
                for (int j = 0; j < S::CHUNK; j++) {
                    mx = fmaxf(mx, s[r][j]);
                }
                const float alpha = exp2f(m[r] - mx);
                m[r] = mx;
                float sum = 0.f;
#pragma unroll
                for (int j = 0; j < S::CHUNK; j++) {
                    s[r][j] = exp2f(s[r][j] - mx);
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
#pragma unroll
                for (int k = 0; k < S::V4; k++) {
                    const float4 vv = smem[(S::TILE + c0 + j) * S::D4 + k * S::T + lane];
#pragma unroll
                    for (int r = 0; r < S::R; r++) {
                        axpy4(o[r][k], s[r][j], vv);
                    }
                }
            }
        }
    }

    float inv[S::R];
#pragma unroll
    for (int r = 0; r < S::R; r++) {
        inv[r] = l[r] > 0.f ? 1.f / l[r] : 0.f;  // no key at all (invalid length 0): zeros
#pragma unroll
        for (int k = 0; k < S::V4; k++) {
            o[r][k] = scale4(o[r][k], inv[r]);
        }
        const int row = q0 + r * S::GROUPS + group;
        if (lane == 0 && row < seq_len) {
            lse[((long long) b * heads + h) * seq_len + row] = l[r] > 0.f ? (m[r] + log2f(l[r])) * kLn2 : -INFINITY;
        }
    }
    store_slices<S>(o, out + (long long) b * seq_len * E + h * D, E, q0, group, lane, seq_len, 1.f, vec);
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
    const int b = blockIdx.z, h = blockIdx.y, j0 = blockIdx.x * S::ROWS;
    const int group = threadIdx.x / S::T, lane = threadIdx.x % S::T;
    const int E = heads * D;
    const long long stride = 3LL * E;
    const float* head = qkv + (long long) b * seq_len * stride + h * D;
    const float* d_out_head = d_out + (long long) b * seq_len * E + h * D;
    const float* lse_bh = lse + ((long long) b * heads + h) * seq_len;
    const float* delta_bh = delta + ((long long) b * heads + h) * seq_len;
    float* d_head = dqkv + (long long) b * seq_len * stride + h * D;
    const int keys = key_extent(valid_lengths, b, seq_len);
    const bool vec = aligned16(qkv) && aligned16(d_out) && aligned16(dqkv);

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
        load_slices<S>(kr, head + E, stride, j0, group, lane, keys, scale * kLog2e, vec);
        load_slices<S>(vr, head + 2 * E, stride, j0, group, lane, keys, 1.f, vec);
        float key_bias[S::R];  // masks keys past the extent: p = exp2(-inf) = 0
#pragma unroll
        for (int r = 0; r < S::R; r++) {
            key_bias[r] = j0 + r * S::GROUPS + group < keys ? 0.f : -INFINITY;
        }

        for (int i0 = 0; i0 < seq_len; i0 += S::TILE) {
            const int tile_rows = seq_len - i0 < S::TILE ? seq_len - i0 : S::TILE;
            __syncthreads();
            load_tile<D, S::TILE, S::THREADS>(smem, 0, head + i0 * stride, stride, tile_rows, vec);
            load_tile<D, S::TILE, S::THREADS>(smem, S::TILE * S::D4, d_out_head + (long long) i0 * E, E, tile_rows, vec);
            for (int i = threadIdx.x; i < S::TILE; i += S::THREADS) {
                lse2_tile[i] = i < tile_rows ? lse_bh[i0 + i] * kLog2e : INFINITY;
                delta_tile[i] = i < tile_rows ? delta_bh[i0 + i] : 0.f;
            }
            __syncthreads();

            for (int c0 = 0; c0 < tile_rows; c0 += S::CHUNK) {
                float p[S::R][S::CHUNK], ds[S::R][S::CHUNK];
#pragma unroll
                for (int i = 0; i < S::CHUNK; i++) {
#pragma unroll
                    for (int r = 0; r < S::R; r++) {
                        p[r][i] = 0.f;
                        ds[r][i] = 0.f;
                    }
#pragma unroll
                    for (int k = 0; k < S::V4; k++) {
                        const float4 qv = smem[(c0 + i) * S::D4 + k * S::T + lane];
                        const float4 gv = smem[(S::TILE + c0 + i) * S::D4 + k * S::T + lane];
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
                        const float s = group_sum<S::T>(p[r][i]);
                        const float dp = group_sum<S::T>(ds[r][i]);
                        // Rows past the tile have lse2 = +inf, zero Q and dO: p = 0, ds = 0.
                        p[r][i] = exp2f(s + key_bias[r] - lse2_tile[c0 + i]);
                        ds[r][i] = p[r][i] * (dp - delta_tile[c0 + i]);
                    }
                }
#pragma unroll
                for (int i = 0; i < S::CHUNK; i++) {
#pragma unroll
                    for (int k = 0; k < S::V4; k++) {
                        const float4 qv = smem[(c0 + i) * S::D4 + k * S::T + lane];
                        const float4 gv = smem[(S::TILE + c0 + i) * S::D4 + k * S::T + lane];
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
    store_slices<S>(dk, d_head + E, stride, j0, group, lane, seq_len, scale, vec);
    store_slices<S>(dv, d_head + 2 * E, stride, j0, group, lane, seq_len, 1.f, vec);
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
    const int b = blockIdx.z, h = blockIdx.y, q0 = blockIdx.x * S::ROWS;
    const int group = threadIdx.x / S::T, lane = threadIdx.x % S::T;
    const int E = heads * D;
    const long long stride = 3LL * E;
    const float* head = qkv + (long long) b * seq_len * stride + h * D;
    const float* lse_bh = lse + ((long long) b * heads + h) * seq_len;
    const float* delta_bh = delta + ((long long) b * heads + h) * seq_len;
    const int keys = key_extent(valid_lengths, b, seq_len);
    const bool vec = aligned16(qkv) && aligned16(d_out) && aligned16(dqkv);

    float4 q[S::R][S::V4], g[S::R][S::V4], dq[S::R][S::V4];
    float lse2[S::R], dl[S::R];
    load_slices<S>(q, head, stride, q0, group, lane, seq_len, scale * kLog2e, vec);
    load_slices<S>(g, d_out + (long long) b * seq_len * E + h * D, E, q0, group, lane, seq_len, 1.f, vec);
#pragma unroll
    for (int r = 0; r < S::R; r++) {
        const int row = q0 + r * S::GROUPS + group;
        lse2[r] = row < seq_len ? lse_bh[row] * kLog2e : INFINITY;
        dl[r] = row < seq_len ? delta_bh[row] : 0.f;
#pragma unroll
        for (int k = 0; k < S::V4; k++) {
            dq[r][k] = zero4();
        }
    }

    for (int k0 = 0; k0 < keys; k0 += S::TILE) {
        const int tile_rows = keys - k0 < S::TILE ? keys - k0 : S::TILE;
        const float* rows = head + k0 * stride;
        __syncthreads();
        load_tile<D, S::TILE, S::THREADS>(smem, 0, rows + E, stride, tile_rows, vec);
        load_tile<D, S::TILE, S::THREADS>(smem, S::TILE * S::D4, rows + 2 * E, stride, tile_rows, vec);
        __syncthreads();

        for (int c0 = 0; c0 < tile_rows; c0 += S::CHUNK) {
            float p[S::R][S::CHUNK], ds[S::R][S::CHUNK];
#pragma unroll
            for (int j = 0; j < S::CHUNK; j++) {
#pragma unroll
                for (int r = 0; r < S::R; r++) {
                    p[r][j] = 0.f;
                    ds[r][j] = 0.f;
                }
#pragma unroll
                for (int k = 0; k < S::V4; k++) {
                    const float4 kv = smem[(c0 + j) * S::D4 + k * S::T + lane];
                    const float4 vv = smem[(S::TILE + c0 + j) * S::D4 + k * S::T + lane];
#pragma unroll
                    for (int r = 0; r < S::R; r++) {
                        p[r][j] = dot4(q[r][k], kv, p[r][j]);
                        ds[r][j] = dot4(g[r][k], vv, ds[r][j]);
                    }
                }
            }
            const bool tail = c0 + S::CHUNK > tile_rows;  // keys past the extent: p = 0
#pragma unroll
            for (int r = 0; r < S::R; r++) {
#pragma unroll
                for (int j = 0; j < S::CHUNK; j++) {
                    const float s = group_sum<S::T>(p[r][j]);
                    const float dp = group_sum<S::T>(ds[r][j]);
                    p[r][j] = (tail && c0 + j >= tile_rows) ? 0.f : exp2f(s - lse2[r]);
                    ds[r][j] = p[r][j] * (dp - dl[r]);
                }
            }
#pragma unroll
            for (int j = 0; j < S::CHUNK; j++) {
#pragma unroll
                for (int k = 0; k < S::V4; k++) {
                    const float4 kv = smem[(c0 + j) * S::D4 + k * S::T + lane];
#pragma unroll
                    for (int r = 0; r < S::R; r++) {
                        axpy4(dq[r][k], ds[r][j], kv);
                    }
                }
            }
        }
    }
    store_slices<S>(dq, dqkv + (long long) b * seq_len * stride + h * D, stride, q0, group, lane, seq_len, scale, vec);
}

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
        fb_attention::backward_key_grad<D>(qkv, valid_lengths, d_out, lse, delta, dqkv, seq_len, heads,    \
                                           scale);                                                          \
    }                                                                                                       \
    extern "C" __global__ void __launch_bounds__(fb_attention::QueryGradShape<D>::THREADS, fb_attention::QueryGradShape<D>::MIN_BLOCKS)                 \
    fb_attention_backward_dq_d##D(const float* __restrict__ qkv, const int* __restrict__ valid_lengths,     \
                                  const float* __restrict__ d_out, const float* __restrict__ lse,           \
                                  const float* __restrict__ delta, float* __restrict__ dqkv, int seq_len,   \
                                  int heads, float scale) {                                                 \
        fb_attention::backward_query_grad<D>(qkv, valid_lengths, d_out, lse, delta, dqkv, seq_len, heads,  \
                                             scale);                                                        \
    }

FB_ATTENTION_ENTRY_POINTS(16)
FB_ATTENTION_ENTRY_POINTS(32)
FB_ATTENTION_ENTRY_POINTS(64)
FB_ATTENTION_ENTRY_POINTS(128)

extern "C" __global__ void __launch_bounds__(256)
fb_attention_backward_delta(const float* __restrict__ out, const float* __restrict__ d_out,
                            float* __restrict__ delta, int rows, int seq_len, int heads, int head_dim) {
    fb_attention::backward_delta(out, d_out, delta, rows, seq_len, heads, head_dim);
}
