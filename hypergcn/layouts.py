"""Skeleton layouts: the joints, the bone tree and the persons of a kind of skeleton data.

A layout is the one owner of every fact about a skeleton: the model's fixed graph (the bones in both
directions, docs/method.md#skeleton-graph) and the bone modality of the loader (each joint minus its parent,
docs/method.md#ntu-loader) both read :attr:`Layout.parents`, so the bones are written once.

Layouts are data: the package's (NTU's Kinect v2, NW-UCLA's Kinect v1, COCO-17) are YAML files in
``hypergcn/resources/layouts``, in the format a user writes under ``layout:`` in a dataset declaration
(docs/layouts.md#the-declaration): joints and parents by name, so a typo is an error naming the key, never a
silently wrong bone. :func:`layout_from_mapping` reads that format; :func:`register_layout` adds a user's
layout to the names :func:`layout_named` knows (benchmark and model files record the name).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

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


class DeclarationError(ValueError):
    """A dataset declaration or layout that cannot be used; the message names the file and the key."""

    def __init__(self, source: object, key: str, reason: str) -> None:
        self.source, self.key, self.reason = str(source), key, reason
        super().__init__(f"{source}: key {key}: {reason}")


LAYOUT_KEYS: tuple[str, ...] = ("name", "joints", "parents", "centre", "persons", "channels", "reference")


class _Reader:
    """Joint references of one layout mapping (a name in ``joints`` or a 0-based index), with errors that
    name the file and the key."""

    def __init__(self, source: object, key: str, joints: tuple[str, ...]) -> None:
        self.source, self.key, self.joints = source, key, joints
        self.index = {name: i for i, name in enumerate(joints)}

    def error(self, subkey: str, reason: str) -> DeclarationError:
        return DeclarationError(self.source, f"{self.key}.{subkey}", reason)

    def joint(self, value: Any, subkey: str) -> int:
        count = len(self.joints)
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise self.error(subkey, f"{value!r} is neither a joint name nor a 0-based joint index")
        if isinstance(value, int):
            if not 0 <= value < count:
                raise self.error(subkey, f"joint index {value} is outside 0..{count - 1}")
            return value
        if value not in self.index:
            raise self.error(subkey, f"unknown joint name {value!r}; the joints are {list(self.joints)}")
        return self.index[value]


def _joint_names(data: Mapping[str, Any], source: object, key: str) -> tuple[str, ...]:
    joints = data.get("joints")
    if not isinstance(joints, list) or not joints or not all(isinstance(j, str) and j for j in joints):
        raise DeclarationError(source, f"{key}.joints", "must be a non-empty list of joint names")
    repeated = sorted({j for j in joints if joints.count(j) > 1})
    if repeated:
        raise DeclarationError(source, f"{key}.joints", f"joint names {repeated} appear more than once")
    return tuple(joints)


def _check_tree(parents: tuple[int, ...], reader: _Reader) -> None:
    roots = [j for j, p in enumerate(parents) if j == p]
    if len(roots) != 1:
        names = [reader.joints[j] for j in roots]
        raise reader.error(
            "parents",
            f"not a tree: it needs exactly one root (a joint that is its own parent), found {names}",
        )
    for joint in range(len(parents)):
        seen, current = set(), joint
        while parents[current] != current:
            if current in seen:
                raise reader.error(
                    "parents", f"not a tree: joint {reader.joints[joint]!r} is on a cycle of parents"
                )
            seen.add(current)
            current = parents[current]


def layout_from_mapping(data: Any, source: object, key: str = "layout") -> Layout:
    """A :class:`Layout` from its declaration (docs/layouts.md#the-declaration); ``source`` (the file) and
    ``key`` (where the mapping sits in it) name the place of every error (:class:`DeclarationError`)."""
    if not isinstance(data, Mapping):
        raise DeclarationError(source, key, "must be a mapping with the keys " + ", ".join(LAYOUT_KEYS))
    unknown = sorted(set(data) - set(LAYOUT_KEYS))
    if unknown:
        raise DeclarationError(source, f"{key}.{unknown[0]}", f"unknown key; expected {list(LAYOUT_KEYS)}")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise DeclarationError(source, f"{key}.name", "must be a non-empty string")
    reader = _Reader(source, key, _joint_names(data, source, key))
    raw_parents = data.get("parents")
    if not isinstance(raw_parents, list) or len(raw_parents) != len(reader.joints):
        raise reader.error("parents", f"must list one parent per joint ({len(reader.joints)})")
    parents = tuple(reader.joint(p, f"parents[{i}]") for i, p in enumerate(raw_parents))
    _check_tree(parents, reader)
    raw_centre = data.get("centre")
    if isinstance(raw_centre, list):
        if not raw_centre:
            raise reader.error("centre", "an empty list names no joint")
        centre: int | tuple[int, ...] = tuple(reader.joint(c, "centre") for c in raw_centre)
    else:
        centre = reader.joint(raw_centre, "centre")
    persons = data.get("persons")
    if isinstance(persons, bool) or not isinstance(persons, int) or persons < 1:
        raise reader.error("persons", f"must be an integer of at least 1, not {persons!r}")
    channels = tuple(data.get("channels") or ("x", "y", "z"))
    if channels not in CHANNEL_SETS:
        raise reader.error("channels", f"{list(channels)} is not one of {[list(c) for c in CHANNEL_SETS]}")
    pairs = data.get("reference") or []
    if not isinstance(pairs, list) or not all(isinstance(p, list) and len(p) == 2 for p in pairs):
        raise reader.error("reference", "must be a list of [joint, joint] pairs")
    reference = tuple((reader.joint(a, "reference"), reader.joint(b, "reference")) for a, b in pairs)
    try:
        return Layout(name, reader.joints, parents, centre, persons, channels, reference)
    except ValueError as exc:  # a check of Layout itself; the ones above name the key more precisely
        raise DeclarationError(source, key, str(exc)) from None


def layout_mapping(layout: Layout) -> dict[str, Any]:
    """The declaration of a layout (joints and parents by name): what :func:`layout_from_mapping` reads."""
    names = layout.joints
    centre = names[layout.centre] if isinstance(layout.centre, int) else [names[j] for j in layout.centre]
    data: dict[str, Any] = {
        "name": layout.name,
        "joints": list(names),
        "parents": [names[p] for p in layout.parents],
        "centre": centre,
        "persons": layout.persons,
        "channels": list(layout.channels),
    }
    if layout.reference:
        data["reference"] = [[names[a], names[b]] for a, b in layout.reference]
    return data


@cache
def package_layout(name: str) -> Layout:
    """One of the package's layouts, from ``hypergcn/resources/layouts/<name>.yaml``."""
    resource = resources.files("hypergcn.resources").joinpath("layouts").joinpath(f"{name}.yaml")
    return layout_from_mapping(
        yaml.safe_load(resource.read_text()), f"hypergcn/resources/layouts/{name}.yaml"
    )


def _package_layout_names() -> list[str]:
    folder = resources.files("hypergcn.resources").joinpath("layouts")
    return sorted(entry.name[: -len(".yaml")] for entry in folder.iterdir() if entry.name.endswith(".yaml"))


# Kinect v2, 25 joints (NTU RGB+D 60 and 120) and Kinect v1, 20 joints (NW-UCLA).
NTU = package_layout("ntu")
UCLA = package_layout("nw-ucla")
# Every layout a benchmark or model file may name: the package's, then those registered at run time.
_PACKAGE_LAYOUTS: tuple[str, ...] = tuple(_package_layout_names())
LAYOUTS: dict[str, Layout] = {name: package_layout(name) for name in _PACKAGE_LAYOUTS}


def register_layout(layout: Layout) -> Layout:
    """Make a user's layout known by name (a declared dataset registers its layout). A name of the
    package's layouts names that layout only; a user's may be registered again (the latest wins)."""
    if layout.name in _PACKAGE_LAYOUTS and package_layout(layout.name) != layout:
        raise ValueError(
            f"{layout.name!r} is a layout of the package (hypergcn/resources/layouts); name yours otherwise, "
            f"or write layout: {layout.name} to use the package's"
        )
    LAYOUTS[layout.name] = layout
    return layout


def layout_named(name: str) -> Layout:
    """Look up a layout by the name benchmark and model files record."""
    try:
        return LAYOUTS[name]
    except KeyError:
        raise ValueError(f"unknown skeleton layout {name!r}; expected one of {sorted(LAYOUTS)}") from None
