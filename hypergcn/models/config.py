"""What one Hyper-GCN is: :class:`ModelConfig`, the single description every model is built from.

The trainer, the evaluation, the model file (:mod:`hypergcn.models.model_file`) and the benchmarks all build
models from a ``ModelConfig``, so each choice (size, classes, joints, persons, virtual joints and their init,
attention heads, the skeleton's bones) is stated once and a saved model carries the exact description it was
built from. The bones come from the dataset's layout (:attr:`hypergcn.layouts.Layout.edges`), so they are
written once in the whole package. The fixed widths of the architecture live here too, beside the choices
they constrain (docs/method.md#backbone, docs/method.md#size-and-cost).
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hypergcn.config import DEFAULT_VIRTUAL_JOINTS
from hypergcn.datasets import DatasetInfo, dataset_info

VIRTUAL_JOINT_INITS: tuple[str, ...] = ("independent", "identical")
EMBED = 128  # width of the joint embedding and of l1-l3
NEIGHBOURS = 9  # k of the k-nearest-neighbour hyperedges (docs/method.md#hypergraph-convolution)
FINAL_WIDTH: dict[str, int] = {"base": 256, "large": 512}  # width of l7-l9 and of the classifier's input

Edges = tuple[tuple[int, int], ...]


def unit_widths(size: str) -> list[tuple[int, int, int]]:
    """(in, out, temporal stride) of l1..l9 (docs/method.md#backbone); large widens l7-l9 to 512 channels."""
    if size not in FINAL_WIDTH:
        raise ValueError(f"unknown model size {size!r}; expected one of {list(FINAL_WIDTH)}")
    wide = FINAL_WIDTH[size]
    return [
        (EMBED, EMBED, 1), (EMBED, EMBED, 1), (EMBED, EMBED, 1),
        (EMBED, 2 * EMBED, 2), (2 * EMBED, 2 * EMBED, 1), (2 * EMBED, 2 * EMBED, 1),
        (2 * EMBED, wide, 2), (wide, wide, 1), (wide, wide, 1),
    ]  # fmt: skip


def _count(name: str, value: Any, minimum: int) -> int:
    """``value`` as a plain int (numpy integers from HDF5 attributes included), at least ``minimum``."""
    if isinstance(value, bool):
        raise ValueError(f"ModelConfig.{name} must be an integer, got {value!r}")
    try:
        number = operator.index(value)
    except TypeError:
        raise ValueError(f"ModelConfig.{name} must be an integer, got {value!r}") from None
    if number < minimum:
        raise ValueError(f"ModelConfig.{name} must be >= {minimum}, got {number}")
    return number


def _edges(value: Any, num_point: int) -> Edges:
    """The bones as a tuple of (child, parent) int pairs, each index a real joint 0..num_point-1."""
    try:
        pairs = [tuple(pair) for pair in value]
    except TypeError:
        raise ValueError(
            f"ModelConfig.edges must be a sequence of (child, parent) pairs, got {value!r}"
        ) from None
    edges = []
    for pair in pairs:
        if len(pair) != 2:
            raise ValueError(f"ModelConfig.edges: {pair!r} is not a (child, parent) pair")
        child, parent = (_count("edges", index, 0) for index in pair)
        if child >= num_point or parent >= num_point:
            raise ValueError(
                f"ModelConfig.edges: bone {pair!r} names a joint outside 0..{num_point - 1} "
                f"(num_point={num_point})"
            )
        edges.append((child, parent))
    return tuple(edges)


@dataclass(frozen=True)
class ModelConfig:
    """Everything that determines a Hyper-GCN's architecture; ``HyperGCN(config)`` builds it.

    Attributes:
        size: ``"base"`` or ``"large"`` (the widths of l7-l9, :data:`FINAL_WIDTH`).
        num_class: classes of the classifier.
        num_point: real joints V of the skeleton.
        num_person: persons M per sample (the data BN normalises each person's joints separately).
        edges: the skeleton's bones as 0-based (child, parent) pairs (a layout's ``edges``); the fixed graph
            links them both ways (docs/method.md#skeleton-graph).
        in_channels: coordinates per joint.
        virtual_joints: learnable virtual "hyper joints" P per layer; 0 gives the authors' configs without
            them (docs/method.md#q3-runs-without-virtual-joints).
        virtual_joint_init: ``"independent"`` N(0, 1) rows, or ``"identical"``: the authors' one vector
            repeated (docs/method.md#q1-identical-virtual-joints).
        heads: attention heads (channel groups) of every hypergraph convolution.

    Numbers are normalised to plain ints and ``edges`` to a tuple of pairs, so two configs describing the same
    model compare equal and :meth:`to_dict` is JSON-safe.
    """

    size: str
    num_class: int
    num_point: int
    num_person: int
    edges: Edges
    in_channels: int = 3
    virtual_joints: int = DEFAULT_VIRTUAL_JOINTS
    virtual_joint_init: str = "independent"
    heads: int = 8

    def __post_init__(self) -> None:
        if not isinstance(self.size, str) or self.size not in FINAL_WIDTH:
            raise ValueError(f"unknown model size {self.size!r}; expected one of {list(FINAL_WIDTH)}")
        for name, minimum in (("num_class", 1), ("num_point", 1), ("num_person", 1), ("in_channels", 1)):
            object.__setattr__(self, name, _count(name, getattr(self, name), minimum))
        object.__setattr__(self, "virtual_joints", _count("virtual_joints", self.virtual_joints, 0))
        object.__setattr__(self, "heads", _count("heads", self.heads, 1))
        object.__setattr__(self, "edges", _edges(self.edges, self.num_point))
        if self.virtual_joint_init not in VIRTUAL_JOINT_INITS:
            raise ValueError(
                f"virtual_joint_init must be one of {list(VIRTUAL_JOINT_INITS)}, "
                f"got {self.virtual_joint_init!r}"
            )
        if (EMBED // 4) % self.heads:
            # every layer splits its input into heads groups of at least 4 channels (to_V, to_W, conv_d)
            raise ValueError(f"ModelConfig.heads must divide {EMBED // 4}, got {self.heads}")
        if self.num_point + self.virtual_joints < NEIGHBOURS:
            raise ValueError(
                f"the hypergraph links each joint to its {NEIGHBOURS} nearest vertices, so num_point + "
                f"virtual_joints must be at least {NEIGHBOURS}, got {self.num_point} + {self.virtual_joints}"
            )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (edges as lists of pairs); :meth:`from_dict` restores an equal config."""
        values = dataclasses.asdict(self)
        values["edges"] = [list(pair) for pair in self.edges]
        return values

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> ModelConfig:
        """The config a :meth:`to_dict` (or its JSON) describes; unknown or missing keys are named."""
        if not isinstance(values, Mapping):
            raise ValueError(f"a model config must be a mapping, got {type(values).__name__}")
        fields = {field.name: field for field in dataclasses.fields(cls)}
        unknown = sorted(set(values) - set(fields))
        if unknown:
            raise ValueError(f"unknown model config keys {unknown}; expected keys are {list(fields)}")
        required = [name for name, field in fields.items() if field.default is dataclasses.MISSING]
        missing = [name for name in required if name not in values]
        if missing:
            raise ValueError(f"model config lacks the keys {missing}")
        return cls(**values)


def model_config(size: str, dataset: str | DatasetInfo, **overrides: Any) -> ModelConfig:
    """The config of Hyper-GCN ``size`` for ``dataset`` (a name of :mod:`hypergcn.datasets`, or a
    :class:`~hypergcn.datasets.DatasetInfo`, e.g. of a user's declaration).

    Any layout works: the bones come from its parents, the joints and persons from the layout, and the input
    channels are its channel count (2, 3 or 4: x, y[, z][, confidence]). Overrides: ``num_class``,
    ``num_point``, ``num_person``, ``in_channels``, ``virtual_joints`` and ``virtual_joint_init`` (see
    :class:`ModelConfig`); ``num_point`` must be the layout's joint count, since the bones index its joints.
    """
    info = dataset if isinstance(dataset, DatasetInfo) else dataset_info(dataset)
    values: dict[str, Any] = {
        "num_class": info.num_class,
        "num_point": info.num_point,
        "num_person": info.num_person,
        "in_channels": info.layout.num_channels,
    }
    allowed = [*values, "virtual_joints", "virtual_joint_init"]
    unknown = sorted(set(overrides) - set(allowed))
    if unknown:
        raise TypeError(f"unexpected model overrides {unknown}; allowed: {sorted(allowed)}")
    values.update(overrides)
    if values["num_point"] != info.num_point:
        raise ValueError(
            f"num_point={values['num_point']} does not match the {info.layout.name!r} skeleton of dataset "
            f"{info.name!r} ({info.num_point} joints)"
        )
    return ModelConfig(size=size, edges=info.layout.edges, **values)
