"""NW-UCLA raw data: sample names, the ``all_sqe/<name>.json`` skeleton files, and per-view parsed shards.

The authors' feeder hard-codes its 1,484 sample names, lengths and labels (docs/method.md#nw-ucla,
docs/method.md#q11-nw-ucla-code). Here every fact is derived from the files present instead: the label,
subject, episode and view come from the file name (``a01_s01_e00_v01``), the length from the ``skeletons``
array, and the split from the view alone (the dataset's split rule in :mod:`hypergcn.datasets`). A partial
download therefore still builds, with the missing counts reported.

One shard per view (``results/data/ucla/parsed/v0N.h5``) keeps the parse rule shaped like NTU's
per-setup shards. Shards hold the raw coordinates; centring and normalisation belong to the loader, as in
the authors' feeder (docs/data.md#benchmark-file).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hypergcn.data.shards import ShardWriter
from hypergcn.datasets import action_codes, dataset_info

log = logging.getLogger("hypergcn.data.ucla")

# The dataset of this raw format (``ucla_json``): its views are the parsing shards.
NW_UCLA = dataset_info("ucla")
NUM_JOINTS = NW_UCLA.num_point
UCLA_VIEWS: tuple[str, ...] = NW_UCLA.shards
# Clips per view in the complete download (docs/method.md#nw-ucla: train v01 516 + v02 504 = 1,020; test v03
# 464). Used only to report what is missing; the files themselves decide what is built.
UCLA_VIEW_CLIPS: dict[str, int] = {"v01": 516, "v02": 504, "v03": 464}

# Strict: lower-case, two digits per field, nothing before or after. Subjects/episodes are not range-checked
# (the name is the only source of truth for them); actions are checked against the table, views against
# the three cameras.
_NAME_RE = re.compile(r"a(?P<action>\d{2})_s(?P<subject>\d{2})_e(?P<episode>\d{2})_(?P<view>v\d{2})")
_VIEW_TOKEN_RE = re.compile(r"(?<![a-z0-9])(v0[1-3])(?![0-9])", re.IGNORECASE)


class UclaFileError(ValueError):
    """One malformed NW-UCLA file; the message starts with the file's path and says what is wrong."""

    def __init__(self, path: str | Path, reason: str, line: int | None = None) -> None:
        self.path = str(path)
        self.reason = reason
        self.line = line
        super().__init__(f"{path}: {reason}")


class UclaDataError(ValueError):
    """Every bad file of one view (``on_bad_file: error``), listed together so one run shows them all."""

    def __init__(self, message: str, bad: list[dict]) -> None:
        self.bad = bad
        super().__init__(message)


@dataclass(frozen=True)
class UclaName:
    """The fields of an NW-UCLA sample name; ``label`` is the 0-based class of ``action``."""

    action: str
    label: int
    subject: int
    episode: int
    view: str

    @property
    def fields(self) -> dict[str, int]:
        """The integer fields a split rule or the validation grouping reads (``view``: the camera number)."""
        return {
            "label": self.label,
            "subject": self.subject,
            "episode": self.episode,
            "view": int(self.view[1:]),
        }


def parse_name(name: str) -> UclaName:
    """Split ``aAA_sSS_eEE_vVV`` into its fields; anything else raises a ValueError naming the name.

    Unknown action codes (a07, a10 and a13+ are not part of the 10-class benchmark) are errors rather than
    silently dropped clips, so a foreign file in the folder is noticed.
    """
    match = _NAME_RE.fullmatch(name)
    if match is None:
        raise ValueError(f"NW-UCLA name {name!r} does not match 'aNN_sNN_eNN_vNN' (e.g. 'a01_s01_e00_v01')")
    codes = action_codes(NW_UCLA.name)
    action = f"a{match['action']}"
    if action not in codes:
        raise ValueError(
            f"NW-UCLA name {name!r}: unknown action {action!r}; the 10 actions are {sorted(codes)}"
        )
    view = match["view"]
    if view not in UCLA_VIEWS:
        raise ValueError(f"NW-UCLA name {name!r}: unknown view {view!r}; the views are {list(UCLA_VIEWS)}")
    return UclaName(action, codes[action], int(match["subject"]), int(match["episode"]), view)


def _is_number(value: object) -> bool:
    # bool is an int subclass; JSON true/false is not a coordinate.
    return isinstance(value, int | float) and not isinstance(value, bool)


def read_skeleton_json(path: str | Path) -> np.ndarray:
    """Read one ``all_sqe/<name>.json`` file into float32 (T, 20, 3), checking it fully.

    Every structural check happens here (and not as a numpy conversion error later) so the message can say
    which frame and joint are wrong. JSON is whitespace-insensitive, so CRLF line ends and pretty-printing
    need no special case; a UTF-8 byte-order mark is tolerated.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UclaFileError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UclaFileError(
            path, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", exc.lineno
        ) from None
    if not isinstance(obj, dict):
        raise UclaFileError(
            path, f"top level is a JSON {type(obj).__name__}, expected an object with 'skeletons'"
        )
    if "skeletons" not in obj:
        raise UclaFileError(path, f"missing key 'skeletons' (keys present: {sorted(obj)})")
    frames = obj["skeletons"]
    if not isinstance(frames, list):
        raise UclaFileError(path, f"'skeletons' is a {type(frames).__name__}, expected a T x 20 x 3 list")
    if not frames:
        raise UclaFileError(path, "'skeletons' is empty (0 frames)")
    joint_counts = []
    for k, frame in enumerate(frames):
        if not isinstance(frame, list):
            raise UclaFileError(path, f"frame {k} is a {type(frame).__name__}, expected a list of 20 joints")
        joint_counts.append(len(frame))
    distinct = sorted(set(joint_counts))
    if len(distinct) > 1:
        k = next(k for k, n in enumerate(joint_counts) if n != joint_counts[0])
        raise UclaFileError(
            path,
            f"ragged frames: frame {k} has {joint_counts[k]} joints, frame 0 has {joint_counts[0]} (expected 20)",
        )
    if distinct[0] != NUM_JOINTS:
        raise UclaFileError(
            path, f"wrong joint count: every frame has {distinct[0]} joints, expected {NUM_JOINTS}"
        )
    for k, frame in enumerate(frames):
        for j, joint in enumerate(frame):
            if not isinstance(joint, list) or len(joint) != 3:
                size = len(joint) if isinstance(joint, list) else type(joint).__name__
                raise UclaFileError(
                    path, f"ragged frames: frame {k} joint {j} has {size} values, expected 3 (x, y, z)"
                )
            for value in joint:
                if not _is_number(value):
                    raise UclaFileError(path, f"frame {k} joint {j}: non-numeric value {value!r}")
    array = np.asarray(frames, dtype=np.float64).astype(np.float32)
    finite = np.isfinite(array)
    if not finite.all():
        k, j, _ = np.argwhere(~finite)[0]
        raise UclaFileError(
            path, f"frame {k} joint {j}: non-finite value {array[k, j].tolist()} (NaN or inf)"
        )
    return array


def _view_of_unparsable(stem: str) -> str:
    """The one view shard that reports a file whose name does not parse.

    A bad name has no reliable view, but it must be listed exactly once across the three shards (or the
    statistics would count it thrice): use a ``v01``-``v03`` token if the name has exactly one, else v01.
    """
    tokens = {token.lower() for token in _VIEW_TOKEN_RE.findall(stem)}
    return tokens.pop() if len(tokens) == 1 else UCLA_VIEWS[0]


def _json_files(folders: Sequence[Path], dataset: str) -> list[Path]:
    files: list[Path] = []
    for folder in folders:
        if not folder.is_dir():
            raise FileNotFoundError(
                f"datasets.{dataset}.raw_dir: {str(folder)!r} is not a folder; set it to "
                f"{dataset_info(dataset).raw_content}"
            )
        hidden = 0
        for path in folder.glob("*.json"):
            if path.name.startswith("."):  # e.g. macOS '._a01_s01_e00_v01.json' resource forks
                hidden += 1
            elif path.is_file():
                files.append(path)
        if hidden:
            log.info("%s: ignored %d hidden .json files", folder, hidden)
    return sorted(files, key=lambda p: (p.stem, str(p)))


def _select_view(files: list[Path], view: str) -> tuple[list[tuple[str, Path]], list[dict]]:
    """The clips of one view by name, and the bad names this view reports (unparsable, duplicate)."""
    bad: list[dict] = []
    selected: list[tuple[str, Path]] = []
    seen: dict[str, Path] = {}
    for path in files:
        try:
            name = parse_name(path.stem)
        except ValueError as exc:
            if _view_of_unparsable(path.stem) == view:
                bad.append({"file": str(path), "line": None, "reason": str(exc)})
            continue
        if name.view != view:
            continue
        if path.stem in seen:
            bad.append({"file": str(path), "line": None, "reason": f"duplicate of {seen[path.stem]}"})
            continue
        seen[path.stem] = path
        selected.append((path.stem, path))
    return selected, bad


def parse_view_shard(
    raw_dir: str | Path | Sequence[str | Path],
    view: str,
    out_path: str | Path,
    on_bad_file: str = "error",
    *,
    strict: bool = False,
    dataset: str = NW_UCLA.name,
) -> None:
    """Parse every ``<name>.json`` of one view into a sample shard (format: ``hypergcn.data.shards``).

    Clips are sorted by name so a shard is byte-for-byte independent of directory order. Bad files (a name
    that does not parse, or content that fails ``read_skeleton_json``) either fail the shard, listing every
    one of them (``on_bad_file='error'``), or are skipped and recorded in the shard's ``skipped`` attribute
    (``'skip'``). ``strict`` requires the view's complete download (UCLA_VIEW_CLIPS); otherwise a partial
    view is built with a warning that gives the counts.
    """
    if view not in UCLA_VIEWS:
        raise ValueError(f"unknown NW-UCLA view {view!r}; expected one of {list(UCLA_VIEWS)}")
    if on_bad_file not in ("error", "skip"):
        raise ValueError(f"on_bad_file must be 'error' or 'skip', not {on_bad_file!r}")
    folders = [Path(raw_dir)] if isinstance(raw_dir, str | Path) else [Path(p) for p in raw_dir]
    files = _json_files(folders, dataset)
    if not files:
        raise FileNotFoundError(
            f"datasets.{dataset}.raw_dir: no .json files in {', '.join(map(str, folders))}; expected "
            f"{dataset_info(dataset).raw_content}"
        )
    selected, bad = _select_view(files, view)
    layout = dataset_info(dataset).layout
    # Clips stream into the shard writer (bounded memory); the shard appears under its final name only if
    # the block ends without an error, so an 'error'-mode failure leaves nothing behind.
    lengths: list[int] = []
    with ShardWriter(
        out_path,
        dataset=dataset,
        layout=layout.name,
        shard=view,
        num_point=layout.num_joints,
        num_person=layout.persons,
    ) as writer:
        for stem, path in selected:
            try:
                clip = read_skeleton_json(path)
            except UclaFileError as exc:
                bad.append({"file": exc.path, "line": exc.line, "reason": exc.reason})
                continue
            writer.add(stem, clip[:, None])  # (T, 20, 3) -> (T, M = 1, 20, 3)
            lengths.append(clip.shape[0])
        bad.sort(key=lambda entry: entry["file"])
        if bad and on_bad_file == "error":
            listing = "\n".join(f"  {entry['file']}: {entry['reason']}" for entry in bad)
            raise UclaDataError(
                f"NW-UCLA view {view}: {len(bad)} bad file(s) (set datasets.{dataset}.on_bad_file: skip to skip "
                f"and list them instead):\n{listing}",
                bad,
            )
        for entry in bad:
            log.warning("skipped %s: %s", entry["file"], entry["reason"])
        writer.skipped = bad
        _report_counts(view, present=len(selected), written=len(lengths), strict=strict, dataset=dataset)
        log.info(
            "NW-UCLA view %s: %d clips written (%d frames, length %s), %d bad file(s) skipped",
            view,
            len(lengths),
            sum(lengths),
            f"{min(lengths)}-{max(lengths)}" if lengths else "n/a",
            len(bad),
        )


def _report_counts(view: str, present: int, written: int, strict: bool, dataset: str) -> None:
    """Warn (or, with ``strict``, fail) when a view holds fewer clips than the complete download."""
    expected = UCLA_VIEW_CLIPS[view]
    if written < expected:
        message = (
            f"NW-UCLA view {view}: {written} of the complete download's {expected} clips "
            f"({max(expected - present, 0)} files missing, {present - written} bad)"
        )
        if strict and present < expected:
            raise FileNotFoundError(
                f"{message}; datasets.{dataset}.strict is true (set it to false to build anyway)"
            )
        log.warning("%s", message)
    elif written > expected:
        log.warning(
            "NW-UCLA view %s: %d clips, more than the complete download's %d", view, written, expected
        )
