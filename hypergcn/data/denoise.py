"""SGN/CTR-GCN denoising of multi-body NTU sequences (docs/method.md#denoising), and ``hypergcn denoise``.

The semantics are the authors' ``get_raw_denoised_data.py``, exactly, including its quirks:

* a file with a single bodyID skips denoising: its frames are the body's, no row is deleted;
* otherwise bodies lasting <= 11 frames are dropped (length filter);
* then, while 2 or more bodies remain, bodies are visited in first-appearance order (the "one body left ->
  stop" check runs before each): a frame is valid when ``x-range <= 0.8 * y-range`` over the 25 joints
  (ranges in float32, the comparison in float64 as numpy 1.x promoted it); a body without noisy frames is
  skipped; a body whose noisy ratio (noisy frames / interval length) is >= 0.69754 is dropped; otherwise
  its motion becomes ``min(motion, variance-sum over the valid frames)``;
* the remaining bodies are sorted by motion, descending, with Python's stable sort;
* two-actor assembly into (F, 150) with the interval rules ([start2, end2] starts at [0, 0]; "<= 0 overlap"
  accepts touching intervals and the later body overwrites the shared frame; a body overlapping both actors
  is discarded); a multi-body file reduced to one body gives a (F, 75) array with zeros outside its interval;
* every row whose sum is exactly 0 is deleted (files with 2 or more raw bodyIDs only).

The motion-range filter [0.089925, 2] of the authors' script is dead code and is not applied.

Output per sample: float32 (F', 2, 25, 3) actor slots (zeros where a slot is empty) and ``slots`` = 1 for
the authors' 75-column arrays, 2 for 150-column ones, which the benchmark builder needs (masks and the
second-actor rule depend on it).
"""

from __future__ import annotations

import argparse
import json
import logging
from dataclasses import dataclass, field

import numpy as np

from hypergcn.data.ntu_skeleton import NUM_JOINTS, ParsedSkeleton, SkeletonFileError, body_motion
from hypergcn.data.shards import ParsedShard, ShardWriter
from hypergcn.datasets import dataset_info
from hypergcn.layouts import layout_named

log = logging.getLogger("hypergcn.data.denoise")

NOISE_LEN_THRES = 11
NOISE_SPR_THRES1 = 0.8
NOISE_SPR_THRES2 = 0.69754


@dataclass
class Denoised:
    """One denoised sample."""

    data: np.ndarray  # float32 (F', 2, 25, 3)
    slots: int  # 1: the authors' (F, 75) array; 2: (F, 150)
    dropped_length: int = 0
    dropped_spread: int = 0
    dropped_overlap: int = 0  # bodies overlapping both actors' intervals, discarded by the assembly
    rows_deleted: int = 0
    actors: list[list[str]] = field(default_factory=list)  # bodyIDs written into slot 1 and slot 2


def spread_valid(joints: np.ndarray) -> np.ndarray:
    """Per frame of one body (n, 25, 3): True where ``x-range <= 0.8 * y-range`` (authors' precision)."""
    x = joints[:, :, 0]
    y = joints[:, :, 1]
    x_range = (x.max(axis=1) - x.min(axis=1)).astype(np.float64)  # float32 subtraction, then promoted
    y_range = (y.max(axis=1) - y.min(axis=1)).astype(np.float64)
    return x_range <= NOISE_SPR_THRES1 * y_range


def check_denoisable(parsed: ParsedSkeleton, path: str | None = None) -> None:
    """Raise :class:`SkeletonFileError` for a file the length filter would empty (the authors crash)."""
    if parsed.num_bodies > 1 and (parsed.lengths <= NOISE_LEN_THRES).all():
        detail = ", ".join(
            f"{bid} ({n} frames, line {line})"
            for bid, n, line in zip(parsed.body_ids, parsed.lengths, parsed.lines, strict=True)
        )
        raise SkeletonFileError(
            path or parsed.name,
            int(parsed.lines[0]),
            f"every body lasts <= {NOISE_LEN_THRES} frames, so the length filter leaves none: {detail}",
        )


def denoise(parsed: ParsedSkeleton, path: str | None = None) -> Denoised:
    """Denoise one parsed file into actor slots (module docstring)."""
    num_frames = parsed.valid_frames
    offsets = parsed.offsets
    if parsed.num_bodies == 1:
        data = np.zeros((num_frames, 2, NUM_JOINTS, 3), dtype=np.float32)
        start, length = int(parsed.starts[0]), int(parsed.lengths[0])
        data[start : start + length, 0] = parsed.joints[:length]
        return Denoised(data, 1, actors=[[parsed.body_ids[0]], []])

    check_denoisable(parsed, path)
    # Bodies in first-appearance order: [index, motion]
    bodies = [[k, parsed.motion[k]] for k in range(parsed.num_bodies) if parsed.lengths[k] > NOISE_LEN_THRES]
    result = Denoised(np.zeros(0), 2, dropped_length=parsed.num_bodies - len(bodies))

    def joints_of(k: int) -> np.ndarray:
        return parsed.joints[offsets[k] : offsets[k] + parsed.lengths[k]]

    if len(bodies) > 1:
        remaining = list(bodies)
        for body in bodies:  # a snapshot: dropping a body does not disturb the visit order
            if len(remaining) == 1:
                break
            k = body[0]
            joints = joints_of(k)
            valid = spread_valid(joints)
            n = int(parsed.lengths[k])
            noisy = n - int(valid.sum())
            if noisy == 0:
                continue
            if noisy / float(n) >= NOISE_SPR_THRES2:
                remaining.remove(body)
                result.dropped_spread += 1
            else:
                body[1] = min(body[1], body_motion(joints[np.flatnonzero(valid)]))
        bodies = remaining
    if len(bodies) > 1:
        bodies = sorted(bodies, key=lambda body: body[1], reverse=True)  # stable: ties keep appearance order

    def interval(k: int) -> tuple[int, int]:
        return int(parsed.starts[k]), int(parsed.starts[k]) + int(parsed.lengths[k]) - 1

    if len(bodies) == 1:
        k = bodies[0][0]
        start, end = interval(k)
        array = np.zeros((num_frames, 75), dtype=np.float32)
        array[start : end + 1] = joints_of(k).reshape(-1, 75)
        result.slots = 1
        result.actors = [[parsed.body_ids[k]], []]
    else:
        array = np.zeros((num_frames, 150), dtype=np.float32)
        k = bodies[0][0]
        start1, end1 = interval(k)
        array[start1 : end1 + 1, :75] = joints_of(k).reshape(-1, 75)
        actors: list[list[str]] = [[parsed.body_ids[k]], []]
        start2, end2 = 0, 0  # the authors' virtual initial interval of actor 2
        for k, _ in bodies[1:]:
            start, end = interval(k)
            if min(end1, end) - max(start1, start) <= 0:
                array[start : end + 1, :75] = joints_of(k).reshape(-1, 75)
                start1, end1 = min(start, start1), max(end, end1)
                actors[0].append(parsed.body_ids[k])
            elif min(end2, end) - max(start2, start) <= 0:
                array[start : end + 1, 75:] = joints_of(k).reshape(-1, 75)
                start2, end2 = min(start, start2), max(end, end2)
                actors[1].append(parsed.body_ids[k])
            else:
                result.dropped_overlap += 1
        result.actors = actors
    keep = array.sum(axis=1) != 0  # the authors' missing-frame test, same expression and layout
    if not keep.all():
        array = array[keep]
    result.rows_deleted = num_frames - len(array)
    data = np.zeros((len(array), 2, NUM_JOINTS, 3), dtype=np.float32)
    data.reshape(len(array), 150)[:, : array.shape[1]] = array
    result.data = data
    return result


# --------------------------------------------------------------------------------------------------------
# Command line: one parsed shard -> one denoised shard.

DENOISED_COLUMNS = {
    "num_bodies": np.int32,
    "slots": np.int8,
    "num_frames": np.int32,  # frames declared in the raw file
    "frames_dropped": np.int32,  # frames with 0 bodies
    "dropped_length": np.int32,
    "dropped_spread": np.int32,
    "dropped_overlap": np.int32,
    "rows_deleted": np.int32,
}


def denoised_columns(parsed: ParsedSkeleton, result: Denoised) -> dict[str, int]:
    """The :data:`DENOISED_COLUMNS` values of one sample, for the shard writer."""
    return {
        "num_bodies": parsed.num_bodies,
        "slots": result.slots,
        "num_frames": parsed.num_frames,
        "frames_dropped": parsed.dropped_frames,
        "dropped_length": result.dropped_length,
        "dropped_spread": result.dropped_spread,
        "dropped_overlap": result.dropped_overlap,
        "rows_deleted": result.rows_deleted,
    }


def denoise_shard(parsed_path: str, out_path: str) -> dict:
    """Denoise every sample of a parsed NTU shard into a sample shard; returns counters for the log."""
    totals = dict.fromkeys(
        ["samples", "multi_body", "dropped_length", "dropped_spread", "dropped_overlap", "rows_deleted"], 0
    )
    with ParsedShard(parsed_path) as shard:
        attrs = dict(shard.attrs)
        # the shard names its layout (a dataset declared by a user is not known to this process)
        layout = layout_named(attrs["layout"]) if "layout" in attrs else dataset_info(attrs["dataset"]).layout
        with ShardWriter(
            out_path,
            dataset=attrs["dataset"],
            layout=layout.name,
            shard=attrs["shard"],
            num_point=layout.num_joints,
            num_person=layout.persons,
            extra=DENOISED_COLUMNS,
            attrs={key: attrs[key] for key in ("files_found", "known_missing", "raw_dirs") if key in attrs},
            compress=False,  # an intermediate file: writing speed over size
        ) as writer:
            writer.skipped = shard.skipped
            for parsed, path in shard.iter_parsed():
                result = denoise(parsed, path)
                writer.add(parsed.name, result.data, **denoised_columns(parsed, result))
                totals["samples"] += 1
                totals["multi_body"] += parsed.num_bodies > 1
                for key in ("dropped_length", "dropped_spread", "dropped_overlap", "rows_deleted"):
                    totals[key] += getattr(result, key)
    return totals


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--input", required=True, help="parsed shard (results/data/{dataset}/parsed/{shard}.h5)"
    )
    parser.add_argument("--output", required=True, help="denoised shard to write")


def run(args: argparse.Namespace) -> int:
    totals = denoise_shard(args.input, args.output)
    log.info("denoised %s -> %s: %s", args.input, args.output, json.dumps(totals))
    return 0
