"""fusedbert's BERT written again in plain PyTorch, as a user would write it, for the benchmark peers
and as an independent check of fusedbert's forward pass.

The architecture is models/'s (org.fusedbert.model.Encoder, MlmHead, ParameterLayout): token +
position embeddings; per block, post-layernorm as in the seed: packed QKV projection, attention
with 1/sqrt(d) scaling over the keys before each sequence's length (1 + the last non-zero id),
output projection, dropout, layernorm(x + attention), dense FF with ReLU, dense H, dropout,
layernorm(h + FFN); the MLM head is one dense layer to the vocabulary. Parameters carry
fusedbert's names and shapes (dense kernels are [in, out], Keras' layout), so a fusedbert
checkpoint loads by name. Initialization follows Parameters.initialize (token table uniform
+-0.05, position table and dense kernels Glorot uniform, zeros and ones), drawn from torch's
generator: the peers time the step, they do not need fusedbert's exact initial values.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

HAS_SDPA = hasattr(F, "scaled_dot_product_attention")


def parameter_shapes(cfg):
    """(name, shape, init, fan_in, fan_out) in fusedbert's buffer order; init in uniform005/glorot/zeros/ones."""
    h, v, ff, lmax = cfg["hidden"], cfg["vocabSize"], cfg["ffDim"], cfg["maxLen"]
    out = [("mlm.dense.weight", (h, v), "glorot", h, v), ("mlm.dense.bias", (v,), "zeros", 0, 0),
           ("embeddings.token", (v, h), "uniform005", 0, 0),
           ("embeddings.position", (lmax, h), "glorot", lmax, h)]
    for layer in range(cfg["layers"]):
        p = "encoder.%d." % layer
        out += [(p + "attention.qkv.weight", (h, 3 * h), "glorot", h, h),
                (p + "attention.qkv.bias", (3 * h,), "zeros", 0, 0),
                (p + "attention.output.weight", (h, h), "glorot", h, h),
                (p + "attention.output.bias", (h,), "zeros", 0, 0),
                (p + "attention.layernorm.gamma", (h,), "ones", 0, 0),
                (p + "attention.layernorm.beta", (h,), "zeros", 0, 0),
                (p + "ffn.dense1.weight", (h, ff), "glorot", h, ff),
                (p + "ffn.dense1.bias", (ff,), "zeros", 0, 0),
                (p + "ffn.dense2.weight", (ff, h), "glorot", ff, h),
                (p + "ffn.dense2.bias", (h,), "zeros", 0, 0),
                (p + "ffn.layernorm.gamma", (h,), "ones", 0, 0),
                (p + "ffn.layernorm.beta", (h,), "zeros", 0, 0)]
    return out


def sequence_lengths(ids):
    """1 + the position of each row's last non-zero id, at least 1 (Backend.sequenceLengths)."""
    positions = torch.arange(ids.shape[1], device=ids.device)
    last = torch.where(ids != 0, positions, torch.full_like(positions, -1)).amax(dim=1)
    return (last + 1).clamp(min=1)


def attention(q, k, v, key_mask, backend_note):
    """softmax(q k^T / sqrt(d) + mask) v for q, k, v [B, heads, L, d]; key_mask [B, 1, 1, L] bool (True: attend)."""
    if HAS_SDPA:
        return F.scaled_dot_product_attention(q, k, v, attn_mask=key_mask)
    backend_note.add("attention: explicit softmax (this torch has no scaled_dot_product_attention)")
    scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    scores = scores.masked_fill(~key_mask, float("-inf"))
    return torch.matmul(torch.softmax(scores, dim=-1), v)


class Bert(nn.Module):
    """Encoder + MLM head with fusedbert's parameter names (dots become '__' inside the module)."""

    def __init__(self, cfg, device=None, dtype=torch.float32):
        super().__init__()
        self.cfg = cfg
        self.notes = set()
        self.params = nn.ParameterDict()
        for name, shape, init, fan_in, fan_out in parameter_shapes(cfg):
            t = torch.empty(shape, device=device, dtype=dtype)
            if init == "zeros":
                nn.init.zeros_(t)
            elif init == "ones":
                nn.init.ones_(t)
            else:
                limit = 0.05 if init == "uniform005" else math.sqrt(6.0 / (fan_in + fan_out))
                nn.init.uniform_(t, -limit, limit)
            self.params[name.replace(".", "__")] = nn.Parameter(t)

    def p(self, name):
        return self.params[name.replace(".", "__")]

    def load_fusedbert(self, tensors):
        """Copies every parameter from a fusedbert checkpoint's tensors (name -> numpy array)."""
        with torch.no_grad():
            for name, shape, _, _, _ in parameter_shapes(self.cfg):
                if name not in tensors:
                    raise ValueError("checkpoint: tensor %s expected but missing" % name)
                src = torch.from_numpy(tensors[name])
                if tuple(src.shape) != tuple(shape):
                    raise ValueError("checkpoint: tensor %s shape expected %s but was %s"
                                     % (name, tuple(shape), tuple(src.shape)))
                self.p(name).copy_(src)

    def encode(self, ids, dropout):
        """Hidden states [B*L, H] of ids [B, L] (int64); dropout is the rate (0 for inference)."""
        cfg = self.cfg
        b, length = ids.shape
        h, heads = cfg["hidden"], cfg["heads"]
        d = h // heads
        x = F.embedding(ids, self.p("embeddings.token")) + self.p("embeddings.position")[:length]
        x = x.reshape(b * length, h)
        if cfg.get("attendPadding", False):
            key_mask = torch.ones(b, 1, 1, length, dtype=torch.bool, device=ids.device)
        else:
            positions = torch.arange(length, device=ids.device)
            key_mask = (positions[None, :] < sequence_lengths(ids)[:, None]).view(b, 1, 1, length)
        eps = cfg["layerNormEps"]
        for layer in range(cfg["layers"]):
            p = "encoder.%d." % layer
            qkv = F.linear(x, self.p(p + "attention.qkv.weight").t(), self.p(p + "attention.qkv.bias"))
            q, k, v = (t.view(b, length, heads, d).transpose(1, 2) for t in qkv.split(h, dim=-1))
            a = attention(q, k, v, key_mask, self.notes).transpose(1, 2).reshape(b * length, h)
            a = F.linear(a, self.p(p + "attention.output.weight").t(), self.p(p + "attention.output.bias"))
            x = F.layer_norm(x + F.dropout(a, dropout, training=dropout > 0), (h,),
                             self.p(p + "attention.layernorm.gamma"), self.p(p + "attention.layernorm.beta"), eps)
            f = F.relu(F.linear(x, self.p(p + "ffn.dense1.weight").t(), self.p(p + "ffn.dense1.bias")))
            f = F.linear(f, self.p(p + "ffn.dense2.weight").t(), self.p(p + "ffn.dense2.bias"))
            x = F.layer_norm(x + F.dropout(f, dropout, training=dropout > 0), (h,),
                             self.p(p + "ffn.layernorm.gamma"), self.p(p + "ffn.layernorm.beta"), eps)
        return x

    def mlm_logits(self, rows):
        """Vocabulary logits of hidden rows [N, H]."""
        return F.linear(rows, self.p("mlm.dense.weight").t(), self.p("mlm.dense.bias"))


def labelled_rows(labels_flat, capacity):
    """The indices of the labelled positions (label != -1) in position order, padded with -1 to a
    fixed capacity, so shapes stay static (no host synchronization, compile- and graph-friendly)."""
    if hasattr(torch, "nonzero_static"):
        return torch.nonzero_static(labels_flat != -1, size=capacity, fill_value=-1).view(-1)
    # Older torch: a stable sort puts the labelled positions first, in order.
    order = torch.sort((labels_flat == -1).to(torch.int8), stable=True).indices[:capacity]
    return torch.where(labels_flat[order] != -1, order, torch.full_like(order, -1))


def mlm_loss_masked(model, hidden, labels, capacity):
    """fusedbert's MLM loss: mean cross-entropy over the labelled positions only, projecting just those rows."""
    flat = labels.reshape(-1)
    index = labelled_rows(flat, capacity)
    safe = index.clamp(min=0)
    row_labels = torch.where(index >= 0, flat[safe], torch.full_like(flat[safe], -1))
    logits = model.mlm_logits(hidden[safe])
    return F.cross_entropy(logits, row_labels, ignore_index=-1)


def mlm_loss_seed(model, hidden, labels):
    """The seed's MLM loss, as Keras computes it: logits for every position, per-position
    cross-entropy weighted 1 at masked positions and 0 elsewhere, divided by the weights' sum."""
    flat = labels.reshape(-1)
    logits = model.mlm_logits(hidden)
    per_position = F.cross_entropy(logits, flat.clamp(min=0), reduction="none")
    weight = (flat != -1).to(per_position.dtype)
    return (per_position * weight).sum() / weight.sum()


def torch_masking(ids, mask_id, select_rate=0.15, mask_rate=0.8, random_rate=0.1):
    """MaskingSpec's rule with torch's own generator (the timed peers; philox.py reproduces fusedbert's
    exact draws for the correctness check): ids >= 2 selected with select_rate; of those, mask_rate
    become mask_id, random_rate a random id in [2, mask_id), the rest stay. Returns (corrupted, labels)."""
    u = torch.rand(ids.shape + (2,), device=ids.device)
    select = (ids >= 2) & (u[..., 0] < select_rate)
    masked = select & (u[..., 1] < mask_rate)
    randomized = select & (u[..., 1] >= mask_rate) & (u[..., 1] < mask_rate + random_rate)
    random_ids = torch.randint(2, mask_id, ids.shape, device=ids.device, dtype=ids.dtype)
    corrupted = torch.where(masked, torch.full_like(ids, mask_id), ids)
    corrupted = torch.where(randomized, random_ids, corrupted)
    labels = torch.where(select, ids, torch.full_like(ids, -1))
    return corrupted, labels


class KerasAdam:
    """torch.optim.Adam (fused where this torch and device allow it) with Keras' update
    p -= lr sqrt(1 - b2^t) / (1 - b1^t) m / (sqrt(v) + eps): torch divides sqrt(v) by
    sqrt(1 - b2^t) before adding its epsilon, so the two agree when torch's epsilon is
    eps / sqrt(1 - b2^t), set before each step."""

    def __init__(self, params, lr, beta1=0.9, beta2=0.999, eps=1e-7):
        params = list(params)
        self.note = "torch.optim.Adam(fused=True)"
        try:
            self.opt = torch.optim.Adam(params, lr=lr, betas=(beta1, beta2), eps=eps, fused=True)
        except (RuntimeError, TypeError, ValueError) as e:
            self.opt = torch.optim.Adam(params, lr=lr, betas=(beta1, beta2), eps=eps, foreach=True)
            self.note = "torch.optim.Adam(foreach=True): fused refused (%s)" % str(e).splitlines()[0]
        self.beta2 = beta2
        self.eps = eps
        self.t = 0

    def step(self):
        self.t += 1
        for group in self.opt.param_groups:
            group["eps"] = self.eps / math.sqrt(1.0 - self.beta2 ** self.t)
        self.opt.step()

    def zero_grad(self):
        self.opt.zero_grad(set_to_none=True)
