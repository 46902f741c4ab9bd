"""Load the authors' released ``runs-<epoch>-<step>.pt`` weights into :class:`~hypergcn.models.HyperGCN`.

Their files hold a plain ``state_dict`` with the key names of docs/method.md#released-weights, sometimes with
DataParallel's ``module.`` prefix, and the fixed graph ``PA`` of every layer stored as a (frozen) parameter.
Our model keeps ``PA`` as a non-persistent buffer rebuilt from its config's bones, so a stored ``PA`` is
checked against it and then dropped. Anything else that does not match exactly is an error that names the
first offending key and says which model the weights were trained as.

(Our own trained models are model files, :mod:`hypergcn.models.model_file`; "checkpoint" in this package
means a training run's resume state only.)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor, nn

from hypergcn.models.config import FINAL_WIDTH


def _strip_prefix(state: Mapping[str, Any]) -> dict[str, Any]:
    prefix = "module."
    return {key.removeprefix(prefix): value for key, value in state.items()}


def describe_released_weights(state: Mapping[str, Tensor]) -> dict[str, Any]:
    """What model a state_dict was trained as: size, num_class, num_point, num_person, virtual_joints."""
    state = _strip_prefix(state)
    info: dict[str, Any] = {}
    if "fc.weight" in state:
        info["num_class"], width = state["fc.weight"].shape
        sizes = {final: size for size, final in FINAL_WIDTH.items()}
        info["size"] = sizes.get(width, f"unknown (final width {width})")
    if "pos_embedding" in state:
        info["num_point"] = state["pos_embedding"].shape[1]
        if "data_bn.weight" in state:
            info["num_person"] = state["data_bn.weight"].numel() // (
                info["num_point"] * state["pos_embedding"].shape[2]
            )
    if "l1.gcn1.hyper_joint" in state:
        info["virtual_joints"] = state["l1.gcn1.hyper_joint"].shape[0]
    return info


def _model_description(model: nn.Module) -> dict[str, Any]:
    return describe_released_weights(model.state_dict())


def load_official_weights(
    model: nn.Module, path_or_state_dict: str | os.PathLike | Mapping[str, Tensor]
) -> nn.Module:
    """Load released weights (a path, or a state_dict already in memory) into ``model``, strictly.

    Files are read with ``torch.load(weights_only=True)``. Returns ``model``. Raises ``ValueError`` on the
    first missing, unexpected or wrongly shaped key, or if a stored ``PA`` graph differs from the model's.
    """
    if isinstance(path_or_state_dict, Mapping):
        state = dict(path_or_state_dict)
    else:
        state = torch.load(path_or_state_dict, map_location="cpu", weights_only=True)
        if not isinstance(state, Mapping):
            raise ValueError(f"{path_or_state_dict}: expected a state_dict, found {type(state).__name__}")
    state = _strip_prefix(state)
    expected = model.state_dict()
    hint = (
        f"the weights look like {describe_released_weights(state)}, "
        f"the model is {_model_description(model)}; "
        "rebuild the model with the matching size/dataset/virtual_joints"
    )

    graphs = {name: buf for name, buf in model.named_buffers() if name.endswith(".PA")}
    for name, graph in graphs.items():
        if name not in state:
            continue  # our own state_dicts do not store the fixed graph
        stored = state.pop(name)
        if stored.shape != graph.shape:
            raise ValueError(
                f"graph {name}: stored shape {tuple(stored.shape)} != {tuple(graph.shape)}; {hint}"
            )
        if not torch.equal(stored.to(graph.dtype).cpu(), graph.cpu()):
            raise ValueError(
                f"graph {name}: the stored fixed skeleton graph differs from this model's; {hint}"
            )

    for name in expected:
        if name not in state:
            raise ValueError(f"missing key {name!r} in the weights; {hint}")
    for name, value in state.items():
        if name not in expected:
            raise ValueError(f"unexpected key {name!r} in the weights; {hint}")
        if not isinstance(value, Tensor):
            raise ValueError(f"key {name!r} holds a {type(value).__name__}, not a tensor")
        if value.shape != expected[name].shape:
            raise ValueError(
                f"shape mismatch for {name!r}: weights {tuple(value.shape)}, "
                f"model {tuple(expected[name].shape)}; {hint}"
            )
    model.load_state_dict(state, strict=True)
    return model
