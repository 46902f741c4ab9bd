"""``hypergcn parse``: one shard of raw files (an NTU setup or a NW-UCLA view) into a parsed HDF5 shard.

NTU layout (``ntu60``, ``ntu120``, ``demo``): every ``.skeleton`` file of the setup, in sorted name order,
except the names listed as having missing skeletons (``hypergcn.datasets.missing_skeletons``), is read with
:mod:`hypergcn.data.ntu_skeleton` and checked to be denoisable. The parsed shard keeps bodies with their
intervals (internal format, read back by :class:`ParsedShard`):

* per sample: ``name``, ``file`` (raw path), ``num_frames`` (declared), ``valid_frames`` (frames with a
  body), ``body_count`` (bodyIDs), ``body_first`` (index of its first body);
* per body: ``body_id``, ``body_start`` (first valid frame), ``body_length`` (appearances), ``body_line``
  (line of its first body line), ``body_motion`` (float32, NaN for single-body files);
* ``joints`` float32 (sum of body lengths, 25, 3), bodies back to back in sample order.

Bad files are collected over the whole shard: with ``--on-bad-file error`` the command fails listing every
one of them (file, line, reason); with ``skip`` they are left out and listed in the shard's ``skipped``
attribute and the log. NW-UCLA shards are written by :func:`hypergcn.data.ucla.parse_view_shard`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from hypergcn.data.denoise import check_denoisable
from hypergcn.data.ntu_skeleton import NUM_JOINTS, ParsedSkeleton, SkeletonFileError, read_skeleton
from hypergcn.data.raw import RawDataError, raw_folders, shard_files
from hypergcn.data.shards import TableWriter, _attr
from hypergcn.datasets import NTU_SETUPS, dataset_info, missing_skeletons

log = logging.getLogger("hypergcn.data.parse")

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


class BadFilesError(ValueError):
    """Every bad raw file of one shard (``on_bad_file: error``)."""

    def __init__(self, dataset: str, shard: str, bad: list[dict]) -> None:
        self.bad = bad
        listing = "\n".join(f"  {_where(entry)}: {entry['reason']}" for entry in bad)
        super().__init__(
            f"{dataset} {shard}: {len(bad)} bad raw file(s); fix or remove them, or set "
            f"datasets.{dataset}.on_bad_file: skip to leave them out (they are then listed in the shard, the log "
            f"and statistics.json):\n{listing}"
        )


def _where(entry: dict) -> str:
    return f"{entry['file']}:{entry['line']}" if entry.get("line") is not None else str(entry["file"])


class ParsedShardWriter:
    """Append parsed files to a parsed NTU shard."""

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


class ParsedShard:
    """Read a parsed NTU shard back as :class:`ParsedSkeleton` objects, in bounded memory."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._h5 = h5py.File(self.path, "r")
        h5 = self._h5
        self.attrs = {key: _attr(value) for key, value in h5.attrs.items()}
        if self.attrs.get("format") != PARSED_FORMAT:
            raise ValueError(f"{self.path}: not a parsed NTU shard (format {self.attrs.get('format')!r})")
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

    @property
    def skipped(self) -> list[dict]:
        return json.loads(self.attrs.get("skipped", "[]") or "[]")

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

    def close(self) -> None:
        self._h5.close()

    def __enter__(self) -> ParsedShard:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def parse_ntu_shard(
    dataset: str,
    shard: str,
    raw_dirs: list[Path],
    out_path: str | os.PathLike,
    on_bad_file: str = "error",
) -> dict:
    """Parse one NTU setup into a parsed shard; raises :class:`BadFilesError` listing every bad file."""
    if on_bad_file not in ("error", "skip"):
        raise ValueError(f"on_bad_file must be 'error' or 'skip', not {on_bad_file!r}")
    for folder in raw_dirs:
        if not folder.is_dir():
            raise RawDataError(f"datasets.{dataset}.raw_dir: {str(folder)!r} is not a folder")
    files = shard_files(dataset, raw_dirs, shard)
    known_missing = missing_skeletons(dataset)
    attrs = {
        "dataset": dataset,
        "layout": "ntu",
        "shard": shard,
        "num_point": NUM_JOINTS,
        "files_found": len(files),
        "raw_dirs": json.dumps([str(p) for p in raw_dirs]),
    }
    writer = ParsedShardWriter(out_path, attrs)
    bad: list[dict] = []
    n_known = 0
    t0 = time.perf_counter()
    try:
        for name, path in files:
            if name in known_missing:
                n_known += 1
                continue
            try:
                parsed = read_skeleton(path)
                check_denoisable(parsed, str(path))
            except SkeletonFileError as exc:
                bad.append(exc.as_record())
                continue
            except (OSError, UnicodeError) as exc:
                bad.append({"file": str(path), "line": None, "reason": f"cannot read: {exc}"})
                continue
            writer.add(parsed, str(path))
        if bad and on_bad_file == "error":
            raise BadFilesError(dataset, shard, bad)
        for entry in bad:
            log.warning("skipped bad file %s: %s", _where(entry), entry["reason"])
        writer.attrs["known_missing"] = n_known
        writer.close(bad)
    except BaseException:
        writer.abort()
        raise
    seconds = time.perf_counter() - t0
    summary = {
        "files": len(files),
        "parsed": writer.count,
        "known_missing_skipped": n_known,
        "bad_skipped": len(bad),
        "seconds": round(seconds, 3),
    }
    log.info(
        "%s %s: %d files, %d parsed, %d with known missing skeletons skipped, %d bad skipped, %.2f s (%.0f files/s)",
        dataset,
        shard,
        len(files),
        writer.count,
        n_known,
        len(bad),
        seconds,
        len(files) / seconds if seconds > 0 else 0.0,
    )
    return summary


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", required=True, choices=["ntu60", "ntu120", "demo", "ucla"])
    parser.add_argument("--shard", required=True, help="NTU setup (S001...) or NW-UCLA view (v01...)")
    parser.add_argument("--raw-dir", required=True, nargs="+", help="raw folder(s) (datasets.<name>.raw_dir)")
    parser.add_argument("--output", required=True, help="parsed shard to write (.h5)")
    parser.add_argument("--on-bad-file", choices=["error", "skip"], default="error")


def run(args: argparse.Namespace) -> int:
    info = dataset_info(args.dataset)
    folders = raw_folders(args.raw_dir)
    if args.dataset in NTU_SETUPS and args.shard not in NTU_SETUPS[args.dataset]:
        log.error(
            "%r is not a setup of %s (%s-%s)",
            args.shard,
            args.dataset,
            *NTU_SETUPS[args.dataset][:: len(NTU_SETUPS[args.dataset]) - 1],
        )
        return 2
    try:
        if info.layout == "ucla":
            from hypergcn.data.ucla import parse_view_shard

            parse_view_shard(
                folders[0] if len(folders) == 1 else folders, args.shard, Path(args.output), args.on_bad_file
            )
        else:
            parse_ntu_shard(args.dataset, args.shard, folders, args.output, args.on_bad_file)
    except (BadFilesError, RawDataError, FileNotFoundError) as exc:
        log.error("%s", exc)
        return 1
    except ValueError as exc:
        if type(exc).__name__ == "UclaDataError":  # every bad NW-UCLA file of the view, listed
            log.error("%s", exc)
            return 1
        raise
    return 0
