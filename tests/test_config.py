"""Config resolution: parity switches, recipe patterns, ensemble weights, and key-naming validation errors."""

import copy
from pathlib import Path

import pytest
import yaml
from snakemake.utils import update_config

from hypergcn.config import (
    DEFAULT_DEVIATIONS,
    PARITY_DEVIATIONS,
    RECIPE_DEFAULTS,
    RunDescription,
    config_errors,
    describe_run,
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
    defaults = RECIPE_DEFAULTS
    assert resolve_recipe(config, "ntu60", "xsub", "large", "bone") == {
        **defaults,
        "base_lr": 3.0,
        "epochs": 5,
    }
    assert resolve_recipe(config, "ntu60", "xview", "large", "bone") == {
        **defaults,
        "base_lr": 2.0,
        "epochs": 5,
    }
    assert resolve_recipe(config, "ntu60", "xview", "base", "bone") == {
        **defaults,
        "base_lr": 1.0,
        "epochs": 10,
    }


def test_ucla_recipe_is_ctrgcn():
    recipe = resolve_recipe(DEFAULT, "ucla", "xview", "base", "joint")
    assert (recipe["batch_size"], recipe["base_lr"], recipe["lr_steps"], recipe["epochs"]) == (
        16,
        0.1,
        [50],
        65,
    )
    assert (recipe["weight_decay"], recipe["repeat"], recipe["warmup_epochs"]) == (0.0001, 5, 5)


def test_default_config_writes_no_switch():
    assert DEFAULT["deviations"] == {} and DEFAULT["parity"] is False
    assert resolve_deviations(DEFAULT) == DEFAULT_DEVIATIONS


def test_default_config_with_parity_gives_every_authors_value():
    assert resolve_deviations({**DEFAULT, "parity": True}) == PARITY_DEVIATIONS


@pytest.mark.parametrize("switch", sorted(DEFAULT_DEVIATIONS))
def test_an_explicit_switch_wins_over_parity(switch):
    """Even when the explicit value is the project's default (it used to be ignored under parity)."""
    ours, theirs = DEFAULT_DEVIATIONS[switch], PARITY_DEVIATIONS[switch]
    resolved = resolve_deviations({**DEFAULT, "parity": True, "deviations": {switch: ours}})
    assert resolved == {**PARITY_DEVIATIONS, switch: ours}
    resolved = resolve_deviations({**DEFAULT, "parity": False, "deviations": {switch: theirs}})
    assert resolved == {**DEFAULT_DEVIATIONS, switch: theirs}


def test_virtual_joints_as_shipped_only_for_the_four_xset_motion_runs():
    parity = resolve_deviations({"parity": True})
    assert num_virtual_joints(parity, "ntu120", "xset", "base", "joint_motion") == 0
    assert num_virtual_joints(parity, "ntu120", "xset", "large", "bone_motion") == 0
    assert num_virtual_joints(parity, "ntu120", "xset", "base", "joint") == 3
    assert num_virtual_joints(parity, "ntu120", "xsub", "base", "joint_motion") == 3
    assert num_virtual_joints(DEFAULT_DEVIATIONS, "ntu120", "xset", "base", "joint_motion") == 3


def test_run_description_carries_the_resolved_recipe_switches_seed_and_precision():
    run = describe_run({**DEFAULT, "parity": True}, "ntu120", "xset", "large", "bone_motion")
    assert (run.seed, run.precision, run.virtual_joints) == (1, "fp32", 0)
    assert (run.virtual_joint_init, run.test_sampling) == ("identical", "random")
    assert run.recipe["base_lr"] == 0.025 and run.recipe["eval_test"] is True
    assert "seed" not in run.recipe and "amp" not in run.recipe
    assert RunDescription.from_json(run.to_json()) == run
    assert "model_selection" not in run.to_json()  # changing the selection never retrains


def test_run_description_from_a_hand_written_file_fills_recipe_defaults_and_names_bad_keys():
    run = RunDescription.from_dict(
        {"dataset": "demo", "benchmark": "xsub", "size": "base", "modality": "bone"}
    )
    assert run.recipe["epochs"] == 140 and run.virtual_joints == 3 and run.test_sampling == "seeded"
    with pytest.raises(ValueError, match="unknown keys \\['lr'\\]"):
        RunDescription.from_dict({"dataset": "demo", "lr": 1})
    with pytest.raises(ValueError, match="'epoch'"):
        RunDescription.from_dict({"dataset": "demo", "recipe": {"epoch": 3}})
    with pytest.raises(ValueError, match="missing keys"):
        RunDescription.from_dict({"dataset": "demo"})


def test_ensemble_weights_table_and_equal_default():
    assert ensemble_weights(DEFAULT, "ntu120", "xset", "large", "j_b_jm_bm") == [1.0, 1.5, 0.6, 0.6]
    assert ensemble_weights(DEFAULT, "ntu60", "xview", "base", "j_b_jm") == [0.6, 0.6, 0.4]
    assert ensemble_weights(DEFAULT, "ucla", "xview", "base", "j_b_jm_bm") == [1.0, 1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    ("where", "key", "new"),
    [
        ("recipe", "amp", "deviations.precision"),
        ("recipe", "seed", "seeds"),
        ("recipe_overrides.demo", "amp", "precision"),
    ],
)
def test_a_moved_recipe_key_fails_naming_its_new_place(where, key, new):
    config = copy.deepcopy(DEFAULT)
    if where == "recipe":
        config["recipe"] = {key: "off" if key == "amp" else 2}
    else:
        config["recipe_overrides"]["demo"][key] = "auto"
    (error,) = config_errors(config, SCHEMA)
    assert error.startswith(f"{where}.{key}:") and new in error


def test_precision_is_a_switch_and_the_seed_comes_from_seeds():
    run = describe_run({**DEFAULT, "seeds": [3, 4]}, "demo", "xsub", "base", "joint")
    assert (run.precision, run.seed) == ("amp", 3)
    assert describe_run({**DEFAULT, "seeds": [3, 4]}, "demo", "xsub", "base", "joint", seed=4).seed == 4
    explicit = {**DEFAULT, "parity": True, "deviations": {"precision": "amp"}}
    assert describe_run(explicit, "ntu60", "xsub", "base", "joint").precision == "amp"


def test_ucla_parity_weights_are_the_authors_script():
    """The authors' ensemble script fuses 3 streams with [0.6, 0.6, 0.4] for any dataset."""
    parity = {**DEFAULT, "parity": True}
    assert ensemble_weights(parity, "ucla", "xview", "base", "j_b_jm") == [0.6, 0.6, 0.4]
    assert ensemble_weights(parity, "ucla", "xview", "large", "j_b") == [1.0, 1.0]
    assert (
        ensemble_weights(parity, "ucla", "xview", "base", "j_b_jm_bm") == [1.0] * 4
    )  # their table has no row
    assert ensemble_weights(DEFAULT, "ucla", "xview", "base", "j_b_jm") == [1.0] * 3


def _overlay_runs(name):
    """Every run description the overlay's experiments plan, resolved through the package."""
    config = copy.deepcopy(DEFAULT)
    update_config(config, yaml.safe_load((REPO / "config" / name).read_text()))
    assert config_errors(config, SCHEMA) == []
    runs = []
    for dataset in config["run"]:
        experiment = config["experiments"][dataset]
        for benchmark in experiment["benchmarks"]:
            for size in experiment["sizes"]:
                for modality in experiment["modalities"]:
                    runs.append(describe_run(config, dataset, benchmark, size, modality))
    return config, runs


SHIPPED_WITHOUT = {
    ("ntu120", "xset", s, m) for s in ("base", "large") for m in ("joint_motion", "bone_motion")
}


def test_reproduce_is_the_papers_protocol_exactly():
    config, runs = _overlay_runs("reproduce.yaml")
    assert len(runs) == 40 and config["parity"] is True and not config["deviations"]
    assert resolve_deviations(config) == PARITY_DEVIATIONS
    for run in runs:
        name = (run.dataset, run.benchmark, run.size, run.modality)
        assert run.precision == "fp32" and run.virtual_joint_init == "identical", name
        assert run.test_sampling == "random" and run.seed == 1 and run.recipe["eval_test"], name
        assert run.virtual_joints == (0 if name in SHIPPED_WITHOUT else 3), name
        recipe = run.recipe
        if run.dataset == "ucla":
            assert (recipe["batch_size"], recipe["epochs"], recipe["lr_steps"]) == (16, 65, [50]), name
        else:
            lr = 0.05 if run.size == "base" or (run.dataset, run.benchmark) == ("ntu60", "xsub") else 0.025
            assert (recipe["base_lr"], recipe["epochs"], recipe["batch_size"]) == (lr, 140, 64), name
            assert (recipe["lr_steps"], recipe["weight_decay"], recipe["window"]) == (
                [110, 120],
                0.0004,
                64,
            ), name
            assert (recipe["momentum"], recipe["nesterov"], recipe["label_smoothing"]) == (0.9, True, 0.1), (
                name
            )


def test_reproduce_ours_runs_the_same_trainings_with_our_values():
    config, runs = _overlay_runs("reproduce-ours.yaml")
    _, paper = _overlay_runs("reproduce.yaml")
    assert len(runs) == 40 and resolve_deviations(config) == DEFAULT_DEVIATIONS
    for ours, theirs in zip(runs, paper, strict=True):
        assert (ours.dataset, ours.benchmark, ours.size, ours.modality) == (
            theirs.dataset, theirs.benchmark, theirs.size, theirs.modality
        )  # fmt: skip
        assert ours.recipe == theirs.recipe
        assert (ours.precision, ours.virtual_joint_init, ours.test_sampling) == (
            "amp",
            "independent",
            "seeded",
        )
        assert ours.virtual_joints == 3
