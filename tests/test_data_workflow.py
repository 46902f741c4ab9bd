"""The data rules through the Snakemake API (tests/conftest.py): demo data end to end, and the raw-dir error."""

from __future__ import annotations

import json

import h5py
import pytest

from tests.conftest import run_workflow

# A smaller demo than the default (96 files instead of 384): 2 setups x 1 camera x 6 subjects x 8 classes.
DEMO = {"demo": {"seed": 0, "num_class": 8, "setups": ["S001", "S002"], "subjects": [1, 2, 3, 4, 5, 6],
                 "repetitions": 1, "cameras": [1]}}  # fmt: skip


@pytest.mark.slow
def test_demo_data_rules(tmp_path):
    targets = ["results/data/demo/xsub.h5", "results/data/demo/statistics.json"]
    run_workflow(tmp_path, targets=targets, config=DEMO)
    with h5py.File(tmp_path / "results/data/demo/xsub.h5") as h5:
        assert dict(h5.attrs)["dataset"] == "demo" and h5.attrs["benchmark"] == "xsub"
        assert (h5.attrs["num_class"], h5.attrs["num_point"], h5.attrs["num_person"]) == (8, 25, 2)
        assert h5.attrs["second_actor"] == "copy" and len(h5.attrs["config_digest"]) == 16
        assert h5["train"]["x"].shape == (64, 3, 300, 25, 2)  # subjects 1, 2, 4, 5
        assert h5["test"]["x"].shape == (32, 3, 300, 25, 2)  # subjects 3, 6
        assert h5["train"]["x"].chunks == (1, 3, 300, 25, 2)
        assert sorted(set(h5["train"]["y"][()].tolist())) == list(range(8))
        names = list(h5["test"]["name"].asstr()[()])
        assert names[0] == "S001C001P003R001A001" and names[-1] == "S002C001P006R001A008"
        frames = h5["train"]["frames"][()]
        assert frames.min() >= 30 and frames.max() <= 110
        x = h5["train"]["x"][0]
        assert x[:, : frames[0]].any() and not x[:, frames[0] :].any()
    stats = json.loads((tmp_path / "results/data/demo/statistics.json").read_text())
    assert stats["samples"] == 96 and stats["splits"]["xsub"] == {"train": 64, "test": 32}
    assert stats["skipped_files"] == [] and stats["bodies"]["dropped"]["length_le_11_frames"] > 0
    for rule, wildcard in (("denoise_skeletons", "demo"), ("build_benchmark", "demo/xsub")):
        assert (tmp_path / f"results/logs/{rule}/{wildcard}.log").exists()
        assert (tmp_path / f"results/benchmarks/{rule}/{wildcard}.tsv").exists()
    # one job parsed and denoised both setups, packing the chunks the build then copied
    assert sorted(p.name for p in (tmp_path / "results/data/demo/denoised").glob("*.h5")) == [
        "S001.h5",
        "S002.h5",
    ]
    assert not (tmp_path / "results/data/demo/parsed").exists()
    assert "packed chunks copied" in (tmp_path / "results/logs/build_benchmark/demo/xsub.log").read_text()
    assert len(list((tmp_path / "results/raw/demo").glob("*.skeleton"))) == 96


def test_unset_raw_dir_fails_before_any_job(tmp_path):
    with pytest.raises(Exception) as info:  # noqa: PT011 - Snakemake wraps the WorkflowError
        run_workflow(tmp_path, targets=["results/data/ntu60/xsub.h5"], dryrun=True)
    message = str(info.value)
    assert "datasets.ntu60.raw_dir is not set" in message and "56,880 .skeleton files" in message
    assert not (tmp_path / "results").exists()


def test_empty_raw_dir_fails_before_any_job(tmp_path):
    (tmp_path / "empty").mkdir()
    config = {"datasets": {"ntu120": {"raw_dir": [str(tmp_path / "empty")]}}}
    with pytest.raises(Exception) as info:  # noqa: PT011
        run_workflow(tmp_path, targets=["results/data/ntu120/xset.h5"], config=config, dryrun=True)
    assert "datasets.ntu120.raw_dir" in str(info.value) and "57,600 more" in str(info.value)
