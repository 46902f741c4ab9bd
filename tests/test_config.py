"""Config resolution: parity switches, recipe patterns, ensemble weights, and key-naming validation errors."""

import copy
from pathlib import Path

import pytest
import yaml
from snakemake.utils import update_config

from hypergcn.config import (
    PARITY_DEVIATIONS,
    config_errors,
    ensemble_weights,
    num_virtual_joints,
    resolve_deviations,
    resolve_recipe,
)

REPO = Path(__file__).resolve().parents[1]
SCHEMA = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
DEFAULT = yaml.safe_load((REPO / "config/config.yaml").read_text())


def test_default_config_is_valid():
    assert config_errors(DEFAULT, SCHEMA) == []


@pytest.mark.parametrize("overlay", sorted((REPO / "config").glob("*.yaml")))
def test_every_shipped_overlay_is_valid(overlay):
    merged = copy.deepcopy(DEFAULT)
    update_config(merged, yaml.safe_load(overlay.read_text()))  # the deep merge --configfile does
    assert config_errors(merged, SCHEMA) == []


def test_validation_error_names_the_key():
    bad = {**DEFAULT, "recipe_overrides": {"demo": {"epoch": 3}}, "deviations": {"second_actor": "dup"}}
    errors = config_errors(bad, SCHEMA)
    assert any(e.startswith("deviations.second_actor:") for e in errors)
    assert any(e.startswith("recipe_overrides.demo:") and "'epoch'" in e for e in errors)


def test_unknown_top_level_key_is_rejected():
    assert any("'raw_dirs'" in e for e in config_errors({**DEFAULT, "raw_dirs": "x"}, SCHEMA))


def test_authors_learning_rates():
    assert resolve_recipe(DEFAULT, "ntu120", "xsub", "base", "joint")["base_lr"] == 0.05
    assert resolve_recipe(DEFAULT, "ntu120", "xset", "large", "bone")["base_lr"] == 0.025
    assert resolve_recipe(DEFAULT, "ntu60", "xview", "large", "joint")["base_lr"] == 0.025
    # the one exception in the authors' configs: large NTU-60 X-Sub uses 0.05
    assert resolve_recipe(DEFAULT, "ntu60", "xsub", "large", "joint_motion")["base_lr"] == 0.05
    recipe = resolve_recipe(DEFAULT, "ntu60", "xsub", "base", "joint")
    assert (recipe["epochs"], recipe["batch_size"], recipe["lr_steps"], recipe["weight_decay"]) == (
        140,
        64,
        [110, 120],
        0.0004,
    )


def test_more_specific_pattern_wins_regardless_of_order():
    config = {
        "recipe": {"base_lr": 1.0, "epochs": 10},
        "recipe_overrides": {
            "ntu60/xsub/large": {"base_lr": 3.0},
            "*/*/large": {"base_lr": 2.0, "epochs": 5},
        },
    }
    assert resolve_recipe(config, "ntu60", "xsub", "large", "bone") == {"base_lr": 3.0, "epochs": 5}
    assert resolve_recipe(config, "ntu60", "xview", "large", "bone") == {"base_lr": 2.0, "epochs": 5}
    assert resolve_recipe(config, "ntu60", "xview", "base", "bone") == {"base_lr": 1.0, "epochs": 10}


def test_ucla_recipe_is_ctrgcn():
    recipe = resolve_recipe(DEFAULT, "ucla", "xview", "base", "joint")
    assert (recipe["batch_size"], recipe["base_lr"], recipe["lr_steps"], recipe["epochs"]) == (
        16,
        0.1,
        [50],
        65,
    )
    assert (recipe["weight_decay"], recipe["repeat"], recipe["warmup_epochs"]) == (0.0001, 5, 5)


def test_parity_sets_every_switch_and_explicit_choices_still_win():
    assert resolve_deviations({"parity": True}) == PARITY_DEVIATIONS
    resolved = resolve_deviations({"parity": True, "deviations": {"model_selection": "val"}})
    assert resolved["model_selection"] == "val"
    assert resolved["second_actor"] == "per_dataset"
    assert resolve_deviations({"parity": False})["virtual_joint_init"] == "independent"


def test_virtual_joints_as_shipped_only_for_the_four_xset_motion_runs():
    parity = {"parity": True}
    assert num_virtual_joints(parity, "ntu120", "xset", "base", "joint_motion") == 0
    assert num_virtual_joints(parity, "ntu120", "xset", "large", "bone_motion") == 0
    assert num_virtual_joints(parity, "ntu120", "xset", "base", "joint") == 3
    assert num_virtual_joints(parity, "ntu120", "xsub", "base", "joint_motion") == 3
    assert num_virtual_joints({}, "ntu120", "xset", "base", "joint_motion") == 3


def test_ensemble_weights_table_and_equal_default():
    assert ensemble_weights(DEFAULT, "ntu120", "xset", "large", "j_b_jm_bm") == [1.0, 1.5, 0.6, 0.6]
    assert ensemble_weights(DEFAULT, "ntu60", "xview", "base", "j_b_jm") == [0.6, 0.6, 0.4]
    assert ensemble_weights(DEFAULT, "ucla", "xview", "base", "j_b_jm_bm") == [1.0, 1.0, 1.0, 1.0]
