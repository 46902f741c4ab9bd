"""The loader's options as recipe keys: resolution (argument, recipe, benchmark defaults, declaration,
feeder), the train/evaluation split, unchanged NTU and NW-UCLA arrays, the run description and the schema
(docs/data.md#recipe-keys-for-preprocessing)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

import hypergcn.data.dataset as dataset_module
from hypergcn.config import (
    FEEDER_KEYS,
    LOADER_DEFAULTS,
    RECIPE_DEFAULTS,
    TRAIN_ONLY_KEYS,
    RunDescription,
    config_errors,
    describe_run,
    resolve_recipe,
)
from hypergcn.data import SkeletonDataset
from hypergcn.datasets import MODALITIES, dataset_info
from tests.test_config import DEFAULT, SCHEMA
from tests.test_dataset import random_clip, write_benchmark_h5


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    rng = np.random.default_rng(11)
    ntu = [random_clip(t, rng) for t in (20, 70, 150)]
    ucla = [random_clip(t, rng, joints=20, persons=1) + 2.0 for t in (5, 40)]
    folder = tmp_path_factory.mktemp("recipe")
    return {
        "xsub": write_benchmark_h5(folder / "xsub.h5", {"train": ntu, "test": ntu}, "ntu60", "xsub"),
        "xview": write_benchmark_h5(folder / "xview.h5", {"train": ntu, "test": ntu}, "ntu60", "xview"),
        "ucla": write_benchmark_h5(folder / "ucla.h5", {"train": ucla, "test": ucla}, "ucla", "xview"),
    }


def _all(ds: SkeletonDataset) -> np.ndarray:
    return np.stack([ds[i][0].numpy() for i in range(len(ds))])


# --------------------------------------------------------------------------------------------------
# The recipe table


def test_loader_keys_are_recipe_keys_defaulting_to_the_dataset():
    assert set(LOADER_DEFAULTS) <= set(RECIPE_DEFAULTS)
    assert all(RECIPE_DEFAULTS[key] is None for key in LOADER_DEFAULTS)
    assert set(TRAIN_ONLY_KEYS) <= set(LOADER_DEFAULTS)
    assert {key for keys in FEEDER_KEYS.values() for key in keys} == set(LOADER_DEFAULTS)
    for raw_format, feeder in dataset_module.FEEDERS.items():
        assert feeder.options == FEEDER_KEYS[raw_format]


def test_schema_accepts_the_loader_keys_and_names_a_bad_value():
    config = {
        **DEFAULT,
        "recipe_overrides": {
            **DEFAULT["recipe_overrides"],
            "ntu60/xview": {"frame_sample": "resize", "p_interval": [0.7, 1.0], "test_p_interval": [0.9]},
            "ucla": {**DEFAULT["recipe_overrides"]["ucla"], "drop_joint_p": 0.2, "view_transform": False},
        },
    }
    assert config_errors(config, SCHEMA) == []
    bad = {**DEFAULT, "recipe": {"frame_sample": "crop", "p_interval": [0.0, 1.0]}}
    errors = config_errors(bad, SCHEMA)
    assert any(e.startswith("recipe.frame_sample:") for e in errors)
    assert any(e.startswith("recipe.p_interval:") for e in errors)


def test_a_recipe_key_enters_the_run_description_only_where_set():
    config = {**DEFAULT, "recipe_overrides": {**DEFAULT["recipe_overrides"], "ntu60/xview": {"align": False}}}
    xview = describe_run(config, "ntu60", "xview", "base", "joint")
    xsub = describe_run(config, "ntu60", "xsub", "base", "joint")
    assert xview.recipe["align"] is False and xsub.recipe["align"] is None
    assert resolve_recipe(config, "ntu60", "xsub", "base", "joint")["frame_sample"] is None
    # None values stay out of the JSON (the rule's params): a run that sets no loader key keeps the
    # description it had before the keys existed, and the JSON round trip restores them.
    assert "align" not in json.loads(xsub.to_json())["recipe"]
    assert json.loads(xview.to_json())["recipe"]["align"] is False
    assert RunDescription.from_json(xsub.to_json()) == xsub
    assert RunDescription.from_json(xview.to_json()) == xview
    assert xview.to_json() != describe_run(DEFAULT, "ntu60", "xview", "base", "joint").to_json()
    assert "frame_sample" not in xsub.result_fields()["recipe"]


def test_a_key_the_datasets_loader_does_not_take_fails_before_any_job():
    config = {**DEFAULT, "recipe": {"drop_joint_p": 0.3}}
    assert describe_run(config, "ucla", "xview", "base", "joint").recipe["drop_joint_p"] == 0.3
    with pytest.raises(ValueError, match=r"\['drop_joint_p'\] do not apply to ntu60/xsub.*ntu60/\*"):
        describe_run(config, "ntu60", "xsub", "base", "joint")


# --------------------------------------------------------------------------------------------------
# The loader reads them


@pytest.mark.parametrize("modality", MODALITIES)
@pytest.mark.parametrize(
    ("name", "train"), [("xsub", True), ("xview", False), ("ucla", True), ("ucla", False)]
)
def test_the_default_recipe_gives_exactly_todays_arrays(files, name, train, modality):
    """A run description's recipe with every loader key unset (None) reads the same arrays as no recipe."""
    dataset = "ucla" if name == "ucla" else "ntu60"
    benchmark = "xview" if name != "xsub" else "xsub"
    run = describe_run(DEFAULT, dataset, benchmark, "base", modality)
    options = {"window": 64, "train": train, "seed": 3, "repeat": 2 if train else 1}
    plain = SkeletonDataset(files[name], "train" if train else "test", modality, **options)
    with_recipe = SkeletonDataset(
        files[name], "train" if train else "test", modality, recipe=run.recipe, **options
    )
    np.testing.assert_array_equal(_all(with_recipe), _all(plain))


def test_recipe_keys_set_the_ntu_options(files):
    recipe = {**RECIPE_DEFAULTS, "frame_sample": "clips", "align": True, "random_rot": False}
    train = SkeletonDataset(files["xsub"], "train", "joint", train=True, recipe=recipe)
    assert (train.frame_sample, train.align, train.random_rot) == ("clips", True, False)
    explicit = SkeletonDataset(files["xsub"], "train", "joint", train=True, frame_sample="clips", align=True,
                               random_rot=False)  # fmt: skip
    np.testing.assert_array_equal(_all(train), _all(explicit))
    crop = SkeletonDataset(files["xsub"], "train", "joint", train=True, recipe={"p_interval": [0.8, 0.9]})
    assert crop.p_interval == (0.8, 0.9)
    # an argument beats the recipe
    assert (
        SkeletonDataset(files["xsub"], "test", "joint", recipe=recipe, frame_sample="resize").frame_sample
        == "resize"
    )


def test_evaluation_reads_preprocessing_but_never_augments(files):
    recipe = {"align": True, "random_rot": True, "p_interval": [0.5, 0.6], "test_p_interval": [0.8]}
    test = SkeletonDataset(files["xsub"], "test", "joint", recipe=recipe)
    assert test.align and not test.random_rot and test.p_interval == (0.8,)
    ucla = SkeletonDataset(
        files["ucla"], "test", "joint", recipe={"view_transform": True, "drop_axis_p": 1.0}
    )
    assert (ucla.view_transform, ucla.drop_axis_p, ucla.drop_joint_p) == (False, 0.0, 0.0)
    trained = SkeletonDataset(files["ucla"], "train", "joint", train=True, recipe={"drop_axis_p": 0.0})
    assert (trained.view_transform, trained.drop_axis_p, trained.drop_joint_p) == (True, 0.0, 0.5)


def test_declaration_then_benchmark_defaults_then_feeder(files, monkeypatch):
    """The declaration's recipe defaults beat the benchmark's loader_defaults (NTU-60 xview: clips and
    align), which beat the feeder's; any recipe value or argument beats them all."""
    recipe = {"frame_sample": "resize", "test_p_interval": [0.9], "random_rot": False}
    declared = dataclasses.replace(dataset_info("ntu60"), recipe_defaults=recipe)
    monkeypatch.setattr(dataset_module, "benchmark_dataset_info", lambda attrs, path=None: declared)
    xview = SkeletonDataset(files["xview"], "test", "joint")
    assert (xview.frame_sample, xview.align, xview.p_interval) == ("resize", True, (0.9,))
    xsub = SkeletonDataset(files["xsub"], "train", "joint", train=True)
    assert (xsub.frame_sample, xsub.random_rot, xsub.p_interval) == ("resize", False, (0.5, 1.0))
    assert (
        SkeletonDataset(files["xsub"], "test", "joint", recipe={"frame_sample": "clips"}).frame_sample
        == "clips"
    )
    assert SkeletonDataset(files["xsub"], "test", "joint", frame_sample="clips").frame_sample == "clips"


def test_the_declarations_recipe_refines_the_defaults_before_the_config(monkeypatch):
    import hypergcn.config as config_module

    recipe = {"epochs": 30, "random_rot": False, "test_p_interval": [0.9]}
    declared = dataclasses.replace(dataset_info("ntu60"), recipe_defaults=recipe)
    monkeypatch.setattr(config_module, "dataset_info", lambda name: declared)
    config = {**DEFAULT, "recipe": {"test_p_interval": [1.0]}}
    run = describe_run(config, "ntu60", "xsub", "base", "joint")
    assert (run.recipe["epochs"], run.recipe["random_rot"], run.recipe["test_p_interval"]) == (
        30,
        False,
        [1.0],
    )
    assert json.loads(run.to_json())["recipe"]["random_rot"] is False  # recorded: a changed value retrains


def test_recipe_keys_of_another_feeder_are_an_error(files):
    with pytest.raises(ValueError, match=r"recipe keys \['view_transform'\] do not apply to the NTU"):
        SkeletonDataset(files["xsub"], "test", "joint", recipe={"view_transform": False})
    with pytest.raises(ValueError, match=r"recipe keys \['centre', 'frame_sample'\]"):
        SkeletonDataset(files["ucla"], "test", "joint", recipe={"frame_sample": "clips", "centre": True})
    with pytest.raises(ValueError, match="p_interval needs fractions"):
        SkeletonDataset(files["xsub"], "train", "joint", train=True, recipe={"p_interval": [0.9, 0.5]})


def test_the_trainer_and_evaluation_pass_the_recipe(files, monkeypatch):
    """The training loader and score_split build the dataset from the run's recipe."""
    from hypergcn.evaluation.evaluate import inference_settings
    from hypergcn.evaluation.inference import score_split

    config = {
        **DEFAULT,
        "recipe_overrides": {**DEFAULT["recipe_overrides"], "ntu60/xsub": {"test_p_interval": [0.5]}},
    }
    run = describe_run(config, "ntu60", "xsub", "base", "joint")
    settings = dataclasses.replace(inference_settings(run), num_workers=0)
    assert settings.recipe["test_p_interval"] == [0.5]
    seen = []

    class Spy(SkeletonDataset):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            seen.append(self.p_interval)

    monkeypatch.setattr("hypergcn.evaluation.inference.SkeletonDataset", Spy)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.LazyLinear(5))
    scores = score_split(model, files["xsub"], "test", "joint", settings, torch.device("cpu"))
    assert seen == [(0.5,)] and scores.logits.shape == (3, 5)

    from hypergcn.training import trainer

    monkeypatch.setattr(trainer, "SkeletonDataset", Spy)
    recipe = {**run.recipe, "p_interval": [0.6, 0.7], "batch_size": 1, "num_workers": 0}
    spec = SimpleNamespace(run=dataclasses.replace(run, recipe=recipe), data=files["xsub"])
    ctx = SimpleNamespace(world_size=1, rank=0, device=torch.device("cpu"))
    dataset, _, _ = trainer._train_loader(spec, ctx)
    assert seen[-1] == (0.6, 0.7) and dataset.train
