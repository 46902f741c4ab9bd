"""Hyper-GCN models.

Every model is built from a :class:`ModelConfig` (``HyperGCN(config)``): :func:`model_config` gives the config
of a size and dataset, :func:`build_model` builds it, the model file (:func:`save_model_file`,
:func:`load_model_file`, :func:`build_from_model_file`) stores a trained model with its config,
:func:`load_official_weights` loads the authors' released weights, and :func:`fold_for_inference` gives the
fast eval-only copy of a model that evaluation and prediction run.
"""

from __future__ import annotations

from typing import Any

from hypergcn.models.config import DEFAULT_VIRTUAL_JOINTS, ModelConfig, model_config, unit_widths
from hypergcn.models.hypergcn import HyperGCN, divergence
from hypergcn.models.inference_fold import fold_for_inference
from hypergcn.models.model_file import ModelFile, build_from_model_file, load_model_file, save_model_file
from hypergcn.models.released_weights import describe_released_weights, load_official_weights

__all__ = [
    "DEFAULT_VIRTUAL_JOINTS",
    "HyperGCN",
    "ModelConfig",
    "ModelFile",
    "build_from_model_file",
    "build_model",
    "describe_released_weights",
    "divergence",
    "fold_for_inference",
    "load_model_file",
    "load_official_weights",
    "model_config",
    "save_model_file",
    "unit_widths",
]


def build_model(size: str, dataset: str, **overrides: Any) -> HyperGCN:
    """``HyperGCN(model_config(size, dataset, **overrides))``: Hyper-GCN ``size`` ('base' or 'large') for
    ``dataset``, with the overrides of :func:`model_config` (``num_class``, ``num_point``, ``num_person``,
    ``in_channels``, ``virtual_joints``, ``virtual_joint_init``)."""
    return HyperGCN(model_config(size, dataset, **overrides))
