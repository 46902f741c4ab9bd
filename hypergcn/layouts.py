"""Skeleton layouts: the joints, the bone tree and the persons of a kind of skeleton data.

A layout is the one owner of every fact about a skeleton: the model's fixed graph (the bones in both
directions, docs/method.md#skeleton-graph) and the bone modality of the loader (each joint minus its parent,
docs/method.md#ntu-loader) both read :attr:`Layout.parents`, so the bones are written once.
"""

from __future__ import annotations

from dataclasses import dataclass


# The channel sets a layout may declare: 3-D (Kinect) or 2-D (pose estimators), with or without confidence.
CHANNEL_SETS: tuple[tuple[str, ...], ...] = (
    ("x", "y", "z"),
    ("x", "y"),
    ("x", "y", "confidence"),
    ("x", "y", "z", "confidence"),
)


@dataclass(frozen=True)
class Layout:
    """One skeleton layout.

    Attributes:
        name: short identifier, stored in benchmark files and model files.
        joints: joint names in data order.
        parents: 0-based parent of every joint; the root of the tree is its own parent.
        centre: 0-based joint the loader centres the joint stream on, or a tuple of joints whose mean is
            the centre (COCO-17 has no mid-hip joint: the mean of the two hips).
        persons: persons (bodies) per sample the benchmark file holds.
        channels: channels of a joint, in data order: ``x, y`` or ``x, y, z``, optionally followed by
            ``confidence`` (a pose estimator's score in [0, 1]).
        reference: bones, as 0-based (joint, joint) pairs, whose mean length is the unit of length of a
            two-dimensional layout (the loader's scale normalisation); empty for none.
    """

    name: str
    joints: tuple[str, ...]
    parents: tuple[int, ...]
    centre: int | tuple[int, ...]
    persons: int
    channels: tuple[str, ...] = ("x", "y", "z")
    reference: tuple[tuple[int, int], ...] = ()

    def __post_init__(self) -> None:
        count = len(self.joints)
        if len(self.parents) != count:
            raise ValueError(f"layout {self.name}: {len(self.parents)} parents for {count} joints")
        bad = [p for p in self.parents if not 0 <= p < count]
        if bad:
            raise ValueError(f"layout {self.name}: parent indices {bad} are outside 0..{count - 1}")
        outside = [j for j in (*self.centre_joints, *sum(self.reference, ())) if not 0 <= j < count]
        if outside or not self.centre_joints:
            raise ValueError(
                f"layout {self.name}: centre {self.centre} / reference {self.reference} name joints "
                f"outside 0..{count - 1}"
            )
        if self.channels not in CHANNEL_SETS:
            raise ValueError(
                f"layout {self.name}: channels {list(self.channels)} are not one of "
                f"{[list(c) for c in CHANNEL_SETS]}"
            )
        if self.persons < 1:
            raise ValueError(f"layout {self.name}: persons must be at least 1, got {self.persons}")
        roots = [j for j, p in enumerate(self.parents) if j == p]
        if len(roots) != 1:
            raise ValueError(
                f"layout {self.name}: the parents need exactly one root (a joint that is its own "
                f"parent), found {roots}"
            )
        for joint in range(count):  # every joint reaches the root without a cycle
            seen, current = set(), joint
            while self.parents[current] != current:
                if current in seen:
                    raise ValueError(f"layout {self.name}: joint {joint} is on a parent cycle, not a tree")
                seen.add(current)
                current = self.parents[current]

    @property
    def num_joints(self) -> int:
        return len(self.joints)

    @property
    def num_channels(self) -> int:
        return len(self.channels)

    @property
    def centre_joints(self) -> tuple[int, ...]:
        """The joint(s) whose mean is the centre."""
        return (self.centre,) if isinstance(self.centre, int) else tuple(self.centre)

    @property
    def spatial_channels(self) -> int:
        """Coordinates per joint (2 or 3), the confidence excluded."""
        return self.num_channels - self.has_confidence

    @property
    def has_confidence(self) -> bool:
        return self.channels[-1] == "confidence"

    @property
    def root(self) -> int:
        return next(j for j, p in enumerate(self.parents) if j == p)

    @property
    def edges(self) -> tuple[tuple[int, int], ...]:
        """The bones as 0-based (child, parent) pairs, root excluded."""
        return tuple((child, parent) for child, parent in enumerate(self.parents) if child != parent)


def _parents(pairs: dict[int, int]) -> tuple[int, ...]:
    """0-based parents from a 1-based {child: parent} table (the numbering of the datasets' papers)."""
    return tuple(pairs[child] - 1 for child in range(1, len(pairs) + 1))


_LIMBS = (
    "left shoulder", "left elbow", "left wrist", "left hand",
    "right shoulder", "right elbow", "right wrist", "right hand",
    "left hip", "left knee", "left ankle", "left foot",
    "right hip", "right knee", "right ankle", "right foot",
)  # fmt: skip

# Kinect v2, 25 joints (NTU RGB+D 60 and 120). The tree is rooted at joint 21 (spine at the shoulders);
# the hand tips and thumbs hang off the hands (22, 23 -> 8; 24, 25 -> 12), as in the authors' graph.
NTU = Layout(
    name="ntu",
    joints=(
        "spine base",
        "spine middle",
        "neck",
        "head",
        *_LIMBS,
        "spine shoulder",
        "left hand tip",
        "left thumb",
        "right hand tip",
        "right thumb",
    ),  # fmt: skip
    parents=_parents(
        {1: 2, 2: 21, 3: 21, 4: 3, 5: 21, 6: 5, 7: 6, 8: 7, 9: 21, 10: 9, 11: 10, 12: 11, 13: 1, 14: 13}
        | {15: 14, 16: 15, 17: 1, 18: 17, 19: 18, 20: 19, 21: 21, 22: 8, 23: 8, 24: 12, 25: 12}
    ),
    centre=20,  # joint 21
    persons=2,
)

# Kinect v1, 20 joints (NW-UCLA). The tree is rooted at joint 3 (shoulder centre); the loader centres on
# joint 2 (spine).
UCLA = Layout(
    name="nw-ucla",
    joints=("hip centre", "spine", "shoulder centre", "head", *_LIMBS),
    parents=_parents(
        {1: 2, 2: 3, 3: 3, 4: 3, 5: 3, 6: 5, 7: 6, 8: 7, 9: 3, 10: 9, 11: 10, 12: 11, 13: 1, 14: 13}
        | {15: 14, 16: 15, 17: 1, 18: 17, 19: 18, 20: 19}
    ),
    centre=1,  # joint 2
    persons=1,
)

LAYOUTS: dict[str, Layout] = {layout.name: layout for layout in (NTU, UCLA)}


def layout_named(name: str) -> Layout:
    """Look up a layout by the name benchmark and model files record."""
    try:
        return LAYOUTS[name]
    except KeyError:
        raise ValueError(f"unknown skeleton layout {name!r}; expected one of {sorted(LAYOUTS)}") from None
