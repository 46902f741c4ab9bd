"""Where the raw files are: checking ``datasets.<name>.raw_dir`` and listing the files of one shard.

``check_raw`` runs when the workflow is parsed (for the datasets a run actually targets) and by hand: a
missing, empty or unset raw folder is one :class:`RawDataError` that names the config key and what the folder
should contain; a subset of a complete download is a warning with the counts, or an error with
``strict: true``. It only lists folder entries (``os.scandir``), never opens files (a clip folder's
``manifest.csv`` aside, whose rows it counts), so it takes a fraction of a second on the full NTU-120
download.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hypergcn.data.clip_arrays import MANIFEST
from hypergcn.data.ntu_skeleton import NAME_RE, SUFFIX
from hypergcn.datasets import dataset_info

log = logging.getLogger("hypergcn.data.raw")


class RawDataError(ValueError):
    """The raw data of a dataset cannot be used; the message says which config key to change and how."""


@dataclass
class RawSummary:
    """What a raw folder check found."""

    dataset: str
    folders: list[Path]
    found: int  # raw files of the dataset present (known-missing names included)
    expected: int | None  # files in a complete download (None: no reference, e.g. the demo)
    per_shard: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0

    @property
    def missing(self) -> int:
        return max((self.expected or 0) - self.found, 0)

    def subset_message(self) -> str | None:
        """The counts when files of a complete download are missing, else None (a warning, or an error with strict)."""
        if not self.expected or self.found >= self.expected:
            return None
        message = (
            f"{self.dataset}: {self.found:,} of the {self.expected:,} raw files of a complete download are present "
            f"({self.missing:,} missing)"
        )
        empty = [shard for shard, count in self.per_shard.items() if count == 0]
        if empty:
            message += f"; no files at all for {_ranges(empty)}"
            absent = [d.archive for d in dataset_info(self.dataset).downloads if set(d.shards) <= set(empty)]
            if absent:
                message += (
                    f" (is {' and '.join(absent)} extracted and listed in {_config_key(self.dataset)}?)"
                )
        return message


def _ranges(shards: Sequence[str]) -> str:
    """``S018, S019, S020`` -> ``S018-S020`` (consecutive NTU setups collapsed)."""
    if not shards or not all(s[0] == "S" for s in shards):
        return ", ".join(shards)
    numbers = sorted(int(s[1:]) for s in shards)
    parts, start, prev = [], numbers[0], numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        parts.append(f"S{start:03d}" if start == prev else f"S{start:03d}-S{prev:03d}")
        if n is not None:
            start = prev = n
    return ", ".join(parts)


def raw_folders(raw_dir: str | os.PathLike | Sequence[str | os.PathLike] | None) -> list[Path]:
    """``raw_dir`` from the config (a folder or a list of folders) as a list of paths."""
    if raw_dir is None:
        return []
    if isinstance(raw_dir, str | os.PathLike):
        return [Path(raw_dir)]
    return [Path(p) for p in raw_dir]


def list_ntu_files(
    folders: Sequence[Path], shards: Sequence[str] | None = None
) -> tuple[dict[str, Path], int]:
    """``{sample name: path}`` of the ``.skeleton`` files in ``folders`` whose setup is in ``shards``.

    Names that are not NTU sample names are ignored. A name found in several folders is taken from the
    first; the second return value counts such duplicates.
    """
    wanted = set(shards) if shards is not None else None
    files: dict[str, Path] = {}
    duplicates = 0
    for folder in folders:
        with os.scandir(folder) as entries:
            for entry in entries:
                fname = entry.name
                if not fname.endswith(SUFFIX) or (wanted is not None and fname[:4] not in wanted):
                    continue
                name = fname[: -len(SUFFIX)]
                if NAME_RE.fullmatch(name) is None:
                    continue
                if name in files:
                    duplicates += 1
                    continue
                files[name] = Path(entry.path)
    return files, duplicates


def shard_files(dataset: str, folders: Sequence[Path], shard: str) -> list[tuple[str, Path]]:
    """The raw files of one NTU setup, sorted by name (the authors' file order)."""
    return shard_files_by_shard(dataset, folders, [shard])[shard]


def shard_files_by_shard(
    dataset: str, folders: Sequence[Path], shards: Sequence[str]
) -> dict[str, list[tuple[str, Path]]]:
    """The raw files of several NTU setups from one listing of the folders, each sorted by name."""
    files, duplicates = list_ntu_files(folders, shards)
    if duplicates:
        log.warning(
            "%s %s: %d file names appear in more than one raw folder; using the first",
            dataset,
            _ranges(list(shards)),
            duplicates,
        )
    by_shard: dict[str, list[tuple[str, Path]]] = {shard: [] for shard in shards}
    for name, path in sorted(files.items()):
        by_shard[name[:4]].append((name, path))
    return by_shard


def _config_key(dataset: str) -> str:
    return f"datasets.{dataset}.raw_dir"


def _count_skeleton_files(
    dataset: str, folders: list[Path], shards: Sequence[str] | None, expected: int | None
) -> tuple[RawSummary, str]:
    """The ``.skeleton`` files per setup (default: the dataset's setups), and how to name them in messages."""
    shards = list(shards) if shards is not None else list(dataset_info(dataset).shards)
    files, duplicates = list_ntu_files(folders, shards or None)
    per_shard = dict.fromkeys(shards, 0)
    for name in files:
        if name[:4] in per_shard:
            per_shard[name[:4]] += 1
    summary = RawSummary(dataset, folders, len(files), expected, per_shard, duplicates)
    return summary, f".skeleton files of {_ranges(shards)}" if shards else ".skeleton files"


def _count_json_files(
    dataset: str, folders: list[Path], shards: Sequence[str] | None, expected: int | None
) -> tuple[RawSummary, str]:
    """The ``<name>.json`` clips (hidden files, such as macOS resource forks, are not clips)."""
    found = sum(
        1
        for folder in folders
        for entry in os.scandir(folder)
        if entry.name.endswith(".json") and not entry.name.startswith(".")
    )
    return RawSummary(dataset, folders, found, expected), ".json files"


def _count_clips(
    dataset: str, folders: list[Path], shards: Sequence[str] | None, expected: int | None
) -> tuple[RawSummary, str]:
    """The rows of a clip folder's manifest (docs/layouts.md#the-clip-folder); the clips themselves are
    checked by the parse jobs (:func:`hypergcn.data.clip_arrays.check_clips`)."""
    if len(folders) != 1:
        raise RawDataError(f"config key {_config_key(dataset)}: a clip folder is one folder, not a list")
    manifest = folders[0] / MANIFEST
    if not manifest.is_file():
        raise RawDataError(
            f"config key {_config_key(dataset)}: {str(folders[0])!r} has no {MANIFEST}. It must be "
            f"{dataset_info(dataset).raw_content}."
        )
    with manifest.open(encoding="utf-8-sig") as handle:
        rows = sum(1 for line in handle if line.strip()) - 1
    return RawSummary(dataset, folders, max(rows, 0), expected), f"clips listed in {MANIFEST}"


# How to count the raw files of each raw format (``DatasetInfo.raw_format``).
_COUNTERS = {
    "ntu_skeleton": _count_skeleton_files,
    "ucla_json": _count_json_files,
    "clip_arrays": _count_clips,
}


def check_raw(
    dataset: str,
    raw_dir: str | os.PathLike | Sequence[str | os.PathLike] | None,
    *,
    strict: bool = False,
    shards: Sequence[str] | None = None,
    expected: int | None = None,
) -> RawSummary:
    """Check a dataset's raw folder(s) before any job runs; raise :class:`RawDataError` if unusable.

    ``shards`` are the NTU setups to count (default: all of the dataset's setups); ``expected`` overrides
    the complete-download count (``DatasetInfo.raw_files``). A subset of a complete download passes (the
    caller warns with ``summary.subset_message()``) unless ``strict``.
    """
    info = dataset_info(dataset)
    key = _config_key(dataset)
    folders = raw_folders(raw_dir)
    if not folders:
        raise RawDataError(
            f"config key {key} is not set, but {dataset} data is requested. Set it (e.g. with --configfile "
            f"config/{dataset}.yaml) to the folder holding {info.raw_content}."
        )
    for folder in folders:
        if not folder.is_dir():
            what = "does not exist" if not folder.exists() else "is not a folder"
            raise RawDataError(
                f"config key {key}: {str(folder)!r} {what}. It must be the folder holding {info.raw_content}."
            )
    expected = info.raw_files if expected is None else expected
    summary, unit = _COUNTERS[info.raw_format](dataset, folders, shards, expected)
    if summary.found == 0:
        hint = ""
        subfolders = sorted(e.name for f in folders for e in os.scandir(f) if e.is_dir())[:5]
        if subfolders:
            hint = (
                f" It has the subfolder(s) {', '.join(subfolders)}: point {key} at the one holding the files."
            )
        raise RawDataError(
            f"config key {key}: no {unit} in {', '.join(map(str, folders))}. It must be the folder holding "
            f"{info.raw_content}.{hint}"
        )
    message = summary.subset_message()
    if message and strict:
        raise RawDataError(
            f"{message}. datasets.{dataset}.strict is true, so a complete download is required: add the "
            f"missing files to {key} ({info.raw_content}), or set strict: false to build from the files present."
        )
    return summary
