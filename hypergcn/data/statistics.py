"""``hypergcn stats``: ``results/data/{dataset}/statistics.json`` from the shards a benchmark is built from.

Reads only the per-sample columns and attributes of the shards (never the frames), so it is fast on the full
datasets. Reports: raw files found versus a complete download, files skipped because their skeletons are
known to be missing, bad files skipped (each with file, line and reason), samples per class and per split of
every benchmark of the dataset, the frame-count distribution, and for denoised data (NTU ``.skeleton``
files) the bodies: how many files have several bodyIDs, how many bodies the length filter, the spread
filter and the two-actor assembly dropped, frames with 0 bodies, and rows deleted as empty. Clip folders
(``clip_arrays``): the clips left out with ``on_bad_file: skip`` are listed under ``skipped_files`` (clip,
file or manifest line, reason), and the splits are those of the manifest's columns.
"""

from __future__ import annotations

import argparse
import logging
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

import hypergcn
from hypergcn.data.build import assign_splits, declaration_error, shard_fields
from hypergcn.data.shards import Shard
from hypergcn.datasets import add_dataset_arguments, dataset_info
from hypergcn.io import write_json

log = logging.getLogger("hypergcn.data.statistics")


def _distribution(values: np.ndarray) -> dict[str, Any]:
    if len(values) == 0:
        return {
            "min": None,
            "max": None,
            "mean": None,
            "median": None,
            "p05": None,
            "p95": None,
            "histogram": {},
        }
    top = int(values.max())
    step = max(10, int(np.ceil(top / 20 / 10)) * 10)
    edges = list(range(0, top + step + 1, step))
    counts, _ = np.histogram(values, bins=edges)
    return {
        "min": int(values.min()),
        "max": top,
        "mean": round(float(values.mean()), 2),
        "median": float(np.median(values)),
        "p05": float(np.percentile(values, 5)),
        "p95": float(np.percentile(values, 95)),
        "histogram": {"edges": edges, "counts": counts.tolist()},
    }


def _clip_fields(shard_paths: list[str | Path], info: Any) -> tuple[Any, Any]:
    """A clip folder's manifest fields and labels per sample (:func:`hypergcn.data.build.shard_fields`)."""
    shards = [Shard(path) for path in shard_paths]
    try:
        return shard_fields(shards, info)
    finally:
        for shard in shards:
            shard.close()


def dataset_statistics(
    dataset: str, shard_paths: list[str | Path], num_class: int | None = None
) -> dict[str, Any]:
    """The statistics dictionary (module docstring)."""
    info = dataset_info(dataset)
    num_class = num_class or info.num_class
    names: list[str] = []
    lengths: list[np.ndarray] = []
    columns: dict[str, list[np.ndarray]] = {}
    shards: dict[str, Any] = {}
    skipped: list[dict] = []
    found = known = 0
    for path in shard_paths:
        with Shard(path) as shard:
            entry = {
                "samples": len(shard),
                "files_found": int(shard.attrs.get("files_found", len(shard) + len(shard.skipped))),
                "known_missing_skipped": int(shard.attrs.get("known_missing", 0)),
                "bad_files_skipped": len(shard.skipped),
            }
            shards[str(shard.attrs.get("shard", Path(path).stem))] = entry
            found += entry["files_found"]
            known += entry["known_missing_skipped"]
            skipped += shard.skipped
            names += shard.names
            lengths.append(shard.lengths)
            for key, values in shard.columns.items():
                columns.setdefault(key, []).append(np.asarray(values))
    frames = np.concatenate(lengths) if lengths else np.zeros(0, np.int64)
    cols = {key: np.concatenate(parts) for key, parts in columns.items()}

    per_split: dict[str, dict[str, int]] = {}
    labels: list[int] = []
    fields, sample_labels = _clip_fields(shard_paths, info)
    for benchmark in info.benchmarks:
        splits, keys = assign_splits(dataset, benchmark, names, fields=fields, labels=sample_labels)
        per_split[benchmark] = {split: len(members) for split, members in splits.items()}
        labels = [key.label for key in keys]
    per_class = Counter(labels)

    stats: dict[str, Any] = {
        "dataset": dataset,
        "layout": info.layout.name,
        "package_version": hypergcn.__version__,
        "raw": {
            "files_expected": info.raw_files,
            "files_found": found,
            "files_missing": max(info.raw_files - found, 0) if info.raw_files else None,
            "known_missing_skipped": known,
            "bad_files_skipped": len(skipped),
        },
        "samples": len(names),
        "num_class": num_class,
        "per_class": [per_class.get(label, 0) for label in range(num_class)],
        "splits": per_split,
        "frames": _distribution(frames),
    }
    if info.denoised and "num_bodies" in cols:
        bodies = cols["num_bodies"]
        stats["bodies"] = {
            "raw_bodies": int(bodies.sum()),
            "samples_single_body": int((bodies == 1).sum()),
            "samples_multi_body": int((bodies > 1).sum()),
            "max_bodies_in_a_file": int(bodies.max()) if len(bodies) else 0,
            "dropped": {
                "length_le_11_frames": int(cols["dropped_length"].sum()),
                "spread_noisy_ratio_ge_0.69754": int(cols["dropped_spread"].sum()),
                "overlap_with_both_actors": int(cols["dropped_overlap"].sum()),
            },
            "samples_two_actor_array": int((cols["slots"] == 2).sum()),
            "samples_multi_body_reduced_to_one": int(((cols["slots"] == 1) & (bodies > 1)).sum()),
            "zero_body_frames_dropped": int(cols["frames_dropped"].sum()),
            "samples_with_zero_body_frames": int((cols["frames_dropped"] > 0).sum()),
            "empty_rows_deleted": int(cols["rows_deleted"].sum()),
            "samples_with_rows_deleted": int((cols["rows_deleted"] > 0).sum()),
        }
    stats["shards"] = shards
    stats["skipped_files"] = skipped
    return stats


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_dataset_arguments(parser)
    parser.add_argument(
        "--shards", required=True, nargs="+", help="denoised (NTU) or parsed (NW-UCLA) shards"
    )
    parser.add_argument("--output", required=True, help="statistics.json to write")
    parser.add_argument("--num-class", type=int, default=None)


def run(args: argparse.Namespace) -> int:
    if error := declaration_error(args.declaration, args.dataset):
        log.error("%s", error)
        return 2
    stats = dataset_statistics(args.dataset, args.shards, args.num_class)
    write_json(args.output, stats)
    raw = stats["raw"]
    log.info(
        "%s: %d samples; raw files found %d (expected %s); %d known-missing skipped; %d bad skipped",
        args.dataset,
        stats["samples"],
        raw["files_found"],
        raw["files_expected"],
        raw["known_missing_skipped"],
        raw["bad_files_skipped"],
    )
    for entry in stats["skipped_files"]:
        where = entry.get("file") if entry.get("line") is None else f"{entry.get('file')}:{entry.get('line')}"
        log.warning("skipped bad file %s: %s", where, entry.get("reason"))
    return 0
