"""``hypergcn demo-clips``: synthetic COCO-17 keypoint clips in the generic per-clip array format.

What common pose estimators (OpenPose, HRNet, RTMPose) output for a video: per frame and person the 17
COCO keypoints as pixel coordinates with a confidence. The raw format is ``clip_arrays``
(docs/data.md, :mod:`hypergcn.data.clip_arrays`): one ``<clip>.npz`` per clip holding ``keypoints``,
float32 (T, M, V, 3) with channels x, y (pixels of a 1920x1080 image) and confidence, and a
``manifest.csv`` with the columns clip, label (the action code of ``coco17_actions.tsv``), subject and
repetition. A clip with one person is written (T, V, 3), one with two (T, 2, V, 3): both shapes of the
format occur.

The motion is the NTU demo's (:mod:`hypergcn.data.demo`): a 25-joint body with realistic bone lengths,
animated by rotating limb chains, placed in the world, seen by a camera. Its joints map onto COCO-17 (the
face joints are offsets from the head in a head frame built from the neck and the shoulders) and a pinhole
camera projects them to pixels. The classes are distinct motions (:data:`MOTIONS`; the first five are the
package's declaration, ``coco17.yaml``): waving one hand, squatting, jumping, and the two-person
handshake and push. The variation that keeps them from being trivial: per subject the body size and width,
tempo, amplitude, handedness (which hand waves, which foot kicks) and position; per clip the speed, phase,
body yaw, camera azimuth, distance, height and focal length, and the length (40-100 frames).

What a pose estimator gets wrong is there too: pixel jitter that grows as the confidence falls (the
confidence is lower for the wrists, ankles and face, for fast-moving joints and at random slow-varying
moments), missing joints with coordinates and confidence 0 (occlusion runs of a few frames, the far eye and
ear of a person seen in profile, joints outside the image when the camera is close, frames in which the
person is not detected), and in about a third of the one-person clips a low-confidence bystander who may
come late, leave early or have the legs hidden. Persons appear in no fixed order (the bystander is
sometimes the first person, either partner of an interaction may be).

Every clip depends on (seed, clip name) only (like :func:`hypergcn.data.demo.write_sample`): its
generator is seeded by (seed, subject, action, repetition) from the name ``P<subject>A<action>R<rep>``,
the subject's traits by (seed, subject), and the ``.npz`` files are written without time stamps, so the
same seed gives the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from importlib import resources
from pathlib import Path

import numpy as np

from hypergcn.data import demo as ntu
from hypergcn.data.demo import ARM, ELBOW, FOREARM, REST_POSE, SHOULDER, Camera, animate
from hypergcn.io import atomic_folder

JOINTS = (
    "nose", "left eye", "right eye", "left ear", "right ear",
    "left shoulder", "right shoulder", "left elbow", "right elbow", "left wrist", "right wrist",
    "left hip", "right hip", "left knee", "right knee", "left ankle", "right ankle",
)  # fmt: skip
(NOSE, L_EYE, R_EYE, L_EAR, R_EAR, L_SHOULDER, R_SHOULDER, L_ELBOW, R_ELBOW, L_WRIST, R_WRIST, L_HIP, R_HIP,
 L_KNEE, R_KNEE, L_ANKLE, R_ANKLE) = range(17)  # fmt: skip
IMAGE = (1920, 1080)  # width, height in pixels
MANIFEST_COLUMNS = ("clip", "label", "subject", "repetition")
LENGTHS = (40, 100)  # frames, both included
_NAME = re.compile(r"P(\d{3})A(\d{2})R(\d{2})$")

# COCO-17 body joints from the Kinect joints (the face joints, 0-4, come from the head frame).
_BODY_FROM_NTU = (ntu.L_SHOULDER, ntu.R_SHOULDER, ntu.L_ELBOW, ntu.R_ELBOW, ntu.L_WRIST, ntu.R_WRIST,
                  ntu.L_HIP, ntu.R_HIP, ntu.L_KNEE, ntu.R_KNEE, ntu.L_ANKLE, ntu.R_ANKLE)  # fmt: skip
# Face joints in the head frame (metres: to the person's left, up, forward) from the Kinect head joint.
_FACE = np.array([(0.0, -0.03, 0.10), (0.035, 0.0, 0.085), (-0.035, 0.0, 0.085), (0.075, -0.02, 0.0),
                  (-0.075, -0.02, 0.0)])  # fmt: skip
# How hard each joint is for a pose estimator (0: easy): the extremities and the face are the hardest.
_DIFFICULTY = np.array([0.15, 0.15, 0.15, 0.2, 0.2, 0.05, 0.05, 0.15, 0.15, 0.25, 0.25, 0.1, 0.1, 0.15, 0.15,
                        0.2, 0.2])  # fmt: skip
_OCCLUDED = _DIFFICULTY / _DIFFICULTY.sum()  # which joints occlusion runs hide


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def to_coco(pose: np.ndarray) -> np.ndarray:
    """COCO-17 joints (T, 17, 3) of Kinect-25 body-frame poses (T, 25, 3) (x left, y up, z forward)."""
    up = _unit(pose[:, ntu.HEAD] - pose[:, ntu.NECK])
    forward = _unit(np.cross(pose[:, ntu.L_SHOULDER] - pose[:, ntu.R_SHOULDER], up))
    left = np.cross(up, forward)
    face = pose[:, ntu.HEAD, None] + np.einsum("fk,tkc->tfc", _FACE, np.stack([left, up, forward], axis=1))
    return np.concatenate([face, pose[:, list(_BODY_FROM_NTU)]], axis=1)


def _jump(t: np.ndarray, speed: float, phase: float, amp: float, role: int = 0) -> np.ndarray:
    """Two jumps: a crouch (a shallow squat), then the take-off with the arms swung up, feet off the floor."""
    pose = animate("squat", t, speed, phase, 0.45 * amp)
    theta = 2 * np.pi * (2.0 * speed * t + phase)  # the squat's clock: deepest crouch at theta = pi
    lift = np.clip(-np.sin(theta), 0.0, None) * (1.0 - ntu._cycle(t, 2.0 * speed, phase))
    lift /= max(lift.max(), 1e-9)
    for side in "LR":
        ntu._rotate(pose, ARM[side], SHOULDER[side], "x", -np.radians(150 * amp) * lift)
    pose[:, :, 1] += 0.3 * amp * lift[:, None]
    return pose


def _push(t: np.ndarray, speed: float, phase: float, amp: float, role: int = 0) -> np.ndarray:
    """Role 0 steps in and pushes with both arms; role 1, hit, stumbles back leaning back, arms out."""
    pose = np.repeat(REST_POSE[None], len(t), axis=0)
    deg = np.radians(amp)
    shove = ntu._cycle(t, speed, phase)
    if role == 0:
        for side in "LR":
            ntu._rotate(pose, FOREARM[side], ELBOW[side], "x", -70 * deg * (1.0 - shove) * ntu._ramp(t, 0.2))
            ntu._rotate(pose, ARM[side], SHOULDER[side], "x", -80 * deg * ntu._ramp(t, 0.2))
        pose[:, :, 2] += 0.3 * shove[:, None]
        return pose
    hit = ntu._cycle(np.clip(t - 0.08, 0.0, None), speed, phase)  # the push lands a little later
    ntu._rotate(pose, ntu.UPPER_BODY, ntu.SPINE_BASE, "x", -20 * deg * hit)
    for side, sign in (("L", 1.0), ("R", -1.0)):
        ntu._rotate(pose, ARM[side], SHOULDER[side], "z", sign * 35 * deg * hit)
    pose[:, :, 2] -= 0.4 * hit[:, None]
    return pose


@dataclass(frozen=True)
class Motion:
    """One class: its action code and name, how many persons perform it, and its animation.

    ``animate(t, speed, phase, amp, role)`` returns body-frame Kinect-25 poses (T, 25, 3); ``lateral``
    motions use one side of the body, the subject's preferred one (mirrored for the other handedness).
    """

    code: str
    name: str
    persons: int
    animate: Callable[..., np.ndarray]
    lateral: bool = False


# code -> (persons, animation, lateral); the action file (``hypergcn/resources/coco17_actions.tsv``, which
# the declaration reads) owns the codes' order and names.
_ANIMATIONS: dict[str, tuple[int, Callable[..., np.ndarray], bool]] = {
    "A01": (1, partial(animate, "wave_left_hand"), True),
    "A02": (1, partial(animate, "squat"), False),
    "A03": (1, _jump, False),
    "A04": (2, partial(animate, "handshake"), False),
    "A05": (2, _push, False),
    "A06": (1, partial(animate, "kick_right_leg"), True),
    "A07": (1, partial(animate, "bow"), False),
    "A08": (1, partial(animate, "clap"), False),
}
ACTIONS_FILE = "coco17_actions.tsv"


def _motions() -> tuple[Motion, ...]:
    text = resources.files("hypergcn.resources").joinpath(ACTIONS_FILE).read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines(), delimiter="\t"))
    return tuple(Motion(row["code"], row["name"], *_ANIMATIONS[row["code"]]) for row in rows)


MOTIONS: tuple[Motion, ...] = _motions()  # in label order


@dataclass(frozen=True)
class Subject:
    """What stays the same across one performer's clips."""

    scale: float  # body height factor (1: 1.70 m)
    width: float  # shoulder and hip width factor
    tempo: float
    amp: float
    left_handed: bool
    x: float  # where the performer stands (metres, world)
    z: float


def subject_traits(seed: int, subject: int) -> Subject:
    """The traits of one subject, from (seed, subject) only."""
    rng = np.random.default_rng([seed, 7919, subject])
    return Subject(
        scale=rng.uniform(0.85, 1.15),
        width=rng.uniform(0.9, 1.12),
        tempo=rng.uniform(0.8, 1.25),
        amp=rng.uniform(0.8, 1.15),
        left_handed=bool(rng.random() < 0.3),
        x=rng.uniform(-0.5, 0.5),
        z=rng.uniform(-0.4, 0.4),
    )


def clip_name(subject: int, action: int, repetition: int) -> str:
    return f"P{subject:03d}A{action:02d}R{repetition:02d}"


def _parse_name(name: str) -> tuple[int, int, int]:
    match = _NAME.search(name)
    if match is None:
        raise ValueError(f"clip name {name!r} does not end in P<subject:3>A<action:2>R<repetition:2>")
    return int(match[1]), int(match[2]), int(match[3])


@dataclass
class _Shot:
    """What the persons of one clip share: the clock, the motion's timing and the camera."""

    t: np.ndarray
    speed: float
    phase: float
    amp: float
    camera: Camera
    focal: float
    rng: np.random.Generator


def _shot(subject: Subject, rng: np.random.Generator) -> _Shot:
    """Length, timing and camera of one clip; the camera is close (feet out of the image) in 15%."""
    length = int(rng.integers(LENGTHS[0], LENGTHS[1] + 1))
    close = rng.random() < 0.15
    camera = Camera(
        azimuth=np.radians(rng.normal(0.0, 20.0)),
        distance=rng.uniform(1.8, 2.2) if close else rng.uniform(3.0, 4.2),
        height=rng.uniform(0.85, 1.35),
    )
    return _Shot(
        t=np.arange(length) / (length - 1),
        speed=subject.tempo * rng.uniform(0.85, 1.2),
        phase=rng.uniform(0.0, 0.2),
        amp=subject.amp * rng.uniform(0.9, 1.1),
        camera=camera,
        focal=rng.uniform(950.0, 1150.0),
        rng=rng,
    )


def _body(pose: np.ndarray, yaw: float, x: float, z: float, scale: float, width: float) -> np.ndarray:
    """World COCO-17 joints of a body-frame Kinect pose, widened by ``width`` and placed like the NTU demo."""
    return ntu._place(to_coco(pose) * np.array([width, 1.0, width]), yaw, x, z, scale)


def _actors(motion: Motion, subject: Subject, shot: _Shot) -> list[np.ndarray]:
    """World joints (T, 17, 3) of the performer and, in an interaction, the partner (facing each other)."""
    rng = shot.rng
    mirror = subject.left_handed != (rng.random() < 0.15)  # now and then the other hand or foot
    poses = []
    for role in range(motion.persons):
        pose = motion.animate(shot.t, shot.speed, shot.phase + 0.05 * role, shot.amp, role)
        if motion.lateral and mirror:
            pose = pose[:, ntu._SWAP] * np.array([-1.0, 1.0, 1.0])
        poses.append(pose)
    if motion.persons == 1:
        yaw = np.radians(rng.normal(0.0, 15.0))
        x, z = subject.x + rng.uniform(-0.2, 0.2), subject.z + rng.uniform(-0.2, 0.2)
        return [_body(poses[0], yaw, x, z, subject.scale, subject.width)]
    side = rng.choice([-1.0, 1.0])  # which side of the image the performer stands on
    gap, yaw = rng.uniform(0.55, 0.75), np.radians(rng.normal(0.0, 8.0))
    partner = (rng.uniform(0.85, 1.15), rng.uniform(0.9, 1.12))
    return [
        _body(
            poses[0], side * np.pi / 2 + yaw, -side * gap + subject.x, subject.z, subject.scale, subject.width
        ),
        _body(poses[1], -side * np.pi / 2 + yaw, side * gap + subject.x, subject.z, *partner),
    ]


def _bystander(shot: _Shot) -> tuple[np.ndarray, np.ndarray]:
    """A person standing aside and behind, swaying: world joints and the frames where they are seen."""
    rng, length = shot.rng, len(shot.t)
    pose = np.repeat(REST_POSE[None], length, axis=0)
    pose[:, :, 0] += 0.03 * np.sin(2 * np.pi * (rng.uniform(0.3, 1.0) * shot.t + rng.random()))[:, None]
    side = rng.choice([-1.0, 1.0])
    world = _body(pose, rng.normal(0.0, 0.5), side * rng.uniform(1.3, 1.9), rng.uniform(-1.6, -0.6),
                  rng.uniform(0.85, 1.1), 1.0)  # fmt: skip
    seen = np.ones(length, dtype=bool)
    if rng.random() < 0.4:  # comes late or leaves early
        cut = int(rng.integers(length // 5, length // 2))
        seen[slice(None, cut) if rng.random() < 0.5 else slice(length - cut, None)] = False
    return world, seen


def _smooth(rng: np.random.Generator, length: int, joints: int, period: int = 8) -> np.ndarray:
    """Slowly varying standard normal noise (T, V): random values every ``period`` frames, interpolated."""
    coarse = rng.normal(size=(length // period + 2, joints))
    position = np.arange(length) / period
    low = position.astype(int)
    frac = (position - low)[:, None]
    return coarse[low] * (1 - frac) + coarse[low + 1] * frac


def _observe(world: np.ndarray, shot: _Shot, quality: float) -> tuple[np.ndarray, np.ndarray]:
    """A pose estimator's output for one person: keypoints (T, 17, 3) and the joints it cannot see.

    Confidence falls with the joint's difficulty, with its speed in the image (motion blur) and at random
    moments; the pixel jitter grows as the confidence falls.
    """
    rng, (width, height) = shot.rng, IMAGE
    cam = ntu._to_camera(world, shot.camera)
    depth = np.maximum(cam[..., 2], 1e-3)
    u = width / 2 - shot.focal * cam[..., 0] / depth  # camera x points left, image x right
    v = height / 2 - shot.focal * cam[..., 1] / depth
    pixels = np.stack([u, v], axis=-1)
    size = np.median(np.abs(pixels[:, [L_EAR, R_EAR], 1].mean(1) - pixels[:, [L_ANKLE, R_ANKLE], 1].mean(1)))
    speed = np.linalg.norm(np.diff(pixels, axis=0, prepend=pixels[:1]), axis=-1) / max(size, 1.0)
    difficulty = _DIFFICULTY + 0.1 * _smooth(rng, *pixels.shape[:2]) + np.clip(speed / 0.04, 0.0, 1.0) * 0.3
    jitter = rng.normal(0.0, 0.02, difficulty.shape)
    confidence = np.clip(quality * (1.0 - 0.6 * np.clip(difficulty, 0.0, 1.0)) + jitter, 0.31, 1.0)
    pixels += rng.normal(size=pixels.shape) * (size * (0.002 + 0.02 * (1.0 - confidence)))[..., None]
    # The far eye and ear of a head seen in profile: the ear axis points away from / towards the camera.
    facing = np.sum(_unit(cam[:, L_EAR] - cam[:, R_EAR]) * _unit(-cam[:, NOSE]), axis=-1)
    hidden = np.zeros(pixels.shape[:2], dtype=bool)
    hidden[:, [L_EYE, L_EAR]] = (facing < -0.55)[:, None]
    hidden[:, [R_EYE, R_EAR]] = (facing > 0.55)[:, None]
    hidden |= (cam[..., 2] < 0.1) | np.any((pixels < 0) | (pixels >= np.array(IMAGE)), axis=-1)
    return np.concatenate([pixels, confidence[..., None]], axis=-1), hidden


def _occlusions(rng: np.random.Generator, length: int, runs: float) -> np.ndarray:
    """Occlusion runs of 2-8 frames (mean ``runs`` per person) and, now and then, undetected frames."""
    hidden = np.zeros((length, len(JOINTS)), dtype=bool)
    for _ in range(rng.poisson(runs)):
        joint = rng.choice(len(JOINTS), p=_OCCLUDED)
        start = int(rng.integers(0, length - 2))
        hidden[start : start + int(rng.integers(2, 9)), joint] = True
    if rng.random() < 0.15:
        start = int(rng.integers(0, length - 3))
        hidden[start : start + int(rng.integers(1, 4))] = True
    return hidden


def clip_keypoints(name: str, seed: int = 0, persons: int = 2) -> tuple[np.ndarray, Motion]:
    """The keypoints of clip ``name`` (``...P<subject>A<action>R<rep>``) and its class.

    (T, V, 3) with one person, (T, 2, V, 3) with two; ``persons=1`` keeps only the performer (no partner,
    no bystander). Deterministic for (seed, name, persons).
    """
    subject_id, action, repetition = _parse_name(name)
    motion, subject = MOTIONS[action - 1], subject_traits(seed, subject_id)
    rng = np.random.default_rng([seed, 31337, subject_id, action, repetition])
    shot = _shot(subject, rng)
    people = []  # (keypoints, hidden) per person; the performer first
    for world in _actors(motion, subject, shot):
        keypoints, hidden = _observe(world, shot, rng.uniform(0.85, 1.0))
        people.append((keypoints, hidden | _occlusions(rng, len(shot.t), 1.5)))
    performer = people[0]
    if motion.persons == 1 and rng.random() < 0.35:
        world, seen = _bystander(shot)
        keypoints, hidden = _observe(world, shot, rng.uniform(0.4, 0.6))
        hidden |= _occlusions(rng, len(shot.t), 3.0) | ~seen[:, None]
        if rng.random() < 0.3:  # behind a table: the legs are never seen
            hidden[:, [L_KNEE, R_KNEE, L_ANKLE, R_ANKLE]] = True
        people.insert(int(rng.random() < 0.2), (keypoints, hidden))
    elif motion.persons == 2 and rng.random() < 0.5:
        people.reverse()
    if persons == 1:
        people = [performer]
    for keypoints, hidden in people:
        keypoints[hidden] = 0.0
    array = np.stack([keypoints for keypoints, _ in people], axis=1).astype(np.float32)
    return (array[:, 0] if array.shape[1] == 1 else array), motion


def save_keypoints(path: str | os.PathLike, keypoints: np.ndarray) -> Path:
    """Write ``keypoints`` as an ``.npz`` (what ``np.savez`` writes) without time stamps: same array, same
    bytes (``np.savez`` stamps each member with the time of writing)."""
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.ascontiguousarray(keypoints), allow_pickle=False)
    member = zipfile.ZipInfo("keypoints.npy", date_time=(1980, 1, 1, 0, 0, 0))
    member.compress_type = zipfile.ZIP_DEFLATED
    path = Path(path)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(member, buffer.getvalue())
    return path


def write_clip(folder: str | os.PathLike, name: str, seed: int = 0, persons: int = 2) -> tuple[Path, Motion]:
    """Write ``<folder>/<name>.npz``; its content depends on (seed, name, persons) only."""
    keypoints, motion = clip_keypoints(name, seed, persons)
    return save_keypoints(Path(folder) / f"{name}.npz", keypoints), motion


def demo_clip_names(
    num_class: int = 5, subjects: Sequence[int] = tuple(range(1, 9)), repetitions: int = 3
) -> list[str]:
    """The clip names the demo writes, sorted."""
    if not 1 <= num_class <= len(MOTIONS):
        raise ValueError(f"num_class must be 1..{len(MOTIONS)} (the motions of MOTIONS), not {num_class}")
    if not subjects or any(not 1 <= s <= 999 for s in subjects) or len(set(subjects)) != len(subjects):
        raise ValueError(f"subjects must be distinct numbers 1..999, not {list(subjects)}")
    if not 1 <= repetitions <= 99:
        raise ValueError(f"repetitions must be 1..99, not {repetitions}")
    return sorted(
        clip_name(subject, action, rep)
        for subject in subjects
        for action in range(1, num_class + 1)
        for rep in range(1, repetitions + 1)
    )


def make_demo_clips(
    out_dir: str | os.PathLike,
    seed: int = 0,
    num_class: int = 5,
    subjects: Sequence[int] = tuple(range(1, 9)),
    repetitions: int = 3,
    persons: int = 2,
    overwrite: bool = False,
) -> list[Path]:
    """Write the demo's clips and ``manifest.csv`` into ``out_dir`` (created atomically); returns the clips."""
    if persons not in (1, 2):
        raise ValueError(f"persons must be 1 or 2, not {persons}")
    names = demo_clip_names(num_class, subjects, repetitions)
    with atomic_folder(out_dir, overwrite) as work, (work / "manifest.csv").open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(MANIFEST_COLUMNS)
        for name in names:
            subject, _, repetition = _parse_name(name)
            _, motion = write_clip(work, name, seed, persons)
            writer.writerow([name, motion.code, subject, repetition])
    return [Path(out_dir) / f"{name}.npz" for name in names]


MALFORMED = "malformed_no_confidence"  # the prediction folder's bad clip: x, y only (2 channels, not 3)


def write_prediction_clips(
    out_dir: str | os.PathLike,
    seed: int = 0,
    num_class: int = 5,
    count: int = 4,
    persons: int = 2,
    overwrite: bool = False,
) -> list[Path]:
    """New clips for ``hypergcn predict``: ``count`` clips of unseen subjects (101, 102, ...; the classes in
    turn, the action code in the name) and one malformed clip, :data:`MALFORMED`, without a confidence
    channel. No manifest: predict needs none."""
    if not 1 <= num_class <= len(MOTIONS):
        raise ValueError(f"num_class must be 1..{len(MOTIONS)}, not {num_class}")
    names = [clip_name(101 + k, k % num_class + 1, 1) for k in range(count)]
    with atomic_folder(out_dir, overwrite) as work:
        for name in names:
            write_clip(work, name, seed, persons)
        keypoints, _ = clip_keypoints(clip_name(100, 1, 1), seed, persons)
        save_keypoints(work / f"{MALFORMED}.npz", keypoints[..., :2])
    return sorted(Path(out_dir).glob("*.npz"))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--output", required=True, help="folder to create (results/raw/coco17)")
    parser.add_argument("--seed", type=int, default=0, help="every clip depends on (seed, clip name) only")
    parser.add_argument(
        "--num-class",
        type=int,
        default=5,
        help=f"the first K motions (1..{len(MOTIONS)}; the declaration: 5)",
    )
    parser.add_argument(
        "--subjects", nargs="+", type=int, default=list(range(1, 9)), help="subject numbers (1..999)"
    )
    parser.add_argument("--repetitions", type=int, default=3, help="clips per subject and class")
    parser.add_argument(
        "--persons",
        type=int,
        choices=(1, 2),
        default=2,
        help="1: only the performer (no partner, no bystander)",
    )
    parser.add_argument(
        "--predict-output", help="also write a folder of new clips for `hypergcn predict` (one malformed)"
    )
    parser.add_argument("--overwrite", action="store_true", help="replace existing, non-empty output folders")


def run(args: argparse.Namespace) -> int:
    paths = make_demo_clips(
        args.output, args.seed, args.num_class, args.subjects, args.repetitions, args.persons, args.overwrite
    )
    size = sum(p.stat().st_size for p in paths)
    print(
        f"wrote {len(paths)} COCO-17 clips ({args.num_class} classes, subjects {' '.join(map(str, args.subjects))}, "
        f"{args.repetitions} repetitions; {size / 1e6:.2f} MB) and manifest.csv to {args.output}"
    )
    if args.predict_output:
        new = write_prediction_clips(
            args.predict_output, args.seed, args.num_class, persons=args.persons, overwrite=args.overwrite
        )
        print(
            f"wrote {len(new)} clips for prediction (one malformed: {MALFORMED}.npz) to {args.predict_output}"
        )
    return 0
