"""Fast reader of NTU RGB+D ``.skeleton`` text files (docs/method.md#ntu-skeleton-format,
docs/method.md#parsing).

A file is read as one ``bytes`` buffer. A compiled kernel (:mod:`hypergcn.data._xyz_kernel`, numba) reads
a file in the plain Kinect layout in one pass: about 10x less CPU per file than the authors' line-by-line
parser (docs/benchmarks.md). Any other file, and every bad one, goes through the line walker: a Python walk
over the frame and body header lines finds the joint lines, which the compiled kernel converts, or, for
lines in another layout (tabs, several spaces, more than 15 significant digits), the exact line-by-line
path, which also writes the error messages. Both give bit-identical results (tests/test_ntu_parser.py).

Numbers are correctly rounded to float64 (the compiled kernel's exact fast path, or ``float``)
and then to float32, exactly as the authors' ``np.array(tokens, dtype=np.float32)`` does (string -> double
-> float32), so the coordinates are bit-identical to theirs.

Semantics kept from the authors' ``get_raw_skes_data.py``:

* frames with 0 bodies are dropped (and counted); the valid-frame index excludes them;
* per bodyID the joints are stacked in order of appearance and the body's interval starts at the valid
  frame of its first appearance and grows by one per appearance (the *consecutive-interval assumption*:
  a body with gaps gets a shifted interval; replicated on purpose);
* ``motion`` (sum over x, y, z of the variance over frames x joints, float32) is computed for every body
  of a file with 2 or more bodyIDs.

What their script crashes on, or silently accepts, is a :class:`SkeletonFileError` naming the file and the
1-based line: a truncated file, a wrong joint count, a body line without 10 values or a joint line without
12, non-numeric or non-finite x/y/z values, content after the declared frames, a bodyID listed twice in one
frame, and a file whose frames all have 0 bodies. CRLF (or CR) line ends and trailing whitespace are fine.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from itertools import chain
from pathlib import Path

import numpy as np

from hypergcn.layouts import NTU

NUM_JOINTS = NTU.num_joints  # joints per body line: the Kinect v2 skeleton
# body line: bodyID, clippedEdges, hand confidences and states, isRestricted, leanX, leanY, trackingState
BODY_LINE_VALUES = 10
JOINT_LINE_VALUES = 12  # x y z depthX depthY colorX colorY orientationW/X/Y/Z trackingState

NAME_RE = re.compile(
    r"S(?P<setup>\d{3})C(?P<camera>\d{3})P(?P<performer>\d{3})R(?P<replication>\d{3})A(?P<action>\d{3})"
)
SUFFIX = ".skeleton"
_JOINT_COUNT = str(NUM_JOINTS).encode()


@dataclass(frozen=True)
class NtuName:
    """Fields of a sample name ``SsssCcccPpppRrrrAaaa`` (all 1-based, as in the name)."""

    setup: int
    camera: int
    performer: int
    replication: int
    action: int

    @property
    def label(self) -> int:
        """0-based class label (``A001`` -> 0)."""
        return self.action - 1

    @property
    def fields(self) -> dict[str, int]:
        """The fields a split rule or the validation grouping reads."""
        return {
            "setup": self.setup,
            "camera": self.camera,
            "performer": self.performer,
            "replication": self.replication,
            "label": self.label,
        }


def parse_ntu_name(name: str) -> NtuName:
    """Split ``S001C002P003R002A013`` into its fields; anything else is a ValueError naming it."""
    match = NAME_RE.fullmatch(name)
    if match is None:
        raise ValueError(f"{name!r} is not an NTU sample name like 'S001C002P003R002A013'")
    return NtuName(*(int(match[key]) for key in ("setup", "camera", "performer", "replication", "action")))


class SkeletonFileError(ValueError):
    """A malformed ``.skeleton`` file; ``str()`` is ``path:line: reason``."""

    def __init__(self, path: str | os.PathLike, line: int | None, reason: str) -> None:
        self.path = str(path)
        self.line = line
        self.reason = reason
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {reason}")

    def as_record(self) -> dict:
        """``{file, line, reason}``, the form listed in shards, logs and statistics.json."""
        return {"file": self.path, "line": self.line, "reason": self.reason}


@dataclass
class ParsedSkeleton:
    """One file after the authors' first script (docs/method.md#parsing), bodies in order of first appearance.

    ``joints`` holds every body's rows back to back (body k is rows ``offsets[k]:offsets[k]+lengths[k]``);
    ``starts[k]`` is the body's first valid-frame index and its interval is ``starts[k] .. starts[k] +
    lengths[k] - 1``. ``motion`` is NaN for single-body files (the authors do not compute it there).
    """

    name: str
    num_frames: int  # frames declared on line 1
    valid_frames: int  # frames with at least one body
    body_ids: list[str]
    starts: np.ndarray  # int32 (B,)
    lengths: np.ndarray  # int32 (B,)
    lines: np.ndarray  # int32 (B,) 1-based line of the body's first body line (for messages)
    joints: np.ndarray  # float32 (sum(lengths), 25, 3)
    motion: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))  # float32 (B,)

    @property
    def num_bodies(self) -> int:
        return len(self.body_ids)

    @property
    def dropped_frames(self) -> int:
        return self.num_frames - self.valid_frames

    @property
    def offsets(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.lengths, dtype=np.int64)[:-1]]).astype(np.int64)

    def body_joints(self, k: int) -> np.ndarray:
        off = int(self.offsets[k])
        return self.joints[off : off + int(self.lengths[k])]


def body_motion(joints: np.ndarray) -> np.float32:
    """The authors' motion of one body: ``np.sum(np.var(joints.reshape(-1, 3), axis=0))`` in float32."""
    return np.sum(np.var(np.ascontiguousarray(joints).reshape(-1, 3), axis=0))


# --------------------------------------------------------------------------------------------------------
# The reader.


def _line_text(lines: list[bytes], i: int) -> str:
    text = lines[i].decode("utf-8", "replace").strip() if i < len(lines) else ""
    return repr(text[:60] + ("..." if len(text) > 60 else ""))


def _at_end(lines: list[bytes], i: int) -> bool:
    """True when line ``i`` and every line after it are blank (or ``i`` is past the end)."""
    return not any(line.strip() for line in lines[i:])


def _int_line(lines: list[bytes], i: int, path: str, what: str) -> int:
    try:
        value = int(lines[i])
    except (IndexError, ValueError):
        if _at_end(lines, i):
            raise SkeletonFileError(
                path, i + 1, f"unexpected end of file: expected {what} (truncated file?)"
            ) from None
        raise SkeletonFileError(
            path, i + 1, f"expected {what} (one integer), found {_line_text(lines, i)}"
        ) from None
    if value < 0:
        raise SkeletonFileError(path, i + 1, f"{what} is negative ({value})")
    return value


def parse_skeleton_bytes(buf: bytes, path: str | os.PathLike, name: str | None = None) -> ParsedSkeleton:
    """Parse the content of one ``.skeleton`` file (see the module docstring for the rules)."""
    path = str(path)
    name = name or Path(path).name.removesuffix(SUFFIX)
    parsed = _parse_compiled(buf, name)  # LF and CRLF; it stops on a lone CR
    if parsed is not None:
        return parsed
    if b"\r" in buf and buf.count(b"\r") != buf.count(b"\r\n"):  # lone CR line ends (old Mac files)
        buf = buf.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return _parse_lines(buf, path, name)


@cache
def compiled(name: str) -> Callable:
    """A compiled kernel of :mod:`hypergcn.data._xyz_kernel` by name, loaded on first use.

    Importing numba and loading the cached kernels costs every process that reads files about 0.4 s, which
    the commands that only need this module's sample names (the workflow's raw-folder check, ``hypergcn
    build`` joining packed chunks, ``stats``) skip. numba's CPU target probes for BLAS by importing
    ``scipy.linalg`` when it first loads a kernel, 0.3 s more per process where scipy is installed; the
    kernels use no linear algebra, so the probe is answered "absent" while they load (numba then keeps its
    BLAS-free ``np.vdot``; ``scipy.linalg`` itself still imports normally afterwards).
    """
    blas = "scipy.linalg.cython_blas"
    probe_skipped = blas not in sys.modules
    if probe_skipped:
        sys.modules[blas] = None  # type: ignore[assignment]  # import fails fast: "no BLAS"
    try:
        import numba.np.arraymath  # noqa: F401  # the module that probes, imported while the probe fails fast

        from hypergcn.data import _xyz_kernel

        return getattr(_xyz_kernel, name)
    finally:
        if probe_skipped:
            del sys.modules[blas]


_WARM_UP_FILE = b"1\n1\n1 0 1 1 1 1 0 0 0 2\n25\n" + b"0.5 1 2 0 0 0 0 0 0 0 0 2\n" * NUM_JOINTS


def load_kernels(encoder: bool = False) -> None:
    """Load every kernel the file reader (and with ``encoder``, the chunk packer) calls, compiling it on a
    machine's first run, so that processes forked afterwards start with them loaded."""
    parse_skeleton_bytes(_WARM_UP_FILE, "warm-up")
    line = np.frombuffer(b"1 2 3\n", dtype=np.uint8)
    compiled("xyz_kernel")(line, np.zeros(1, np.int64), 3, np.zeros((1, 3)))
    joints = np.ones((2, NUM_JOINTS, 3), dtype=np.float32)
    compiled("body_motions")(joints, np.ones(2, dtype=np.int64), np.zeros(2, dtype=np.float32))
    if encoder:
        flat = np.ones((1, 150), dtype=np.float32)
        sample_chunk = compiled("sample_chunk")
        sample_chunk(
            flat, 150, np.zeros((1, 2), np.bool_), 1, 50, np.zeros(150, np.float32), np.zeros(256, np.uint8)
        )


def _kernels() -> tuple[Callable, Callable]:
    """(xyz kernel, file kernel)."""
    return compiled("xyz_kernel"), compiled("file_kernel")


def _parse_compiled(buf: bytes, name: str) -> ParsedSkeleton | None:
    """The whole file with the compiled kernel; None when it stops (the line walker then decides)."""
    failed, num_frames, valid_frames, ids, valid_of, line_of, xyz = _kernels()[1](
        np.frombuffer(buf, dtype=np.uint8), BODY_LINE_VALUES, NUM_JOINTS, JOINT_LINE_VALUES
    )
    if failed:
        return None
    joints = xyz.astype(np.float32).reshape(-1, NUM_JOINTS, 3)
    if (ids == ids[0]).all():  # a single bodyID
        first = np.zeros(1, dtype=np.int64)
        lengths = np.array([len(ids)], dtype=np.int32)
        unique = ids[:1]
    else:
        unique, first, inverse, counts = np.unique(
            ids, return_index=True, return_inverse=True, return_counts=True
        )
        order = np.argsort(first, kind="stable")  # bodies in order of first appearance
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        joints = joints[np.argsort(rank[inverse], kind="stable")]
        unique, first, lengths = unique[order], first[order], counts[order]
    parsed = ParsedSkeleton(
        name=name,
        num_frames=int(num_frames),
        valid_frames=int(valid_frames),
        body_ids=[str(int(u)) for u in unique],
        starts=valid_of[first].astype(np.int32),
        lengths=np.asarray(lengths, dtype=np.int32),
        lines=(line_of[first] + 1).astype(np.int32),
        joints=joints,
    )
    _set_motion(parsed)
    return parsed


@dataclass
class _Blocks:
    """The joint blocks of a file, found by walking its frame and body header lines."""

    num_frames: int
    valid_frames: int
    bodies: dict[
        bytes, list
    ]  # bodyID -> [index, start (valid frame), appearances, first body line (1-based)]
    block_body: list[int]  # body index of each 25-line joint block
    block_line: list[int]  # 0-based line of each block's first joint line


def _parse_lines(buf: bytes, path: str, name: str) -> ParsedSkeleton:
    """The line walker: any layout the compiled file kernel refuses, and every error message.

    A Python walk over the frame and body header lines (a few per frame, never per joint) finds the joint
    lines; the compiled kernel converts them, or, for a line it refuses, the exact line-by-line path.
    """
    lines = buf.splitlines()  # LF and CRLF line ends
    blocks = _walk(lines, path)
    joint_index = (np.asarray(blocks.block_line, dtype=np.int64)[:, None] + np.arange(NUM_JOINTS)).ravel()
    xyz = _joint_xyz_compiled(buf, lines, joint_index)
    if xyz is None:  # unusual spacing, or a bad value: the exact path (and its error messages)
        xyz = _joint_xyz([lines[k] for k in joint_index], blocks.block_line, lines, path)
    joints = xyz.reshape(-1, NUM_JOINTS, 3)
    if len(blocks.bodies) > 1:  # body-major order, each body's frames in order of appearance
        joints = joints[np.argsort(np.asarray(blocks.block_body), kind="stable")]
    entries = list(blocks.bodies.values())
    parsed = ParsedSkeleton(
        name=name,
        num_frames=blocks.num_frames,
        valid_frames=blocks.valid_frames,
        body_ids=[bid.decode("ascii", "replace") for bid in blocks.bodies],
        starts=np.array([e[1] for e in entries], dtype=np.int32),
        lengths=np.array([e[2] for e in entries], dtype=np.int32),
        lines=np.array([e[3] for e in entries], dtype=np.int32),
        joints=joints,
    )
    _set_motion(parsed)
    return parsed


def _walk(lines: list[bytes], path: str) -> _Blocks:
    """Check the header lines of every frame and body and locate the joint blocks."""
    n_lines = len(lines)
    num_frames = _int_line(lines, 0, path, "the frame count")
    if num_frames == 0:
        raise SkeletonFileError(path, 1, "the file declares 0 frames")
    blocks = _Blocks(num_frames, 0, {}, [], [])
    bodies = blocks.bodies
    i = 1
    valid = -1
    for f in range(num_frames):
        n_bodies = _body_count(lines, i, path, f, num_frames)
        i += 1
        if n_bodies == 0:
            continue
        valid += 1
        seen: list[bytes] = []
        for b in range(n_bodies):
            body_id = _body_id(lines, i, path, f, b)
            if n_bodies > 1:
                if body_id in seen:
                    raise SkeletonFileError(
                        path,
                        i + 1,
                        f"frame {f + 1}: bodyID {body_id.decode(errors='replace')} is listed twice",
                    )
                seen.append(body_id)
            _check_joint_count(lines, i + 1, path, f, b)
            entry = bodies.get(body_id)
            if entry is None:
                entry = bodies[body_id] = [len(bodies), valid, 0, i + 1]
            entry[2] += 1
            i += 2
            if i + NUM_JOINTS > n_lines:
                raise SkeletonFileError(
                    path,
                    n_lines + 1,
                    f"unexpected end of file in the joints of frame {f + 1}, body {b + 1} (truncated file?)",
                )
            blocks.block_body.append(entry[0])
            blocks.block_line.append(i)
            i += NUM_JOINTS
    _check_nothing_after(lines, i, num_frames, path)
    if valid < 0:
        raise SkeletonFileError(path, 1, f"all {num_frames} frames have 0 bodies (no skeleton in the file)")
    blocks.valid_frames = valid + 1
    return blocks


def _body_count(lines: list[bytes], i: int, path: str, f: int, num_frames: int) -> int:
    """The body count of frame ``f`` on line ``i`` (a plain integer is taken without building a message)."""
    try:
        n_bodies = int(lines[i])
    except (IndexError, ValueError):
        n_bodies = -1
    if n_bodies < 0:  # the slow path raises the right error
        n_bodies = _int_line(lines, i, path, f"the body count of frame {f + 1} of {num_frames}")
    return n_bodies


def _body_id(lines: list[bytes], i: int, path: str, f: int, b: int) -> bytes:
    """The bodyID of the body line ``i``, after checking that it holds 10 values."""
    line = lines[i] if i < len(lines) else b""
    # fast check of the 10 values: 9 single spaces, nothing before the first value
    if line.count(b" ") != BODY_LINE_VALUES - 1 or b"  " in line or line[:1] <= b" ":
        count = len(line.split())
        if count != BODY_LINE_VALUES:
            if _at_end(lines, i):
                raise SkeletonFileError(
                    path, i + 1, f"unexpected end of file in frame {f + 1}, body {b + 1} (truncated file?)"
                )
            raise SkeletonFileError(
                path,
                i + 1,
                f"frame {f + 1}, body {b + 1}: expected a body line of {BODY_LINE_VALUES} values, found "
                f"{count} ({_line_text(lines, i)})",
            )
    return line.split(None, 1)[0]


def _check_joint_count(lines: list[bytes], i: int, path: str, f: int, b: int) -> None:
    if i >= len(lines) or lines[i] != _JOINT_COUNT:
        n_joints = _int_line(lines, i, path, f"the joint count of frame {f + 1}, body {b + 1}")
        if n_joints != NUM_JOINTS:
            raise SkeletonFileError(
                path, i + 1, f"frame {f + 1}, body {b + 1}: {n_joints} joints, expected {NUM_JOINTS}"
            )


def _check_nothing_after(lines: list[bytes], i: int, num_frames: int, path: str) -> None:
    """Only blank lines may follow the declared frames."""
    for j in range(i, len(lines)):
        if lines[j].strip():
            raise SkeletonFileError(
                path,
                j + 1,
                f"content after the {num_frames} frames declared on line 1 ({_line_text(lines, j)}): the frame "
                "count disagrees with the body lines",
            )


def _set_motion(parsed: ParsedSkeleton) -> None:
    """The authors' motion for every body of a multi-body file (NaN for single-body files), computed by the
    compiled :func:`hypergcn.data._xyz_kernel.body_motions` (bit for bit :func:`body_motion`, 10x faster)."""
    parsed.motion = np.full(parsed.num_bodies, np.nan, dtype=np.float32)
    if parsed.num_bodies > 1:
        joints = np.ascontiguousarray(parsed.joints, dtype=np.float32)
        compiled("body_motions")(joints, np.asarray(parsed.lengths, dtype=np.int64), parsed.motion)


def _joint_xyz_compiled(buf: bytes, lines: list[bytes], joint_index: np.ndarray) -> np.ndarray | None:
    """x, y, z with the compiled kernel; None (-> the exact path) if it stops on an unusual line."""
    a = np.frombuffer(buf, dtype=np.uint8)
    line_start = np.empty(len(lines) + 1, dtype=np.int64)  # lines end at LF (CRLF: the CR is before it)
    line_start[0] = 0
    newline = np.flatnonzero(a == 10)
    if len(newline) + 1 < len(lines):  # another line break that splitlines() splits on (form feed...)
        return None
    line_start[1 : len(newline) + 1] = newline + 1
    start = line_start[joint_index]
    out = np.empty((len(joint_index), 3), dtype=np.float64)
    done = _kernels()[0](a, start, JOINT_LINE_VALUES, out)
    if done != len(joint_index):
        return None
    return out.astype(np.float32)


def _joint_xyz(joint_lines: list[bytes], block_line: list[int], lines: list[bytes], path: str) -> np.ndarray:
    """The exact path: x, y, z of every joint line as float32 (n, 3), checking 12 numeric values per line.

    Each line is split once into its x, y, z tokens and the rest; the 9 other values are only counted
    (a fast count of single spaces, with an exact per-line check when it does not add up).
    """
    n = len(joint_lines)

    def file_line(k: int) -> int:  # 1-based file line of joint line k
        return block_line[k // NUM_JOINTS] + k % NUM_JOINTS + 1

    flat = list(chain.from_iterable(line.split(None, 3) for line in joint_lines))
    if len(flat) != 4 * n:
        k = next(k for k, line in enumerate(joint_lines) if len(line.split()) < 4)
        _bad_joint_line(lines, file_line(k), path)
    rest = flat[3::4]
    if b" ".join(rest).count(b" ") != (JOINT_LINE_VALUES - 4) * n + (n - 1):  # single spaces: fast path
        for k, tail in enumerate(rest):
            if len(tail.split()) != JOINT_LINE_VALUES - 3:
                _bad_joint_line(lines, file_line(k), path)
    tokens = [*flat[0::4], *flat[1::4], *flat[2::4]]
    try:
        values = np.fromiter(map(float, tokens), dtype=np.float64, count=3 * n)
        finite = np.isfinite(values)
        if finite.all():
            return values.reshape(3, n).T.astype(np.float32)
        bad = int(np.flatnonzero(~finite.reshape(3, n).all(axis=0))[0])
    except ValueError:
        bad = -1
    # Locate the first bad value in file order (rare path).
    for k in range(n) if bad < 0 else [bad]:
        for axis, token in enumerate(flat[4 * k : 4 * k + 3]):
            try:
                value = float(token)
            except ValueError:
                value = None
            if value is None or not np.isfinite(value):
                kind = "non-numeric" if value is None else "non-finite"
                shown = token.decode("utf-8", "replace")[:40]
                raise SkeletonFileError(path, file_line(k), f"{kind} {'xyz'[axis]} value {shown!r}")
    raise AssertionError("unreachable: a bad value was detected but not located")


def _bad_joint_line(lines: list[bytes], line: int, path: str) -> None:
    count = len(lines[line - 1].split())
    if _at_end(lines, line):
        raise SkeletonFileError(
            path,
            line,
            f"joint line with {count} of {JOINT_LINE_VALUES} values at the end of the file (truncated file?)",
        )
    raise SkeletonFileError(
        path,
        line,
        f"expected a joint line of {JOINT_LINE_VALUES} values, found {count} ({_line_text(lines, line - 1)})",
    )


def read_skeleton(path: str | os.PathLike) -> ParsedSkeleton:
    """Read and parse one ``.skeleton`` file."""
    with open(path, "rb") as handle:
        return parse_skeleton_bytes(handle.read(), path)
