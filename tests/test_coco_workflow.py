"""The COCO-17 demo through ``snakemake.api``, smaller (config/coco17.yaml; docs/layouts.md#the-coco-17-demo).

The same overlay as ``snakemake --cores 2 --configfile config/coco17.yaml``, with fewer clips and one epoch:
generated clips -> parse -> build -> four streams -> evaluation -> ensembles -> summary and figures, and the
predictions on the generated new clips, one of them malformed (listed, not fatal).
"""

from __future__ import annotations

import csv
import json

import h5py
import pytest

from hypergcn.datasets import MODALITIES, STREAM_SETS
from tests.conftest import REPO, run_workflow

SMALL = {
    "datasets": {"coco17": {"generator": {"subjects": [1, 2, 3, 4, 6], "repetitions": 1}}},
    "recipe_overrides": {"coco17": {"epochs": 1, "window": 16, "batch_size": 8}},
}


@pytest.mark.slow
def test_coco17_demo_end_to_end(tmp_path):
    run_workflow(tmp_path, config=SMALL, configfiles=[REPO / "config/coco17.yaml"])
    results = tmp_path / "results"

    with h5py.File(results / "data/coco17/xsub.h5") as h5:
        assert h5["test"]["x"].shape[1] == 3  # x, y, confidence: channels from the layout
        assert h5["test"]["x"].shape[3:] == (17, 2)
        assert json.loads(h5.attrs["declaration"])["layout"]["name"] == "coco17"
    streams = [("eval", m) for m in MODALITIES] + [("ensemble", s) for s in STREAM_SETS]
    for folder, stream in streams:
        metrics = json.loads((results / f"{folder}/coco17/xsub/base/{stream}/metrics.json").read_text())
        assert metrics["num_class"] == 5 and 0 <= metrics["top1"] <= 100
    summary = list(csv.DictReader((results / "summary.csv").open()))
    assert {row["stream"] for row in summary} >= {"joint", "j_b_jm_bm"}

    predicted = results / "predict/coco17/xsub/base/j_b_jm_bm"
    rows = list(csv.DictReader((predicted / "predictions.csv").open()))
    assert rows[0].keys() == {"clip", "rank", "action", "probability", "status"}
    errors = [row for row in rows if row["status"] == "error"]
    assert [row["clip"] for row in errors] == ["malformed_no_confidence"]
    ok = [row for row in rows if row["status"] == "ok"]
    assert len(ok) == 4 * 5  # four good clips, k = min(5, classes) = 5 ranks each
    report = json.loads((predicted / "predictions.json").read_text())
    assert report["predicted"] == 4 and report["errors"] == 1
    assert "channel" in next(c["reason"] for c in report["clips"] if c["status"] == "error")
