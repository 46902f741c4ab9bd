"""Shard files: the intermediate HDF5 files between the raw files and the benchmark file.

This module owns both shard formats, one file per NTU setup / NW-UCLA view each.

Sample shard (every parsed NW-UCLA shard and every denoised NTU shard), read by :class:`Shard`:

* ``name`` utf-8 string (N,): sample names, sorted;
* ``length`` int32 (N,): frames of each sample; ``offset`` int64 (N,): its first row in ``data``;
* ``data`` float32 (sum(length), M, V, C): the frames of all samples back to back, channels last: C = 3
  (xyz) unless the attribute ``channels`` names them;
* optional per-sample columns, e.g. ``num_bodies`` int32 (N,) = bodyIDs in the raw file, or ``label`` int32
  (N,) = the 0-based class (clip folders, :mod:`hypergcn.data.clip_arrays`);
* optionally group ``fields``: one utf-8 string dataset (N,) per grouping column of a clip folder's manifest
  (``fields/<column>``: the values the split rules, ``shard_by`` and ``validation_unit`` read);
* attributes ``dataset``, ``layout`` (the name of the dataset's :class:`hypergcn.layouts.Layout`), ``shard``,
  ``num_point`` (V), ``num_person`` (M), ``skipped`` (JSON list of ``{file, line, reason}`` for bad raw files
  skipped with ``on_bad_file: skip``), ``format`` (this module's version), and optionally ``channels``
  (JSON list of the channel names, e.g. ``["x", "y", "confidence"]``; absent: ``["x", "y", "z"]``);
* optionally the samples already packed as benchmark-file chunks (written by the workflow's denoise jobs, so
  that the benchmark build only copies them; :mod:`hypergcn.data.build`): group ``packed`` with ``bytes``
  uint8 (the compressed chunks back to back), per sample ``offset`` int64, ``size`` int64 (-1: not packed)
  and ``filter_mask`` uint8 (0: lzf stream, 1: stored raw), and attributes ``packed_<key>`` describing the
  chunks (layout and the settings that shaped them).

Parsed NTU shard (``results/data/<dataset>/parsed/<setup>.h5``, written by ``hypergcn parse``, read by
``hypergcn denoise``), read by :class:`ParsedShard`. It keeps the bodies of every ``.skeleton`` file with
their intervals, before denoising:

* per sample: ``name``, ``file`` (raw path), ``num_frames`` (declared), ``valid_frames`` (frames with a
  body), ``body_count`` (bodyIDs), ``body_first`` (index of its first body);
* per body: ``body_id``, ``body_start`` (first valid frame), ``body_length`` (appearances), ``body_line``
  (line of its first body line), ``body_motion`` (float32, NaN for single-body files);
* ``joints`` float32 (sum of body lengths, 25, 3), bodies back to back in sample order;
* attributes as the sample shard's (without ``num_person``), ``format`` = :data:`PARSED_FORMAT`.

An empty shard (a setup without files) has the same datasets with 0 rows. Writers append sample by sample
with bounded memory (rows are buffered up to a few MB, then flushed to resizable datasets) and the file
appears under its final name only when complete (``hypergcn.io.atomic_path``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, suppress
from pathlib import Path
from typing import Any, Self

import h5py
import numpy as np

from hypergcn.data.benchmark_file import plain
from hypergcn.data.ntu_skeleton import NUM_JOINTS, ParsedSkeleton
from hypergcn.io import atomic_path

SHARD_FORMAT = 1
STRING = h5py.string_dtype("utf-8")
_FLUSH_BYTES = 16 << 20
_READ_CACHE_BYTES = 1 << 20
_SAMPLE_KEYS = ("name", "length", "offset", "data")


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
        chunk_bytes: dict[str, int] | None = None,
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
            target = (chunk_bytes or {}).get(name)
            if target is None:
                chunk_rows = max(1, min(1 << 15, (256 << 10) // max(row_bytes, 1)))
            else:
                chunk_rows = max(1, target // max(row_bytes, 1))
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

    def append_scalars(self, row: dict[str, Any]) -> None:
        """Append one value to each of several scalar columns (the per-sample columns of a sample: kept as
        Python numbers until the flush, which is several times cheaper than an array per value)."""
        for name, value in row.items():
            self._buffers[name].append(value)
        self._buffered += 8 * len(row)

    def flush(self) -> None:
        for name, parts in self._buffers.items():
            if not parts:
                continue
            dtype, shape = self.columns[name]
            if dtype is str:
                block = np.array([v for part in parts for v in part], dtype=object)
            elif not any(isinstance(part, np.ndarray) for part in parts):  # append_scalars only
                block = np.asarray(parts, dtype=dtype)
            else:
                block = np.concatenate([np.asarray(part, dtype=dtype).reshape(-1, *shape) for part in parts])
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
    ``packed`` (attributes of the packing, stored as ``packed_<key>``) adds the packed chunks, given to
    :meth:`add` as ``chunk=(bytes, filter_mask)``. ``channels`` names the channels of ``data`` (default
    xyz, recorded only when given); ``fields`` names string columns stored in the group ``fields``, given
    to :meth:`add` as ``fields={name: value}``.
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
        packed: dict[str, Any] | None = None,
        channels: Sequence[str] | None = None,
        fields: Sequence[str] = (),
    ) -> None:
        self.extra = dict(extra or {})
        self.fields = list(fields)
        bad = [name for name in self.fields if not name or "/" in name or name == "."]
        if bad:
            raise ValueError(f"field names {bad} cannot name an HDF5 dataset")
        num_channel = 3 if channels is None else len(channels)
        self.packed = packed is not None
        self.skipped: list[dict] = []
        columns: dict[str, tuple[Any, tuple[int, ...]]] = {
            "name": (str, ()),
            "length": (np.int32, ()),
            "offset": (np.int64, ()),
            "data": (np.float32, (num_person, num_point, num_channel)),
        }
        columns.update({key: (dtype, ()) for key, dtype in self.extra.items()})
        columns.update({f"fields/{name}": (str, ()) for name in self.fields})
        if packed is not None:
            columns.update(PACKED_COLUMNS)
        self.attrs = {
            "dataset": dataset,
            "layout": layout,
            "shard": shard,
            "num_point": num_point,
            "num_person": num_person,
            "format": SHARD_FORMAT,
            **({} if channels is None else {"channels": json.dumps(list(channels))}),
            **(attrs or {}),
            **{f"packed_{key}": value for key, value in (packed or {}).items()},
        }
        self._table = TableWriter(
            path,
            columns,
            compression={"data": "lzf"} if compress else None,
            # 1 MB chunks, not 32 KB: a reader then touches a few dozen chunk-index entries per shard, not a
            # thousand, and HDF5's per-file metadata cache stays small in a build that opens every shard
            chunk_bytes={"packed/bytes": 1 << 20},
        )
        self._rows = 0
        self._packed_bytes = 0
        self.count = 0
        self._shape = (num_person, num_point, num_channel)

    def add(
        self,
        name: str,
        data: np.ndarray,
        chunk: tuple[np.ndarray | None, int] | None = None,
        fields: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        """Append one sample: ``data`` float32 (T, M, V, C); ``chunk`` its packed bytes (uint8, or None when
        it could not be packed) and filter mask, when the shard holds packed chunks; ``fields`` its value of
        every field the shard was opened with."""
        data = np.asarray(data, dtype=np.float32)
        if data.shape[1:] != self._shape:
            raise ValueError(
                f"sample {name}: data shape {data.shape}, expected (T, {', '.join(map(str, self._shape))})"
            )
        missing = set(self.extra) - set(extra)
        if missing:
            raise ValueError(f"sample {name}: missing columns {sorted(missing)}")
        fields = fields or {}
        missing = set(self.fields) - set(fields)
        if missing:
            raise ValueError(f"sample {name}: missing fields {sorted(missing)}")
        row = {"length": len(data), "offset": self._rows, **{key: extra[key] for key in self.extra}}
        if self.packed:
            if chunk is None:
                raise ValueError(f"sample {name}: this shard holds packed chunks; pass chunk=")
            stream, filter_mask = chunk
            size = -1 if stream is None else len(stream)
            row.update(
                {"packed/offset": self._packed_bytes, "packed/size": size, "packed/filter_mask": filter_mask}
            )
            if stream is not None:
                self._table.append("packed/bytes", stream)
                self._packed_bytes += size
        self._table.append("name", [name])
        self._table.append_scalars(row)
        self._table.append("data", data)
        for key in self.fields:
            self._table.append(f"fields/{key}", [str(fields[key])])
        self._rows += len(data)
        self.count += 1

    def close(self) -> None:
        self._table.attrs = {**self.attrs, "skipped": json.dumps(self.skipped)}
        self._table.close()

    def abort(self) -> None:
        self._table.abort()


# Packed benchmark chunks of a sample shard (module docstring).
PACKED_COLUMNS: dict[str, tuple[Any, tuple[int, ...]]] = {
    "packed/bytes": (np.uint8, ()),
    "packed/offset": (np.int64, ()),
    "packed/size": (np.int64, ()),
    "packed/filter_mask": (np.uint8, ()),
}


class _ShardFile:
    """An open shard for reading: its attributes, its list of skipped raw files, the ``with`` protocol."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        # Readers go through a shard once, in large blocks: a 1 MB chunk cache per dataset (h5py's default
        # here is 8 MB) keeps a build that opens every shard of NTU-120 from holding 32 x 8 MB of it.
        self._h5 = h5py.File(self.path, "r", rdcc_nbytes=_READ_CACHE_BYTES)
        self.attrs = {key: plain(value) for key, value in self._h5.attrs.items()}

    @property
    def skipped(self) -> list[dict]:
        return json.loads(self.attrs.get("skipped", "[]") or "[]")

    def close(self) -> None:
        self._h5.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Shard(_ShardFile):
    """Read a sample shard: per-sample columns are loaded at open, frames are read on demand."""

    def __init__(self, path: str | os.PathLike) -> None:
        super().__init__(path)
        h5 = self._h5
        missing = [key for key in _SAMPLE_KEYS if key not in h5]
        if missing:
            self.close()
            raise ValueError(f"{self.path}: not a sample shard (missing {missing})")
        self.names: list[str] = list(h5["name"].asstr()[()])
        self.lengths = np.asarray(h5["length"][()], dtype=np.int64)
        self.offsets = np.asarray(h5["offset"][()], dtype=np.int64)
        self.data = h5["data"]
        self.columns = {
            key: h5[key][()]
            for key in h5
            if key not in _SAMPLE_KEYS
            and isinstance(h5[key], h5py.Dataset)
            and h5[key].shape == (len(self.names),)
        }
        self.packed = PackedChunks(h5["packed"], self.attrs) if "packed" in h5 else None
        # clip folders' grouping columns (``fields/<column>``); none in NTU and NW-UCLA shards
        self.fields: dict[str, list[str]] = (
            {key: list(h5["fields"][key].asstr()[()]) for key in h5["fields"]} if "fields" in h5 else {}
        )

    @property
    def channels(self) -> tuple[str, ...]:
        """The channel names of ``data`` (last axis)."""
        return tuple(json.loads(self.attrs["channels"])) if "channels" in self.attrs else ("x", "y", "z")

    @property
    def dataset(self) -> str:
        return str(self.attrs.get("dataset", ""))

    def __len__(self) -> int:
        return len(self.names)

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


class PackedChunks:
    """The packed benchmark chunks of a sample shard: per-sample columns at open, bytes read in blocks."""

    def __init__(self, group: h5py.Group, attrs: dict[str, Any]) -> None:
        self.attrs = {
            key.removeprefix("packed_"): value for key, value in attrs.items() if key.startswith("packed_")
        }
        self.offsets = np.asarray(group["offset"][()], dtype=np.int64)
        self.sizes = np.asarray(group["size"][()], dtype=np.int64)
        self.filter_masks = np.asarray(group["filter_mask"][()], dtype=np.uint32)
        self._bytes = group["bytes"]

    def iter_chunks(self, block_bytes: int = 4 << 20) -> Iterator[tuple[int, np.ndarray | None, int]]:
        """``(i, chunk bytes or None if not packed, filter mask)`` for every sample in file order.

        The bytes are read in blocks of about ``block_bytes`` into one reused buffer (fresh arrays of a few
        MB each would be left to the allocator, whose heap then grows with the shard): a chunk's array is
        valid until the next one is yielded.
        """
        n = len(self.sizes)
        ends = self.offsets + np.maximum(self.sizes, 0)
        buffer = np.empty(0, dtype=np.uint8)
        i = 0
        while i < n:
            start = int(self.offsets[i])
            j = i + 1
            while j < n and ends[j] - start <= block_bytes:
                j += 1
            stop = int(ends[i:j].max())
            if len(buffer) < stop - start:
                buffer = np.empty(max(stop - start, block_bytes), dtype=np.uint8)
            block = buffer[: stop - start]
            if len(block):
                self._bytes.read_direct(block, np.s_[start:stop])
            for k in range(i, j):
                size = int(self.sizes[k])
                off = int(self.offsets[k]) - start
                yield k, (block[off : off + size] if size >= 0 else None), int(self.filter_masks[k])
            i = j


# --------------------------------------------------------------------------------------------------------
# Parsed NTU shard: the output of ``hypergcn parse`` for ``.skeleton`` files, the input of ``hypergcn denoise``.

PARSED_FORMAT = "ntu-parsed-1"
PARSED_COLUMNS: dict[str, tuple[Any, tuple[int, ...]]] = {
    "name": (str, ()),
    "file": (str, ()),
    "num_frames": (np.int32, ()),
    "valid_frames": (np.int32, ()),
    "body_count": (np.int32, ()),
    "body_first": (np.int64, ()),
    "body_id": (str, ()),
    "body_start": (np.int32, ()),
    "body_length": (np.int32, ()),
    "body_line": (np.int32, ()),
    "body_motion": (np.float32, ()),
    "joints": (np.float32, (NUM_JOINTS, 3)),
}


class ParsedShardWriter:
    """Append parsed files to a parsed NTU shard (module docstring)."""

    def __init__(self, path: str | os.PathLike, attrs: dict[str, Any]) -> None:
        self._table = TableWriter(path, PARSED_COLUMNS)
        self.attrs = attrs
        self._bodies = 0
        self.count = 0

    def add(self, parsed: ParsedSkeleton, file: str) -> None:
        t = self._table
        t.append("name", [parsed.name])
        t.append("file", [file])
        t.append("num_frames", [parsed.num_frames])
        t.append("valid_frames", [parsed.valid_frames])
        t.append("body_count", [parsed.num_bodies])
        t.append("body_first", [self._bodies])
        t.append("body_id", parsed.body_ids)
        t.append("body_start", parsed.starts)
        t.append("body_length", parsed.lengths)
        t.append("body_line", parsed.lines)
        t.append("body_motion", parsed.motion)
        t.append("joints", parsed.joints)
        self._bodies += parsed.num_bodies
        self.count += 1

    def close(self, skipped: list[dict]) -> None:
        self._table.attrs = {**self.attrs, "skipped": json.dumps(skipped), "format": PARSED_FORMAT}
        self._table.close()

    def abort(self) -> None:
        self._table.abort()


class ParsedShard(_ShardFile):
    """Read a parsed NTU shard back as :class:`ParsedSkeleton` objects, in bounded memory."""

    def __init__(self, path: str | os.PathLike) -> None:
        super().__init__(path)
        if self.attrs.get("format") != PARSED_FORMAT:
            self.close()
            raise ValueError(f"{self.path}: not a parsed NTU shard (format {self.attrs.get('format')!r})")
        h5 = self._h5
        self.names = list(h5["name"].asstr()[()])
        self.files = list(h5["file"].asstr()[()])
        self.num_frames = h5["num_frames"][()]
        self.valid_frames = h5["valid_frames"][()]
        self.body_count = h5["body_count"][()]
        self.body_first = h5["body_first"][()]
        self.body_ids = list(h5["body_id"].asstr()[()])
        self.body_start = h5["body_start"][()]
        self.body_length = h5["body_length"][()]
        self.body_line = h5["body_line"][()]
        self.body_motion = h5["body_motion"][()]
        self.body_offset = np.concatenate([[0], np.cumsum(self.body_length, dtype=np.int64)])
        self.joints = h5["joints"]

    def __len__(self) -> int:
        return len(self.names)

    def iter_parsed(self, block_rows: int = 1 << 16) -> Iterator[tuple[ParsedSkeleton, str]]:
        """``(parsed, raw path)`` per sample in file order, joints read in blocks of about ``block_rows``."""
        block_start, block = 0, np.zeros((0, NUM_JOINTS, 3), np.float32)
        for i, name in enumerate(self.names):
            b0 = int(self.body_first[i])
            b1 = b0 + int(self.body_count[i])
            r0, r1 = int(self.body_offset[b0]), int(self.body_offset[b1])
            if r1 > block_start + len(block):
                block_start = r0
                block = self.joints[r0 : max(r1, r0 + block_rows)]
            yield (
                ParsedSkeleton(
                    name=name,
                    num_frames=int(self.num_frames[i]),
                    valid_frames=int(self.valid_frames[i]),
                    body_ids=self.body_ids[b0:b1],
                    starts=self.body_start[b0:b1],
                    lengths=self.body_length[b0:b1],
                    lines=self.body_line[b0:b1],
                    joints=block[r0 - block_start : r1 - block_start],
                    motion=self.body_motion[b0:b1],
                ),
                self.files[i],
            )
