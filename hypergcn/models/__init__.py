"""Hyper-GCN models: ``build_model`` for the pipeline, ``load_official_weights`` for the authors' checkpoints."""

from __future__ import annotations

from typing import Any

import torch

from hypergcn.datasets import SIZES, dataset_info
from hypergcn.models.checkpoint import describe_checkpoint, load_official_weights
from hypergcn.models.graph import hypergcn_graph
from hypergcn.models.hypergcn import HyperGCN, divergence

__all__ = [
    "SIZES",
    "HyperGCN",
    "build_model",
    "describe_checkpoint",
    "divergence",
    "load_official_weights",
    "unit_widths",
]


def unit_widths(size: str) -> list[tuple[int, int, int]]:
    """(in, out, temporal stride) of l1..l9 (method §1.2); large widens l7-l9 to 512 channels."""
    if size not in SIZES:
        raise ValueError(f"unknown model size {size!r}; expected one of {list(SIZES)}")
    wide = 256 if size == "base" else 512
    return [
        (128, 128, 1), (128, 128, 1), (128, 128, 1),
        (128, 256, 2), (256, 256, 1), (256, 256, 1),
        (256, wide, 2), (wide, wide, 1), (wide, wide, 1),
    ]  # fmt: skip


def build_model(size: str, dataset: str, **overrides: Any) -> HyperGCN:
    """Build Hyper-GCN ``size`` ('base' or 'large') for ``dataset`` ('ntu60', 'ntu120', 'ucla' or 'demo').

    Overrides: ``num_class``, ``num_point``, ``num_person`` (default: the dataset's), ``virtual_joints`` (3;
    0 reproduces the four configs the authors shipped without them, method §7.3) and ``virtual_joint_init``
    ('independent' N(0, 1) rows, or 'identical' for the authors' repeated vector, §7.1). The skeleton graph
    follows the dataset's layout (NTU 25 joints, NW-UCLA 20).
    """
    info = dataset_info(dataset)
    options = {
        "num_class": info.num_class,
        "num_point": info.num_point,
        "num_person": info.num_person,
        "virtual_joints": 3,
        "virtual_joint_init": "independent",
    }
    unknown = set(overrides) - set(options)
    if unknown:
        raise TypeError(f"build_model got unexpected overrides {sorted(unknown)}; allowed: {sorted(options)}")
    options.update(overrides)
    graph = torch.from_numpy(hypergcn_graph(info.layout, int(options["virtual_joints"])))
    if graph.shape[-1] - int(options["virtual_joints"]) != int(options["num_point"]):
        raise ValueError(
            f"num_point={options['num_point']} does not match the {info.layout!r} skeleton of dataset {dataset!r} "
            f"({graph.shape[-1] - int(options['virtual_joints'])} joints)"
        )
    return HyperGCN(
        num_class=int(options["num_class"]),
        num_point=int(options["num_point"]),
        num_person=int(options["num_person"]),
        graph=graph,
        widths=unit_widths(size),
        virtual_joint_init=str(options["virtual_joint_init"]),
    )
