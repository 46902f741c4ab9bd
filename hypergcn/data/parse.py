"""``hypergcn parse``: one shard of raw files (an NTU setup or a NW-UCLA view) into a parsed HDF5 shard.

The dataset's raw format (``DatasetInfo.raw_format``) selects the reader:

* ``ntu_skeleton``: every ``.skeleton`` file of the setup, in sorted name order, except the names listed as
  having missing skeletons (``hypergcn.datasets.missing_skeletons``), is read with
  :mod:`hypergcn.data.ntu_skeleton` and checked to be denoisable, then written to a parsed NTU shard
  (:class:`hypergcn.data.shards.ParsedShard`, format in :mod:`hypergcn.data.shards`);
* ``ucla_json``: every ``<name>.json`` clip of the view goes into a sample shard
  (:func:`hypergcn.data.ucla.parse_view_shard`).

Bad files are collected over the whole shard: with ``--on-bad-file error`` the command fails listing every
one of them (file, line, reason); with ``skip`` they are left out and listed in the shard's ``skipped``
attribute and the log.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from hypergcn.data.denoise import check_denoisable
from hypergcn.data.ntu_skeleton import NUM_JOINTS, SkeletonFileError, read_skeleton
from hypergcn.data.raw import RawDataError, raw_folders, shard_files
from hypergcn.data.shards import ParsedShardWriter
from hypergcn.data.ucla import UclaDataError, parse_view_shard
from hypergcn.datasets import DATASETS, dataset_info, missing_skeletons

log = logging.getLogger("hypergcn.data.parse")

ON_BAD_FILE = ("error", "skip")


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


def _read_files(
    files: list[tuple[str, Path]], known_missing: frozenset[str], writer: ParsedShardWriter
) -> tuple[list[dict], int]:
    """Write every readable, denoisable file; returns the bad files and the count of known-missing names."""
    bad: list[dict] = []
    n_known = 0
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
    return bad, n_known


def parse_ntu_shard(
    dataset: str,
    shard: str,
    raw_dirs: list[Path],
    out_path: str | os.PathLike,
    on_bad_file: str = "error",
) -> dict:
    """Parse one NTU setup into a parsed shard; raises :class:`BadFilesError` listing every bad file."""
    if on_bad_file not in ON_BAD_FILE:
        raise ValueError(f"on_bad_file must be 'error' or 'skip', not {on_bad_file!r}")
    for folder in raw_dirs:
        if not folder.is_dir():
            raise RawDataError(f"datasets.{dataset}.raw_dir: {str(folder)!r} is not a folder")
    files = shard_files(dataset, raw_dirs, shard)
    attrs = {
        "dataset": dataset,
        "layout": dataset_info(dataset).layout.name,
        "shard": shard,
        "num_point": NUM_JOINTS,
        "files_found": len(files),
        "raw_dirs": json.dumps([str(p) for p in raw_dirs]),
    }
    writer = ParsedShardWriter(out_path, attrs)
    t0 = time.perf_counter()
    try:
        bad, n_known = _read_files(files, missing_skeletons(dataset), writer)
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
    return {
        "files": len(files),
        "parsed": writer.count,
        "known_missing_skipped": n_known,
        "bad_skipped": len(bad),
        "seconds": round(seconds, 3),
    }


def _parse_json_shard(
    dataset: str, shard: str, raw_dirs: list[Path], out_path: str | os.PathLike, on_bad_file: str
) -> None:
    parse_view_shard(raw_dirs, shard, out_path, on_bad_file, dataset=dataset)


# The reader of each raw format (``DatasetInfo.raw_format``): (dataset, shard, raw folders, output, on_bad_file).
PARSERS: dict[str, Callable[[str, str, list[Path], str | os.PathLike, str], object]] = {
    "ntu_skeleton": parse_ntu_shard,
    "ucla_json": _parse_json_shard,
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", required=True, choices=list(DATASETS))
    parser.add_argument("--shard", required=True, help="NTU setup (S001...) or NW-UCLA view (v01...)")
    parser.add_argument("--raw-dir", required=True, nargs="+", help="raw folder(s) (datasets.<name>.raw_dir)")
    parser.add_argument("--output", required=True, help="parsed shard to write (.h5)")
    parser.add_argument("--on-bad-file", choices=ON_BAD_FILE, default="error")


def run(args: argparse.Namespace) -> int:
    info = dataset_info(args.dataset)
    if info.shards and args.shard not in info.shards:  # a generated dataset's shards come from its config
        log.error(
            "%r is not a shard of %s (%s-%s)", args.shard, args.dataset, info.shards[0], info.shards[-1]
        )
        return 2
    try:
        PARSERS[info.raw_format](
            args.dataset, args.shard, raw_folders(args.raw_dir), args.output, args.on_bad_file
        )
    except (BadFilesError, UclaDataError, RawDataError, FileNotFoundError) as exc:
        log.error("%s", exc)
        return 1
    return 0
