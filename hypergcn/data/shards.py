"""Shard files: the intermediate HDF5 files between parsing and the benchmark file.

Sample shard (every parsed NW-UCLA shard and every denoised NTU shard), one file per NTU setup / UCLA view:

* ``name`` utf-8 string (N,): sample names, sorted;
* ``length`` int32 (N,): frames of each sample; ``offset`` int64 (N,): its first row in ``data``;
* ``data`` float32 (sum(length), M, V, 3): the frames of all samples back to back (xyz last);
* optional per-sample columns, e.g. ``num_bodies`` int32 (N,) = bodyIDs in the raw file;
* attributes ``dataset``, ``layout`` (``ntu`` | ``ucla``), ``shard``, ``num_point`` (V), ``num_person`` (M),
  ``skipped`` (JSON list of ``{file, line, reason}`` for bad raw files skipped with ``on_bad_file: skip``),
  and ``format`` (this module's version).

An empty shard (a setup without files) has the same datasets with 0 rows. Writers append sample by sample
with bounded memory (rows are buffered up to a few MB, then flushed to resizable datasets) and the file
appears under its final name only when complete (``hypergcn.io.atomic_path``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, suppress
from pathlib import Path
from typing import Any, Self

import h5py
import numpy as np

from hypergcn.io import atomic_path

SHARD_FORMAT = 1
STRING = h5py.string_dtype("utf-8")
_FLUSH_BYTES = 16 << 20


def _h5_dtype(dtype: Any) -> Any:
    return STRING if dtype is str else np.dtype(dtype)


class _AtomicWriter:
    """Context manager protocol of the writers: complete the file on success, discard it on error."""

    def close(self) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


class TableWriter(_AtomicWriter):
    """Append rows to several resizable HDF5 datasets (``columns``: name -> (dtype, trailing shape)).

    Rows are buffered and written in blocks; ``close()`` writes the attributes and renames the temporary
    file onto ``path``; ``abort()`` (or an exception inside ``with``) removes it.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        columns: dict[str, tuple[Any, tuple[int, ...]]],
        attrs: dict[str, Any] | None = None,
        compression: dict[str, str] | None = None,
    ) -> None:
        self.path = Path(path)
        self.columns = columns
        self.attrs = dict(attrs or {})
        self._stack = ExitStack()
        self._tmp = self._stack.enter_context(atomic_path(self.path))
        self._h5 = h5py.File(self._tmp, "w")
        self._buffers: dict[str, list] = {name: [] for name in columns}
        self._buffered = 0
        self._closed = False
        for name, (dtype, shape) in columns.items():
            row_bytes = int(np.prod(shape, dtype=np.int64)) * (
                8 if dtype is str else np.dtype(dtype).itemsize
            )
            chunk_rows = max(1, min(1 << 15, (256 << 10) // max(row_bytes, 1)))
            self._h5.create_dataset(
                name,
                shape=(0, *shape),
                maxshape=(None, *shape),
                dtype=_h5_dtype(dtype),
                chunks=(chunk_rows, *shape),
                compression=(compression or {}).get(name),
            )

    def append(self, name: str, values: Any) -> None:
        """Append rows (an array with the column's trailing shape, or a list of scalars / strings)."""
        dtype, _ = self.columns[name]
        if dtype is str:
            values = list(values)
            self._buffered += 32 * len(values)
        else:
            values = np.asarray(values, dtype=dtype)
            self._buffered += values.nbytes
        self._buffers[name].append(values)
        if self._buffered >= _FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        for name, parts in self._buffers.items():
            if not parts:
                continue
            dtype, shape = self.columns[name]
            block = (
                np.array([v for part in parts for v in part], dtype=object)
                if dtype is str
                else np.concatenate(parts).reshape(-1, *shape)
            )
            dset = self._h5[name]
            start = dset.shape[0]
            dset.resize(start + len(block), axis=0)
            if len(block):
                dset[start:] = block
            parts.clear()
        self._buffered = 0

    def close(self) -> None:
        if self._closed:
            return
        self.flush()
        for key, value in self.attrs.items():
            self._h5.attrs[key] = value
        self._h5.close()
        self._closed = True
        self._stack.close()  # renames onto the final path

    def abort(self) -> None:
        if self._closed:
            return
        self._h5.close()
        self._closed = True
        with suppress(RuntimeError):
            self._stack.__exit__(RuntimeError, RuntimeError("aborted"), None)


class ShardWriter(_AtomicWriter):
    """Write a sample shard (module docstring) sample by sample.

    ``extra`` names additional per-sample columns (name -> dtype), given to :meth:`add` as keywords.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        dataset: str,
        layout: str,
        shard: str,
        num_point: int,
        num_person: int,
        extra: dict[str, Any] | None = None,
        attrs: dict[str, Any] | None = None,
        compress: bool = True,
    ) -> None:
        self.extra = dict(extra or {})
        self.skipped: list[dict] = []
        columns: dict[str, tuple[Any, tuple[int, ...]]] = {
            "name": (str, ()),
            "length": (np.int32, ()),
            "offset": (np.int64, ()),
            "data": (np.float32, (num_person, num_point, 3)),
        }
        columns.update({key: (dtype, ()) for key, dtype in self.extra.items()})
        self.attrs = {
            "dataset": dataset,
            "layout": layout,
            "shard": shard,
            "num_point": num_point,
            "num_person": num_person,
            "format": SHARD_FORMAT,
            **(attrs or {}),
        }
        self._table = TableWriter(path, columns, compression={"data": "lzf"} if compress else None)
        self._rows = 0
        self.count = 0
        self._shape = (num_person, num_point, 3)

    def add(self, name: str, data: np.ndarray, **extra: Any) -> None:
        """Append one sample: ``data`` float32 (T, M, V, 3)."""
        data = np.asarray(data, dtype=np.float32)
        if data.shape[1:] != self._shape:
            raise ValueError(
                f"sample {name}: data shape {data.shape}, expected (T, {', '.join(map(str, self._shape))})"
            )
        missing = set(self.extra) - set(extra)
        if missing:
            raise ValueError(f"sample {name}: missing columns {sorted(missing)}")
        self._table.append("name", [name])
        self._table.append("length", [len(data)])
        self._table.append("offset", [self._rows])
        self._table.append("data", data)
        for key in self.extra:
            self._table.append(key, [extra[key]])
        self._rows += len(data)
        self.count += 1

    def close(self) -> None:
        self._table.attrs = {**self.attrs, "skipped": json.dumps(self.skipped)}
        self._table.close()

    def abort(self) -> None:
        self._table.abort()


def write_shard(
    path: str | os.PathLike,
    *,
    dataset: str,
    layout: str,
    shard: str,
    names: Sequence[str],
    clips: Iterable[np.ndarray],
    num_point: int,
    num_person: int,
    skipped: Sequence[dict] = (),
    num_bodies: Sequence[int] | None = None,
    attrs: dict[str, Any] | None = None,
) -> None:
    """Write a whole sample shard at once; ``clips[i]`` is float32 (T, M, V, 3) or (T, V, 3) when M = 1."""
    extra = {"num_bodies": np.int32} if num_bodies is not None else None
    with ShardWriter(
        path,
        dataset=dataset,
        layout=layout,
        shard=shard,
        num_point=num_point,
        num_person=num_person,
        extra=extra,
        attrs=attrs,
    ) as writer:
        writer.skipped = list(skipped)
        for i, (name, clip) in enumerate(zip(names, clips, strict=True)):
            clip = np.asarray(clip, dtype=np.float32)
            if clip.ndim == 3:
                clip = clip[:, None]
            if num_bodies is not None:
                writer.add(name, clip, num_bodies=int(num_bodies[i]))
            else:
                writer.add(name, clip)


def _attr(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.generic):
        return value.item()
    return value


class Shard:
    """Read a sample shard: per-sample columns are loaded at open, frames are read on demand."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._h5 = h5py.File(self.path, "r")
        h5 = self._h5
        missing = [key for key in ("name", "length", "offset", "data") if key not in h5]
        if missing:
            raise ValueError(f"{self.path}: not a sample shard (missing {missing})")
        self.attrs = {key: _attr(value) for key, value in h5.attrs.items()}
        self.names: list[str] = list(h5["name"].asstr()[()])
        self.lengths = np.asarray(h5["length"][()], dtype=np.int64)
        self.offsets = np.asarray(h5["offset"][()], dtype=np.int64)
        self.data = h5["data"]
        self.columns = {
            key: h5[key][()]
            for key in h5
            if key not in ("name", "length", "offset", "data") and h5[key].shape == (len(self.names),)
        }

    @property
    def dataset(self) -> str:
        return str(self.attrs.get("dataset", ""))

    @property
    def layout(self) -> str:
        return str(self.attrs.get("layout", ""))

    @property
    def skipped(self) -> list[dict]:
        return json.loads(self.attrs.get("skipped", "[]") or "[]")

    def __len__(self) -> int:
        return len(self.names)

    def sample(self, i: int) -> np.ndarray:
        """Frames of sample ``i``: float32 (T, M, V, 3)."""
        start = int(self.offsets[i])
        return self.data[start : start + int(self.lengths[i])]

    def iter_samples(self, block_bytes: int = 4 << 20) -> Iterator[tuple[int, np.ndarray]]:
        """``(i, frames)`` for every sample in file order, reading contiguous blocks of bounded size."""
        n = len(self)
        row_bytes = int(np.prod(self.data.shape[1:], dtype=np.int64)) * 4
        i = 0
        while i < n:
            j = i
            rows = 0
            while j < n and (j == i or (rows + self.lengths[j]) * row_bytes <= block_bytes):
                rows += int(self.lengths[j])
                j += 1
            start = int(self.offsets[i])
            block = self.data[start : start + rows]
            for k in range(i, j):
                off = int(self.offsets[k]) - start
                yield k, block[off : off + int(self.lengths[k])]
            i = j

    def close(self) -> None:
        self._h5.close()

    def __enter__(self) -> Shard:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_shard_attrs(path: str | os.PathLike) -> dict[str, Any]:
    """The attributes of a shard, without reading its datasets."""
    with h5py.File(path, "r") as h5:
        return {key: _attr(value) for key, value in h5.attrs.items()}
