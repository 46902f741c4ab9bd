"""Synthetic NW-UCLA clips in the real file format (``all_sqe/<name>.json``), for tests."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from hypergcn.data.ucla import UCLA_VIEWS
from hypergcn.datasets import action_codes


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
    for code, label in sorted(action_codes("ucla").items()):
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
