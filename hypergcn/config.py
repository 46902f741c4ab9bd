"""Resolve the validated workflow config into what one stage needs: deviations, recipes, ensemble weights.

The workflow validates the config against ``workflow/schemas/config.schema.yaml``; these helpers turn the
validated dict into concrete values for one (dataset, benchmark, size, modality) run, so the rules and the
command-line entry points agree on every default.
"""

from __future__ import annotations

from typing import Any

from hypergcn.datasets import STREAM_SETS

# The authors' value of every deviation switch (pipeline-design §8).
PARITY_DEVIATIONS: dict[str, str] = {
    "virtual_joint_init": "identical",
    "hyper_joints": "as_shipped",
    "second_actor": "per_dataset",
    "model_selection": "test",
    "xview_test_sampling": "random",
}
DEFAULT_DEVIATIONS: dict[str, str] = {
    "virtual_joint_init": "independent",
    "hyper_joints": "uniform",
    "second_actor": "copy",
    "model_selection": "last",
    "xview_test_sampling": "seeded",
}

# The four NTU-120 X-Set configs that omit `hyper_joints` and so train without virtual joints (method §7.3).
_SHIPPED_WITHOUT_VIRTUAL_JOINTS = {
    ("ntu120", "xset", size, modality)
    for size in ("base", "large")
    for modality in ("joint_motion", "bone_motion")
}


def resolve_deviations(config: dict[str, Any]) -> dict[str, str]:
    """The effective deviation switches: ``parity: true`` sets all to the authors' values.

    Under parity, a switch the user set explicitly to a non-default value still wins, so
    ``parity: true`` plus ``model_selection: val`` is possible.
    """
    explicit = dict(config.get("deviations") or {})
    resolved = dict(PARITY_DEVIATIONS if config.get("parity") else DEFAULT_DEVIATIONS)
    for key, value in explicit.items():
        if not config.get("parity") or value != DEFAULT_DEVIATIONS.get(key):
            resolved[key] = value
    return resolved


def _pattern_matches(pattern: str, parts: tuple[str, ...]) -> bool:
    fields = pattern.split("/")
    return all(field in ("*", part) for field, part in zip(fields, parts, strict=False))


def _specificity(pattern: str) -> int:
    return sum(field != "*" for field in pattern.split("/"))


def resolve_recipe(
    config: dict[str, Any], dataset: str, benchmark: str, size: str, modality: str
) -> dict[str, Any]:
    """The training recipe of one run: ``recipe`` updated by every matching ``recipe_overrides`` pattern.

    Patterns are applied from least to most specific (count of non-``*`` fields), ties in config order,
    so ``"ntu60/xsub/large"`` beats ``"*/*/large"``.
    """
    recipe = dict(config["recipe"])
    parts = (dataset, benchmark, size, modality)
    overrides = config.get("recipe_overrides") or {}
    matching = [pattern for pattern in overrides if _pattern_matches(pattern, parts)]
    for pattern in sorted(matching, key=_specificity):  # sorted() is stable: ties keep config order
        recipe.update(overrides[pattern])
    return recipe


def num_virtual_joints(config: dict[str, Any], dataset: str, benchmark: str, size: str, modality: str) -> int:
    """Virtual joints per layer: 3, or 0 for the four runs the authors shipped without (under parity)."""
    if resolve_deviations(config)["hyper_joints"] == "as_shipped" and (
        (dataset, benchmark, size, modality) in _SHIPPED_WITHOUT_VIRTUAL_JOINTS
    ):
        return 0
    return 3


def ensemble_weights(
    config: dict[str, Any], dataset: str, benchmark: str, size: str, streams: str
) -> list[float]:
    """Fusion weights of a stream set, in the order of ``STREAM_SETS[streams]``; equal if not configured."""
    table = (config.get("ensemble") or {}).get("weights") or {}
    weights = (table.get(f"{dataset}/{benchmark}/{size}") or {}).get(streams)
    if weights is None:
        return [1.0] * len(STREAM_SETS[streams])
    return [float(w) for w in weights]


def config_errors(config: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """Every schema violation of ``config`` as one line naming the offending key, e.g.
    ``recipe_overrides.demo: Additional properties are not allowed ('epoch' was unexpected)``.

    Snakemake's own validator reports the whole schema fragment; this gives the user the key to fix.
    """
    import jsonschema

    validator = jsonschema.validators.validator_for(schema)(schema)
    messages = []
    for error in sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path))):
        key = ".".join(str(part) for part in error.absolute_path) or "(top level)"
        messages.append(f"{key}: {error.message}")
    return messages
