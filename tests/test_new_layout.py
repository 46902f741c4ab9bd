"""A new skeleton layout is a declaration and a folder of clips, not a code change (issue 16, docs/layouts.md).

The test writes NEW FILES ONLY, into its temporary folder: a declaration of a 17-joint two-dimensional
layout with confidences (COCO-17 keypoints, 2 persons), its action names, a folder of small ``.npz`` clips
with ``manifest.csv`` (clips of 1, 2 and 3 persons, and one bad clip left out with ``on_bad_file: skip``),
and a config overlay that names them. Then it drives parse -> build -> train -> evaluate through
``snakemake.api`` and reads the results.
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

from hypergcn.data.benchmark_file import read_benchmark_info
from tests.conftest import REPO, run_workflow

JOINTS = [
    "nose", "left eye", "right eye", "left ear", "right ear", "left shoulder", "right shoulder",
    "left elbow", "right elbow", "left wrist", "right wrist", "left hip", "right hip", "left knee",
    "right knee", "left ankle", "right ankle",
]  # fmt: skip
PARENTS = [
    "nose", "nose", "nose", "left eye", "right eye", "nose", "nose", "left shoulder", "right shoulder",
    "left elbow", "right elbow", "left shoulder", "right shoulder", "left hip", "right hip", "left knee",
    "right knee",
]  # fmt: skip
ACTIONS = [("W1", "wave"), ("S1", "squat"), ("J1", "jump")]
SUBJECTS = (1, 2, 3, 4)
TEST_SUBJECTS = [4]


def declaration(name: str = "pose17") -> dict:
    """The declaration a user writes (docs/layouts.md#the-declaration)."""
    return {
        "name": name,
        "layout": {
            "name": f"{name}-coco",
            "joints": JOINTS,
            "parents": PARENTS,
            "centre": ["left hip", "right hip"],
            "persons": 2,
            "channels": ["x", "y", "confidence"],
            "reference": [["left shoulder", "left hip"], ["right shoulder", "right hip"]],
        },
        "actions": "actions.tsv",
        "num_class": len(ACTIONS),
        "raw_format": "clip_arrays",
        "shard_by": "camera",
        "splits": {"xsub": {"column": "subject", "test": TEST_SUBJECTS}},
        "validation_unit": "subject",
    }


def _clip(rng: np.random.Generator, label: int, persons: int, frames: int) -> np.ndarray:
    """(T, V, 3) for one person, else (T, M, V, 3): x, y in pixels and a confidence in [0, 1]."""
    t = np.linspace(0, 2 * np.pi, frames, dtype=np.float32)[:, None, None]
    base = rng.uniform(200, 800, size=(1, persons, len(JOINTS), 2)).astype(np.float32)
    motion = 40 * np.sin((label + 1) * t)[..., None] * np.ones((1, persons, len(JOINTS), 2), np.float32)
    xy = base + motion + rng.normal(0, 2, size=(frames, persons, len(JOINTS), 2)).astype(np.float32)
    confidence = rng.uniform(0.3, 1.0, size=(frames, persons, len(JOINTS), 1)).astype(np.float32)
    array = np.concatenate([xy, confidence], axis=-1)
    return array[:, 0] if persons == 1 else array


def write_dataset(folder: Path, name: str = "pose17") -> Path:
    """Declaration, actions and a clip folder under ``folder``; returns the declaration file."""
    folder.mkdir(parents=True, exist_ok=True)
    decl = folder / f"{name}.yaml"
    decl.write_text(yaml.safe_dump(declaration(name), sort_keys=False))
    with (folder / "actions.tsv").open("w", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t")
        writer.writerow(["label", "code", "name"])
        writer.writerows((label, code, action) for label, (code, action) in enumerate(ACTIONS))
    clips = folder / "clips"
    (clips / "cam1").mkdir(parents=True)
    rng = np.random.default_rng(0)
    rows = []
    for subject in SUBJECTS:
        for label, (code, _) in enumerate(ACTIONS):
            for rep in (1, 2):
                clip = f"cam1/s{subject}_{code}_r{rep}"
                persons = 1 + (subject + rep) % 3  # 1, 2 and 3 persons (3: the two most confident kept)
                np.savez(clips / f"{clip}.npz", keypoints=_clip(rng, label, persons, 18 + 3 * rep))
                rows.append({"clip": clip, "label": code, "subject": subject, "camera": 1 + rep % 2})
    bad = _clip(rng, 0, 1, 20)
    bad[3, 5, 0] = np.nan  # a bad clip: skipped (on_bad_file: skip) and listed in statistics.json
    np.savez(clips / "bad.npz", keypoints=bad)
    rows.append({"clip": "bad", "label": "wave", "subject": 1, "camera": 1})
    with (clips / "manifest.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["clip", "label", "subject", "camera"])
        writer.writeheader()
        writer.writerows(rows)
    return decl


def overlay(folder: Path, name: str = "pose17") -> Path:
    """The config overlay: the dataset (declaration, clip folder), `run:` and a tiny recipe."""
    path = folder / "overlay.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "datasets": {
                    name: {"declaration": f"{name}.yaml", "raw_dir": "clips", "on_bad_file": "skip"}
                },
                "run": [name],
                "recipe_overrides": {
                    name: {
                        "epochs": 1,
                        "batch_size": 8,
                        "test_batch_size": 16,
                        "warmup_epochs": 0,
                        "lr_steps": [],
                        "window": 16,
                        "num_workers": 0,
                    }
                },
            }
        )
    )
    return path


def test_a_new_layout_goes_from_clips_to_metrics(tmp_path):
    started = time.perf_counter()
    write_dataset(tmp_path)
    metrics = "results/eval/pose17/xsub/base/joint/metrics.json"
    stats = "results/data/pose17/statistics.json"
    run_workflow(tmp_path, targets=[metrics, stats], configfiles=[overlay(tmp_path)])
    seconds = time.perf_counter() - started

    result = json.loads((tmp_path / metrics).read_text())
    assert result["num_class"] == len(ACTIONS)
    assert 0.0 <= result["top1"] <= 100.0  # percent
    with h5py.File(tmp_path / "results/data/pose17/xsub.h5", "r") as handle:
        stored = json.loads(handle.attrs["declaration"])
        assert stored["name"] == "pose17"
        assert stored["layout"]["joints"] == JOINTS and stored["layout"]["parents"] == PARENTS
        assert stored["actions"] == [action for _, action in ACTIONS]
        assert stored["splits"]["xsub"] == {"column": "subject", "test": TEST_SUBJECTS, "ordered": False}
        assert handle["train"]["x"].shape[1:] == (3, 24, 17, 2)  # C = x, y, confidence; longest clip; M = 2
        test_names = {str(n) for n in handle["test"]["name"].asstr()[()]}
        assert test_names == {f"cam1/s4_{code}_r{rep}" for code, _ in ACTIONS for rep in (1, 2)}
    rebuilt = read_benchmark_info(tmp_path / "results/data/pose17/xsub.h5").dataset_info  # the file alone
    assert rebuilt.layout.joints == tuple(JOINTS) and rebuilt.layout.channels == ("x", "y", "confidence")
    assert rebuilt.layout.centre == (11, 12) and rebuilt.num_class == len(ACTIONS)
    statistics = json.loads((tmp_path / stats).read_text())
    assert [entry["clip"] for entry in statistics["skipped_files"]] == ["bad"]
    assert statistics["samples"] == len(SUBJECTS) * len(ACTIONS) * 2
    assert seconds < 60, f"{seconds:.1f} s"


def test_a_bad_declaration_fails_before_any_job_naming_file_and_key(tmp_path):
    decl = write_dataset(tmp_path)
    data = yaml.safe_load(decl.read_text())
    data["layout"]["parents"][0] = "left eye"  # nose -> left eye -> nose: a cycle, not a tree
    decl.write_text(yaml.safe_dump(data))
    with pytest.raises(Exception) as failure:
        run_workflow(
            tmp_path, targets=["results/data/pose17/xsub.h5"], configfiles=[overlay(tmp_path)], dryrun=True
        )
    message = str(failure.value)
    assert "pose17.yaml" in message and "layout.parents" in message and "not a tree" in message
    assert not (tmp_path / "results").exists()


def test_experiments_default_from_the_declaration(tmp_path):
    """No `experiments:` entry: the declaration's benchmarks, base, four modalities, three ensembles."""
    import subprocess
    import sys

    write_dataset(tmp_path)
    cmd = [
        sys.executable, "-m", "snakemake", "-n", "--quiet", "rules", "-s", str(REPO / "Snakefile"),
        "-d", str(tmp_path), "--workflow-profile", "none", "--cores", "1", "--configfile", str(overlay(tmp_path)),
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    counts = dict(line.split() for line in done.stdout.splitlines() if len(line.split()) == 2)
    assert counts["parse_skeletons"] == "2"  # one job per camera (shard_by)
    assert counts["train_model"] == "4" and counts["build_benchmark"] == "1"
    assert counts["ensemble_streams"] == "6"  # 3 stream sets x 2 model selections
