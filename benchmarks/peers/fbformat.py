"""Reading what the fusedbert harness writes for its PyTorch peers, without fusedbert's code:
safetensors files (with the `safetensors` package where importable, else the format parsed
here: 8-byte little-endian header length, JSON header, raw little-endian tensor data), the
BertConfig JSON, and JSON in and out.

    python3 fbformat.py dump FILE.safetensors     one line per tensor: name dtype shape sum, then metadata
"""

import json
import struct
import sys

import numpy as np

_DTYPES = {"F32": np.float32, "I32": np.int32, "F64": np.float64, "I64": np.int64}


def read_safetensors(path):
    """(tensors: name -> numpy array, metadata: dict of str) of a safetensors file."""
    try:
        from safetensors.numpy import load_file  # the reference reader, where installed
        from safetensors import safe_open
        tensors = load_file(path)
        with safe_open(path, framework="numpy") as f:
            metadata = f.metadata() or {}
        return tensors, metadata
    except ImportError:
        pass
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError("%s: not a safetensors file: %d bytes, expected at least 8" % (path, len(raw)))
    (header_len,) = struct.unpack("<Q", raw[:8])
    if header_len > len(raw) - 8:
        raise ValueError("%s: not a safetensors file: header of %d bytes but the file has %d"
                         % (path, header_len, len(raw)))
    header = json.loads(raw[8:8 + header_len].decode("utf-8"))
    data = memoryview(raw)[8 + header_len:]
    metadata = header.pop("__metadata__", {}) or {}
    tensors = {}
    for name, entry in header.items():
        dtype = _DTYPES.get(entry["dtype"])
        if dtype is None:
            raise ValueError("%s: tensor %s dtype expected one of %s but was %s"
                             % (path, name, sorted(_DTYPES), entry["dtype"]))
        begin, end = entry["data_offsets"]
        shape = tuple(int(d) for d in entry["shape"])
        expected = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
        if end - begin != expected or end > len(data):
            raise ValueError("%s: tensor %s data_offsets expected %d bytes for shape %s but were [%d, %d]"
                             % (path, name, expected, shape, begin, end))
        tensors[name] = np.frombuffer(data[begin:end], dtype=np.dtype(dtype).newbyteorder("<")).reshape(shape).copy()
    return tensors, metadata


def read_json(path):
    with open(path, "r", encoding="utf-8") as f:
        return json.load(f)


def write_json(path, value):
    """Writes value as JSON (NaN and infinities as null: the harness's reader is strict JSON)."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump(_finite(value), f, indent=1, sort_keys=True)
        f.write("\n")


def _finite(value):
    if isinstance(value, float):
        return value if np.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def read_int32_batches(path, count, batch, length):
    """count batches of int32 ids [batch, length], little-endian, back to back (the harness's batches file)."""
    ids = np.fromfile(path, dtype="<i4")
    if ids.size != count * batch * length:
        raise ValueError("%s: expected %d int32 ids (%d batches of %dx%d) but found %d"
                         % (path, count * batch * length, count, batch, length, ids.size))
    return ids.reshape(count, batch, length)


def _main(argv):
    if len(argv) == 2 and argv[0] == "dump":
        tensors, metadata = read_safetensors(argv[1])
        for name in sorted(tensors):
            t = tensors[name]
            print("%s %s %s %.17g" % (name, t.dtype.name, "x".join(str(d) for d in t.shape),
                                      float(t.astype(np.float64).sum())))
        for key in sorted(metadata):
            print("meta %s=%s" % (key, metadata[key]))
        return 0
    print("usage: fbformat.py dump FILE.safetensors", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
