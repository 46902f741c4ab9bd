"""Skeleton transforms of the training-data loader: pure numpy functions, one job each.

Every array is laid out ``(C, T, V, M)`` = (channel, frame, joint, person), the layout of the benchmark
HDF5 files; the channels are the layout's (``x, y[, z][, confidence]``), and a confidence channel is always
the last one. The formulas are the authors' feeders' (docs/method.md#ntu-loader, docs/method.md#nw-ucla,
docs/method.md#ntu-loader-formulas, docs/method.md#nw-ucla-loader-details), written so the
deterministic test path reproduces them to float32 rounding. Random transforms take an explicit
``numpy.random.Generator`` instead of a global RNG, so a sample's augmentation depends only on the seed
the caller derives, never on worker count or process start method.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np

# The authors hard-code the lower bound of the random crop length to 64 frames whatever the window
# (docs/method.md#ntu-loader-formulas), so it is not derived from the window here either.
MIN_CROP_FRAMES = 64
# Random rotation range of ``random_rot`` in radians (docs/method.md#ntu-loader-formulas).
ROT_THETA = 0.3
# NW-UCLA drop-joint ranges (inclusive), docs/method.md#nw-ucla.
DROP_JOINTS = (4, 12)
DROP_FRAMES = (16, 32)


# --------------------------------------------------------------------------------------------------
# Temporal sampling (NTU)


def valid_frame_count(x: np.ndarray) -> int:
    """Number of frames whose sum over C, V, M is non-zero (docs/method.md#ntu-loader, step 2).

    This counts, it does not look for a prefix: the authors' crop then takes rows from 0, so a zero frame
    inside a clip shortens the crop exactly as in their feeder. The sums are taken in the authors' order
    (C, then M, then V) so an exactly cancelling frame is classified the same way.
    """
    return int(np.count_nonzero(x.sum(0).sum(-1).sum(-1)))


def central_crop(valid: int, p: float) -> tuple[int, int]:
    """Central crop ``(start, length)`` of the test path: ``int((1 - p) * valid / 2)`` frames off each end.

    The expression is the authors' literally (not ``0.025 * valid``): the two differ in the last bit for
    some lengths, which would move the crop by one frame.
    """
    bias = int((1 - p) * valid / 2)
    return bias, valid - 2 * bias


def random_crop(
    valid: int,
    p_interval: tuple[float, float],
    rng: np.random.Generator,
    min_frames: int = MIN_CROP_FRAMES,
) -> tuple[int, int]:
    """Random crop ``(start, length)``: p ~ U(p_interval), L = min(max(⌊valid·p⌋, min_frames), valid),
    uniform start. ``min_frames`` is the authors' 64 for NTU; the clip-array feeder passes its window."""
    p = rng.random() * (p_interval[1] - p_interval[0]) + p_interval[0]
    length = min(max(int(math.floor(valid * p)), min_frames), valid)
    start = int(rng.integers(0, valid - length + 1))
    return start, length


@cache
def resize_table(length: int, window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Gather indices ``i0, i1`` and float32 weights ``w0, w1`` resampling ``length`` frames to ``window``.

    Computed as torch's bilinear ``interpolate(align_corners=False)`` does, in float32: scale = L / W,
    s = max(scale·(j + 0.5) − 0.5, 0), i0 = ⌊s⌋, i1 = min(i0 + 1, L − 1), λ = s − i0. Cached per
    ``(length, window)`` (at most 300 × few entries), so a sample costs two gathers and a weighted sum.
    The arrays are read-only because they are shared between calls.
    """
    scale = np.float32(length) / np.float32(window)
    src = scale * (np.arange(window, dtype=np.float32) + np.float32(0.5)) - np.float32(0.5)
    src = np.maximum(src, np.float32(0))
    i0 = np.minimum(np.floor(src).astype(np.intp), length - 1)
    i1 = np.minimum(i0 + 1, length - 1)
    w1 = np.clip(src - i0.astype(np.float32), np.float32(0), np.float32(1))
    w0 = np.float32(1) - w1
    for array in (i0, i1, w0, w1):
        array.setflags(write=False)
    return i0, i1, w0, w1


def resize(x: np.ndarray, window: int) -> np.ndarray:
    """Linearly resample the frames of float32 ``x`` (C, L, V, M) to ``window`` frames.

    Rounded as torch's CPU kernel rounds: ``fma(w0, x[i0], fl(w1·x[i1]))``, one rounding after the fused
    multiply-add. A float64 sum of the exact product w0·x[i0] (48 bits fit in 53) and the rounded far term
    gives the same float32 in all but vanishingly rare double-rounding cases, so the test path matches the
    authors' feeder bit for bit instead of to one ulp.
    """
    i0, i1, w0, w1 = resize_table(x.shape[1], window)
    shape = (1, window) + (1,) * (x.ndim - 2)
    far = x[:, i1] * w1.reshape(shape)
    return (x[:, i0] * w0.reshape(shape).astype(np.float64) + far).astype(np.float32)


def clip_indices(frames: int, window: int, rng: np.random.Generator) -> np.ndarray:
    """PYSKL-style uniform frame indices for ``clips`` sampling (docs/method.md#ntu-loader-formulas), gathered,
    not interpolated.

    T < W: ``window`` consecutive frames from a random start, wrapping cyclically. W ≤ T < 2W: 0..W−1 plus
    a +1 skip after each of T − W distinct positions drawn from W + 1 candidates. T ≥ 2W: one random frame
    in each of W equal segments ⌊i·T/W⌋ … ⌊(i+1)·T/W⌋ − 1.
    """
    if frames < window:
        start = int(rng.integers(0, frames))
        return (start + np.arange(window)) % frames
    if frames < 2 * window:
        offset = np.zeros(window + 1, dtype=np.intp)
        offset[rng.choice(window + 1, frames - window, replace=False)] = 1
        return np.arange(window) + np.cumsum(offset)[:-1]
    bounds = np.arange(window + 1) * frames // window
    return bounds[:-1] + rng.integers(0, np.diff(bounds))


# --------------------------------------------------------------------------------------------------
# Rotations


def align_matrix(x: np.ndarray, shoulders: tuple[int, int]) -> np.ndarray:
    """Rotation (float32, 3 × 3) mapping the frame-0 person-0 left→right shoulder vector d onto +x.

    ``shoulders`` are the left and right shoulder joints (0-based). Rodrigues' formula about a = d × e_x by
    θ = arccos(d·e_x / ‖d‖); the identity when ‖d‖₁, ‖a‖₁ or |θ| is below 1e-6
    (docs/method.md#ntu-loader-formulas), e.g. for an empty first frame.
    """
    left, right = shoulders
    d = (x[:, 0, right, 0] - x[:, 0, left, 0]).astype(np.float64)
    axis = np.cross(d, np.array([1.0, 0.0, 0.0]))
    if np.abs(d).sum() < 1e-6 or np.abs(axis).sum() < 1e-6:
        return np.eye(3, dtype=np.float32)
    theta = math.acos(float(np.clip(d[0] / np.linalg.norm(d), -1.0, 1.0)))
    if abs(theta) < 1e-6:
        return np.eye(3, dtype=np.float32)
    k = axis / np.linalg.norm(axis)
    cross = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    rot = np.eye(3) + math.sin(theta) * cross + (1 - math.cos(theta)) * (cross @ cross)
    return rot.astype(np.float32)


def random_rot_matrix(alpha: float, beta: float, gamma: float) -> np.ndarray:
    """The authors' ``random_rot`` matrix R = Rz(γ)·Ry(β)·Rx(α) (float32), each factor the transpose of
    the usual right-handed rotation (docs/method.md#ntu-loader-formulas); applied as p ← R·p."""
    (ca, cb, cg), (sa, sb, sg) = np.cos([alpha, beta, gamma]), np.sin([alpha, beta, gamma])
    rx = np.array([[1, 0, 0], [0, ca, sa], [0, -sa, ca]])
    ry = np.array([[cb, 0, -sb], [0, 1, 0], [sb, 0, cb]])
    rz = np.array([[cg, sg, 0], [-sg, cg, 0], [0, 0, 1]])
    return (rz @ ry @ rx).astype(np.float32)


def random_rot_angles(rng: np.random.Generator, theta: float = ROT_THETA) -> tuple[float, float, float]:
    """Angles α, β, γ drawn in that order from U(−θ, θ), as the authors draw them (from torch's RNG)."""
    alpha, beta, gamma = rng.uniform(-theta, theta, size=3)
    return float(alpha), float(beta), float(gamma)


def rotate(x: np.ndarray, rot: np.ndarray) -> np.ndarray:
    """Apply p ← R·p to every point of ``x`` (C, T, V, M), keeping the dtype of ``x``."""
    c = x.shape[0]
    return (rot.astype(x.dtype) @ x.reshape(c, -1)).reshape(x.shape)


# --------------------------------------------------------------------------------------------------
# Streams


def to_bone(
    x: np.ndarray, parents: np.ndarray, absolute: int | None = None, confidence: bool = False
) -> np.ndarray:
    """Bone stream: joint minus its parent; joint ``absolute`` (if given) keeps its absolute position.

    The NTU feeder passes its centre joint (joint 21) as ``absolute`` because the authors overwrite bone 21
    with joint 21, so the stream carries the torso trajectory (docs/method.md#ntu-loader, step 7). A joint
    that is its own parent gets a zero bone. With ``confidence`` the last channel is a confidence, and a
    bone's confidence is the mean of its two joints' confidences (mmaction2's ``JointToBone``; the root's
    is its own), so it is never differenced.
    """
    bone = x - x[:, :, parents]
    if absolute is not None:
        bone[:, :, absolute] = x[:, :, absolute]
    if confidence:
        bone[-1] = (x[-1] + x[-1][:, parents]) / 2
    return bone


def centre_on_joint(x: np.ndarray, joint: int) -> np.ndarray:
    """Joint stream: subtract ``joint`` per frame and person, but keep that joint's absolute coordinates."""
    centred = x - x[:, :, joint : joint + 1]
    centred[:, :, joint] = x[:, :, joint]
    return centred


def motion(x: np.ndarray, confidence: bool = False) -> np.ndarray:
    """Forward difference along time, x[t] ← x[t + 1] − x[t], with the last frame set to zero.

    With ``confidence`` the last channel is a confidence: a motion's confidence is the mean of its two
    frames' confidences (mmaction2's ``ToMotion``), and the last frame is zero in every channel.
    """
    out = np.empty_like(x)
    np.subtract(x[:, 1:], x[:, :-1], out=out[:, :-1])
    out[:, -1] = 0
    if confidence:
        out[-1, :-1] = (x[-1, 1:] + x[-1, :-1]) / 2
    return out


# --------------------------------------------------------------------------------------------------
# Clip arrays: any layout, 2-D or 3-D, with or without confidence (docs/data.md#recipe-keys-for-preprocessing)


def person_present(x: np.ndarray) -> np.ndarray:
    """(T, M) booleans: whether a person has any non-zero value in a frame (zero frames are padding)."""
    return np.any(x != 0, axis=(0, 2))


def centre_persons(x: np.ndarray, joints: tuple[int, ...], spatial: int) -> np.ndarray:
    """Subtract each person's centre, averaged over the frames where the person is present.

    The centre of a frame is the mean of ``joints`` (the layout's ``centre_joints``: one joint, or the two
    hips of COCO-17); one point per person and clip is subtracted, so the body's path within the clip is
    kept. Only the ``spatial`` coordinate channels change (a confidence channel never does), and frames
    where the person is absent stay zero.
    """
    present = person_present(x)  # (T, M)
    centre = x[:spatial][:, :, list(joints)].astype(np.float64).mean(axis=2)  # (S, T, M)
    count = np.maximum(present.sum(axis=0), 1)  # (M,)
    mean = (centre * present).sum(axis=1) / count  # (S, M)
    out = x.copy()
    out[:spatial] -= (mean[:, None, None, :] * present[None, :, None, :]).astype(x.dtype)
    return out


def reference_length(x: np.ndarray, pairs: tuple[tuple[int, int], ...], spatial: int) -> float | None:
    """The mean length of the ``pairs`` bones (the layout's ``reference``) over frames and persons.

    A bone counts where both of its joints have non-zero coordinates (a missing joint of a pose estimator is
    all zeros, and an absent person is). None where no bone counts or the mean is zero: the clip is then
    not scaled.
    """
    if not pairs:
        return None
    first, second = ([pair[i] for pair in pairs] for i in (0, 1))
    a = x[:spatial][:, :, first].astype(np.float64)  # (S, T, P, M)
    b = x[:spatial][:, :, second].astype(np.float64)
    counted = np.any(a != 0, axis=0) & np.any(b != 0, axis=0)  # (T, P, M)
    if not counted.any():
        return None
    length = float(np.sqrt(((a - b) ** 2).sum(axis=0))[counted].mean())
    return length if length > 0 else None


def rotate_xy(x: np.ndarray, theta: float) -> np.ndarray:
    """Rotate the x, y channels of every point by ``theta`` radians (counter-clockwise); any z and the
    confidence are unchanged."""
    cos, sin = math.cos(theta), math.sin(theta)
    rot = np.array([[cos, -sin], [sin, cos]], dtype=x.dtype)
    out = x.copy()
    out[:2] = (rot @ x[:2].reshape(2, -1)).reshape(x[:2].shape)
    return out


def scale_spatial(x: np.ndarray, factor: float, spatial: int) -> np.ndarray:
    """Multiply the ``spatial`` coordinate channels by ``factor`` (zeros stay zero; confidence unchanged)."""
    out = x.copy()
    out[:spatial] *= x.dtype.type(factor)
    return out


# --------------------------------------------------------------------------------------------------
# NW-UCLA (docs/method.md#nw-ucla, docs/method.md#nw-ucla-loader-details)


def ucla_centre(x: np.ndarray, joint: int) -> np.ndarray:
    """Subtract the frame-0 position of ``joint`` (the layout's centre, NW-UCLA joint 2) from every point."""
    return x - x[:, 0:1, joint : joint + 1, 0:1]


def view_transform_matrix(ax_deg: float, ay_deg: float, scale: float) -> np.ndarray:
    """Column-form matrix s·Rx(ax)·Ry(ay) of the NW-UCLA view transform (standard right-handed rotations).

    The authors multiply row vectors by Ry'·Rx'·S with Rx', Ry' the transposed rotations, which is the same
    map (docs/method.md#nw-ucla-loader-details). Float64, as their feeder computes in float64.
    """
    ax, ay = math.radians(ax_deg), math.radians(ay_deg)
    rx = np.array([[1, 0, 0], [0, math.cos(ax), -math.sin(ax)], [0, math.sin(ax), math.cos(ax)]])
    ry = np.array([[math.cos(ay), 0, math.sin(ay)], [0, 1, 0], [-math.sin(ay), 0, math.cos(ay)]])
    return scale * (rx @ ry)


def minmax_normalise(x: np.ndarray) -> np.ndarray:
    """Scale each coordinate axis to [−1, 1] over all frames, joints and persons of ``x``.

    An axis with zero range (all points equal) maps to 0, the middle of the interval, where the authors'
    0/0 gives NaN; this can only happen for degenerate clips and keeps the output finite.
    """
    c = x.shape[0]
    flat = x.reshape(c, -1)
    low = flat.min(axis=1)
    span = flat.max(axis=1) - low
    safe = np.where(span > 0, span, 1)
    out = (flat - low[:, None]) / safe[:, None] * 2 - 1
    out[span == 0] = 0
    return out.reshape(x.shape)


def ucla_train_indices(frames: int, window: int, rng: np.random.Generator, repeats: int = 100) -> np.ndarray:
    """``window`` sorted frame indices drawn without replacement from the frame list repeated 100 times.

    Position q of the repeated list holds frame q mod T, so drawing positions is the authors'
    ``random.sample(list(range(T)) * 100, window)`` without building the list.
    """
    positions = rng.choice(frames * repeats, window, replace=False)
    return np.sort(positions % frames)


def ucla_test_indices(frames: int, window: int) -> np.ndarray:
    """``linspace(0, T − 1, window)`` truncated to int; all zeros for a one-frame clip."""
    return np.linspace(0, frames - 1, window).astype(np.intp)


def drop_axis(x: np.ndarray, rng: np.random.Generator, p: float = 0.5) -> np.ndarray:
    """With probability ``p``, zero one uniformly chosen coordinate axis for the whole clip (in place)."""
    if rng.random() < p:
        x[int(rng.integers(0, x.shape[0]))] = 0
    return x


def drop_joints(x: np.ndarray, rng: np.random.Generator, p: float = 0.5) -> np.ndarray:
    """With probability ``p``, zero 4–12 distinct random joints on 16–32 distinct random frames (in place).

    The zeroed set is the cross product of the chosen joints and frames, all axes and persons; the counts
    are capped at the clip's joint and frame counts so short windows work.
    """
    if rng.random() < p:
        _, t, v, _ = x.shape
        n_joints = min(int(rng.integers(DROP_JOINTS[0], DROP_JOINTS[1] + 1)), v)
        n_frames = min(int(rng.integers(DROP_FRAMES[0], DROP_FRAMES[1] + 1)), t)
        joints = rng.choice(v, n_joints, replace=False)
        frames = rng.choice(t, n_frames, replace=False)
        x[:, frames[:, None], joints[None, :]] = 0
    return x
