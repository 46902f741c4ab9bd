"""Two-process DistributedDataParallel training on CPU (gloo), through the real trainer.

Both ranks must end with identical weights (DDP averages the gradients; each rank's divergence loss comes
from its own, identical, parameters) and report the same all-reduced epoch losses; only rank 0 writes the
declared outputs. The workflow's launcher for gpu > 1 is checked on a dry run.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp

from tests.test_trainer import spec_for, state_of, write_tiny_benchmark

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _worker(rank: int, world: int, port: int, data: str, out: str) -> None:
    os.environ.update(
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
        WORLD_SIZE=str(world),
        RANK=str(rank),
        LOCAL_RANK=str(rank),
    )
    from hypergcn.training.trainer import train

    result = train(spec_for(Path(data), Path(out), recipe={"epochs": 2}))
    torch.save(
        {"state": state_of(result), "losses": [row["train_loss"] for row in result.history]},
        Path(out) / f"rank{rank}.pt",
    )


def test_two_process_gloo(tmp_path: Path) -> None:
    data = write_tiny_benchmark(tmp_path / "xsub.h5", n_train=16)
    out = tmp_path / "run"
    out.mkdir()
    mp.spawn(_worker, args=(2, _free_port(), str(data), str(out)), nprocs=2, join=True)
    rank0 = torch.load(out / "rank0.pt", weights_only=True)
    rank1 = torch.load(out / "rank1.pt", weights_only=True)
    assert rank0["losses"] == pytest.approx(rank1["losses"], rel=0, abs=0)
    assert len(rank0["losses"]) == 2
    for key, value in rank0["state"].items():
        if key.endswith("num_batches_tracked"):
            continue
        if value.is_floating_point() and "running_" in key:
            continue  # BN statistics are per rank (no SyncBN), as with the authors' DataParallel
        assert torch.equal(value, rank1["state"][key]), key
    assert (out / "model.pt").exists() and (out / "metrics.csv").exists()
    assert len((out / "metrics.csv").read_text().splitlines()) == 3


def test_workflow_launches_torchrun_for_several_gpus(tmp_path: Path) -> None:
    """The dry-run shell command of train_model uses torchrun when the job gets gpu > 1."""
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(REPO / "Snakefile"),
        "-d",
        str(tmp_path),
        "-n",
        "-p",
        "--workflow-profile",
        "none",
        "--cores",
        "2",
        "--resources",
        "gpu=2",
        "--set-resources",
        "train_model:gpu=2",
        "--forceall",
        "results/train/demo/xsub/base/joint/model.pt",
    ]
    shown = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    text = shown.stdout + shown.stderr
    assert shown.returncode == 0, text
    assert "torchrun --standalone --nproc-per-node=2 -m hypergcn train --run" in text


@pytest.mark.parametrize(("visible", "count"), [("0,1", 2), ("", 0), ("3", 1), ("1,-1,2", 1)])
def test_local_gpu_count_honours_cuda_visible_devices(monkeypatch, visible: str, count: int) -> None:
    from hypergcn.training.gpus import local_gpu_count

    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", visible)
    assert local_gpu_count() == count
