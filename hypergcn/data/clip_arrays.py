"""The generic per-clip array format (raw format ``clip_arrays``): a folder of ``.npz`` clips and a manifest.

A clip folder holds ``manifest.csv`` and one ``<clip>.npz`` per clip; a clip id may name sub-folders (``a/b``
is ``a/b.npz``). Each ``.npz`` holds one array ``keypoints``, read with ``np.load(..., allow_pickle=False)``
(no pickled objects are ever run), of shape (T, V, C) (one person) or (T, M, V, C). C must be the layout's
channel count and V its joint count: channels and joints are never guessed from the data. The manifest has
the columns ``clip``, ``label`` (an action ``code`` or ``name`` of the declaration's action file) and the
columns the declaration's split rules, ``shard_by`` and ``validation_unit`` name.

Persons: a clip with more persons than the layout declares keeps the ``persons`` with the highest mean
confidence over the frames where they are present (a frame where any of their values is non-zero); without
a confidence channel, the persons present in the most frames. Ties go to the earlier person, and the kept
persons stay in their original order. A clip with fewer persons is zero-padded.

Every bad input is found before any training (:func:`check_clips`, run by the parse jobs) and named with
its file or ``manifest.csv:<line>``, the reason and the fix: wrong shape, joint or channel count, NaN or
infinite values, T = 0, a corrupt file (not an ``.npz``, no ``keypoints``, an object array), a manifest row
without a file, a file without a row, a duplicate clip, a missing column, an unknown label, a confidence
outside [0, 1], a split that leaves train or test empty, and a class with no training clip. With
``on_bad_file: error`` (the default) one :class:`ClipError` lists every problem; with ``skip`` the bad clips
are left out and listed (in the parsed shards' ``skipped`` attribute, hence in ``statistics.json``, and in
the log). A missing manifest or column and the split problems cannot be skipped: they always fail.

Parsing (:func:`parse_clip_shards`) writes one sample shard per value of the ``shard_by`` column (one shard
``all`` without it) with :class:`hypergcn.data.shards.ShardWriter`: frames (T, M, V, C) of the layout's
channels, the per-sample ``label`` column and the manifest's grouping fields, so that the benchmark build
splits by them (:meth:`hypergcn.datasets.SplitRule.split_of`).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import zipfile
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import numpy as np

from hypergcn.data.shards import Shard, ShardWriter
from hypergcn.layouts import Layout

if TYPE_CHECKING:  # the functions read the attributes only, so a stand-in object works as well
    from hypergcn.datasets import DatasetInfo

log = logging.getLogger("hypergcn.data.clip_arrays")

MANIFEST = "manifest.csv"
ARRAY_KEY = "keypoints"
ON_BAD_FILE = ("error", "skip")
DEFAULT_SHARD = "all"  # the one parse shard of a dataset without ``shard_by``
MAX_LISTED = 20  # problems one error message lists; the rest are counted
# A shard name becomes a file name and a workflow wildcard value.
_SHARD_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_SAVE_HINT = f"save it with np.savez(path, {ARRAY_KEY}=array) (a float array)"


class ClipError(ValueError):
    """One bad input (``where``: the file or ``manifest.csv:<line>``), or several listed together.

    The message is ``"<where>: <reason>; <fix>"``. ``clip`` and ``line`` name the manifest row when the
    problem belongs to one; ``shard`` is the parse shard that lists it (None: the first shard).
    ``problems`` holds the single problems of an error that lists several.
    """

    def __init__(
        self,
        where: str | Path,
        reason: str,
        fix: str = "",
        *,
        clip: str | None = None,
        line: int | None = None,
        shard: str | None = None,
        problems: Sequence[ClipError] = (),
    ) -> None:
        self.where = str(where)
        self.reason = reason
        self.fix = fix
        self.clip = clip
        self.line = line
        self.shard = shard
        self.problems = list(problems)
        super().__init__(f"{self.where}: {reason}" + (f"; {fix}" if fix else ""))

    def at_row(self, row: ManifestRow, shard: str | None) -> ClipError:
        """This problem, attributed to a manifest row (the file it names failed to read)."""
        return ClipError(self.where, self.reason, self.fix, clip=row.clip, line=row.line, shard=shard)

    def as_record(self) -> dict[str, Any]:
        """The entry of a shard's ``skipped`` list: ``{file, line, reason}`` as the other parsers write."""
        file, line = self.where, None
        if self.line is not None and self.where.endswith(f":{self.line}"):
            file, line = self.where[: -len(f":{self.line}")], self.line
        reason = self.reason + (f"; {self.fix}" if self.fix else "")
        return {"file": file, "line": line, "reason": reason, "clip": self.clip}


def _listing(header: str, problems: Sequence[ClipError], footer: str = "") -> ClipError:
    """One error listing ``problems`` (at most :data:`MAX_LISTED`, the rest counted)."""
    lines = [f"  {problem}" for problem in problems[:MAX_LISTED]]
    if len(problems) > MAX_LISTED:
        lines.append(f"  ... and {len(problems) - MAX_LISTED} more")
    where, _, reason = header.partition(": ")
    text = "\n".join([reason, *lines]) + (f"\n{footer}" if footer else "")
    return ClipError(where, text, problems=problems)


@dataclass(frozen=True)
class ManifestRow:
    """One good manifest row: the clip id, its 0-based label, its other columns (stripped) and its line."""

    clip: str
    label: int
    fields: dict[str, str]
    line: int


@dataclass
class ClipCheck:
    """The outcome of :func:`check_clips`: the good rows, and the problems left out (``skip``)."""

    folder: Path
    rows: list[ManifestRow]
    problems: list[ClipError]
    shard_by: str | None = None
    files_found: int = 0
    shards: list[str] = field(default_factory=list)

    def rows_of(self, shard: str) -> list[ManifestRow]:
        """The good rows of one parse shard, sorted by clip id."""
        return sorted((r for r in self.rows if shard_of(r.fields, self.shard_by) == shard), key=_clip_key)

    def problems_of(self, shard: str) -> list[ClipError]:
        """The problems one parse shard lists: its rows', and those of no shard (a file without a row) in
        the first shard, so that every problem is listed exactly once over the shards."""
        first = self.shards[0] if self.shards else DEFAULT_SHARD
        return [p for p in self.problems if (p.shard or first) == shard]


def _clip_key(row: ManifestRow) -> str:
    return row.clip


# --------------------------------------------------------------------------------------------------------
# The declaration's facts this format reads: actions, split rules, grouping columns.


def grouping_columns(info: DatasetInfo) -> list[str]:
    """The manifest columns besides ``clip`` and ``label`` a declaration needs: those of its split rules,
    ``shard_by`` and ``validation_unit``, in that order, each once. They are stored in the parsed shards."""
    columns = [rule.column for rule in info.splits.values()]
    columns += [info.shard_by, info.validation_unit]
    return [c for c in dict.fromkeys(columns) if c and c not in ("clip", "label")]


def shard_of(fields: Mapping[str, str], shard_by: str | None) -> str:
    """The parse shard of a row: its ``shard_by`` value, or :data:`DEFAULT_SHARD`."""
    return fields[shard_by] if shard_by else DEFAULT_SHARD


def action_labels(info: DatasetInfo) -> dict[str, int]:
    """Action code and name -> 0-based label (a code wins over another action's equal name)."""
    rows = info.action_table[: info.num_class]
    labels = {name: label for label, _, name in rows if name}
    labels.update({code: label for label, code, _ in rows if code})
    return labels


# --------------------------------------------------------------------------------------------------------
# The manifest.


def _clip_problem(clip: str) -> str | None:
    """Why a clip id is not a relative path inside the folder, or None."""
    if not clip:
        return "empty clip id"
    parts = PurePosixPath(clip).parts
    if clip.startswith(("/", "\\")) or ":" in clip or "\\" in clip or ".." in parts or "." in parts:
        return f"clip id {clip!r} is not a relative path inside the folder"
    return None


def _open_manifest(folder: Path) -> tuple[Path, csv.DictReader, list[str]]:
    """The manifest's path, a reader of its rows and its (stripped) header; fatal problems raise."""
    if not folder.is_dir():
        raise ClipError(folder, "not a folder", "set datasets.<name>.raw_dir to the folder of the clips")
    path = folder / MANIFEST
    if not path.is_file():
        raise ClipError(path, "missing", f"write {MANIFEST} with a row per clip (columns clip, label, ...)")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ClipError(
            path, f"not UTF-8 text ({exc.reason} at byte {exc.start})", "save it as UTF-8"
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    if not header:
        raise ClipError(f"{path}:1", "no header row", "the first line names the columns: clip,label,...")
    reader.fieldnames = header
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise ClipError(f"{path}:1", f"column(s) {duplicated} appear more than once", "keep one of each")
    return path, reader, header


def _check_header(path: Path, header: list[str], info: DatasetInfo) -> None:
    required = ["clip", "label", *grouping_columns(info)]
    missing = [name for name in required if name not in header]
    if missing:
        raise ClipError(
            f"{path}:1",
            f"missing column(s) {missing} (the header has {header})",
            "add them: clip and label always, the others are named by the declaration's splits, shard_by "
            "and validation_unit",
        )


def _row_problems(
    values: dict[str | None, Any], folder: Path, info: DatasetInfo, labels: Mapping[str, int], width: int
) -> list[tuple[str, str]]:
    """(reason, fix) for everything wrong with one manifest row (its file's content is read later)."""
    if None in values or any(v is None for v in values.values()):
        count = width + len(values.get(None) or []) - sum(v is None for v in values.values())
        return [(f"{count} values, the header has {width}", "give every row one value per column")]
    row = {key: str(value).strip() for key, value in values.items()}
    problems = []
    clip_problem = _clip_problem(row["clip"])
    if clip_problem:
        problems.append((clip_problem, "name the clip's .npz file relative to the folder, without .npz"))
    elif not (folder / f"{row['clip']}.npz").is_file():
        problems.append(
            (f"no file {row['clip']}.npz for this row", "add the file or remove the row from the manifest")
        )
    if row["label"] not in labels:
        known = sorted(labels)
        shown = ", ".join(known[:10]) + (", ..." if len(known) > 10 else "")
        problems.append(
            (f"unknown label {row['label']!r}", f"use an action code or name of the action file ({shown})")
        )
    for column in grouping_columns(info):
        if not row[column]:
            problems.append((f"empty {column!r}", f"give every row a {column} value"))
    shard_by = info.shard_by
    if shard_by and row[shard_by] and not _SHARD_NAME.fullmatch(row[shard_by]):
        problems.append(
            (
                f"{shard_by} value {row[shard_by]!r} cannot name a parse shard",
                "use letters, digits, '_', '.' and '-' (it becomes a file name)",
            )
        )
    for benchmark, rule in info.splits.items():
        column = rule.column
        if rule.explicit and row[column] and rule.split_of(row[column]) is None:
            problems.append(
                (
                    f"{column} value {row[column]!r} is neither train nor test",
                    f"benchmark {benchmark} reads it",
                )
            )
    return problems


def read_manifest(
    folder: str | Path, info: DatasetInfo, labels: Mapping[str, int] | None = None
) -> tuple[list[ManifestRow], list[ClipError]]:
    """The good rows of ``folder/manifest.csv`` and a :class:`ClipError` per bad row.

    ``labels`` maps an action code or name to its label (default: :func:`action_labels` of ``info``). A row
    is bad for: a wrong value count, a clip id that is not a relative path, no ``<clip>.npz`` file, a
    duplicate clip id (the first row stays), an unknown label, an empty grouping value, a ``shard_by`` value
    that cannot name a file, an explicit split value other than train/test. A missing folder, manifest or
    column raises a ClipError at once: nothing can be skipped then.
    """
    folder = Path(folder)
    labels = action_labels(info) if labels is None else labels
    path, reader, header = _open_manifest(folder)
    _check_header(path, header, info)
    shard_by = info.shard_by
    rows: list[ManifestRow] = []
    problems: list[ClipError] = []
    first_line: dict[str, int] = {}
    for values in reader:
        line = reader.line_num
        found = _row_problems(values, folder, info, labels, len(header))
        clip = str(values.get("clip") or "").strip()
        fields = {k: str(v).strip() for k, v in values.items() if k not in (None, "clip", "label") and v}
        shard = fields.get(shard_by) if shard_by else DEFAULT_SHARD
        shard = shard if shard and _SHARD_NAME.fullmatch(shard) else None
        if clip and clip in first_line:
            found.insert(
                0, (f"duplicate clip {clip!r} (first at {MANIFEST}:{first_line[clip]})", "list it once")
            )
        first_line.setdefault(clip, line)
        for reason, fix in found:
            problems.append(
                ClipError(f"{path}:{line}", reason, fix, clip=clip or None, line=line, shard=shard)
            )
        if not found:
            rows.append(ManifestRow(clip, labels[values["label"].strip()], fields, line))
    return rows, problems


def clip_shards(folder: str | Path, info: DatasetInfo) -> list[str]:
    """The parse shards of a clip folder, sorted: the values of its ``shard_by`` column (``["all"]``
    without one). Rows with an unusable value are listed by the first shard."""
    if not info.shard_by:
        return [DEFAULT_SHARD]
    rows, problems = read_manifest(folder, info)
    shards = {shard_of(row.fields, info.shard_by) for row in rows}
    shards |= {problem.shard for problem in problems if problem.shard}
    return sorted(shards) or [DEFAULT_SHARD]


# --------------------------------------------------------------------------------------------------------
# One clip.


def _load_keypoints(path: Path) -> np.ndarray:
    """The ``keypoints`` array of an ``.npz`` file, pickles refused; anything unreadable is a ClipError."""
    unreadable = (OSError, ValueError, EOFError, KeyError, RuntimeError, zipfile.BadZipFile, zlib.error)
    try:
        loaded = np.load(path, allow_pickle=False)
    except unreadable as exc:
        raise ClipError(path, f"corrupt: not a readable .npz archive ({exc})", _SAVE_HINT) from None
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        raise ClipError(path, "corrupt: a single .npy array, not an .npz archive", _SAVE_HINT)
    with loaded:
        if ARRAY_KEY not in loaded.files:
            raise ClipError(path, f"corrupt: no array {ARRAY_KEY!r} (arrays: {loaded.files})", _SAVE_HINT)
        try:
            return loaded[ARRAY_KEY]
        except unreadable as exc:
            if "allow_pickle" in str(exc):
                raise ClipError(
                    path, f"corrupt: {ARRAY_KEY!r} is an object array (pickled Python objects)", _SAVE_HINT
                ) from None
            raise ClipError(path, f"corrupt: cannot read {ARRAY_KEY!r} ({exc})", _SAVE_HINT) from None


def _check_shape(path: Path, array: np.ndarray, layout: Layout) -> np.ndarray:
    """The array as (T, M, V, C) float32 if its shape, type and size fit the layout; else a ClipError."""
    expected = f"(T, V, C) or (T, M, V, C) with V = {layout.num_joints} joints, C = {layout.num_channels}"
    if array.dtype.kind not in "iuf":
        raise ClipError(path, f"{ARRAY_KEY!r} has dtype {array.dtype}, not a real number type", _SAVE_HINT)
    if array.ndim not in (3, 4):
        raise ClipError(path, f"{ARRAY_KEY!r} has shape {array.shape}", f"expected {expected}")
    array = array[:, None] if array.ndim == 3 else array
    frames, persons, joints, channels = array.shape
    if channels != layout.num_channels:
        raise ClipError(
            path,
            f"{ARRAY_KEY!r} has {channels} channels (shape {array.shape}), the layout {layout.num_channels} "
            f"({', '.join(layout.channels)})",
            "save the layout's channels in its order, last axis",
        )
    if joints != layout.num_joints:
        raise ClipError(
            path,
            f"{ARRAY_KEY!r} has {joints} joints (shape {array.shape}), the layout {layout.num_joints}",
            f"save the layout's joints in its order, axis -2; {expected}",
        )
    if frames == 0:
        raise ClipError(path, f"{ARRAY_KEY!r} has 0 frames (T = 0)", "remove the clip or its empty file")
    if persons == 0:
        raise ClipError(path, f"{ARRAY_KEY!r} has 0 persons (M = 0)", f"expected {expected}")
    with np.errstate(over="ignore"):  # a value beyond float32 becomes inf: reported by _check_values
        return array.astype(np.float32)


def _check_values(path: Path, array: np.ndarray, layout: Layout, with_person: bool) -> None:
    """NaN, infinite values and confidences outside [0, 1] (after the float32 conversion)."""

    def place(index: np.ndarray) -> str:
        t, m, v, c = (int(i) for i in index)
        return f"frame {t}{f' person {m}' if with_person else ''} joint {v} ({layout.joints[v]}) {layout.channels[c]}"

    finite = np.isfinite(array)
    if not finite.all():
        first = np.argwhere(~finite)[0]
        count = int((~finite).sum())
        raise ClipError(
            path,
            f"{count} NaN or infinite value(s), first at {place(first)} = {array[tuple(first)]}",
            "fill or drop the missing detections before saving (zeros mark an absent joint)",
        )
    if layout.has_confidence:
        confidence = array[..., -1]
        outside = (confidence < 0) | (confidence > 1)
        if outside.any():
            t, m, v = np.argwhere(outside)[0]
            raise ClipError(
                path,
                f"{int(outside.sum())} confidence value(s) outside [0, 1], first at "
                f"{place(np.array([t, m, v, layout.num_channels - 1]))} = {confidence[t, m, v]}",
                "save the pose estimator's scores as probabilities in [0, 1]",
            )


def select_persons(array: np.ndarray, persons: int, has_confidence: bool) -> np.ndarray:
    """(T, M, V, C) -> (T, persons, V, C): the module docstring's rule (highest mean confidence over the
    frames where a person is present, or the most frames present; original order kept; zero padding)."""
    frames, count = array.shape[:2]
    if count < persons:
        padded = np.zeros((frames, persons, *array.shape[2:]), dtype=array.dtype)
        padded[:, :count] = array
        return padded
    if count == persons:
        return array
    present = (array != 0).any(axis=(2, 3))  # (T, M)
    if has_confidence:
        per_frame = array[..., -1].mean(axis=2)  # (T, M)
        seen = present.sum(axis=0)
        score = np.where(seen > 0, (per_frame * present).sum(axis=0) / np.maximum(seen, 1), 0.0)
    else:
        score = present.sum(axis=0).astype(np.float64)
    order = sorted(range(count), key=lambda m: (-score[m], m))
    return array[:, sorted(order[:persons])]


def read_clip(path: str | Path, layout: Layout) -> np.ndarray:
    """Read and check one clip: float32 (T, ``layout.persons``, V, C); any problem raises a ClipError."""
    path = Path(path)
    array = _load_keypoints(path)
    with_person = array.ndim == 4
    array = _check_shape(path, array, layout)
    _check_values(path, array, layout, with_person)
    return select_persons(array, layout.persons, layout.has_confidence)


# --------------------------------------------------------------------------------------------------------
# The whole folder.


def _orphan_files(folder: Path, listed: set[str]) -> tuple[list[ClipError], int]:
    """A problem per ``.npz`` file no manifest row names (hidden files ignored), and the files found."""
    problems, found = [], 0
    for path in sorted(folder.rglob("*.npz")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        found += 1
        if relative.with_suffix("").as_posix() not in listed:
            problems.append(
                ClipError(path, "no manifest row names this file", f"add a row to {MANIFEST} or remove it")
            )
    return problems, found


def _split_problems(
    rows: Sequence[ManifestRow], info: DatasetInfo, manifest: Path, labels: Mapping[str, int]
) -> list[ClipError]:
    """Benchmarks whose split leaves train or test empty or a class without a training clip."""
    names: dict[int, str] = {}
    for key, label in labels.items():  # action_labels puts the names first
        names.setdefault(label, key)
    problems = []
    for benchmark, rule in info.splits.items():
        column = rule.column
        splits = [rule.split_of(row.fields[column]) for row in rows]
        for wanted in ("train", "test"):
            if wanted not in splits:
                problems.append(
                    ClipError(
                        manifest,
                        f"benchmark {benchmark}: no {wanted} clips (column {column!r} values: "
                        f"{sorted({row.fields[column] for row in rows})[:10]})",
                        "change the split rule or the manifest so both splits hold clips",
                    )
                )
        if "train" not in splits:
            continue
        trained = {row.label for row, split in zip(rows, splits, strict=True) if split == "train"}
        for label in range(info.num_class):
            if label not in trained:
                problems.append(
                    ClipError(
                        manifest,
                        f"benchmark {benchmark}: class {label} ({names.get(label, '?')}) has no training clip",
                        "add training clips of it, or remove the action from the action file",
                    )
                )
    return problems


def check_clips(
    folder: str | Path, info: DatasetInfo, on_bad_file: str = "error", labels: Mapping[str, int] | None = None
) -> ClipCheck:
    """Check a whole clip folder against its declaration ``info``: the manifest, every clip, the splits.

    ``on_bad_file='error'`` raises one :class:`ClipError` listing every problem; ``'skip'`` returns the
    good rows and the problems, logged here and listed by the parsed shards. The split problems (computed
    on the good rows) always raise.
    """
    if on_bad_file not in ON_BAD_FILE:
        raise ValueError(f"on_bad_file must be one of {ON_BAD_FILE}, not {on_bad_file!r}")
    folder = Path(folder)
    labels = action_labels(info) if labels is None else labels
    rows, problems = read_manifest(folder, info, labels)
    listed = {row.clip for row in rows} | {p.clip for p in problems if p.clip}
    orphans, files_found = _orphan_files(folder, listed)
    shard_by = info.shard_by
    good = []
    for row in rows:
        try:
            read_clip(folder / f"{row.clip}.npz", info.layout)
        except ClipError as exc:
            problems.append(exc.at_row(row, shard_of(row.fields, shard_by)))
            continue
        good.append(row)
    problems += orphans
    manifest = folder / MANIFEST
    split_problems = _split_problems(good, info, manifest, labels)
    skip_hint = f"set datasets.{info.name}.on_bad_file: skip to leave the bad clips out and list them"
    if on_bad_file == "error" and (problems or split_problems):
        found = problems + split_problems
        raise _listing(f"{folder}: {len(found)} problem(s) in the clips of {info.name}", found, skip_hint)
    if split_problems:
        footer = f"({len(problems)} bad clip(s) were left out: on_bad_file is skip)" if problems else ""
        raise _listing(f"{folder}: the splits of {info.name} cannot be made", split_problems, footer)
    for problem in problems:
        log.warning("skipped %s", problem)
    shards = {shard_of(row.fields, shard_by) for row in rows} | {p.shard for p in problems if p.shard}
    return ClipCheck(
        folder=folder,
        rows=good,
        problems=problems,
        shard_by=shard_by,
        files_found=files_found,
        shards=sorted(shards) or [DEFAULT_SHARD],
    )


# --------------------------------------------------------------------------------------------------------
# Parsed shards.


def write_clip_shard(check: ClipCheck, info: DatasetInfo, shard: str, out_path: str | Path) -> dict[str, Any]:
    """Write the parsed sample shard of one parse shard of a checked folder (format: module docstring of
    :mod:`hypergcn.data.shards`); returns a report (clips written, skipped, frames)."""
    if shard not in check.shards:
        raise ValueError(
            f"{check.folder}: no parse shard {shard!r}; the manifest's shards are {check.shards}"
        )
    layout = info.layout
    rows = check.rows_of(shard)
    skipped = [problem.as_record() for problem in check.problems_of(shard)]
    columns = grouping_columns(info)
    frames = 0
    with ShardWriter(
        out_path,
        dataset=info.name,
        layout=layout.name,
        shard=shard,
        num_point=layout.num_joints,
        num_person=layout.persons,
        channels=layout.channels,
        extra={"label": np.int32},
        fields=columns,
        attrs={
            "files_found": len(rows) + len(skipped),
            "raw_dirs": json.dumps([str(check.folder)]),
            "raw_format": "clip_arrays",
        },
    ) as writer:
        for row in rows:
            clip = read_clip(check.folder / f"{row.clip}.npz", layout)
            writer.add(row.clip, clip, label=row.label, fields={c: row.fields[c] for c in columns})
            frames += len(clip)
        writer.skipped = skipped
    log.info(
        "%s %s: %d clips written (%d frames), %d skipped", info.name, shard, len(rows), frames, len(skipped)
    )
    return {"shard": shard, "clips": len(rows), "frames": frames, "bad_skipped": len(skipped)}


def parse_clip_shards(
    folder: str | Path,
    info: DatasetInfo,
    shards: Iterable[str],
    out_paths: Iterable[str | Path],
    on_bad_file: str = "error",
    labels: Mapping[str, int] | None = None,
) -> list[dict[str, Any]]:
    """Check the whole folder once (:func:`check_clips`), then write the parsed shard of each of ``shards``
    to the matching ``out_paths``; nothing is written if the check fails."""
    shards, out_paths = list(shards), list(out_paths)
    if len(shards) != len(out_paths):
        raise ValueError(f"{len(shards)} shards but {len(out_paths)} output paths")
    check = check_clips(folder, info, on_bad_file, labels)
    missing = [shard for shard in shards if shard not in check.shards]
    if missing:
        raise ValueError(f"{folder}: no parse shard(s) {missing}; the manifest's shards are {check.shards}")
    return [write_clip_shard(check, info, shard, out) for shard, out in zip(shards, out_paths, strict=True)]


def clip_sample_keys(shard: Shard, info: DatasetInfo, benchmark: str) -> list[tuple[str, int, str | None]]:
    """``(split, label, validation group)`` of every sample of a parsed clip shard, in shard order: what
    the benchmark build and the statistics read instead of parsing sample names. The group is the sample's
    ``validation_unit`` value (a string; None-valued when the declaration has no validation unit)."""
    rule = info.splits[benchmark]
    column = rule.column
    unit = info.validation_unit
    if "label" not in shard.columns or column not in shard.fields:
        raise ValueError(f"{shard.path}: no 'label' column or field {column!r}; parse the clip folder again")
    keys = []
    for k, value in enumerate(shard.fields[column]):
        split = rule.split_of(value)
        if split is None:
            raise ValueError(
                f"{shard.path}: sample {shard.names[k]}: {column} value {value!r} is not train/test"
            )
        group = shard.fields[unit][k] if unit in shard.fields else None
        keys.append((split, int(shard.columns["label"][k]), group))
    return keys
