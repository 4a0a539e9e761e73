"""numpy arrays <-> the raw little-endian chunks tgsage streams (LayerChunk, MatrixChunk)."""

from __future__ import annotations

from typing import Iterable, Iterator

import numpy as np

from tgsage_client._gen.tgsage.v1 import tensor_pb2

#: Largest chunk payload sent (the contract asks for at most about 1 MiB per message).
MAX_CHUNK_BYTES = 1 << 20

_DTYPES = {
    np.dtype("<f2"): tensor_pb2.DTYPE_FLOAT16,
    np.dtype("<f4"): tensor_pb2.DTYPE_FLOAT32,
    np.dtype("<f8"): tensor_pb2.DTYPE_FLOAT64,
}
_NUMPY = {v: k for k, v in _DTYPES.items()}


def as_wire_array(array: np.ndarray) -> np.ndarray:
    """A C-ordered little-endian float16/32/64 view of `array` (copied only when it is not one already).

    Other dtypes (integers, bools) are converted to float32.
    """
    a = np.asarray(array)
    if a.ndim == 0:
        raise ValueError("a layer needs a stimulus axis: got a 0-d array")
    if a.dtype.kind == "f":
        kind = np.dtype("<f8") if a.dtype.itemsize > 8 else a.dtype.newbyteorder("<")
    else:
        kind = np.dtype("<f4")
    return np.ascontiguousarray(a, dtype=kind)


def layer_chunks(name: str, array: np.ndarray, max_bytes: int = MAX_CHUNK_BYTES) -> Iterator[tensor_pb2.LayerChunk]:
    """Yields one layer's activations [stimuli, ...features] as LayerChunk messages of at most `max_bytes` each.

    The first chunk carries layer, dtype and shape; later ones layer, dtype and data. Only one chunk's bytes are copied
    at a time.
    """
    a = as_wire_array(array)
    dtype = _DTYPES[a.dtype]
    item = a.dtype.itemsize
    step = max(item, min(max_bytes, MAX_CHUNK_BYTES) // item * item)
    raw = memoryview(a.reshape(-1).view(np.uint8))
    shape = [int(s) for s in a.shape]
    if raw.nbytes == 0:
        yield tensor_pb2.LayerChunk(layer=name, dtype=dtype, shape=shape, data=b"")
        return
    for start in range(0, raw.nbytes, step):
        data = raw[start : start + step].tobytes()
        if start == 0:
            yield tensor_pb2.LayerChunk(layer=name, dtype=dtype, shape=shape, data=data)
        else:
            yield tensor_pb2.LayerChunk(layer=name, dtype=dtype, data=data)


def matrix_from_chunks(chunks: Iterable[tensor_pb2.MatrixChunk]) -> np.ndarray:
    """Assembles a square matrix streamed as MatrixChunk messages (GetRdm, GetGram) into an (N, N) ndarray."""
    out: np.ndarray | None = None
    filled = 0
    for c in chunks:
        if out is None:
            dtype = _NUMPY.get(c.dtype)
            if dtype is None:
                raise ValueError(f"unexpected dtype {c.dtype} in matrix chunk")
            out = np.empty(c.size * c.size, dtype=dtype)
        part = np.frombuffer(c.data, dtype=out.dtype)
        out[c.offset : c.offset + part.size] = part
        filled += part.size
    if out is None:
        raise ValueError("empty matrix stream")
    n = int(round(out.size**0.5))
    if filled != out.size:
        raise ValueError(f"incomplete matrix: got {filled} of {out.size} elements")
    return out.reshape(n, n)
