"""``hypergcn parse``: one shard of raw files (an NTU setup or a NW-UCLA view) into a parsed HDF5 shard.

The dataset's raw format (``DatasetInfo.raw_format``) selects the reader:

* ``ntu_skeleton``: every ``.skeleton`` file of the setup, in sorted name order, except the names listed as
  having missing skeletons (``hypergcn.datasets.missing_skeletons``), is read with
  :mod:`hypergcn.data.ntu_skeleton` and checked to be denoisable, then written to a parsed NTU shard
  (:class:`hypergcn.data.shards.ParsedShard`, format in :mod:`hypergcn.data.shards`);
* ``ucla_json``: every ``<name>.json`` clip of the view goes into a sample shard
  (:func:`hypergcn.data.ucla.parse_view_shard`);
* ``clip_arrays``: the clip folder is checked as a whole (manifest, every clip, the splits) and the clips
  whose ``shard_by`` value is the shard (all of them without ``shard_by``: the shard ``all``) go into a
  sample shard with their labels and manifest fields (:func:`hypergcn.data.clip_arrays.parse_clip_shards`).

A dataset that is not one of the package's is declared with ``--declaration FILE`` (its YAML declaration,
docs/layouts.md#the-declaration).

With ``--denoise`` (the workflow's ``denoise_skeletons`` jobs) an NTU setup is parsed and denoised in one
pass, file by file, straight into a denoised sample shard (:func:`parse_denoise_ntu_shard`): the same file
``hypergcn denoise`` makes from a parsed shard, without writing and reading the parsed shard, and in one
process per setup instead of two. With ``--second-actor`` it also packs every sample as its benchmark-file
chunk (:class:`hypergcn.data.build.ChunkPacker`), so the benchmark build, the one job that sees every
sample, only copies bytes: the work that scales with the samples runs in the parallel per-setup jobs.

Bad files are collected over the whole shard: with ``--on-bad-file error`` the command fails listing every
one of them (file, line, reason); with ``skip`` they are left out and listed in the shard's ``skipped``
attribute and the log.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing as mp
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from hypergcn.data.build import SECOND_ACTOR_CHOICES, ChunkPacker, declaration_error
from hypergcn.data.clip_arrays import ClipError, parse_clip_shards
from hypergcn.data.denoise import DENOISED_COLUMNS, check_denoisable, denoise, denoised_columns
from hypergcn.data.ntu_skeleton import (
    NUM_JOINTS,
    ParsedSkeleton,
    SkeletonFileError,
    load_kernels,
    read_skeleton,
)
from hypergcn.data.raw import RawDataError, raw_folders, shard_files, shard_files_by_shard
from hypergcn.data.shards import ParsedShardWriter, ShardWriter
from hypergcn.data.ucla import UclaDataError, parse_view_shard
from hypergcn.datasets import DatasetInfo, add_dataset_arguments, dataset_info, missing_skeletons

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
    files: list[tuple[str, Path]], known_missing: frozenset[str], add: Callable[[ParsedSkeleton, str], None]
) -> tuple[list[dict], int]:
    """``add`` every readable, denoisable file; returns the bad files and the count of known-missing names."""
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
        add(parsed, str(path))
    return bad, n_known


def _check_folders(dataset: str, raw_dirs: list[Path], on_bad_file: str) -> None:
    if on_bad_file not in ON_BAD_FILE:
        raise ValueError(f"on_bad_file must be 'error' or 'skip', not {on_bad_file!r}")
    for folder in raw_dirs:
        if not folder.is_dir():
            raise RawDataError(f"datasets.{dataset}.raw_dir: {str(folder)!r} is not a folder")


def _shard_files(dataset: str, shard: str, raw_dirs: list[Path], on_bad_file: str) -> list[tuple[str, Path]]:
    _check_folders(dataset, raw_dirs, on_bad_file)
    return shard_files(dataset, raw_dirs, shard)


def _check_bad(dataset: str, shard: str, bad: list[dict], on_bad_file: str) -> None:
    """Fail listing every bad file (``error``), or log them; the caller then completes the shard."""
    if bad and on_bad_file == "error":
        raise BadFilesError(dataset, shard, bad)
    for entry in bad:
        log.warning("skipped bad file %s: %s", _where(entry), entry["reason"])


def _report(where: str, files: int, parsed: int, n_known: int, n_bad: int, seconds: float) -> dict:
    log.info(
        "%s: %d files, %d parsed, %d with known missing skeletons skipped, %d bad skipped, %.2f s (%.0f files/s)",
        where,
        files,
        parsed,
        n_known,
        n_bad,
        seconds,
        files / seconds if seconds > 0 else 0.0,
    )
    return {
        "files": files,
        "parsed": parsed,
        "known_missing_skipped": n_known,
        "bad_skipped": n_bad,
        "seconds": round(seconds, 3),
    }


def parse_ntu_shard(
    dataset: str,
    shard: str,
    raw_dirs: list[Path],
    out_path: str | os.PathLike,
    on_bad_file: str = "error",
) -> dict:
    """Parse one NTU setup into a parsed shard; raises :class:`BadFilesError` listing every bad file."""
    files = _shard_files(dataset, shard, raw_dirs, on_bad_file)
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
        bad, n_known = _read_files(files, missing_skeletons(dataset), writer.add)
        _check_bad(dataset, shard, bad, on_bad_file)
        writer.attrs["known_missing"] = n_known
        writer.close(bad)
    except BaseException:
        writer.abort()
        raise
    return _report(
        f"{dataset} {shard}", len(files), writer.count, n_known, len(bad), time.perf_counter() - t0
    )


def parse_denoise_ntu_shard(
    dataset: str,
    shard: str,
    raw_dirs: list[Path],
    out_path: str | os.PathLike,
    on_bad_file: str = "error",
    packer: ChunkPacker | None = None,
    files: list[tuple[str, Path]] | None = None,
) -> dict:
    """Parse and denoise one NTU setup in one pass into a denoised shard (what :func:`parse_ntu_shard` then
    :func:`hypergcn.data.denoise.denoise_shard` make), with the samples packed by ``packer`` if given.

    ``files`` (name, path) are the setup's raw files when the caller has listed them already.
    """
    if files is None:
        files = _shard_files(dataset, shard, raw_dirs, on_bad_file)
    layout = dataset_info(dataset).layout
    writer = ShardWriter(
        out_path,
        dataset=dataset,
        layout=layout.name,
        shard=shard,
        num_point=layout.num_joints,
        num_person=layout.persons,
        extra=DENOISED_COLUMNS,
        attrs={"files_found": len(files), "raw_dirs": json.dumps([str(p) for p in raw_dirs])},
        compress=False,  # an intermediate file: writing speed over size
        packed=packer.attrs if packer is not None else None,
    )

    def add(parsed: ParsedSkeleton, path: str) -> None:
        result = denoise(parsed, path)
        chunk = packer.pack(result.data, result.slots, parsed.name) if packer is not None else None
        writer.add(parsed.name, result.data, chunk=chunk, **denoised_columns(parsed, result))

    t0 = time.perf_counter()
    with writer:
        bad, n_known = _read_files(files, missing_skeletons(dataset), add)
        _check_bad(dataset, shard, bad, on_bad_file)
        writer.attrs["known_missing"] = n_known
        writer.skipped = bad
    seconds = time.perf_counter() - t0
    return _report(f"{dataset} {shard}", len(files), writer.count, n_known, len(bad), seconds)


@dataclass(frozen=True)
class _ShardTask:
    """One setup of :func:`parse_denoise_ntu_shards`, as a worker process receives it."""

    dataset: str
    shard: str
    files: list[tuple[str, Path]]
    raw_dirs: list[Path]
    out_path: str
    on_bad_file: str
    pack: tuple[int, str] | None  # (max_frames, second_actor)


def _run_task(task: _ShardTask) -> tuple[dict | None, list[dict]]:
    """(report, []), or for ``on_bad_file: error`` (None, the setup's bad files): listed by the parent."""
    packer = ChunkPacker(task.dataset, *task.pack) if task.pack is not None else None
    try:
        report = parse_denoise_ntu_shard(
            task.dataset, task.shard, task.raw_dirs, task.out_path, task.on_bad_file, packer, task.files
        )
    except BadFilesError as exc:
        return None, exc.bad
    return report, []


def _run_in_workers(
    tasks: list[_ShardTask], jobs: int, encoder: bool
) -> list[tuple[dict | None, list[dict]]]:
    """The tasks in ``jobs`` worker processes, forked (Linux) after the kernels are loaded here, so that
    they start with them; elsewhere the workers start afresh and load them once each."""
    context = None
    if sys.platform.startswith("linux"):
        load_kernels(encoder)
        context = mp.get_context("fork")
    pool = ProcessPoolExecutor(jobs, mp_context=context)
    try:
        results = list(pool.map(_run_task, tasks))
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)  # the setups not started yet are not parsed
        raise
    pool.shutdown()
    return results


def parse_denoise_ntu_shards(
    dataset: str,
    shards: list[str],
    raw_dirs: list[Path],
    out_paths: list[str | os.PathLike],
    on_bad_file: str = "error",
    pack: tuple[int, str] | None = None,
    jobs: int = 1,
) -> list[dict]:
    """:func:`parse_denoise_ntu_shard` for several setups of a dataset, ``jobs`` at a time.

    The workflow runs one such job per dataset rather than one per setup: every process that reads files
    pays about 0.7 s to start Python, import numpy, h5py and numba and load the compiled kernels, as much
    as parsing 700 real-sized files. Here the kernels are loaded once and the worker processes are forked
    from this one, so they start with them; the raw folders are listed once; the largest setups go first.
    Bad files (``on_bad_file: error``) of every setup are listed together in one :class:`BadFilesError`.
    """
    if len(shards) != len(out_paths):
        raise ValueError(f"{len(shards)} shards but {len(out_paths)} output paths")
    _check_folders(dataset, raw_dirs, on_bad_file)
    files = shard_files_by_shard(dataset, raw_dirs, shards)
    tasks = [
        _ShardTask(dataset, shard, files[shard], raw_dirs, str(out), on_bad_file, pack)
        for shard, out in zip(shards, out_paths, strict=True)
    ]
    tasks.sort(key=lambda task: len(task.files), reverse=True)
    jobs = max(1, min(jobs, len(tasks)))
    if jobs == 1:
        results = [_run_task(task) for task in tasks]
    else:
        results = _run_in_workers(tasks, jobs, pack is not None)
    bad = [entry for _, entries in results for entry in entries]
    if bad:
        failed = [task.shard for task, (_, entries) in zip(tasks, results, strict=True) if entries]
        raise BadFilesError(dataset, ", ".join(sorted(failed)), bad)
    by_shard = {task.shard: report for task, (report, _) in zip(tasks, results, strict=True)}
    return [by_shard[shard] for shard in shards]


def _parse_json_shard(
    dataset: str, shard: str, raw_dirs: list[Path], out_path: str | os.PathLike, on_bad_file: str
) -> None:
    parse_view_shard(raw_dirs, shard, out_path, on_bad_file, dataset=dataset)


def classes_of(info: DatasetInfo, num_class: int | None) -> DatasetInfo:
    """``info`` with only its first ``num_class`` classes (a generated clip dataset whose generator's config
    writes fewer classes than the declaration has), or ``info`` itself."""
    if num_class is None or num_class == info.num_class:
        return info
    if not 1 <= num_class <= info.num_class:
        raise RawDataError(f"--num-class {num_class}: {info.name} declares {info.num_class} classes")
    return replace(info, num_class=num_class, action_table=info.action_table[:num_class])


def _parse_clip_shard(
    dataset: str,
    shard: str,
    raw_dirs: list[Path],
    out_path: str | os.PathLike,
    on_bad_file: str,
    num_class: int | None = None,
) -> None:
    if len(raw_dirs) != 1:
        raise RawDataError(f"datasets.{dataset}.raw_dir: a clip folder is one folder, not {len(raw_dirs)}")
    info = classes_of(dataset_info(dataset), num_class)
    parse_clip_shards(raw_dirs[0], info, [shard], [out_path], on_bad_file)


# The reader of each raw format (``DatasetInfo.raw_format``): (dataset, shard, raw folders, output, on_bad_file).
PARSERS: dict[str, Callable[[str, str, list[Path], str | os.PathLike, str], object]] = {
    "ntu_skeleton": parse_ntu_shard,
    "ucla_json": _parse_json_shard,
    "clip_arrays": _parse_clip_shard,
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_dataset_arguments(parser)
    parser.add_argument(
        "--shard",
        required=True,
        nargs="+",
        help="NTU setup(s) (S001...), NW-UCLA view (v01...), or a clip folder's shard (a shard_by value, or all)",
    )
    parser.add_argument("--raw-dir", required=True, nargs="+", help="raw folder(s) (datasets.<name>.raw_dir)")
    parser.add_argument(
        "--output", required=True, nargs="+", help="shard(s) to write, one per --shard: parsed, or denoised"
    )
    parser.add_argument("--on-bad-file", choices=ON_BAD_FILE, default="error")
    parser.add_argument(
        "--denoise", action="store_true", help="NTU: parse and denoise in one pass into denoised shards"
    )
    parser.add_argument(
        "--second-actor",
        choices=SECOND_ACTOR_CHOICES,
        default=None,
        help="with --denoise: also pack the benchmark-file chunks (deviations.second_actor)",
    )
    parser.add_argument(
        "--max-frames",
        type=int,
        default=300,
        help="padding length of the packed chunks (datasets.<name>.max_frames)",
    )
    parser.add_argument("--jobs", type=int, default=1, help="with --denoise: setups parsed at a time")
    parser.add_argument(
        "--num-class",
        type=int,
        default=None,
        help="clip folders: only the first classes of the declaration (a generated dataset's config)",
    )


def _check_args(args: argparse.Namespace) -> str | None:
    """What is wrong with the arguments, or None."""
    if error := declaration_error(args.declaration, args.dataset):
        return error
    info = dataset_info(args.dataset)
    unknown = [shard for shard in args.shard if info.shards and shard not in info.shards]
    if unknown:  # a generated dataset's shards come from its config
        return f"{unknown} not shard(s) of {args.dataset} ({info.shards[0]}-{info.shards[-1]})"
    if len(args.output) != len(args.shard):
        return f"{len(args.shard)} --shard value(s) but {len(args.output)} --output value(s)"
    if args.denoise and not info.denoised:
        return f"--denoise: {args.dataset} files are not denoised (parse them without it)"
    if len(args.shard) > 1 and not args.denoise:
        return "several shards at once need --denoise"
    if args.num_class is not None and info.raw_format != "clip_arrays":
        return f"--num-class: {args.dataset} is not a clip folder (its class count is declared)"
    return None


def run(args: argparse.Namespace) -> int:
    problem = _check_args(args)
    if problem:
        log.error("%s", problem)
        return 2
    raw_dirs = raw_folders(args.raw_dir)
    try:
        if args.denoise:
            pack = (args.max_frames, args.second_actor) if args.second_actor else None
            parse_denoise_ntu_shards(
                args.dataset, args.shard, raw_dirs, args.output, args.on_bad_file, pack, args.jobs
            )
        else:
            parser = PARSERS[dataset_info(args.dataset).raw_format]
            classes = {"num_class": args.num_class} if args.num_class is not None else {}
            parser(args.dataset, args.shard[0], raw_dirs, args.output[0], args.on_bad_file, **classes)
    except (BadFilesError, UclaDataError, RawDataError, ClipError, FileNotFoundError) as exc:
        log.error("%s", exc)
        return 1
    return 0
