"""The NW-UCLA DAG end to end through snakemake.api, on a synthetic folder in the real JSON format.

The folder has every action in all three views, a one-frame test clip and a malformed file (skipped with
``on_bad_file: skip``); the schedule is one tiny epoch so the whole run stays within about a minute on 2 CPUs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import h5py
import numpy as np
import pytest

from hypergcn.data.ucla import UCLA_VIEWS, parse_name, read_skeleton_json
from tests.reference.ucla_json import make_synthetic_ucla

pytestmark = pytest.mark.slow

OVERLAY = [
    Path(__file__).resolve().parents[1] / "config" / "ucla.yaml"
]  # the users' overlay, with the tiny schedule merged over it

SUBJECTS = (1, 2)
ONE_FRAME = "a04_s02_e00_v03"
MALFORMED = "a05_s01_e01_v02"  # episode 1 is not generated, so this is an extra, broken file


@pytest.fixture(scope="module")
def ucla_raw(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("nw_ucla") / "all_sqe"
    make_synthetic_ucla(
        raw, seed=0, subjects=SUBJECTS, views=UCLA_VIEWS, frames=(8, 24), one_frame=[ONE_FRAME]
    )
    (raw / f"{MALFORMED}.json").write_text('{"skeletons": [[[0.1, 0.2, 0.3]]]}')  # 1 joint instead of 20
    return raw


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ucla_workflow")


def ucla_config(raw: Path) -> dict:
    return {
        "run": ["ucla"],
        "datasets": {"ucla": {"raw_dir": str(raw), "on_bad_file": "skip"}},
        # One of the two subjects becomes the validation split; the ensemble weights are fitted on it.
        "validation": {"fraction": 0.5, "seed": 1},
        "ensemble": {"search": True},
        "experiments": {
            "ucla": {
                "benchmarks": ["xview"],
                "sizes": ["base"],
                "modalities": ["joint", "bone"],
                "ensembles": ["j_b"],
            }
        },
        "recipe_overrides": {
            "ucla": {
                "epochs": 1,
                "batch_size": 8,
                "test_batch_size": 16,
                "warmup_epochs": 0,
                "lr_steps": [],
                "repeat": 1,
                "window": 16,
                "num_workers": 0,
            }
        },
    }


def test_ucla_benchmark_file(workflow_runner, ucla_raw, workdir):
    workflow_runner(
        workdir, targets=["results/data/ucla/xview.h5"], config=ucla_config(ucla_raw), configfiles=OVERLAY
    )

    clips = {p.stem: read_skeleton_json(p) for p in sorted(ucla_raw.glob("*.json")) if p.stem != MALFORMED}
    longest = max(c.shape[0] for c in clips.values())
    with h5py.File(workdir / "results/data/ucla/xview.h5", "r") as h5:
        attrs = dict(h5.attrs)
        assert (attrs["dataset"], attrs["benchmark"]) == ("ucla", "xview")
        assert (attrs["num_class"], attrs["num_point"], attrs["num_person"]) == (10, 20, 1)
        sizes, subjects = {}, {}
        for split in ("train", "val", "test"):
            group = h5[split]
            names = list(group["name"].asstr()[()])
            x, y, frames = group["x"], group["y"][()], group["frames"][()]
            sizes[split] = len(names)
            subjects[split] = {parse_name(n).subject for n in names}
            assert x.dtype == np.float32 and x.shape == (len(names), 3, longest, 20, 1)
            assert {parse_name(n).view for n in names} == ({"v03"} if split == "test" else {"v01", "v02"})
            assert len(set(names)) == len(names)
            assert list(y) == [parse_name(n).label for n in names] and set(y) == set(range(10))
            for i, name in enumerate(names):
                clip = clips[name]
                assert frames[i] == clip.shape[0]
                sample = x[i]
                # Raw coordinates (no centring in the file), zero padding after the last frame.
                np.testing.assert_array_equal(sample[:, : clip.shape[0], :, 0], clip.transpose(2, 0, 1))
                assert not sample[:, clip.shape[0] :].any()
        # Training views v01 + v02 split by subject into train and val; test = every v03 clip.
        assert sizes == {"train": 10 * 2, "val": 10 * 2, "test": 10 * len(SUBJECTS)}
        assert len(subjects["val"]) == 1 and subjects["train"] | subjects["val"] == set(SUBJECTS)
        assert subjects["test"] == set(SUBJECTS)
        assert h5["test"]["frames"][list(h5["test"]["name"].asstr()[()]).index(ONE_FRAME)] == 1

    # The malformed file is skipped and listed, once, by the shard of its view.
    skipped = {}
    for view in UCLA_VIEWS:
        with h5py.File(workdir / f"results/data/ucla/parsed/{view}.h5", "r") as h5:
            skipped[view] = [Path(e["file"]).name for e in json.loads(h5.attrs["skipped"])]
    assert skipped == {"v01": [], "v02": [f"{MALFORMED}.json"], "v03": []}


def test_ucla_end_to_end(workflow_runner, ucla_raw, workdir):
    workflow_runner(
        workdir, targets=["results/summary.csv"], config=ucla_config(ucla_raw), configfiles=OVERLAY
    )

    for modality in ("joint", "bone"):
        metrics = json.loads((workdir / f"results/eval/ucla/xview/base/{modality}/metrics.json").read_text())
        assert metrics["n"] == 10 * len(SUBJECTS)
        assert 0 <= metrics["top1"] <= 100 and np.asarray(metrics["confusion"]).shape == (10, 10)
        assert (workdir / f"results/eval/ucla/xview/base/{modality}/val_scores.npz").is_file()
    fused = json.loads((workdir / "results/ensemble/ucla/xview/base/j_b/metrics.json").read_text())
    assert fused["n"] == 10 * len(SUBJECTS) and 0 <= fused["top1"] <= fused["top5"] <= 100
    # Weights fitted on the validation subject, starting from the overlay's equal NW-UCLA table.
    assert "validation" in fused["weights_source"] and len(fused["weights"]) == 2
    summary = (workdir / "results/summary.csv").read_text()
    assert "ucla" in summary


def test_ucla_overlay_plans_the_full_experiment(workflow_runner, ucla_raw, tmp_path, capfd):
    """config/ucla.yaml alone (raw_dir aside) plans 4 modalities x base and large, and 3 ensembles each."""
    workflow_runner(
        tmp_path, config={"datasets": {"ucla": {"raw_dir": str(ucla_raw)}}}, configfiles=OVERLAY, dryrun=True
    )
    captured = capfd.readouterr()
    stats = dict(re.findall(r"^(\w+)\s+(\d+)$", captured.out + captured.err, re.MULTILINE))  # the job table
    counts = {job: int(stats.get(job, 0)) for job in ("parse_skeletons", "train_model", "evaluate_model")}
    assert counts == {"parse_skeletons": 3, "train_model": 8, "evaluate_model": 16}  # both selections
    assert int(stats["ensemble_streams"]) == 12  # both selections
