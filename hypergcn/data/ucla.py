"""NW-UCLA raw data: sample names, the ``all_sqe/<name>.json`` skeleton files, and per-view parsed shards.

The authors' feeder hard-codes its 1,484 sample names, lengths and labels (method §4.6, §7.11). Here every
fact is derived from the files present instead: the label, subject, episode and view come from the file
name (``a01_s01_e00_v01``), the length from the ``skeletons`` array, and the split from the view alone
(train v01 + v02, test v03). A partial download therefore still builds, with the missing counts reported.

One shard per view (``results/data/ucla/parsed/v0N.h5``) keeps the parse rule shaped like NTU's
per-setup shards. Shards hold the raw coordinates; centring and normalisation belong to the loader, as in
the authors' feeder (pipeline-design §4).
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hypergcn.data.shards import ShardWriter
from hypergcn.datasets import UCLA_TEST_VIEWS, UCLA_TRAIN_VIEWS, ucla_action_codes

log = logging.getLogger("hypergcn.data.ucla")

NUM_JOINTS = 20
UCLA_VIEWS: tuple[str, ...] = UCLA_TRAIN_VIEWS + UCLA_TEST_VIEWS
# Clips per view in the complete download (method §4.6: train v01 516 + v02 504 = 1,020; test v03 464).
# Used only to report what is missing; the files themselves decide what is built.
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


def parse_name(name: str) -> UclaName:
    """Split ``aAA_sSS_eEE_vVV`` into its fields; anything else raises a ValueError naming the name.

    Unknown action codes (a07, a10 and a13+ are not part of the 10-class benchmark) are errors rather than
    silently dropped clips, so a foreign file in the folder is noticed.
    """
    match = _NAME_RE.fullmatch(name)
    if match is None:
        raise ValueError(f"NW-UCLA name {name!r} does not match 'aNN_sNN_eNN_vNN' (e.g. 'a01_s01_e00_v01')")
    codes = ucla_action_codes()
    action = f"a{match['action']}"
    if action not in codes:
        raise ValueError(
            f"NW-UCLA name {name!r}: unknown action {action!r}; the 10 actions are {sorted(codes)}"
        )
    view = match["view"]
    if view not in UCLA_VIEWS:
        raise ValueError(f"NW-UCLA name {name!r}: unknown view {view!r}; the views are {list(UCLA_VIEWS)}")
    return UclaName(action, codes[action], int(match["subject"]), int(match["episode"]), view)


def ucla_split(name: str | UclaName) -> str:
    """``"train"`` for views v01/v02, ``"test"`` for v03: the cross-view protocol, derived from the view only."""
    view = (parse_name(name) if isinstance(name, str) else name).view
    return "train" if view in UCLA_TRAIN_VIEWS else "test"


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


def _json_files(folders: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for folder in folders:
        if not folder.is_dir():
            raise FileNotFoundError(
                f"datasets.ucla.raw_dir: {str(folder)!r} is not a folder; set it to the NW-UCLA 'all_sqe' "
                f"folder ({sum(UCLA_VIEW_CLIPS.values()):,} <name>.json files such as a01_s01_e00_v01.json)"
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


def parse_view_shard(
    raw_dir: str | Path | Sequence[str | Path],
    view: str,
    out_path: str | Path,
    on_bad_file: str = "error",
    *,
    strict: bool = False,
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
    files = _json_files(folders)
    if not files:
        raise FileNotFoundError(
            f"datasets.ucla.raw_dir: no .json files in {', '.join(map(str, folders))}; expected the NW-UCLA "
            f"'all_sqe' folder ({sum(UCLA_VIEW_CLIPS.values()):,} files such as a01_s01_e00_v01.json)"
        )

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

    # Clips stream into the shard writer (bounded memory); the shard appears under its final name only if
    # the block ends without an error, so an 'error'-mode failure leaves nothing behind.
    lengths: list[int] = []
    with ShardWriter(
        out_path, dataset="ucla", layout="ucla", shard=view, num_point=NUM_JOINTS, num_person=1
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
                f"NW-UCLA view {view}: {len(bad)} bad file(s) (set datasets.ucla.on_bad_file: skip to skip "
                f"and list them instead):\n{listing}",
                bad,
            )
        for entry in bad:
            log.warning("skipped %s: %s", entry["file"], entry["reason"])
        writer.skipped = bad
        _report_counts(view, present=len(selected), written=len(lengths), strict=strict)
        log.info(
            "NW-UCLA view %s: %d clips written (%d frames, length %s), %d bad file(s) skipped",
            view,
            len(lengths),
            sum(lengths),
            f"{min(lengths)}-{max(lengths)}" if lengths else "n/a",
            len(bad),
        )


def _report_counts(view: str, present: int, written: int, strict: bool) -> None:
    """Warn (or, with ``strict``, fail) when a view holds fewer clips than the complete download."""
    expected = UCLA_VIEW_CLIPS[view]
    if written < expected:
        message = (
            f"NW-UCLA view {view}: {written} of the complete download's {expected} clips "
            f"({max(expected - present, 0)} files missing, {present - written} bad)"
        )
        if strict and present < expected:
            raise FileNotFoundError(
                f"{message}; datasets.ucla.strict is true (set it to false to build anyway)"
            )
        log.warning("%s", message)
    elif written > expected:
        log.warning(
            "NW-UCLA view %s: %d clips, more than the complete download's %d", view, written, expected
        )


# ---------------------------------------------------------------------------------------------------------
# Synthetic NW-UCLA, in the real file format (tests and a demonstration of the format).


# Kinect v1 rest pose in metres (x right, y up), joints in NW-UCLA order: hip centre, spine, shoulder centre,
# head, left shoulder/elbow/wrist/hand, right shoulder/elbow/wrist/hand, left hip/knee/ankle/foot, right ...
def _limb(side: int, points: tuple[tuple[float, float, float], ...]) -> list[list[float]]:
    return [[side * x, y, z] for x, y, z in points]


_ARM = ((0.18, 0.45, 0.0), (0.22, 0.2, 0.0), (0.24, 0.0, 0.0), (0.25, -0.07, 0.0))
_LEG = ((0.1, -0.05, 0.0), (0.1, -0.5, 0.0), (0.1, -0.9, 0.0), (0.1, -0.95, 0.08))
_REST_POSE = np.array(
    [[0, 0, 0], [0, 0.25, 0], [0, 0.5, 0], [0, 0.7, 0]]
    + _limb(-1, _ARM)
    + _limb(1, _ARM)
    + _limb(-1, _LEG)
    + _limb(1, _LEG),
    dtype=np.float64,
)
# Per action label: which joints move (0-based), along which axis, and how many cycles per clip.
_GROUPS = {
    "left_arm": [5, 6, 7],
    "right_arm": [9, 10, 11],
    "arms": [5, 6, 7, 9, 10, 11],
    "legs": [13, 14, 15, 17, 18, 19],
}
_MOTIONS = [
    ("right_arm", 1, 1.0), ("arms", 1, 1.0), ("left_arm", 0, 1.0), ("legs", 2, 2.0), ("arms", 2, 0.5),
    ("legs", 1, 0.5), ("right_arm", 0, 2.0), ("left_arm", 2, 2.0), ("right_arm", 2, 1.5), ("legs", 0, 1.0),
]  # fmt: skip


def make_synthetic_ucla(
    out_dir: str | Path,
    seed: int = 0,
    subjects: Iterable[int] = (1, 2),
    episodes: Iterable[int] = (0,),
    views: Iterable[str] = UCLA_VIEWS,
    frames: tuple[int, int] = (12, 40),
    one_frame: Iterable[str] = (),
) -> list[Path]:
    """Write ``<name>.json`` files ({"skeletons": T x 20 x 3}) for every action x subject x episode x view.

    Each action moves its own joint group along its own axis at its own rate, and each view rotates the
    body about the vertical axis, so a small model can learn the classes across views. ``one_frame`` names
    clips forced to a single frame (the real test set has one). Returns the written paths, sorted.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    forced = set(one_frame)
    written = []
    for code, label in sorted(ucla_action_codes().items()):
        group, axis, cycles = _MOTIONS[label]
        for subject in subjects:
            scale = 0.9 + 0.02 * (subject % 10)
            for episode in episodes:
                for view in views:
                    name = f"{code}_s{subject:02d}_e{episode:02d}_{view}"
                    length = 1 if name in forced else int(rng.integers(frames[0], frames[1] + 1))
                    phase = 2 * math.pi * cycles * np.arange(length) / max(length, 2)
                    pose = np.repeat(_REST_POSE[None] * scale, length, axis=0)
                    pose[:, _GROUPS[group], axis] += 0.3 * np.sin(phase)[:, None]
                    angle = math.radians(30.0 * (UCLA_VIEWS.index(view) - 1) + rng.uniform(-5, 5))
                    c, s = math.cos(angle), math.sin(angle)
                    pose = pose @ np.array([[c, 0, -s], [0, 1, 0], [s, 0, c]]).T + [0.0, 0.0, 3.0]
                    pose += rng.normal(0, 0.01, pose.shape)
                    path = out / f"{name}.json"
                    path.write_text(json.dumps({"skeletons": np.round(pose, 5).tolist()}))
                    written.append(path)
    return sorted(written)
