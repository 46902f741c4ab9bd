"""Ensemble arithmetic (weighted raw-logit sums, name matching) and the validation weight search."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hypergcn.evaluation.ensemble import align_scores, ensemble, fuse, search_weights
from hypergcn.io import load_npz, save_npz

NAMES = np.array(["a", "b", "c"])
LABELS = np.array([0, 1, 1])
JOINT = np.array([[2.0, 1.0], [1.0, 0.0], [0.0, 3.0]])  # preds 0, 0, 1 -> 2/3
BONE = np.array([[0.0, 1.0], [0.0, 2.0], [1.0, 0.0]])  # preds 1, 1, 0 -> 1/3


def _write(path: Path, names, labels, logits) -> Path:
    save_npz(path, names=np.asarray(names, dtype=str), labels=np.asarray(labels), logits=np.asarray(logits))
    return path


def test_fuse_weighted_sum() -> None:
    fused = fuse([JOINT, BONE], [1.0, 1.5])
    np.testing.assert_allclose(fused, [[2.0, 2.5], [1.0, 3.0], [1.5, 3.0]])
    assert (fused.argmax(1) == LABELS).mean() == pytest.approx(2 / 3)


def test_names_matched_not_positions(tmp_path: Path) -> None:
    joint = _write(tmp_path / "j.npz", NAMES, LABELS, JOINT)
    order = [2, 0, 1]  # bone file lists the samples in another order
    bone = _write(tmp_path / "b.npz", NAMES[order], LABELS[order], BONE[order])
    metrics = ensemble(
        streams="j_b",
        scores=[joint, bone],
        weights=[1.0, 1.5],
        metrics_out=tmp_path / "m.json",
        scores_out=tmp_path / "s.npz",
        identity={"dataset": "demo"},
    )
    fused = load_npz(tmp_path / "s.npz")
    np.testing.assert_array_equal(fused["names"], NAMES)
    np.testing.assert_allclose(fused["logits"], [[2.0, 2.5], [1.0, 3.0], [1.5, 3.0]])
    assert metrics["top1"] == pytest.approx(200 / 3)
    saved = json.loads((tmp_path / "m.json").read_text())
    assert (
        saved["weights"] == [1.0, 1.5] and saved["weights_source"] == "config" and saved["dataset"] == "demo"
    )


def test_mismatched_names_and_labels_fail(tmp_path: Path) -> None:
    joint = {"names": NAMES, "labels": LABELS, "logits": JOINT}
    with pytest.raises(ValueError, match="different samples"):
        align_scores([joint, {"names": np.array(["a", "b", "x"]), "labels": LABELS, "logits": BONE}])
    with pytest.raises(ValueError, match="disagree on the labels"):
        align_scores([joint, {"names": NAMES, "labels": np.array([0, 1, 0]), "logits": BONE}])
    with pytest.raises(ValueError, match="needs 2 weights"):
        ensemble(streams="j_b", scores=[tmp_path, tmp_path], weights=[1.0], metrics_out=tmp_path / "m.json")


def test_weight_search_finds_the_better_stream() -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 5, 200)
    good = rng.normal(size=(200, 5))
    good[np.arange(200), labels] += 2.5  # an informative stream
    noise = rng.normal(scale=3.0, size=(200, 5))  # an uninformative, loud one
    weights, top1 = search_weights([good, noise], labels, [1.0, 1.0])
    assert weights[0] == 1.0
    assert weights[1] <= 0.3
    assert top1 >= (fuse([good, noise], [1.0, 1.0]).argmax(1) == labels).mean() * 100
    # Deterministic, and a start of [2, 2] describes the same fusion as [1, 1].
    assert search_weights([good, noise], labels, [2.0, 2.0]) == (weights, top1)


def test_search_writes_searched_weights(tmp_path: Path) -> None:
    val = [_write(tmp_path / f"v{i}.npz", NAMES, LABELS, s) for i, s in enumerate((JOINT, BONE))]
    test = [_write(tmp_path / f"t{i}.npz", NAMES, LABELS, s) for i, s in enumerate((JOINT, BONE))]
    metrics = ensemble(
        streams="j_b",
        scores=test,
        weights=[1.0, 1.0],
        search=True,
        val_scores=val,
        metrics_out=tmp_path / "m.json",
    )
    assert metrics["weights_source"] == "searched on the validation split"
    assert metrics["search"]["val_top1"] >= 200 / 3 - 1e-9
    with pytest.raises(ValueError, match="validation scores"):
        ensemble(streams="j_b", scores=test, search=True, metrics_out=tmp_path / "m2.json")
