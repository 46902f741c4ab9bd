"""The trainer in-process on a tiny benchmark file: resume equality, faults, selection and the model file.

The file follows the benchmark contract (pipeline-design §4) with a learnable class signal; the real model
and loader are used, with a window of 16 frames and a couple of iterations per epoch, so every test takes
seconds on 2 CPU cores.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from hypergcn.training import checkpoint as ckpt
from hypergcn.training.trainer import NonFiniteLossError, TrainSpec, load_model_file, train

TINY_RECIPE = {
    "epochs": 3,
    "batch_size": 8,
    "test_batch_size": 16,
    "base_lr": 0.05,
    "warmup_epochs": 1,
    "lr_steps": [2],
    "window": 16,
    "num_workers": 0,
    "deterministic": True,
    "amp": "off",
}


def write_tiny_benchmark(
    path: Path,
    n_train: int = 16,
    n_test: int = 8,
    n_val: int = 0,
    num_class: int = 4,
    frames: int = 24,
    seed: int = 0,
) -> Path:
    """A demo-like benchmark file: each class moves one joint group along its own axis."""
    rng = np.random.default_rng(seed)
    string = h5py.string_dtype()
    with h5py.File(path, "w") as h5:
        h5.attrs.update(dataset="demo", benchmark="xsub", num_class=num_class, num_point=25, num_person=2)
        for split, n in (("train", n_train), ("val", n_val), ("test", n_test)):
            if n == 0:
                continue
            y = np.arange(n) % num_class
            x = rng.normal(scale=0.05, size=(n, 3, frames, 25, 2)).astype(np.float32)
            t = np.linspace(0, 2 * np.pi, frames, dtype=np.float32)
            for i, label in enumerate(y):
                x[i, label % 3, :, (label * 5) % 25 : (label * 5) % 25 + 5, 0] += np.sin(t)[:, None]
            x[..., 1] *= 0.5
            g = h5.create_group(split)
            g.create_dataset("x", data=x)
            g.create_dataset("y", data=y.astype(np.int64))
            g.create_dataset(
                "name", data=np.array([f"{split}_{i}" for i in range(n)], dtype=object), dtype=string
            )
            g.create_dataset("frames", data=np.full(n, frames, dtype=np.int32))
    return path


@pytest.fixture(scope="module")
def tiny_h5(tmp_path_factory) -> Path:
    return write_tiny_benchmark(tmp_path_factory.mktemp("data") / "xsub.h5")


def spec_for(data: Path, out: Path, **changes) -> TrainSpec:
    recipe = {**TINY_RECIPE, **changes.pop("recipe", {})}
    return TrainSpec(
        data=data,
        modality=changes.pop("modality", "joint"),
        size="base",
        recipe=recipe,
        model_out=out / "model.pt",
        metrics_out=out / "metrics.csv",
        device="cpu",
        threads=1,
        **changes,
    )


def test_resume_equals_uninterrupted(tiny_h5: Path, tmp_path: Path) -> None:
    full = train(spec_for(tiny_h5, tmp_path / "full"))
    assert full.completed and full.resumed_from == 0

    part = train(spec_for(tiny_h5, tmp_path / "split", stop_after=2))
    assert not part.completed and not (tmp_path / "split/model.pt").exists()  # declared outputs come last
    assert [e for e, _ in ckpt.list_checkpoints(tmp_path / "split/checkpoints")] == [2, 1]
    resumed = train(spec_for(tiny_h5, tmp_path / "split"))
    assert resumed.resumed_from == 2

    assert full.state_dict.keys() == resumed.state_dict.keys()
    for key, value in full.state_dict.items():
        assert torch.equal(value, resumed.state_dict[key]), key
    state, meta = load_model_file(tmp_path / "split/model.pt")
    for key, value in full.state_dict.items():
        assert torch.equal(value, state[key]), key
    assert meta["selected_epoch"] == 3 and meta["selection"] == "last epoch"
    json.dumps(meta)  # metadata is plain JSON
    rows = (tmp_path / "split/metrics.csv").read_text().splitlines()
    assert len(rows) == 4 and rows[0].startswith("epoch,lr,train_loss")
    full_rows = (tmp_path / "full/metrics.csv").read_text().splitlines()
    # Same losses and accuracies; only timing columns differ.
    assert [r.split(",")[:6] for r in rows] == [r.split(",")[:6] for r in full_rows]
    # A finished run leaves COMPLETED: the next start (e.g. snakemake -R) trains from scratch.
    assert ckpt.is_completed(tmp_path / "split/checkpoints")


def test_corrupt_latest_checkpoint_falls_back(tiny_h5: Path, tmp_path: Path, caplog) -> None:
    train(spec_for(tiny_h5, tmp_path, stop_after=2))
    latest = ckpt.checkpoint_path(tmp_path / "checkpoints", 2)
    data = latest.read_bytes()
    latest.write_bytes(data[: len(data) // 2])  # truncated, as by a full disk or a kill during a copy
    with caplog.at_level(logging.WARNING, logger="hypergcn"):
        result = train(spec_for(tiny_h5, tmp_path))
    assert result.resumed_from == 1
    assert any("damaged" in r.getMessage() and "epoch-0002.pt" in r.getMessage() for r in caplog.records)
    # Without the sidecar the truncation is still caught by torch.load.
    (tmp_path / "checkpoints/COMPLETED").unlink()
    ckpt.checkpoint_path(tmp_path / "checkpoints", 3).with_suffix(".pt.sha256").unlink()
    last = ckpt.checkpoint_path(tmp_path / "checkpoints", 3)
    last.write_bytes(last.read_bytes()[:1000])
    assert ckpt.load_latest_checkpoint(tmp_path / "checkpoints")[1].name == "epoch-0002.pt"


def test_stale_config_refused_unless_restart(tiny_h5: Path, tmp_path: Path) -> None:
    train(spec_for(tiny_h5, tmp_path, stop_after=1))
    with pytest.raises(ckpt.StaleCheckpointError) as err:
        train(spec_for(tiny_h5, tmp_path, recipe={"base_lr": 0.1}))
    message = str(err.value)
    assert "recipe.base_lr: 0.05 -> 0.1" in message and "HYPERGCN_RESTART" in message
    # Speed-only keys do not block a resume.
    spec = spec_for(tiny_h5, tmp_path, recipe={"num_workers": 1}, stop_after=2)
    assert train(spec).resumed_from == 1
    result = train(spec_for(tiny_h5, tmp_path, recipe={"base_lr": 0.1}, restart=True))
    assert result.resumed_from == 0 and result.completed


def test_non_finite_loss_stops_and_keeps_checkpoint(tiny_h5: Path, tmp_path: Path, monkeypatch) -> None:
    train(spec_for(tiny_h5, tmp_path, stop_after=1))
    good = ckpt.checkpoint_path(tmp_path / "checkpoints", 1)
    before = good.read_bytes()
    from hypergcn.models.hypergcn import HyperGCN

    monkeypatch.setattr(HyperGCN, "divergence_loss", lambda self: torch.tensor(float("nan")))
    with pytest.raises(NonFiniteLossError, match=r"at epoch 2 iteration 1 .*checkpoint \(1 epochs\)"):
        train(spec_for(tiny_h5, tmp_path))
    assert [e for e, _ in ckpt.list_checkpoints(tmp_path / "checkpoints")] == [1]
    assert good.read_bytes() == before
    assert not (tmp_path / "model.pt").exists()


def test_val_selection_needs_val_split_and_test_selection_is_labelled(tmp_path: Path) -> None:
    no_val = write_tiny_benchmark(tmp_path / "noval.h5")
    with pytest.raises(ValueError, match="validation split"):
        train(spec_for(no_val, tmp_path / "a", model_selection="val"))
    with_val = write_tiny_benchmark(tmp_path / "val.h5", n_val=8)
    result = train(spec_for(with_val, tmp_path / "b", model_selection="test", recipe={"epochs": 2}))
    _, meta = load_model_file(tmp_path / "b/model.pt")
    assert meta["selection"] == "best test epoch (selected on TEST set)"
    assert meta["selected_epoch"] == result.selected_epoch
    text = (tmp_path / "b/metrics.csv").read_text()
    assert "selected on TEST set" in text and "val_top1" in text.splitlines()[0]
    rows = text.splitlines()[1:]
    assert all(row.split(",")[7] for row in rows)  # val_top1 evaluated every epoch (val split exists)


def test_evaluate_model_and_pretrained_checks(tiny_h5: Path, tmp_path: Path) -> None:
    from hypergcn.evaluation.evaluate import evaluate
    from hypergcn.io import load_npz
    from hypergcn.models import build_model

    train(spec_for(tiny_h5, tmp_path, recipe={"epochs": 1}))
    metrics = evaluate(
        data=tiny_h5,
        modality="joint",
        model_file=tmp_path / "model.pt",
        scores_out=tmp_path / "scores.npz",
        metrics_out=tmp_path / "metrics.json",
        device="cpu",
    )
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["n"] == 8 and len(saved["confusion"]) == 4 and 0 <= saved["top1"] <= 100
    assert saved["provenance"]["selection"] == "last epoch" and len(saved["provenance"]["model_sha256"]) == 64
    scores = load_npz(tmp_path / "scores.npz")
    assert scores["logits"].shape == (8, 4) and list(scores["names"][:2]) == ["test_0", "test_1"]
    assert metrics["top1"] == saved["top1"]
    with pytest.raises(ValueError, match="modality 'joint'"):
        evaluate(
            data=tiny_h5,
            modality="bone",
            model_file=tmp_path / "model.pt",
            scores_out=tmp_path / "s2.npz",
            metrics_out=tmp_path / "m2.json",
            device="cpu",
        )

    # An authors'-style checkpoint (plain state_dict) of a model with another class count: named mismatch.
    wrong = tmp_path / "runs-1-1.pt"
    torch.save(build_model("base", "demo", num_class=7).state_dict(), wrong)
    common = dict(
        data=tiny_h5,
        modality="joint",
        size="base",
        scores_out=tmp_path / "p.npz",
        metrics_out=tmp_path / "p.json",
        device="cpu",
    )
    with pytest.raises(ValueError, match=r"does not fit the base demo model \(4 classes.*fc"):
        evaluate(pretrained=wrong, **common)
    with pytest.raises(ValueError, match="sha256"):
        evaluate(pretrained=wrong, sha256="0" * 64, **common)
    right = tmp_path / "runs-2-2.pt"
    torch.save(build_model("base", "demo", num_class=4).state_dict(), right)
    result = evaluate(pretrained=right, **common)
    assert "authors'" in result["provenance"]["selection"] and result["n"] == 8
