"""The model file (``model.pt``): a trained Hyper-GCN, the exact config it was built from, and its metadata.

Format ``hypergcn-model/2`` is one ``torch.save`` of a plain dict, readable with ``weights_only=True`` (no
pickled classes, so loading a file runs no code)::

    {"format": "hypergcn-model/2",
     "model": ModelConfig.to_dict(),    # JSON-safe: what HyperGCN(config) needs, bones included
     "state_dict": {name: tensor},      # the main weights ("last"): the authors' names, without the graph PA
     "selections": {selection: {name: tensor}},  # other weights of the same model, e.g. "val" (may be empty)
     "metadata": {...}}                 # JSON-safe: how the model was trained (dataset, recipe, ...)

A training run keeps every model selection it can make (the last epoch, the best validation epoch, ...) in
one file, so choosing another selection never retrains; :func:`load_model_file` returns the one asked for.

Each fact is stated once: the model's own facts (size, classes, joints, ...) are in ``model`` only, so
``metadata`` may not repeat a config key. Files of the previous format ``hypergcn-model/1`` (``{"state_dict",
"metadata"}`` with the model's facts and the dataset's name in ``metadata``) still load: their config is
rebuilt from the metadata and the dataset's layout, and their one state_dict is the selection their metadata
names (``model_selection``, "last" if absent).

What ``hypergcn predict`` reads from a trained model's metadata (docs/predict.md), so that new clips get the
preprocessing the model was evaluated with, without the config or the benchmark file:

* ``run``: the run description (modality, window, test-time sampling, seed, recipe's loader keys);
* ``data.attrs``: the benchmark file's content attributes (dataset, layout, benchmark, classes, persons,
  ``max_frames``, ``second_actor`` and, where the file has it, the dataset's ``declaration``);
* ``actions``: the class names in label order (:func:`action_names_for`).

A file without ``data`` or ``actions`` (written before them) falls back to its dataset's package declaration.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from hypergcn.datasets import DatasetInfo
from hypergcn.io import atomic_path
from hypergcn.models.config import ModelConfig, model_config
from hypergcn.models.hypergcn import HyperGCN

FORMAT = "hypergcn-model/2"
MAIN_SELECTION = "last"  # the name of a file's main weights
_FORMAT_1 = "hypergcn-model/1"
_CONFIG_KEYS = frozenset(field.name for field in dataclasses.fields(ModelConfig))


@dataclass(frozen=True)
class ModelFile:
    """A model file's contents, with the weights of one selection.

    ``HyperGCN(config)`` accepts ``state_dict``, the weights of ``selection``; ``selections`` names every
    selection the file holds; ``metadata`` is free JSON.
    """

    config: ModelConfig
    state_dict: dict[str, Tensor]
    metadata: dict[str, Any]
    selection: str = MAIN_SELECTION
    selections: tuple[str, ...] = (MAIN_SELECTION,)


def save_model_file(
    path: str | os.PathLike,
    config: ModelConfig,
    state_dict: Mapping[str, Tensor],
    metadata: dict[str, Any],
    selections: Mapping[str, Mapping[str, Tensor]] | None = None,
) -> None:
    """Write a ``hypergcn-model/2`` file atomically (a killed job leaves no half-written ``model.pt``).

    ``state_dict`` is the main weights (selection ``"last"``); ``selections`` adds other named weights of the
    same model. Raises ``ValueError`` if ``metadata`` is not JSON-safe or repeats a :class:`ModelConfig`
    key, or if a weight is not a tensor.
    """
    repeated = sorted((_CONFIG_KEYS | {"format"}).intersection(metadata))
    if repeated:
        raise ValueError(
            f"metadata repeats {repeated}: the model file states the model's config (and its format) once"
        )
    try:
        plain_metadata = json.loads(json.dumps(metadata))
    except (TypeError, ValueError) as err:
        raise ValueError(f"model file metadata must be JSON-safe: {err}") from None
    selections = dict(selections or {})
    if MAIN_SELECTION in selections or not all(isinstance(name, str) and name for name in selections):
        raise ValueError(f"selections {list(selections)}: names must be non-empty and not {MAIN_SELECTION!r}")
    payload = {
        "format": FORMAT,
        "model": config.to_dict(),
        "state_dict": _cpu_tensors(state_dict, "state_dict"),
        "selections": {
            name: _cpu_tensors(state, f"selection {name!r}") for name, state in selections.items()
        },
        "metadata": plain_metadata,
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load_model_file(path: str | os.PathLike, selection: str = MAIN_SELECTION) -> ModelFile:
    """Read a model file of either format with ``torch.load(weights_only=True)`` onto the CPU, with the
    weights of ``selection``.

    Raises ``ValueError`` naming ``path`` for anything that is not a hypergcn model file (including the
    authors' released weights, which :func:`~hypergcn.models.load_official_weights` reads), or if the file
    holds no weights of ``selection``.
    """
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError) as err:
        raise ValueError(f"{path} is not a hypergcn model file (torch.load failed: {err})") from None
    if not isinstance(payload, dict):
        raise ValueError(f"{path} is not a hypergcn model file: it holds a {type(payload).__name__}")
    try:
        if payload.get("format") == FORMAT:
            contents = _read_format_2(payload, selection)
        elif "format" not in payload and set(payload) == {"state_dict", "metadata"}:
            contents = _read_format_1(payload, selection)
        elif "format" in payload:
            raise ValueError(
                f"unsupported format {payload['format']!r}; this version reads {FORMAT} and {_FORMAT_1}"
            )
        elif all(isinstance(value, Tensor) for value in payload.values()):
            raise ValueError("it holds a bare state_dict (released weights load with load_official_weights)")
        else:
            raise ValueError(f"unexpected keys {sorted(map(str, payload))}")
    except _NoSelection as err:
        raise ValueError(f"{path}: {err}") from None
    except ValueError as err:
        raise ValueError(f"{path} is not a hypergcn model file: {err}") from None
    return contents


def build_from_model_file(
    path: str | os.PathLike, selection: str = MAIN_SELECTION
) -> tuple[HyperGCN, ModelFile]:
    """The model a model file describes, with the weights of ``selection`` loaded strictly, and the file's
    contents."""
    contents = load_model_file(path, selection)
    model = HyperGCN(contents.config)
    try:
        model.load_state_dict(contents.state_dict, strict=True)
    except RuntimeError as err:
        raise ValueError(f"{path}: the weights do not fit the model its config describes: {err}") from None
    return model, contents


def action_names_for(info: DatasetInfo, num_class: int) -> list[str]:
    """The names of a model's ``num_class`` classes in label order, as ``model.pt`` records them (``actions``):
    the dataset's action table, and ``class <label>`` for a label it does not name (a demo with more
    classes than its table), so a prediction always has a name to show."""
    named = {int(label): str(name) for label, _code, name in info.action_table}
    return [named.get(label, f"class {label}") for label in range(num_class)]


class _NoSelection(ValueError):
    """A valid model file without the weights asked for."""


def _cpu_tensors(state: Mapping[str, Tensor], what: str) -> dict[str, Tensor]:
    not_tensors = [name for name, value in state.items() if not isinstance(value, Tensor)]
    if not_tensors:
        raise ValueError(f"{what} entries {not_tensors[:5]} are not tensors")
    return {name: value.detach().cpu() for name, value in state.items()}


def _state_dict(value: Any, what: str = "'state_dict'") -> dict[str, Tensor]:
    if not isinstance(value, dict) or not all(isinstance(item, Tensor) for item in value.values()):
        raise ValueError(f"{what} is not a mapping of names to tensors")
    return value


def _selected(weights: dict[str, Any], selection: str) -> dict[str, Tensor]:
    if selection not in weights:
        raise _NoSelection(f"no {selection!r} selection in this model file; it holds {list(weights)}")
    return _state_dict(weights[selection], f"the weights of selection {selection!r}")


def _metadata(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"'metadata' is a {type(value).__name__}, not a mapping")
    return value


def _read_format_2(payload: dict[str, Any], selection: str) -> ModelFile:
    unexpected = sorted(set(payload) - {"format", "model", "state_dict", "selections", "metadata"})
    missing = sorted({"model", "state_dict", "selections", "metadata"} - set(payload))
    if unexpected or missing:
        raise ValueError(f"{FORMAT} payload with unexpected keys {unexpected} / missing keys {missing}")
    config = ModelConfig.from_dict(payload["model"])
    metadata = _metadata(payload["metadata"])
    if not isinstance(payload["selections"], dict):
        raise ValueError("'selections' is not a mapping")
    weights = {MAIN_SELECTION: payload["state_dict"], **payload["selections"]}
    return ModelFile(config, _selected(weights, selection), metadata, selection, tuple(weights))


def _read_format_1(payload: dict[str, Any], selection: str) -> ModelFile:
    """The trainer's first format: the model's facts sit in the metadata beside the dataset's name."""
    metadata = _metadata(payload["metadata"])
    if metadata.get("format") != _FORMAT_1:
        raise ValueError(f"its metadata names format {metadata.get('format')!r}, expected {_FORMAT_1!r}")
    overrides = ["num_class", "num_point", "num_person", "virtual_joints", "virtual_joint_init"]
    missing = [key for key in ["size", "dataset", *overrides] if key not in metadata]
    if missing:
        raise ValueError(f"{_FORMAT_1} metadata lacks {missing}")
    config = model_config(metadata["size"], metadata["dataset"], **{key: metadata[key] for key in overrides})
    rest = {key: value for key, value in metadata.items() if key not in _CONFIG_KEYS | {"format"}}
    weights = {str(metadata.get("model_selection", MAIN_SELECTION)): payload["state_dict"]}
    return ModelFile(config, _selected(weights, selection), rest, selection, tuple(weights))
