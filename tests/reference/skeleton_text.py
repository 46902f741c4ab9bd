"""Helpers for the data tests: hand-built NTU ``.skeleton`` texts with exactly representable values.

A frame is a list of ``(body_id, joints)`` with ``joints`` a (25, 3) array; ``[]`` is a frame with 0 bodies.
Values that are multiples of 1/8 (and small) are exact in decimal and float32, so expected outputs can be
written down by hand.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

BODY_REST = "0 1 1 1 1 0 0.1 0.2 2"  # the 9 values after the bodyID


def pose(x: float = 0.0, y: float = 0.0, z: float = 3.0, step: float = 0.125) -> np.ndarray:
    """A (25, 3) body: every joint at (x, y + step * (j + 1), z); x-range 0, so never a spread-noisy frame."""
    joints = np.zeros((25, 3))
    joints[:, 0] = x
    joints[:, 1] = y + step * (np.arange(25) + 1)
    joints[:, 2] = z
    return joints


def wide(x: float = 0.0, y: float = 0.0, z: float = 3.0, width: float = 2.0) -> np.ndarray:
    """A (25, 3) "body" much wider than tall: x-range = width, y-range = 0.25 (a spread-noisy frame)."""
    joints = np.zeros((25, 3))
    joints[:, 0] = x + width * np.arange(25) / 24
    joints[:, 1] = y + np.where(np.arange(25) % 2 == 0, 0.0, 0.25)
    joints[:, 2] = z
    return joints


def joint_line(xyz) -> str:
    x, y, z = (repr(float(v)) for v in xyz)
    return f"{x} {y} {z} 250.5 200.25 900.5 500.25 0.5 0 0 0.5 2"


def skeleton_text(
    frames: list[list[tuple[str, np.ndarray]]], newline: str = "\n", declared: int | None = None
) -> str:
    lines = [str(len(frames) if declared is None else declared)]
    for bodies in frames:
        lines.append(str(len(bodies)))
        for body_id, joints in bodies:
            lines.append(f"{body_id} {BODY_REST}")
            lines.append(str(len(joints)))
            lines.extend(joint_line(xyz) for xyz in joints)
    return newline.join(lines) + newline


def write_skeleton(folder: Path, name: str, frames: list[list[tuple[str, np.ndarray]]], **kwargs) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.skeleton"
    path.write_bytes(skeleton_text(frames, **kwargs).encode())
    return path


def track(body_id: str, frames, joints_at) -> dict[int, tuple[str, np.ndarray]]:
    """A body present in ``frames``; ``joints_at(f)`` gives its (25, 3) joints in frame ``f``."""
    return {f: (body_id, joints_at(f)) for f in frames}


def assemble(
    num_frames: int, *tracks: dict[int, tuple[str, np.ndarray]]
) -> list[list[tuple[str, np.ndarray]]]:
    """Frames from tracks: bodies listed in the order the tracks are given."""
    return [[t[f] for t in tracks if f in t] for f in range(num_frames)]
