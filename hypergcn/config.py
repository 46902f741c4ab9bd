"""Resolve the validated workflow config into what one job needs: deviations, recipes, run descriptions.

The workflow validates the config against ``workflow/schemas/config.schema.yaml`` (which fills no recipe or
deviation defaults); these helpers turn it into concrete values, so the rules and the command-line entry
points agree on every default. Each default lives in one table here: :data:`RECIPE_DEFAULTS`,
:data:`DEFAULT_DEVIATIONS` and :data:`PARITY_DEVIATIONS`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from hypergcn.datasets import STREAM_SETS, dataset_info

# The loader's preprocessing and augmentation (docs/data.md#recipe-keys-for-preprocessing), recipe keys
# like the others. None means "the dataset's default": the declaration's `recipe:` (which resolve_recipe
# applies), then the benchmark's `DatasetInfo.loader_defaults`, then the feeder's own default, which is the
# authors' for NTU and NW-UCLA.
LOADER_DEFAULTS: dict[str, Any] = {
    "frame_sample": None,  # resize | clips
    "align": None,  # NTU: shoulders onto +x
    "p_interval": None,  # training crop: [p] central, [low, high] random fraction of the valid frames
    "test_p_interval": None,  # the crop of evaluation (one value: central)
    "random_rot": None,  # training: 3-D rotation of ±0.3 rad per axis
    "view_transform": None,  # NW-UCLA training: rotation about x and y, and scaling
    "drop_axis_p": None,  # NW-UCLA training
    "drop_joint_p": None,  # NW-UCLA training
    "centre": None,  # clip arrays: subtract each person's mean centre
    "normalise_scale": None,  # clip arrays: divide by the layout's reference length
    "random_rot_2d": None,  # clip arrays training: rotation of x, y by U(-a, a) degrees
    "random_scale": None,  # clip arrays training: coordinates times U(low, high)
}
# The training recipe: the authors' values (docs/method.md#recipe), the project's machine settings
# (num_workers, deterministic, eval_test) and the loader keys. `recipe:` in the config and `recipe_overrides`
# patterns refine it. The seed and the precision are not recipe keys: `seeds:` and `deviations.precision`
# set them.
RECIPE_DEFAULTS: dict[str, Any] = {
    "epochs": 140,
    "batch_size": 64,
    "test_batch_size": 64,
    "base_lr": 0.05,
    "warmup_epochs": 5,
    "lr_steps": [110, 120],
    "lr_decay": 0.1,
    "momentum": 0.9,
    "nesterov": True,
    "weight_decay": 0.0004,
    "label_smoothing": 0.1,
    "divergence_weight": 1.0,
    "window": 64,
    "repeat": 1,
    "num_workers": 4,
    "deterministic": False,
    "eval_test": True,  # score the test split after every epoch, as the authors' loop does
    **LOADER_DEFAULTS,
}
# The loader keys each raw format's feeder takes (``DatasetInfo.raw_format``); any other loader key set for
# a dataset is an error, not silently ignored.
FEEDER_KEYS: dict[str, tuple[str, ...]] = {
    "ntu_skeleton": ("frame_sample", "align", "p_interval", "test_p_interval", "random_rot"),
    "ucla_json": ("view_transform", "drop_axis_p", "drop_joint_p"),
    "clip_arrays": (
        "frame_sample", "p_interval", "test_p_interval", "random_rot",
        "centre", "normalise_scale", "random_rot_2d", "random_scale",
    ),
}  # fmt: skip
# Loader keys that only the training loader reads: augmentations (evaluation is never augmented) and the
# training crop (evaluation reads test_p_interval).
TRAIN_ONLY_KEYS: tuple[str, ...] = (
    "p_interval", "random_rot", "view_transform", "drop_axis_p", "drop_joint_p", "random_rot_2d",
    "random_scale",
)  # fmt: skip
# Recipe keys that are not part of a run's result: the speed knobs a resume may change.
SPEED_KEYS: tuple[str, ...] = ("num_workers",)

# Virtual joints per layer: the authors' P; 0 reproduces their four configs without them. Here, not beside
# ModelConfig, so resolving a run description (done for every job when the workflow is parsed) never
# imports torch; hypergcn.models.config takes it from here.
DEFAULT_VIRTUAL_JOINTS = 3
DEFAULT_SEEDS: tuple[int, ...] = (1,)  # the authors' parser default; `seeds:` adds runs per seed

# The deviation switches (docs/deviations.md): the project's values, and the authors' (`parity: true`).
DEFAULT_DEVIATIONS: dict[str, str] = {
    "virtual_joint_init": "independent",
    "hyper_joints": "uniform",
    "second_actor": "copy",
    "model_selection": "last",
    "xview_test_sampling": "seeded",
    "precision": "amp",  # autocast on a GPU (bf16 where supported, else fp16); float32 on a CPU either way
}
PARITY_DEVIATIONS: dict[str, str] = {
    "virtual_joint_init": "identical",
    "hyper_joints": "as_shipped",
    "second_actor": "per_dataset",
    "model_selection": "test",
    "xview_test_sampling": "random",
    "precision": "fp32",
}
# The model selections every training keeps (deviations.model_selection picks the summary's headline).
SELECTION_LABELS: dict[str, str] = {
    "last": "last epoch",
    "val": "best validation epoch",
    "test": "best test epoch (selected on TEST set)",
}
# Config keys that moved, with where they went: an old config fails with the new key's name.
MOVED_KEYS: dict[str, str] = {
    "amp": "deviations.precision (amp | fp32)",
    "seed": "the top-level `seeds:` list",
}
# The authors' ensemble script fuses any dataset's 2 and 3 streams with these weights; its 4-stream table
# has no NW-UCLA row (docs/method.md#ensemble). Used under parity where the config's table has no entry.
AUTHORS_STREAM_WEIGHTS: dict[str, list[float]] = {"j_b": [1.0, 1.0], "j_b_jm": [0.6, 0.6, 0.4]}
# The four NTU-120 X-Set configs the authors shipped without `hyper_joints`, so without virtual joints
# (docs/method.md#q3-runs-without-virtual-joints).
_SHIPPED_WITHOUT_VIRTUAL_JOINTS = {
    ("ntu120", "xset", size, modality)
    for size in ("base", "large")
    for modality in ("joint_motion", "bone_motion")
}


def resolve_deviations(config: dict[str, Any]) -> dict[str, str]:
    """The effective deviation switches: ``parity: true`` starts from the authors' values, and a switch
    written in any config file always wins over ``parity`` (the schema fills none, so only what a user
    wrote is explicit)."""
    resolved = dict(PARITY_DEVIATIONS if config.get("parity") else DEFAULT_DEVIATIONS)
    resolved.update(config.get("deviations") or {})
    return resolved


def _pattern_matches(pattern: str, parts: tuple[str, ...]) -> bool:
    fields = pattern.split("/")
    return all(field in ("*", part) for field, part in zip(fields, parts, strict=False))


def _specificity(pattern: str) -> int:
    return sum(field != "*" for field in pattern.split("/"))


def resolve_recipe(
    config: dict[str, Any], dataset: str, benchmark: str, size: str, modality: str
) -> dict[str, Any]:
    """The training recipe of one run: :data:`RECIPE_DEFAULTS`, then the dataset declaration's ``recipe:``
    (``DatasetInfo.recipe_defaults``), then the config's ``recipe``, then every matching ``recipe_overrides``
    pattern from least to most specific (count of non-``*`` fields; ties in config order), so
    ``"ntu60/xsub/large"`` beats ``"*/*/large"``."""
    declared = getattr(dataset_info(dataset), "recipe_defaults", None) or {}
    recipe = {**RECIPE_DEFAULTS, **declared, **(config.get("recipe") or {})}
    parts = (dataset, benchmark, size, modality)
    overrides = config.get("recipe_overrides") or {}
    matching = [pattern for pattern in overrides if _pattern_matches(pattern, parts)]
    for pattern in sorted(matching, key=_specificity):  # sorted() is stable: ties keep config order
        recipe.update(overrides[pattern])
    return recipe


def num_virtual_joints(
    deviations: dict[str, str], dataset: str, benchmark: str, size: str, modality: str
) -> int:
    """Virtual joints per layer: the model's default, or 0 for the four runs the authors shipped without
    (under ``hyper_joints: as_shipped``)."""
    shipped_without = (dataset, benchmark, size, modality) in _SHIPPED_WITHOUT_VIRTUAL_JOINTS
    if deviations["hyper_joints"] == "as_shipped" and shipped_without:
        return 0
    return DEFAULT_VIRTUAL_JOINTS


@dataclass(frozen=True)
class RunDescription:
    """Everything that decides the result of one training job, resolved from the config.

    It is the rule's rerun trigger (a param), the one argument the trainer receives, and it is written to
    the job log and into ``model.pt``. Model selection is not part of it: the trainer keeps the weights of
    every selection, so changing the selection never retrains.
    """

    dataset: str
    benchmark: str
    size: str
    modality: str
    seed: int
    precision: str  # deviation switch precision: amp | fp32
    recipe: dict[str, Any]
    virtual_joints: int
    virtual_joint_init: str  # deviation switch
    test_sampling: str  # deviation switch xview_test_sampling

    def to_json(self) -> str:
        """The description as JSON; loader keys left at None (the dataset's default) are left out, so runs
        that set none keep the description (the rule's params) they had before those keys existed, and
        :meth:`from_json` restores them as None."""
        return json.dumps(self._described(), sort_keys=True)

    def _described(self) -> dict[str, Any]:
        described = asdict(self)
        described["recipe"] = {
            key: value for key, value in self.recipe.items() if not (key in LOADER_DEFAULTS and value is None)
        }
        return described

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunDescription:
        """Build from a (possibly hand-written) dict; recipe keys it leaves out take :data:`RECIPE_DEFAULTS`."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"run description: unknown keys {unknown}; known: {sorted(known)}")
        recipe = dict(data.get("recipe") or {})
        bad = sorted(set(recipe) - set(RECIPE_DEFAULTS))
        if bad:
            moved = "; ".join(f"{k} is now {MOVED_KEYS[k]}" for k in bad if k in MOVED_KEYS)
            raise ValueError(
                f"run description: unknown recipe keys {bad}{' (' + moved + ')' if moved else ''}; "
                f"known: {sorted(RECIPE_DEFAULTS)}"
            )
        fields = {**data, "recipe": {k: recipe.get(k, v) for k, v in RECIPE_DEFAULTS.items()}}
        defaults = {
            "seed": DEFAULT_SEEDS[0],
            "precision": DEFAULT_DEVIATIONS["precision"],
            "virtual_joints": DEFAULT_VIRTUAL_JOINTS,
            "virtual_joint_init": DEFAULT_DEVIATIONS["virtual_joint_init"],
            "test_sampling": DEFAULT_DEVIATIONS["xview_test_sampling"],
        }
        missing = sorted(set(("dataset", "benchmark", "size", "modality")) - set(fields))
        if missing:
            raise ValueError(f"run description: missing keys {missing}")
        return cls(**{**defaults, **fields})

    @classmethod
    def from_json(cls, text: str) -> RunDescription:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise ValueError(f"run description is not valid JSON: {err}") from None
        if not isinstance(data, dict):
            raise ValueError("run description must be a JSON object")
        return cls.from_dict(data)

    def result_fields(self) -> dict[str, Any]:
        """What a resumed run must share with its checkpoint (the speed knobs may change)."""
        described = self._described()  # a checkpoint of a run from before the loader keys still resumes
        described["recipe"] = {k: v for k, v in described["recipe"].items() if k not in SPEED_KEYS}
        return described


def foreign_loader_keys(recipe: dict[str, Any], raw_format: str) -> list[str]:
    """The loader keys ``recipe`` sets (not None) that the feeder of ``raw_format`` does not take."""
    allowed = FEEDER_KEYS.get(raw_format, ())
    return sorted(key for key in LOADER_DEFAULTS if recipe.get(key) is not None and key not in allowed)


def config_seeds(config: dict[str, Any]) -> list[int]:
    """The training seeds; the first one's outputs keep the seedless paths."""
    return [int(seed) for seed in (config.get("seeds") or DEFAULT_SEEDS)]


def describe_run(
    config: dict[str, Any], dataset: str, benchmark: str, size: str, modality: str, seed: int | None = None
) -> RunDescription:
    """The resolved description of one training job (dataset/benchmark/size/modality, and a seed of
    ``seeds:``, by default the first) of the config."""
    recipe = resolve_recipe(config, dataset, benchmark, size, modality)
    deviations = resolve_deviations(config)
    # Selecting the best test epoch needs the test split scored every epoch, whatever the recipe says.
    recipe["eval_test"] = bool(recipe["eval_test"]) or deviations["model_selection"] == "test"
    raw_format = dataset_info(dataset).raw_format
    foreign = foreign_loader_keys(recipe, raw_format)
    if foreign:
        raise ValueError(
            f"recipe keys {foreign} do not apply to {dataset}/{benchmark}/{size}/{modality}: its loader "
            f"({raw_format}) takes {list(FEEDER_KEYS.get(raw_format, ()))}; set them in recipe_overrides "
            f'for the datasets they apply to (a pattern such as "{dataset}/*" sets them for {dataset} only)'
        )
    return RunDescription(
        dataset=dataset,
        benchmark=benchmark,
        size=size,
        modality=modality,
        seed=config_seeds(config)[0] if seed is None else int(seed),
        precision=deviations["precision"],
        recipe=recipe,
        virtual_joints=num_virtual_joints(deviations, dataset, benchmark, size, modality),
        virtual_joint_init=deviations["virtual_joint_init"],
        test_sampling=deviations["xview_test_sampling"],
    )


def ensemble_weights(
    config: dict[str, Any], dataset: str, benchmark: str, size: str, streams: str
) -> list[float]:
    """Fusion weights of a stream set, in the order of ``STREAM_SETS[streams]``: the config's table; where it
    has no entry, the authors' 2- and 3-stream weights under parity, else equal weights."""
    table = (config.get("ensemble") or {}).get("weights") or {}
    weights = (table.get(f"{dataset}/{benchmark}/{size}") or {}).get(streams)
    if weights is None and config.get("parity"):
        weights = AUTHORS_STREAM_WEIGHTS.get(streams)
    if weights is None:
        return [1.0] * len(STREAM_SETS[streams])
    return [float(w) for w in weights]


def moved_key_errors(config: dict[str, Any]) -> list[str]:
    """A line per config key that moved (``recipe.amp``, ``recipe.seed`` and in ``recipe_overrides``)."""
    sections = {"recipe": config.get("recipe") or {}}
    sections.update(
        {
            f"recipe_overrides.{pattern}": values
            for pattern, values in (config.get("recipe_overrides") or {}).items()
        }
    )
    return [
        f"{where}.{key}: this key was replaced by {MOVED_KEYS[key]}; move its value there"
        for where, values in sections.items()
        if isinstance(values, dict)
        for key in values
        if key in MOVED_KEYS
    ]


def config_errors(config: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """Every schema violation of ``config`` as one line naming the offending key, e.g.
    ``recipe_overrides.demo: Additional properties are not allowed ('epoch' was unexpected)``.

    Snakemake's own validator reports the whole schema fragment; this gives the user the key to fix.
    """
    import jsonschema

    validator = jsonschema.validators.validator_for(schema)(schema)
    messages = moved_key_errors(config)
    if messages:
        return messages
    for error in sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path))):
        key = ".".join(str(part) for part in error.absolute_path) or "(top level)"
        messages.append(f"{key}: {error.message}")
    return messages
