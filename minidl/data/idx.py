"""Read IDX files, the format MNIST is distributed in.

An IDX file is a header then raw big-endian values::

    bytes 0-1   0x00 0x00
    byte  2     type code: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
    byte  3     number of dims d
    4·d bytes   each dim's size as a big-endian uint32
    the rest    prod(dims) values, row-major

So MNIST's image files start with the magic number 0x00000803 = 2051 (uint8, 3 dims:
N, 28, 28) and its label files with 0x00000801 = 2049 (uint8, 1 dim: N).
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class IDXError(ValueError):
    """An IDX file is corrupt, truncated, or not what was expected."""


def parse_idx(raw: bytes, name: str = "IDX data") -> np.ndarray:
    """Decode the bytes of an (uncompressed) IDX file into an array of its dims.

    Multi-byte values come back in the machine's native byte order. Raises
    :class:`IDXError` naming ``name`` when the header or the length is wrong.
    """
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise IDXError(f"{name}: not an IDX file (bad magic number {raw[:4].hex() or 'empty'})")
    code, ndim = raw[2], raw[3]
    if code not in _TYPES:
        raise IDXError(f"{name}: unknown IDX type code 0x{code:02x}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise IDXError(f"{name}: truncated header ({len(raw)} bytes for {ndim} dims)")
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = _TYPES[code]
    expected = header + int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        raise IDXError(
            f"{name}: expected {expected} bytes for dims {dims} of {dtype.name}, got {len(raw)}"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)
    return data.astype(dtype.newbyteorder("="))


def read_idx_gz(path: str | Path, magic: int | None = None) -> np.ndarray:
    """Read a gzip-compressed IDX file; with ``magic``, insist on that magic number."""
    path = Path(path)
    try:
        raw = gzip.decompress(path.read_bytes())
    except (OSError, EOFError, zlib.error) as e:
        raise IDXError(
            f"{path.name}: corrupt gzip file ({e}); delete it to download it again"
        ) from None
    return parse_idx_magic(raw, path.name, magic)


def parse_idx_magic(raw: bytes, name: str, magic: int | None) -> np.ndarray:
    """:func:`parse_idx`, first insisting on the magic number ``magic`` (when given)."""
    if magic is not None and raw[:4] != magic.to_bytes(4, "big"):
        raise IDXError(
            f"{name}: expected magic number {magic} (0x{magic:08x}), got 0x{raw[:4].hex()}"
        )
    return parse_idx(raw, name)
