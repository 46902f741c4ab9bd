"""The whole demo DAG through snakemake.api with a tiny schedule, a selective rerun, and kill -9 + resume.

One run (the session fixture ``demo_run`` of tests/conftest.py, shared with the browser test) builds
everything from synthetic raw files to ``results/summary.csv`` and every report figure (about two minutes on
2 CPU cores). The dry run checks that ``-R train_model --until evaluate_model`` schedules exactly the
training and evaluation jobs. The last test kills a training job (and its Snakemake) hard after its first
checkpoint and shows that the rerun resumes from that checkpoint instead of epoch 0 and finishes.
"""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from hypergcn.datasets import MODALITIES, STREAM_SETS

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
JOINT = "results/train/demo/xsub/base/joint"


@pytest.fixture(scope="module")
def demo(demo_run: Path) -> Path:
    """Workdir holding the finished tiny demo run (tests/conftest.py), its overlay and its report."""
    return demo_run


def snakemake_cli(workdir: Path, *args: str, **kwargs) -> subprocess.CompletedProcess | subprocess.Popen:
    """The snakemake command line on the repository's Snakefile, without profiles, on CPU only."""
    # ``args`` (targets included) come first: --configfile, -R and --until take several values.
    cmd = [
        sys.executable, "-m", "snakemake", *args, "-s", str(REPO / "Snakefile"), "-d", str(workdir),
        "--workflow-profile", "none", "--cores", "2", "--resources", "gpu=0",
        "--configfile", str(workdir / "overlay.yaml"), *map(str, kwargs.pop("configfiles", [])),
    ]  # fmt: skip
    if kwargs.pop("background", False):
        return subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True
        )
    return subprocess.run(cmd, capture_output=True, text=True, timeout=kwargs.pop("timeout", 300))


def test_full_demo_dag(demo: Path) -> None:
    with open(demo / "results/summary.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    test_selected = "best test epoch (selected on TEST set)"
    assert [(r["stream"], r["selection"]) for r in rows] == [
        (stream, selection)
        for stream in (*MODALITIES, *STREAM_SETS)
        for selection in ("last epoch", test_selected)
    ]
    assert all(r["n"] == "1" and r["std"] == "" and 0.0 <= float(r["mean"]) <= 100.0 for r in rows)

    for modality in MODALITIES:
        train_dir = demo / f"results/train/demo/xsub/base/{modality}"
        with open(train_dir / "metrics.csv", newline="") as handle:
            epochs = list(csv.DictReader(handle))
        assert [row["epoch"] for row in epochs] == ["1", "2"] and "last epoch" in epochs[-1]["selected"]
        assert any("selected on TEST set" in row["selected"] for row in epochs)
        metrics = json.loads((demo / f"results/eval/demo/xsub/base/{modality}/metrics.json").read_text())
        assert metrics["n"] > 0 and metrics["num_class"] == 8
        assert metrics["provenance"]["selection"] == "last epoch"
        log = (demo / f"results/logs/train_model/demo/xsub/base/{modality}.log").read_text()
        assert "epoch 2/2 loss" in log and "ETA" in log and "\r" not in log
        described = json.loads(log.split("run description: ", 1)[1].splitlines()[0])
        assert described["modality"] == modality and described["recipe"]["epochs"] == 2
    ensemble = json.loads((demo / "results/ensemble/demo/xsub/base/j_b_jm_bm/metrics.json").read_text())
    assert ensemble["weights"] == [1.0, 1.0, 1.0, 1.0] and ensemble["weights_source"] == "config"
    assert (demo / "results/report/statistics/demo.csv").exists()
    assert (demo / "results/report/curves/demo/xsub/base.png").stat().st_size > 0
    assert (demo / "results/report/confusion/ensemble/demo/xsub/base/j_b_jm_bm.png").stat().st_size > 0


def test_the_report_shows_what_the_model_learned(demo: Path) -> None:
    import torch
    from PIL import Image

    from hypergcn.io import load_npz
    from hypergcn.models.model_file import build_from_model_file

    report = demo / "results/report"
    # hypergraphs of the joint model: the first test sample of the first two classes (figures.classes: 2)
    scores = load_npz(demo / "results/eval/demo/xsub/base/joint/scores.npz")
    names, labels = [str(n) for n in scores["names"]], list(scores["labels"])
    firsts = [names[labels.index(label)] for label in (0, 1)]
    folder = report / "hypergraphs/train/demo/xsub/base/joint"
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == sorted(
        f"{name}.{ext}" for name in firsts for ext in ("gif", "png")
    )
    for name in firsts:
        with Image.open(folder / f"{name}.gif") as gif:
            assert gif.n_frames == 4 and (folder / f"{name}.gif").stat().st_size <= 1_000_000
    # features: beside the scores, from the same forward pass (fc of the features gives the logits)
    model, _ = build_from_model_file(demo / f"{JOINT}/model.pt")
    for modality in MODALITIES:
        folder = demo / f"results/eval/demo/xsub/base/{modality}"
        features, scores = load_npz(folder / "features.npz"), load_npz(folder / "scores.npz")
        assert list(features["names"]) == list(scores["names"]) and list(features["labels"]) == labels
        assert features["features"].shape == (len(labels), 256)
        assert (report / f"tsne/eval/demo/xsub/base/{modality}.png").stat().st_size > 0
        assert (folder / "features-best-test.npz").exists()
    with torch.no_grad():
        logits = model.fc(
            torch.from_numpy(load_npz(demo / "results/eval/demo/xsub/base/joint/features.npz")["features"])
        )
    np.testing.assert_allclose(
        logits.numpy(),
        load_npz(demo / "results/eval/demo/xsub/base/joint/scores.npz")["logits"],
        rtol=1e-4,
        atol=1e-4,
    )
    # per-class charts and confused-pair tables: every stream and the 4-stream ensemble
    for kind, name in [*(("eval", m) for m in MODALITIES), ("ensemble", "j_b_jm_bm")]:
        stem = report / f"per_class/{kind}/demo/xsub/base/{name}"
        assert stem.with_suffix(".png").stat().st_size > 0
        with open(f"{stem}-confused.csv", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert len(rows) <= 10 and all(row["true_label"] != row["predicted_label"] for row in rows)
    html = (demo / "report.html").read_text()
    for category in ("Hypergraphs", "Embeddings (t-SNE)", "Per-class accuracy"):
        assert f'"{category}"' in html


def _job_counts(output: str) -> dict[str, int]:
    """The 'Job stats' table of a dry run as {rule: count}."""
    table = output.split("Job stats:", 1)[1]
    counts = {}
    for line in table.splitlines():
        match = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if match and match.group(1) != "total":
            counts[match.group(1)] = int(match.group(2))
        elif counts and not line.strip():
            break
    return counts


def test_rerun_train_until_evaluate_dry_run(demo: Path) -> None:
    nothing = snakemake_cli(demo, "-n")
    assert nothing.returncode == 0, nothing.stderr
    assert "Nothing to be done" in nothing.stdout + nothing.stderr
    shown = snakemake_cli(demo, "-n", "-R", "train_model", "--until", "evaluate_model")
    assert shown.returncode == 0, shown.stderr
    # both selections (last epoch, best test epoch) are evaluated per training
    assert _job_counts(shown.stdout + shown.stderr) == {"train_model": 4, "evaluate_model": 8}


def test_changing_the_selection_only_changes_the_headline(demo: Path) -> None:
    selection = demo / "selection.yaml"
    selection.write_text(yaml.safe_dump({"deviations": {"model_selection": "test"}}))
    shown = snakemake_cli(demo, "-n", configfiles=[selection])
    assert shown.returncode == 0, shown.stderr
    counts = _job_counts(shown.stdout + shown.stderr)
    assert counts.get("summarize_results") == 1
    assert not {"train_model", "evaluate_model", "ensemble_streams"} & set(counts), counts


def test_adding_a_seed_runs_only_that_seed_and_the_summary_gives_the_spread(demo: Path) -> None:
    seeds = demo / "seeds.yaml"
    seeds.write_text(yaml.safe_dump({"seeds": [1, 2]}))
    shown = snakemake_cli(demo, "-n", configfiles=[seeds])
    assert shown.returncode == 0, shown.stderr
    counts = _job_counts(shown.stdout + shown.stderr)
    # seed 2: 4 trainings, both selections evaluated and fused; then the aggregates; nothing of seed 1
    assert {k: counts.get(k) for k in ("train_model", "evaluate_model", "ensemble_streams")} == {
        "train_model": 4, "evaluate_model": 8, "ensemble_streams": 6,
    }  # fmt: skip
    figures = {"plot_confusion", "plot_hypergraphs", "plot_embeddings", "plot_per_class"}
    assert not {"build_benchmark", "parse_skeletons", *figures} & set(counts), counts
    done = snakemake_cli(demo, configfiles=[seeds], timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (demo / f"{JOINT}/seed-2/model.pt").exists()
    with open(demo / "results/summary.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {(r["stream"], r["selection"]) for r in rows} == {
        (stream, selection)
        for stream in (*MODALITIES, *STREAM_SETS)
        for selection in ("last epoch", "best test epoch (selected on TEST set)")
    }
    for row in rows:
        assert row["n"] == "2" and row["seeds"] == "1 2" and float(row["std"]) >= 0, row
        assert float(row["min"]) <= float(row["mean"]) <= float(row["max"]), row
        assert row["gap"] != "" and row["headline"] == ("yes" if row["selection"] == "last epoch" else "")
    paper = (demo / "results/report/summary/paper_table.csv").read_text()
    assert "demo/xsub/base [test-selected]" in paper and " ± " in paper


def test_killed_training_resumes(demo: Path) -> None:
    checkpoints = demo / JOINT / "checkpoints"
    for path in checkpoints.iterdir():  # leftovers of the finished run (a -R run would clear them too)
        path.unlink()
    job = snakemake_cli(demo, f"{JOINT}/model.pt", "--forcerun=train_model", background=True)
    try:
        deadline = time.monotonic() + 240
        while not (checkpoints / "epoch-0001.pt").exists():
            assert job.poll() is None, "training finished or failed before its first checkpoint"
            assert time.monotonic() < deadline, "no checkpoint after 240 s"
            time.sleep(0.05)
        os.killpg(job.pid, signal.SIGKILL)  # snakemake and the training job, mid-epoch 2
    finally:
        if job.poll() is None:
            os.killpg(job.pid, signal.SIGKILL)
        job.wait()
    assert not (demo / JOINT / "model.pt").exists()
    assert not (checkpoints / "epoch-0002.pt").exists()

    assert snakemake_cli(demo, "--unlock").returncode == 0
    rerun = snakemake_cli(demo, "--rerun-incomplete", f"{JOINT}/model.pt")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    log = (demo / "results/logs/train_model/demo/xsub/base/joint.log").read_text()
    assert "resuming from checkpoint" in log and "1 of 2 epochs done" in log
    assert "starting from scratch" not in log
    assert "epoch 1/2 loss" not in log and "epoch 2/2 loss" in log  # only epoch 2 was trained again
    with open(demo / JOINT / "metrics.csv", newline="") as handle:
        assert [row["epoch"] for row in csv.DictReader(handle)] == ["1", "2"]
