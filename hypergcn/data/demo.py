"""``hypergcn demo``: synthetic NTU RGB+D ``.skeleton`` files (rule ``make_demo_skeletons``).

Files are named ``SsssCcccPpppRrrrAaaa.skeleton`` and written in the exact NTU text format
(docs/method.md#ntu-skeleton-format): the frame count, then per frame the body count and per body the
10-value body line, the joint count 25 and 25 lines of 12 values (x y z in metres, depth and colour pixel
coordinates, a zero orientation quaternion, tracking state 2).

The body is a 25-joint Kinect v2 skeleton with realistic bone lengths (upper arm 0.28 m, forearm 0.25 m,
thigh 0.41 m, shin 0.42 m at height scale 1), animated by rotating limb chains about their joints. The class
decides the motion (8 primitives: raise right arm, wave left hand, lateral arm raise, right kick, squat,
bow, clap, two-person handshake; classes >= 8 reuse them mirrored and at other frequencies). Each sample
varies the subject's height (per performer), speed, phase, amplitude, the body's yaw, the camera
(azimuth per camera ID as in NTU: 0, +45, -45 degrees; distance and height per setup) and adds 6 mm
joint noise. Deterministic for a seed: every file has its own generator seeded by (seed, setup, camera,
performer, replication, action).

The awkward cases of the real data appear at fixed rates: a second actor (always in the two-person class,
a bystander in 15% of the other samples), actors that appear late, a bystander who is lost for a few frames
and re-acquired with the same bodyID (shifted interval), a bodyID switch of the main actor mid-sequence,
short-lived noisy bodies (<= 11 frames, dropped by the length filter), wide "noise" bodies the spread filter
drops, and frames with 0 bodies; lengths vary from 40 to 110 frames.

``style="real"`` writes real-sized files instead, for speed measurements (benchmarks/bench_preprocess.py):
what makes a real NTU file cost more to read than a demo file is its bytes, not its motion. Every number is
written as the Kinect SDK writes a float (up to 7 significant digits: ``0.2181153 0.1725972 3.785547
277.419 191.8218 1036.233 519.1677 -0.2059419 0.05349901 0.9692109 -0.1239193 2``, about 100 bytes per
joint line against about 50 in the default ``compact`` style), joint orientations are quaternions (zero
for the end joints, as the SDK writes them), a few joints are "inferred" (tracking state 1), body lines
carry hand states and lean values, lines end in CRLF, and lengths run from 32 to 300 frames (mean about
78) instead of 40-110. Real-sized files average about 262 KB, as copies of real NTU-60 files do. The motion,
the bodies and the awkward cases are the demo's.
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hypergcn.io import atomic_folder

log = logging.getLogger("hypergcn.data.demo")

# Kinect v2 / NTU joint order (0-based).
(SPINE_BASE, SPINE_MID, NECK, HEAD, L_SHOULDER, L_ELBOW, L_WRIST, L_HAND, R_SHOULDER, R_ELBOW, R_WRIST, R_HAND,
 L_HIP, L_KNEE, L_ANKLE, L_FOOT, R_HIP, R_KNEE, R_ANKLE, R_FOOT, SPINE_SHOULDER, L_TIP, L_THUMB, R_TIP,
 R_THUMB) = range(25)  # fmt: skip

# Rest pose of a 1.70 m person in the body frame: x = the subject's left, y = up (floor at 0), z = forward.
_LEFT_ARM = {L_SHOULDER: (0.18, 1.42, 0.0), L_ELBOW: (0.20, 1.14, 0.0), L_WRIST: (0.21, 0.89, 0.02),
             L_HAND: (0.215, 0.82, 0.03), L_TIP: (0.22, 0.74, 0.03), L_THUMB: (0.19, 0.81, 0.07)}  # fmt: skip
_LEFT_LEG = {L_HIP: (0.09, 0.93, 0.0), L_KNEE: (0.10, 0.52, 0.01), L_ANKLE: (0.10, 0.10, -0.01),
             L_FOOT: (0.10, 0.04, 0.11)}  # fmt: skip
_MIRROR = {L_SHOULDER: R_SHOULDER, L_ELBOW: R_ELBOW, L_WRIST: R_WRIST, L_HAND: R_HAND, L_TIP: R_TIP,
           L_THUMB: R_THUMB, L_HIP: R_HIP, L_KNEE: R_KNEE, L_ANKLE: R_ANKLE, L_FOOT: R_FOOT}  # fmt: skip


def _rest_pose() -> np.ndarray:
    pose = np.zeros((25, 3))
    pose[SPINE_BASE] = (0.0, 0.98, -0.02)
    pose[SPINE_MID] = (0.0, 1.22, -0.03)
    pose[SPINE_SHOULDER] = (0.0, 1.44, -0.02)
    pose[NECK] = (0.0, 1.52, 0.0)
    pose[HEAD] = (0.0, 1.62, 0.02)
    for joint, xyz in {**_LEFT_ARM, **_LEFT_LEG}.items():
        pose[joint] = xyz
        pose[_MIRROR[joint]] = (-xyz[0], xyz[1], xyz[2])
    return pose


REST_POSE = _rest_pose()
# Swap left and right joints (mirrored classes).
_SWAP = np.arange(25)
for _left, _right in _MIRROR.items():
    _SWAP[_left], _SWAP[_right] = _right, _left

ARM = {"L": [L_ELBOW, L_WRIST, L_HAND, L_TIP, L_THUMB], "R": [R_ELBOW, R_WRIST, R_HAND, R_TIP, R_THUMB]}
FOREARM = {"L": [L_WRIST, L_HAND, L_TIP, L_THUMB], "R": [R_WRIST, R_HAND, R_TIP, R_THUMB]}
SHOULDER = {"L": L_SHOULDER, "R": R_SHOULDER}
ELBOW = {"L": L_ELBOW, "R": R_ELBOW}
LEG = {"L": [L_KNEE, L_ANKLE, L_FOOT], "R": [R_KNEE, R_ANKLE, R_FOOT]}
SHIN = {"L": [L_ANKLE, L_FOOT], "R": [R_ANKLE, R_FOOT]}
HIP = {"L": L_HIP, "R": R_HIP}
KNEE = {"L": L_KNEE, "R": R_KNEE}
UPPER_BODY = [SPINE_MID, NECK, HEAD, SPINE_SHOULDER, L_SHOULDER, R_SHOULDER, *ARM["L"], *ARM["R"]]

PRIMITIVES = (
    "raise_right_arm",
    "wave_left_hand",
    "arms_sideways",
    "kick_right_leg",
    "squat",
    "bow",
    "clap",
    "handshake",
)
TWO_PERSON = {"handshake"}


def _rotation(axis: str, angle: np.ndarray) -> np.ndarray:
    """Rotation matrices (T, 3, 3) about a body axis by ``angle`` (T,) radians (right-handed)."""
    c, s = np.cos(angle), np.sin(angle)
    one, zero = np.ones_like(angle), np.zeros_like(angle)
    if axis == "x":
        rows = [[one, zero, zero], [zero, c, -s], [zero, s, c]]
    elif axis == "y":
        rows = [[c, zero, s], [zero, one, zero], [-s, zero, c]]
    else:
        rows = [[c, -s, zero], [s, c, zero], [zero, zero, one]]
    return np.moveaxis(np.array(rows), (0, 1), (1, 2))


def _rotate(pose: np.ndarray, joints: Sequence[int], pivot: int, axis: str, angle: np.ndarray) -> None:
    """Rotate ``joints`` of every frame of ``pose`` (T, 25, 3) about joint ``pivot`` in place."""
    origin = pose[:, pivot : pivot + 1]
    rot = _rotation(axis, angle)
    pose[:, joints] = origin + np.einsum("tij,tkj->tki", rot, pose[:, joints] - origin)


def _cycle(t: np.ndarray, cycles: float, phase: float) -> np.ndarray:
    """0 -> 1 -> 0 bumps, ``cycles`` per clip."""
    return 0.5 * (1.0 - np.cos(2 * np.pi * (cycles * t + phase)))


def _ramp(t: np.ndarray, width: float = 0.15) -> np.ndarray:
    return np.clip(t / width, 0.0, 1.0)


def animate(
    primitive: str, t: np.ndarray, speed: float, phase: float, amp: float, role: int = 0
) -> np.ndarray:
    """Body-frame poses (T, 25, 3) of one primitive; ``t`` runs from 0 to 1 over the clip."""
    pose = np.repeat(REST_POSE[None], len(t), axis=0)
    deg = np.pi / 180.0 * amp
    if primitive == "raise_right_arm":
        s = _cycle(t, 1.0 * speed, phase)
        _rotate(pose, FOREARM["R"], ELBOW["R"], "x", -20 * deg * s)
        _rotate(pose, ARM["R"], SHOULDER["R"], "x", -150 * deg * s)
    elif primitive == "wave_left_hand":
        up = _ramp(t)
        wave = np.sin(2 * np.pi * (3.5 * speed * t + phase))
        _rotate(pose, FOREARM["L"], ELBOW["L"], "z", (95 * up + 30 * wave * up) * deg)
        _rotate(pose, ARM["L"], SHOULDER["L"], "z", 80 * deg * up)
    elif primitive == "arms_sideways":
        s = _cycle(t, 2.0 * speed, phase)
        _rotate(pose, ARM["L"], SHOULDER["L"], "z", 85 * deg * s)
        _rotate(pose, ARM["R"], SHOULDER["R"], "z", -85 * deg * s)
    elif primitive == "kick_right_leg":
        s = _cycle(t, 2.0 * speed, phase)
        _rotate(pose, SHIN["R"], KNEE["R"], "x", 40 * deg * (1 - s) * s * 4)
        _rotate(pose, LEG["R"], HIP["R"], "x", -75 * deg * s)
    elif primitive == "squat":
        s = _cycle(t, 2.0 * speed, phase)
        for side in "LR":
            _rotate(pose, SHIN[side], KNEE[side], "x", 95 * deg * s)
            _rotate(pose, LEG[side], HIP[side], "x", -75 * deg * s)
            _rotate(pose, ARM[side], SHOULDER[side], "x", -70 * deg * s)
        # keep the feet on the floor: move everything but the feet by the ankles' rise
        drop = pose[:, L_ANKLE, 1] - REST_POSE[L_ANKLE, 1]
        pose[:, :, 1] -= drop[:, None]
        pose[:, :, 2] -= (pose[:, L_ANKLE, 2] - REST_POSE[L_ANKLE, 2])[:, None]
    elif primitive == "bow":
        s = _cycle(t, 1.0 * speed, phase)
        _rotate(pose, UPPER_BODY, SPINE_BASE, "x", 60 * deg * s)
    elif primitive == "clap":
        up = _ramp(t)
        s = _cycle(t, 4.0 * speed, phase)
        for side, sign in (("L", -1), ("R", 1)):
            _rotate(pose, FOREARM[side], ELBOW[side], "x", -40 * deg * up)
            _rotate(pose, ARM[side], SHOULDER[side], "x", -70 * deg * up)
            _rotate(pose, ARM[side], SHOULDER[side], "y", sign * (5 + 30 * s) * deg * up)
    elif primitive == "handshake":
        s = _cycle(t, 1.0 * speed, phase)
        _rotate(pose, FOREARM["R"], ELBOW["R"], "x", -30 * deg * s)
        _rotate(pose, ARM["R"], SHOULDER["R"], "x", -60 * deg * s)
        pose[:, :, 2] += (0.35 if role == 0 else 0.1) * _ramp(t, 0.5)[:, None]  # step towards the partner
    else:
        raise ValueError(f"unknown primitive {primitive!r}")
    return pose


@dataclass(frozen=True)
class Camera:
    azimuth: float  # radians, around the vertical axis through the scene centre
    distance: float
    height: float


def _to_camera(world: np.ndarray, camera: Camera) -> np.ndarray:
    """World (floor y = 0, scene centre at the origin) -> Kinect camera space (x, y, z = depth)."""
    a = camera.azimuth
    position = np.array([camera.distance * np.sin(a), camera.height, camera.distance * np.cos(a)])
    forward = -np.array([np.sin(a), 0.0, np.cos(a)])
    up = np.array([0.0, 1.0, 0.0])
    left = np.cross(up, forward)
    rel = world - position
    return np.stack([rel @ left, rel @ up, rel @ forward], axis=-1)


def _place(pose: np.ndarray, yaw: float, x: float, z: float, scale: float) -> np.ndarray:
    """Body frame -> world: scale, turn by ``yaw`` about the vertical axis, move to (x, 0, z)."""
    c, s = np.cos(yaw), np.sin(yaw)
    rot = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
    return (pose * scale) @ rot.T + np.array([x, 0.0, z])


_BODY_LINE = "%d 0 1 1 1 1 0 %.5f %.5f 2\n"
_JOINT_LINE = "%.4f %.4f %.4f %.1f %.1f %.1f %.1f 0 0 0 0 2\n"
_JOINT_BLOCK = "25\n" + _JOINT_LINE * 25
# The real-sized style: every float with up to 7 significant digits (the Kinect SDK's float format), CRLF.
_NTU_BODY_LINE = "%d 0 1 %d 1 %d 0 %.7g %.7g 2\r\n"
_NTU_JOINT_BLOCK = "25\r\n" + ("%.7g " * 11 + "%d\r\n") * 25
# Kinect v2 joint tree (parent of each joint; the spine base's is the spine middle) and the end joints, whose
# orientation the SDK reports as 0 0 0 0.
_PARENT = np.array([1, 0, 20, 2, 20, 4, 5, 6, 20, 8, 9, 10, 0, 12, 13, 14, 0, 16, 17, 18, 1, 7, 7, 11, 11])
_LEAVES = [HEAD, L_FOOT, R_FOOT, L_TIP, L_THUMB, R_TIP, R_THUMB]
# Gamma-distributed lengths (shape, scale): mean about 78 frames, clipped to 32-300, which with the
# demo's bodies gives files of about 262 KB on average, as measured on copies of real NTU-60 files.
_NTU_LENGTH_SHAPE, _NTU_LENGTH_SCALE = 5.0, 15.6
STYLES = ("compact", "real")  # the demo's files; real-sized ones


def _joint_block(cam: np.ndarray) -> str:
    """25 joint lines for one body in one frame (camera-space xyz, projected depth and colour pixels)."""
    x, y, z = cam[:, 0], cam[:, 1], np.maximum(cam[:, 2], 0.5)
    values = np.stack(
        [
            cam[:, 0],
            cam[:, 1],
            cam[:, 2],
            256 + 365.5 * x / z,
            212 - 365.5 * y / z,
            960 + 1064 * x / z,
            540 - 1064 * y / z,
        ],
        axis=1,
    )
    return _JOINT_BLOCK % tuple(values.ravel().tolist())


@dataclass
class _Track:
    body_id: int
    frames: np.ndarray  # frame indices where the body is present
    cam: np.ndarray  # (len(frames), 25, 3) camera-space joints
    lean: tuple[float, float]


_NOISE = 0.006  # joint noise (m) of every tracked person
_ACTOR_LEAN = (0.02, 0.05)


@dataclass
class _Scene:
    """What the bodies of one sample share: the clock, the class's motion, the camera and the generator."""

    primitive: str
    mirrored: bool
    speed: float
    phase: float
    amp: float
    length: int
    height: float  # the performer's scale
    camera: Camera
    ids: Iterator[int]
    rng: np.random.Generator

    @property
    def t(self) -> np.ndarray:
        return np.arange(self.length) / (self.length - 1)

    def observe(self, world: np.ndarray) -> np.ndarray:
        """Camera-space joints of world points, with the tracker's joint noise."""
        return _to_camera(world, self.camera) + self.rng.normal(0.0, _NOISE, world.shape)

    def person(
        self, prim: str, role: int, yaw: float, x: float, z: float, scale: float, frames: np.ndarray
    ) -> np.ndarray:
        """Camera-space joints of one performer of the class's motion on ``frames``."""
        pose = animate(prim, self.t, self.speed, self.phase + 0.1 * role, self.amp, role)
        if self.mirrored:
            pose = pose[:, _SWAP] * np.array([-1.0, 1.0, 1.0])
        return self.observe(_place(pose[frames], yaw, x, z, scale))


def _length(rng: np.random.Generator, style: str) -> int:
    """Frames of one sample: 40-110 (demo), or NTU-like (32-300, mean about 85, a long right tail)."""
    if style == "compact":
        return int(rng.integers(40, 111))
    return int(np.clip(round(rng.gamma(_NTU_LENGTH_SHAPE, _NTU_LENGTH_SCALE)), 32, 300))


def _scene(
    action: int,
    subject: int,
    camera_id: int,
    setup: int,
    seed: int,
    rng: np.random.Generator,
    style: str = "compact",
) -> _Scene:
    """The class's primitive and variant, the sample's speed, phase, amplitude and length, and the camera."""
    primitive = PRIMITIVES[(action - 1) % len(PRIMITIVES)]
    variant = (action - 1) // len(PRIMITIVES)
    speed = (1.0 + 0.5 * variant) * rng.uniform(0.8, 1.25)
    phase = rng.uniform(0.0, 0.15)
    amp = rng.uniform(0.85, 1.15)
    length = _length(rng, style)
    height = np.random.default_rng([seed, 7919, subject]).uniform(0.88, 1.12)
    setup_rng = np.random.default_rng([seed, 104729, setup])
    azimuth = {1: 0.0, 2: 45.0, 3: -45.0}.get(camera_id, 0.0) + rng.normal(0.0, 3.0)
    camera = Camera(np.radians(azimuth), setup_rng.uniform(2.8, 3.4), setup_rng.uniform(0.9, 1.2))
    ids = iter(rng.choice(np.arange(931000, 999999), size=16, replace=False) + 72057594037000000)
    return _Scene(primitive, variant % 2 == 1, speed, phase, amp, length, height, camera, ids, rng)


def _handshake_tracks(scene: _Scene, body_yaw: float) -> list[_Track]:
    """The two-person class: both actors face each other; the partner sometimes appears late."""
    rng, everything = scene.rng, np.arange(scene.length)
    start = int(rng.integers(5, 26)) if rng.random() < 0.3 else 0
    partner = everything[start:]
    first = _Track(
        next(scene.ids),
        everything,
        scene.person(scene.primitive, 0, np.pi / 2 + body_yaw, -0.65, 0.0, scene.height, everything),
        _ACTOR_LEAN,
    )
    second = _Track(
        next(scene.ids),
        partner,
        scene.person(scene.primitive, 1, -np.pi / 2 + body_yaw, 0.65, 0.0, rng.uniform(0.88, 1.12), partner),
        (-0.01, 0.04),
    )
    return [first, second]


def _actor_tracks(scene: _Scene, body_yaw: float) -> list[_Track]:
    """One actor, whose bodyID the tracker sometimes switches mid-sequence."""
    rng, everything = scene.rng, np.arange(scene.length)
    x0, z0 = rng.uniform(-0.3, 0.3), rng.uniform(-0.3, 0.3)
    main = scene.person(scene.primitive, 0, body_yaw, x0, z0, scene.height, everything)
    if rng.random() < 0.1:  # the tracker loses the actor and re-acquires it with a new bodyID
        cut = int(rng.integers(scene.length // 3, 2 * scene.length // 3))
        return [
            _Track(next(scene.ids), everything[:cut], main[:cut], _ACTOR_LEAN),
            _Track(next(scene.ids), everything[cut:], main[cut:], _ACTOR_LEAN),
        ]
    return [_Track(next(scene.ids), everything, main, _ACTOR_LEAN)]


def _bystander(scene: _Scene) -> _Track:
    """A person standing aside, sometimes appearing late, sometimes briefly lost (same bodyID after)."""
    rng, length = scene.rng, scene.length
    start = int(rng.integers(1, length // 3)) if rng.random() < 0.5 else 0
    frames = np.arange(length)[start:]
    if rng.random() < 0.3 and len(frames) > 30:
        gap = int(rng.integers(10, len(frames) - 10))
        frames = np.concatenate([frames[:gap], frames[gap + int(rng.integers(3, 7)) :]])
    pose = np.repeat(REST_POSE[None], length, axis=0)
    pose[:, :, 0] += 0.02 * np.sin(2 * np.pi * 0.7 * scene.t)[:, None]
    side = rng.choice([-1.0, 1.0])
    world = _place(pose[frames], rng.normal(0.0, 0.3), side * 1.1, -0.6, rng.uniform(0.9, 1.1))
    return _Track(next(scene.ids), frames, scene.observe(world), (0.0, 0.03))


def _noise_tracks(scene: _Scene) -> list[_Track]:
    """Bodies the denoising must drop: short-lived ones (length filter) and a wide, flat one (spread filter)."""
    rng, length = scene.rng, scene.length
    tracks = []
    if rng.random() < 0.25:  # short-lived noisy bodies (<= 11 frames): the length filter drops them
        for _ in range(int(rng.integers(1, 3))):
            n = int(rng.integers(2, 12))
            start = int(rng.integers(0, length - n))
            frames = np.arange(start, start + n)
            blob = REST_POSE * rng.uniform(0.5, 1.1) + rng.normal(0.0, 0.05, (n, 25, 3))
            world = blob + np.array([rng.uniform(-1.5, 1.5), 0.0, rng.uniform(-1.0, 0.5)])
            tracks.append(_Track(next(scene.ids), frames, _to_camera(world, scene.camera), (0.1, -0.2)))
    if rng.random() < 0.12:  # a wide, flat "body" (furniture, reflections): the spread filter drops it
        n = int(rng.integers(15, min(41, length - 1)))
        start = int(rng.integers(1, length - n + 1))
        frames = np.arange(start, start + n)
        flat = np.stack(
            [rng.uniform(-0.8, 0.8, (n, 25)), rng.uniform(0.6, 0.9, (n, 25)), rng.normal(0.0, 0.05, (n, 25))],
            axis=-1,
        )
        world = flat + np.array([rng.uniform(-1.0, 1.0), 0.0, rng.uniform(-1.5, -0.5)])
        tracks.append(_Track(next(scene.ids), frames, _to_camera(world, scene.camera), (0.3, -0.4)))
    return tracks


def sample_tracks(scene: _Scene) -> tuple[int, list[_Track], np.ndarray]:
    """Bodies of one sample: (number of frames, tracks, frames forced to 0 bodies)."""
    rng = scene.rng
    body_yaw = np.radians(rng.normal(0.0, 10.0))
    if scene.primitive in TWO_PERSON:
        tracks = _handshake_tracks(scene, body_yaw)
    else:
        tracks = _actor_tracks(scene, body_yaw)
        if rng.random() < 0.15:
            tracks.append(_bystander(scene))
    tracks += _noise_tracks(scene)
    empty = np.zeros(0, dtype=np.int64)
    if rng.random() < 0.15:  # frames in which the sensor reports no body at all
        empty = rng.choice(scene.length, size=int(rng.integers(1, 5)), replace=False)
    return scene.length, tracks, empty


def _ntu_joint_block(cam: np.ndarray) -> str:
    """25 joint lines as the Kinect SDK writes them: 11 floats of up to 7 significant digits and a state.

    Orientations are unit quaternions that follow the bone towards each joint's parent (zero for the end
    joints, as in the real files); about one joint in twenty is "inferred" (state 1).
    """
    x, y, z = cam[:, 0], cam[:, 1], np.maximum(cam[:, 2], 0.5)
    bone = cam - cam[_PARENT]
    quat = np.concatenate(
        [1.0 + np.abs(bone[:, 1:2]), bone[:, [0, 2, 1]] * np.array([1.0, -1.0, 0.5])], axis=1
    )
    quat /= np.linalg.norm(quat, axis=1, keepdims=True)
    quat[_LEAVES] = 0.0
    state = np.where((np.abs(cam[:, 0]) * 1e4).astype(np.int64) % 20 == 0, 1.0, 2.0)
    pixels = [256 + 365.5 * x / z, 212 - 365.5 * y / z, 960 + 1064 * x / z, 540 - 1064 * y / z]
    values = np.column_stack([cam, *pixels, quat, state])
    values[values == 0] = 0.0  # no "-0": the SDK writes 0
    return _NTU_JOINT_BLOCK % tuple(values.ravel().tolist())


def _frame_bodies(tracks: list[_Track], present: list[dict[int, int]], f: int) -> list[tuple[_Track, int]]:
    return [(track, present[k][f]) for k, track in enumerate(tracks) if f in present[k]]


def skeleton_text(length: int, tracks: list[_Track], empty: np.ndarray, style: str = "compact") -> str:
    """The ``.skeleton`` text of one sample (module docstring for the two styles)."""
    present = [dict(zip(track.frames.tolist(), range(len(track.frames)), strict=True)) for track in tracks]
    empty_set = set(empty.tolist())
    real = style == "real"
    end = "\r\n" if real else "\n"
    out = [f"{length}{end}"]
    for f in range(length):
        bodies = [] if f in empty_set else _frame_bodies(tracks, present, f)
        out.append(f"{len(bodies)}{end}")
        for track, row in bodies:
            if real:  # lean values wander a little from frame to frame, as the tracker reports them
                wobble = 0.004 * np.sin(0.37 * f + 0.1 + (track.body_id % 97) / 13)
                lean = (track.lean[0] + wobble, track.lean[1] - wobble)
                hands = (1 + track.body_id % 3, 1 + (track.body_id + f // 20) % 3)
                out.append(_NTU_BODY_LINE % (track.body_id, hands[0], hands[1], *lean))
                out.append(_ntu_joint_block(track.cam[row]))
            else:
                out.append(_BODY_LINE % (track.body_id, *track.lean))
                out.append(_joint_block(track.cam[row]))
    return "".join(out)


def demo_names(
    num_class: int = 8,
    setups: Sequence[str] = ("S001", "S002"),
    subjects: Sequence[int] = (1, 2, 3, 4, 5, 6),
    repetitions: int = 2,
    cameras: Sequence[int] = (1, 2),
) -> list[str]:
    """The sample names the demo writes, sorted."""
    return sorted(
        f"{setup}C{camera:03d}P{subject:03d}R{rep:03d}A{action:03d}"
        for setup in setups
        for camera in cameras
        for subject in subjects
        for rep in range(1, repetitions + 1)
        for action in range(1, num_class + 1)
    )


def write_sample(folder: str | os.PathLike, name: str, seed: int = 0, style: str = "compact") -> Path:
    """Write one sample ``<name>.skeleton`` (any NTU name); its content depends on (seed, name, style) only."""
    setup, camera, subject, rep, action = (int(name[k + 1 : k + 4]) for k in (0, 4, 8, 12, 16))
    rng = np.random.default_rng([seed, setup, camera, subject, rep, action])
    length, tracks, empty = sample_tracks(_scene(action, subject, camera, setup, seed, rng, style))
    path = Path(folder) / f"{name}.skeleton"
    path.write_bytes(skeleton_text(length, tracks, empty, style).encode())
    return path


def make_demo_skeletons(
    out_dir: str | os.PathLike,
    seed: int = 0,
    num_class: int = 8,
    setups: Sequence[str] = ("S001", "S002"),
    subjects: Sequence[int] = (1, 2, 3, 4, 5, 6),
    repetitions: int = 2,
    cameras: Sequence[int] = (1, 2),
    overwrite: bool = False,
    style: str = "compact",
) -> list[Path]:
    """Write the demo ``.skeleton`` files into ``out_dir`` (created atomically); returns their paths."""
    if style not in STYLES:
        raise ValueError(f"style must be one of {STYLES}, not {style!r}")
    with atomic_folder(out_dir, overwrite) as tmp:
        for name in demo_names(num_class, setups, subjects, repetitions, cameras):
            write_sample(tmp, name, seed, style)
    return sorted(Path(out_dir).glob("*.skeleton"))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--output", required=True, help="folder to create (results/raw/demo)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--num-class", type=int, default=8)
    parser.add_argument("--setups", nargs="+", default=["S001", "S002"])
    parser.add_argument("--subjects", nargs="+", type=int, default=[1, 2, 3, 4, 5, 6])
    parser.add_argument("--repetitions", type=int, default=2)
    parser.add_argument("--cameras", nargs="+", type=int, default=[1, 2])
    parser.add_argument(
        "--overwrite", action="store_true", help="replace an existing, non-empty output folder"
    )
    parser.add_argument(
        "--style", choices=STYLES, default="compact", help="real: real-sized files, for speed measurements"
    )


def run(args: argparse.Namespace) -> int:
    paths = make_demo_skeletons(
        args.output,
        seed=args.seed,
        num_class=args.num_class,
        setups=args.setups,
        subjects=args.subjects,
        repetitions=args.repetitions,
        cameras=args.cameras,
        overwrite=args.overwrite,
        style=args.style,
    )
    size = sum(p.stat().st_size for p in paths)
    log.info("wrote %d demo .skeleton files (%.1f MB) to %s", len(paths), size / 1e6, args.output)
    return 0
