"""The PyTorch peers of the fusedbert device benchmark: per-kernel peers, end-to-end pretraining
steps (eager, torch.compile, the literal seed) and the checkpoint check, all at the shapes the
harness (org.fusedbert.bench.device.DeviceBench) asks for in its spec, timed the way the harness
times fusedbert: warm-up, then samples of `inner` back-to-back calls between two CUDA events,
inputs rotated across `slots` copies so that caches do not flatter anyone, random data.

    python3 peers.py --spec SPEC.json --out PEERS.json

Writes every raw sample (milliseconds per call) so that the harness computes the statistics
itself. Each part that cannot run here says why instead of a time.
"""

import argparse
import math
import platform
import sys
import time
import traceback

import numpy as np

import fbformat
import philox

try:
    import torch
    import torch.nn.functional as F
    import bert
    TORCH_ERROR = None
except ImportError as e:  # the harness reports "peer: not run (no torch)"
    torch = None
    TORCH_ERROR = "no torch (%s)" % e


def first_line(e):
    text = str(e).strip().splitlines()
    return "%s: %s" % (type(e).__name__, text[0] if text else "")


class Clock:
    """Milliseconds of work on the device: CUDA events on a GPU, the wall clock on a CPU."""

    def __init__(self, device):
        self.cuda = device.type == "cuda"

    def sync(self):
        if self.cuda:
            torch.cuda.synchronize()

    def samples(self, fn, slots, warmup, samples, inner):
        i = 0
        for _ in range(warmup):
            fn(i % slots)
            i += 1
        self.sync()
        out = []
        for _ in range(samples):
            if self.cuda:
                start = torch.cuda.Event(enable_timing=True)
                end = torch.cuda.Event(enable_timing=True)
                start.record()
                for _ in range(inner):
                    fn(i % slots)
                    i += 1
                end.record()
                end.synchronize()
                out.append(start.elapsed_time(end) / inner)
            else:
                t0 = time.perf_counter()
                for _ in range(inner):
                    fn(i % slots)
                    i += 1
                out.append((time.perf_counter() - t0) * 1e3 / inner)
        return out


def peak_bytes_of(device, fn):
    """Bytes the caching allocator held at its peak during fn, beyond what was allocated before (GPU only)."""
    if device.type != "cuda":
        return None
    torch.cuda.synchronize()
    before = torch.cuda.memory_allocated()
    torch.cuda.reset_peak_memory_stats()
    fn()
    torch.cuda.synchronize()
    return int(torch.cuda.max_memory_allocated() - before)


def peak_bytes_total(device, fn):
    """The caching allocator's peak during fn, everything included (parameters, gradients, moments, activations)."""
    if device.type != "cuda":
        return None
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    fn()
    torch.cuda.synchronize()
    return int(torch.cuda.max_memory_allocated())


def timing(spec, case):
    return (case.get("warmup", spec["warmup"]), case.get("samples", spec["samples"]), case.get("inner", spec["inner"]))


# ---------------------------------------------------------------------------------------- kernels

def kernel_layernorm(spec, case, device, clock):
    n, h, rate, eps, slots = case["rows"], case["hidden"], case["dropout"], case["eps"], case["slots"]
    g = torch.randn(h, device=device).mul_(0.1).add_(1).requires_grad_()
    b = torch.randn(h, device=device).mul_(0.1).requires_grad_()
    res = [torch.randn(n, h, device=device, requires_grad=True) for _ in range(slots)]
    sub = [torch.randn(n, h, device=device, requires_grad=True) for _ in range(slots)]
    dout = [torch.randn(n, h, device=device) for _ in range(slots)]

    def forward(s):
        return F.layer_norm(res[s] + F.dropout(sub[s], rate, training=True), (h,), g, b, eps)

    w, k, inner = timing(spec, case)
    phases = {"forward": {"samples_ms": clock.samples(lambda s: forward(s), slots, w, k, inner)}}
    outs = [forward(s) for s in range(slots)]
    phases["backward"] = {"samples_ms": clock.samples(
        lambda s: torch.autograd.grad(outs[s], [res[s], sub[s], g, b], dout[s], retain_graph=True), slots, w, k, inner)}
    return {"phases": phases, "peer": "F.layer_norm(residual + F.dropout(sublayer))"}


def sdpa_backends():
    """(name, context manager factory) for every SDPA backend this torch names."""
    try:
        from torch.nn.attention import SDPBackend, sdpa_kernel
        named = [("math", "MATH"), ("efficient", "EFFICIENT_ATTENTION"), ("flash", "FLASH_ATTENTION"),
                 ("cudnn", "CUDNN_ATTENTION")]
        return [(name, (lambda b=getattr(SDPBackend, attr): sdpa_kernel(b)))
                for name, attr in named if hasattr(SDPBackend, attr)]
    except ImportError:
        pass
    if hasattr(torch.backends, "cuda") and hasattr(torch.backends.cuda, "sdp_kernel"):
        k = torch.backends.cuda.sdp_kernel
        return [("math", lambda: k(enable_math=True, enable_flash=False, enable_mem_efficient=False)),
                ("efficient", lambda: k(enable_math=False, enable_flash=False, enable_mem_efficient=True)),
                ("flash", lambda: k(enable_math=False, enable_flash=True, enable_mem_efficient=False))]
    return []


def kernel_attention(spec, case, device, clock):
    if not bert.HAS_SDPA:
        return {"skipped": "torch %s has no F.scaled_dot_product_attention" % torch.__version__}
    b, heads, length, d, slots = case["batch"], case["heads"], case["length"], case["headDim"], case["slots"]
    gen = np.random.default_rng(case.get("seed", 1))
    lengths = torch.from_numpy(gen.integers(length // 2, length + 1, size=b)).to(device)
    mask = (torch.arange(length, device=device)[None, :] < lengths[:, None]).view(b, 1, 1, length)
    qkv = [[torch.randn(b, heads, length, d, device=device, requires_grad=True) for _ in range(3)]
           for _ in range(slots)]
    dout = [torch.randn(b, heads, length, d, device=device) for _ in range(slots)]
    w, k, inner = timing(spec, case)
    phases = {}
    for name, ctx in sdpa_backends():
        try:
            with ctx():
                def forward(s):
                    q, kk, v = qkv[s]
                    return F.scaled_dot_product_attention(q, kk, v, attn_mask=mask)
                forward(0)
                clock.sync()
                phases["forward[%s]" % name] = {"samples_ms": clock.samples(forward, slots, w, k, inner)}
                outs = [forward(s) for s in range(slots)]
                phases["backward[%s]" % name] = {"samples_ms": clock.samples(
                    lambda s: torch.autograd.grad(outs[s], qkv[s], dout[s], retain_graph=True), slots, w, k, inner)}
                del outs
        except RuntimeError as e:
            reason = "not supported here: " + first_line(e)
            phases["forward[%s]" % name] = {"skipped": reason}
            phases["backward[%s]" % name] = {"skipped": reason}
    return {"phases": phases, "peer": "F.scaled_dot_product_attention with a key-padding mask, per backend"}


def kernel_mlm_cross_entropy(spec, case, device, clock):
    n, h, v, slots = case["rows"], case["hidden"], case["vocab"], case["slots"]
    weight = (torch.randn(h, v, device=device) * (1.0 / math.sqrt(h))).requires_grad_()
    bias = torch.zeros(v, device=device, requires_grad=True)
    xs = [torch.randn(n, h, device=device, requires_grad=True) for _ in range(slots)]
    labels = [torch.randint(0, v, (n,), device=device) for _ in range(slots)]

    def step(s):
        loss = F.cross_entropy(F.linear(xs[s], weight.t(), bias), labels[s])
        return torch.autograd.grad(loss, [xs[s], weight, bias])

    w, k, inner = timing(spec, case)
    phases = {"forward+backward": {"samples_ms": clock.samples(step, slots, w, k, inner)}}
    peak = peak_bytes_of(device, lambda: step(0))
    return {"phases": phases, "peak_bytes": {"forward+backward": peak},
            "peer": "F.linear + F.cross_entropy on the %d labelled rows, autograd" % n}


def kernel_adam(spec, case, device, clock):
    n, slots = case["elements"], case["slots"]
    params = []
    for _ in range(slots):
        p = torch.randn(n, device=device).mul_(0.05).requires_grad_()
        p.grad = torch.randn(n, device=device).mul_(1e-3)
        params.append(p)
    w, k, inner = timing(spec, case)
    peer = "torch.optim.Adam(fused=True), one flat tensor"
    try:
        opts = [torch.optim.Adam([p], lr=1e-3, betas=(0.9, 0.999), eps=1e-7, fused=True) for p in params]
        samples = clock.samples(lambda s: opts[s].step(), slots, w, k, inner)
    except (RuntimeError, TypeError) as e:  # older torch fuses on CUDA only
        opts = [torch.optim.Adam([p], lr=1e-3, betas=(0.9, 0.999), eps=1e-7, foreach=True) for p in params]
        samples = clock.samples(lambda s: opts[s].step(), slots, w, k, inner)
        peer = "torch.optim.Adam(foreach=True), one flat tensor: fused refused (%s)" % first_line(e)
    return {"phases": {"step": {"samples_ms": samples}}, "peer": peer}


def kernel_embedding(spec, case, device, clock):
    b, length, h, v, slots = case["batch"], case["length"], case["hidden"], case["vocab"], case["slots"]
    tok = (torch.rand(v, h, device=device) * 0.1 - 0.05).requires_grad_()
    pos = (torch.rand(length, h, device=device) * 0.1 - 0.05).requires_grad_()
    ids = [torch.randint(2, v, (b, length), device=device) for _ in range(slots)]
    dout = [torch.randn(b, length, h, device=device) for _ in range(slots)]

    def forward(s):
        return F.embedding(ids[s], tok) + pos[:length]

    w, k, inner = timing(spec, case)
    phases = {"forward": {"samples_ms": clock.samples(forward, slots, w, k, inner)}}
    outs = [forward(s) for s in range(slots)]
    phases["backward"] = {"samples_ms": clock.samples(
        lambda s: torch.autograd.grad(outs[s], [tok, pos], dout[s], retain_graph=True), slots, w, k, inner)}
    return {"phases": phases, "peer": "F.embedding + position rows, autograd (dense table gradient)"}


KERNELS = {"layernorm": kernel_layernorm, "attention": kernel_attention, "mlm_cross_entropy": kernel_mlm_cross_entropy,
           "adam": kernel_adam, "embedding": kernel_embedding}


# ---------------------------------------------------------------------------------------- end to end

def e2e_variant(spec, run, variant, device, clock, batches):
    cfg = run["config"]
    model = bert.Bert(cfg, device=device)
    opt = bert.KerasAdam(model.parameters(), lr=cfg["learningRate"])
    capacity, mask_id, rate = run["capacity"], cfg["vocabSize"] - 1, cfg["dropout"]

    def loss_of(ids):
        corrupted, labels = bert.torch_masking(ids, mask_id)
        hidden = model.encode(corrupted, rate)
        if variant == "seed":
            return bert.mlm_loss_seed(model, hidden, labels)
        return bert.mlm_loss_masked(model, hidden, labels, capacity)

    notes = [opt.note, "masking: MaskingSpec's rule drawn with torch's generator"]
    if variant == "compile":
        if not hasattr(torch, "compile"):
            return {"skipped": "torch %s has no torch.compile" % torch.__version__}
        loss_of = torch.compile(loss_of)
        notes.append("torch.compile(default mode) of masking + forward + loss (backward through AOTAutograd)")
    if variant == "seed":
        notes.append("loss over all %d positions weighted by the mask (logits [%d, %d])"
                     % (batches.shape[1] * batches.shape[2], batches.shape[1] * batches.shape[2], cfg["vocabSize"]))

    def step(i):
        opt.zero_grad()
        loss = loss_of(batches[i])
        loss.backward()
        opt.step()
        return loss

    try:
        t0 = time.perf_counter()
        step(0)
        clock.sync()
        first_ms = (time.perf_counter() - t0) * 1e3
        samples = clock.samples(step, batches.shape[0], run["warmup"], run["steps"], 1)
        peak = peak_bytes_total(device, lambda: [step(i % batches.shape[0]) for i in range(3)])
        loss = float(step(0).item())
    except Exception as e:  # a variant that fails (compiler missing, out of memory) is reported, not fatal
        return {"skipped": "failed: " + first_line(e), "trace": traceback.format_exc(limit=3)}
    notes.extend(sorted(model.notes))
    return {"samples_ms": samples, "peak_bytes": peak, "first_step_ms": first_ms, "final_loss": loss, "notes": notes}


def end_to_end(spec, run, device, clock):
    cfg = run["config"]
    batches = fbformat.read_int32_batches(run["batches"], run["batchCount"], cfg["batchSize"], cfg["maxLen"])
    on_device = torch.from_numpy(batches.astype(np.int64)).to(device)
    out = {}
    for variant in run["variants"]:
        out[variant] = e2e_variant(spec, run, variant, device, clock, on_device)
        if device.type == "cuda":
            torch.cuda.empty_cache()
        if hasattr(torch, "_dynamo"):
            torch._dynamo.reset()
    return out


# ---------------------------------------------------------------------------------------- checkpoint check

def checkpoint_check(check, device):
    """Recomputes fusedbert's masking (numpy Philox) and its MLM logits and loss (float64 PyTorch)
    from the checkpoint and batch the harness wrote, and compares them with fusedbert's."""
    d = check["dir"]
    cfg = fbformat.read_json(d + "/config.json")
    params, _ = fbformat.read_safetensors(d + "/model.safetensors")
    batch, meta = fbformat.read_safetensors(d + "/batch.safetensors")
    seed, step = int(meta["seed"]), int(meta["step"])
    ids = batch["ids"]
    corrupted, labels = philox.mlm_mask(ids, seed, step, cfg["vocabSize"] - 1)
    mismatched = int(np.count_nonzero(corrupted != batch["masked_ids"]) + np.count_nonzero(labels != batch["labels"]))
    model = bert.Bert(cfg, device=device, dtype=torch.float64)
    model.load_fusedbert(params)
    with torch.no_grad():
        masked = torch.from_numpy(batch["masked_ids"].astype(np.int64)).to(device)
        hidden = model.encode(masked, 0.0)
        flat = torch.from_numpy(batch["labels"].reshape(-1).astype(np.int64)).to(device)
        rows = torch.nonzero(flat != -1).view(-1)
        logits = model.mlm_logits(hidden[rows])
        loss = float(F.cross_entropy(logits, flat[rows]).item())
        logits = logits.cpu().numpy()
    ours_logits = batch["logits"].astype(np.float64)
    ours_loss = float(batch["loss"].reshape(-1)[0])
    atol, rtol, loss_rtol = check["logitsAtol"], check["logitsRtol"], check["lossRtol"]
    if ours_logits.shape != logits.shape:
        return {"passed": False, "error": "logits shape: fusedbert %s, peer %s" % (ours_logits.shape, logits.shape),
                "masking_mismatches": mismatched}
    diff = np.abs(ours_logits - logits)
    excess = diff - (atol + rtol * np.abs(logits))
    loss_rel = abs(ours_loss - loss) / max(abs(loss), 1e-30)
    passed = mismatched == 0 and bool(np.all(excess <= 0)) and loss_rel <= loss_rtol
    return {"passed": passed, "masking_mismatches": mismatched, "positions": int(ids.size), "rows": int(rows.numel()),
            "vocab": int(logits.shape[1]) if logits.ndim == 2 else 0,
            "logits_max_abs_error": float(diff.max()) if diff.size else 0.0,
            "logits_worst_excess": float(excess.max()) if excess.size else 0.0,
            "loss_fusedbert": ours_loss, "loss_peer": loss, "loss_rel_error": loss_rel,
            "peer": "bert.Bert in float64 on %s, masking by philox.py (numpy)" % device.type,
            "tolerance": "masking identical; |logit - ref| <= %g + %g |ref|; |loss - ref| <= %g |ref|"
                         % (atol, rtol, loss_rtol)}


# ---------------------------------------------------------------------------------------- main

def environment(device):
    env = {"python": platform.python_version(), "numpy": np.__version__}
    if torch is None:
        return env
    env["torch"] = torch.__version__
    env["device"] = device.type
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        env["gpu"] = props.name
        env["cuda"] = torch.version.cuda
        env["gpu_memory_bytes"] = int(props.total_memory)
    return env


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    spec = fbformat.read_json(args.spec)
    result = {"kernels": {}, "e2e": {}, "notes": []}
    if torch is None:
        result["env"] = environment(None)
        result["not_run"] = TORCH_ERROR
        fbformat.write_json(args.out, result)
        print("peers: not run (%s)" % TORCH_ERROR)
        return 0
    want = spec.get("device", "cuda")
    if want == "cuda" and not torch.cuda.is_available():
        result["env"] = environment(torch.device("cpu"))
        result["not_run"] = "torch %s sees no CUDA device" % torch.__version__
        fbformat.write_json(args.out, result)
        print("peers: not run (%s)" % result["not_run"])
        return 0
    device = torch.device(want)
    tf32 = spec.get("precision", "fp32") == "tf32"
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
    result["env"] = environment(device)
    result["notes"].append("matmul precision: %s (matching fusedbert's GEMMs)" % ("tf32" if tf32 else "fp32"))
    clock = Clock(device)
    torch.manual_seed(spec.get("seed", 1))
    for case in spec.get("kernels", []):
        t0 = time.perf_counter()
        try:
            result["kernels"][case["id"]] = KERNELS[case["op"]](spec, case, device, clock)
        except Exception as e:
            result["kernels"][case["id"]] = {"skipped": "failed: " + first_line(e), "trace": traceback.format_exc(limit=3)}
        if device.type == "cuda":
            torch.cuda.empty_cache()
        print("peers: kernel %s (%.1f s)" % (case["id"], time.perf_counter() - t0), flush=True)
    for run in spec.get("e2e", []):
        t0 = time.perf_counter()
        result["e2e"][run["id"]] = end_to_end(spec, run, device, clock)
        print("peers: end to end %s (%.1f s)" % (run["id"], time.perf_counter() - t0), flush=True)
    if spec.get("check"):
        try:
            result["check"] = checkpoint_check(spec["check"], device)
        except Exception as e:
            result["check"] = {"passed": False, "error": first_line(e), "trace": traceback.format_exc(limit=3)}
        print("peers: checkpoint check %s" % ("passed" if result["check"].get("passed") else "FAILED"), flush=True)
    fbformat.write_json(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
