"""The trainer in-process on a tiny benchmark file: resume equality, faults, selection and the model file.

The file follows the benchmark contract (docs/data.md#benchmark-file) with a learnable class signal; the real model
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

from hypergcn.config import RunDescription
from hypergcn.models.model_file import load_model_file
from hypergcn.training import checkpoint as ckpt
from hypergcn.training.trainer import NonFiniteLossError, TrainSpec, train

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
    "eval_test": False,
}


class Killed(Exception):
    """Raised from the epoch callback: the job dies after an epoch's checkpoint, before its outputs."""


def kill_after(epochs: int):
    def callback(row: dict) -> None:
        if row["epoch"] >= epochs:
            raise Killed(f"killed after epoch {row['epoch']}")

    return callback


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
    """A tiny CPU run of the joint stream; ``recipe`` and ``run`` entries refine it, ``stop_after`` kills it."""
    recipe = {**TINY_RECIPE, **changes.pop("recipe", {})}
    fields = {
        "dataset": "demo",
        "benchmark": "xsub",
        "size": "base",
        "modality": "joint",
        "precision": "fp32",
    }
    run = RunDescription.from_dict({**fields, **changes.pop("run", {}), "recipe": recipe})
    stop_after = changes.pop("stop_after", None)
    return TrainSpec(
        run=run,
        data=data,
        model_out=out / "model.pt",
        metrics_out=out / "metrics.csv",
        device="cpu",
        threads=1,
        epoch_callback=kill_after(stop_after) if stop_after else None,
        **changes,
    )


def state_of(training) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in training.core.state_dict().items()}


def killed(spec: TrainSpec) -> None:
    with pytest.raises(Killed):
        train(spec)


def test_resume_equals_uninterrupted(tiny_h5: Path, tmp_path: Path) -> None:
    full = train(spec_for(tiny_h5, tmp_path / "full"))
    assert full.start_epoch == 0
    full_state = state_of(full)

    killed(spec_for(tiny_h5, tmp_path / "split", stop_after=2))
    assert not (tmp_path / "split/model.pt").exists()  # declared outputs come last
    assert [e for e, _ in ckpt.list_checkpoints(tmp_path / "split/checkpoints")] == [2, 1]
    resumed = train(spec_for(tiny_h5, tmp_path / "split"))
    assert resumed.start_epoch == 2

    resumed_state = state_of(resumed)
    assert full_state.keys() == resumed_state.keys()
    for key, value in full_state.items():
        assert torch.equal(value, resumed_state[key]), key
    saved = load_model_file(tmp_path / "split/model.pt")
    for key, value in full_state.items():
        assert torch.equal(value, saved.state_dict[key]), key
    meta = saved.metadata
    assert meta["selections"] == {"last": {"epoch": 3, "label": "last epoch"}}
    assert meta["run"]["recipe"]["base_lr"] == 0.05 and meta["run"]["modality"] == "joint"
    json.dumps(meta)  # metadata is plain JSON
    rows = (tmp_path / "split/metrics.csv").read_text().splitlines()
    assert len(rows) == 4 and rows[0].startswith("epoch,lr,train_loss")
    full_rows = (tmp_path / "full/metrics.csv").read_text().splitlines()
    # Same losses and accuracies; only timing columns differ.
    assert [r.split(",")[:6] for r in rows] == [r.split(",")[:6] for r in full_rows]
    # A finished run leaves COMPLETED: the next start (e.g. snakemake -R) trains from scratch.
    assert ckpt.is_completed(tmp_path / "split/checkpoints")


def test_corrupt_latest_checkpoint_falls_back(tiny_h5: Path, tmp_path: Path, caplog) -> None:
    killed(spec_for(tiny_h5, tmp_path, stop_after=2))
    latest = ckpt.checkpoint_path(tmp_path / "checkpoints", 2)
    data = latest.read_bytes()
    latest.write_bytes(data[: len(data) // 2])  # truncated, as by a full disk or a kill during a copy
    with caplog.at_level(logging.WARNING, logger="hypergcn"):
        result = train(spec_for(tiny_h5, tmp_path))
    assert result.start_epoch == 1
    assert any("damaged" in r.getMessage() and "epoch-0002.pt" in r.getMessage() for r in caplog.records)
    # Without the sidecar the truncation is still caught by torch.load.
    (tmp_path / "checkpoints/COMPLETED").unlink()
    ckpt.checkpoint_path(tmp_path / "checkpoints", 3).with_suffix(".pt.sha256").unlink()
    last = ckpt.checkpoint_path(tmp_path / "checkpoints", 3)
    last.write_bytes(last.read_bytes()[:1000])
    assert ckpt.load_latest_checkpoint(tmp_path / "checkpoints")[1].name == "epoch-0002.pt"


def test_stale_config_refused_unless_restart(tiny_h5: Path, tmp_path: Path) -> None:
    killed(spec_for(tiny_h5, tmp_path, stop_after=1))
    with pytest.raises(ckpt.StaleCheckpointError) as err:
        train(spec_for(tiny_h5, tmp_path, recipe={"base_lr": 0.1}))
    message = str(err.value)
    assert "run.recipe.base_lr: 0.05 -> 0.1" in message and "HYPERGCN_RESTART" in message
    # Speed-only keys do not block a resume.
    resumed_at = []
    spec = spec_for(tiny_h5, tmp_path, recipe={"num_workers": 1}, stop_after=2)
    spec.epoch_callback = lambda row: resumed_at.append(row["epoch"]) or kill_after(2)(row)
    killed(spec)
    assert resumed_at == [2]  # epoch 1 came from the checkpoint
    result = train(spec_for(tiny_h5, tmp_path, recipe={"base_lr": 0.1}, restart=True))
    assert result.start_epoch == 0 and (tmp_path / "model.pt").exists()


def test_non_finite_loss_stops_and_keeps_checkpoint(tiny_h5: Path, tmp_path: Path, monkeypatch) -> None:
    killed(spec_for(tiny_h5, tmp_path, stop_after=1))
    good = ckpt.checkpoint_path(tmp_path / "checkpoints", 1)
    before = good.read_bytes()
    from hypergcn.models.hypergcn import HyperGCN

    monkeypatch.setattr(HyperGCN, "divergence_loss", lambda self: torch.tensor(float("nan")))
    with pytest.raises(NonFiniteLossError, match=r"at epoch 2 iteration 1 .*checkpoint \(1 epochs\)"):
        train(spec_for(tiny_h5, tmp_path))
    assert [e for e, _ in ckpt.list_checkpoints(tmp_path / "checkpoints")] == [1]
    assert good.read_bytes() == before
    assert not (tmp_path / "model.pt").exists()


def test_every_selection_is_kept_and_labelled(tmp_path: Path) -> None:
    with_val = write_tiny_benchmark(tmp_path / "val.h5", n_val=8)
    training = train(spec_for(with_val, tmp_path / "b", recipe={"epochs": 2, "eval_test": True}))
    meta = load_model_file(tmp_path / "b/model.pt").metadata
    assert set(meta["selections"]) == {"last", "val", "test"}
    assert meta["selections"]["test"]["label"] == "best test epoch (selected on TEST set)"
    assert meta["selections"]["test"]["epoch"] == training.best["test"]["epoch"]
    best_val = load_model_file(tmp_path / "b/model.pt", selection="val").state_dict
    for key, value in training.best["val"]["state"].items():
        assert torch.equal(value, best_val[key]), key
    text = (tmp_path / "b/metrics.csv").read_text()
    assert "selected on TEST set" in text and "val_top1" in text.splitlines()[0]
    rows = text.splitlines()[1:]
    assert all(row.split(",")[7] and row.split(",")[10] for row in rows)  # val and test top-1 every epoch
    with pytest.raises(ValueError, match="no 'test' selection"):
        load_model_file(write_and_train_without_test(tmp_path), selection="test")


def write_and_train_without_test(tmp_path: Path) -> Path:
    data = write_tiny_benchmark(tmp_path / "plain.h5")
    train(spec_for(data, tmp_path / "c", recipe={"epochs": 1}))
    return tmp_path / "c/model.pt"


def test_evaluate_model_and_released_weights_checks(tiny_h5: Path, tmp_path: Path) -> None:
    from hypergcn.data.benchmark_file import read_benchmark_info
    from hypergcn.evaluation.evaluate import evaluate, load_released, load_trained
    from hypergcn.io import load_npz
    from hypergcn.models import build_model

    train(spec_for(tiny_h5, tmp_path, recipe={"epochs": 1}))
    info = read_benchmark_info(tiny_h5)
    outputs = {
        "scores_out": tmp_path / "scores.npz",
        "metrics_out": tmp_path / "metrics.json",
        "device": "cpu",
    }
    metrics = evaluate(load_trained(tmp_path / "model.pt", info, "joint"), info, **outputs)
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["n"] == 8 and len(saved["confusion"]) == 4 and 0 <= saved["top1"] <= 100
    assert saved["provenance"]["selection"] == "last epoch" and len(saved["provenance"]["model_sha256"]) == 64
    scores = load_npz(tmp_path / "scores.npz")
    assert scores["logits"].shape == (8, 4) and list(scores["names"][:2]) == ["test_0", "test_1"]
    assert metrics["top1"] == saved["top1"]
    with pytest.raises(ValueError, match="modality 'joint'"):
        load_trained(tmp_path / "model.pt", info, "bone")

    # The authors' released weights (a plain state_dict) of a model with another class count: named mismatch.
    wrong = tmp_path / "runs-1-1.pt"
    torch.save(build_model("base", "demo", num_class=7).state_dict(), wrong)
    run = spec_for(tiny_h5, tmp_path).run
    with pytest.raises(ValueError, match=r"does not fit the base demo model \(4 classes.*fc"):
        load_released(wrong, info, run, None)
    with pytest.raises(ValueError, match="sha256"):
        load_released(wrong, info, run, "0" * 64)
    right = tmp_path / "runs-2-2.pt"
    torch.save(build_model("base", "demo", num_class=4).state_dict(), right)
    result = evaluate(load_released(right, info, run, None), info, **outputs)
    assert "authors'" in result["provenance"]["selection"] and result["n"] == 8


def test_a_model_file_of_the_first_format_still_evaluates(tiny_h5: Path, tmp_path: Path) -> None:
    """model.pt files trained before run descriptions existed keep working with `hypergcn evaluate`."""
    from hypergcn.data.benchmark_file import read_benchmark_info
    from hypergcn.evaluation.evaluate import evaluate, load_trained
    from hypergcn.models import build_model

    model = build_model("base", "demo", num_class=4)
    recipe = {**TINY_RECIPE, "seed": 1, "amp": "off"}
    recipe.pop("eval_test")
    metadata = {
        "format": "hypergcn-model/1", "dataset": "demo", "benchmark": "xsub", "size": "base",
        "modality": "joint", "num_class": 4, "num_point": 25, "num_person": 2, "virtual_joints": 3,
        "virtual_joint_init": "independent", "test_sampling": "seeded", "recipe": recipe,
        "model_selection": "last", "selected_epoch": 3, "selection": "last epoch",
    }  # fmt: skip
    torch.save({"state_dict": model.state_dict(), "metadata": metadata}, tmp_path / "old.pt")
    info = read_benchmark_info(tiny_h5)
    loaded = load_trained(tmp_path / "old.pt", info, "joint")
    assert loaded.run.recipe["window"] == 16 and loaded.run.precision == "fp32"
    metrics = evaluate(
        loaded, info, scores_out=tmp_path / "s.npz", metrics_out=tmp_path / "m.json", device="cpu"
    )
    assert metrics["n"] == 8 and metrics["provenance"]["selected_epoch"] == 3
