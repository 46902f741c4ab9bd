"""GPU training speed: fp32 vs AMP, and loader workers 2 / 4 / 8, on NTU-120 X-Sub shapes.

For each setting it times ``--warmup`` (20) unmeasured and ``--steps`` (100) measured training steps of batch
``--batch`` (64) of the base model, through the real loader (``SkeletonDataset``, training augmentations)
and the real step (forward, cross-entropy + divergence, backward, SGD), and reports the epoch time as
step time x 984 (NTU-120 X-Sub: 63,026 training samples // 64). The benchmark file is synthetic and holds
only the samples the steps read, each of real size: (3, 300, 25, 2) float32 padded, 40-150 valid frames
(NTU-120's range of typical lengths), one compressed chunk per sample as ``hypergcn build`` writes them.

    python -m benchmarks.bench_gpu                      # on a CUDA machine, at most about 6 minutes
    python -m benchmarks.bench_gpu --device cpu --warmup 1 --steps 2 --batch 4 --workers 0   # smoke run

Without CUDA (and without ``--device cpu``) it says so and measures nothing.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from hypergcn.config import RECIPE_DEFAULTS
from hypergcn.data.dataset import SkeletonDataset
from hypergcn.models import build_model
from hypergcn.training.amp import resolve_amp
from hypergcn.training.trainer import make_optimizer

ITERATIONS_PER_EPOCH = 984  # NTU-120 X-Sub
NUM_CLASS, FRAMES, JOINTS, PERSONS = 120, 300, 25, 2


def write_benchmark_file(path: Path, samples: int, seed: int = 0) -> Path:
    """A benchmark file with ``samples`` training samples of real NTU-120 size (and a one-sample test split)."""
    rng = np.random.default_rng(seed)
    strings = h5py.string_dtype()
    with h5py.File(path, "w") as handle:
        handle.attrs.update(dataset="ntu120", benchmark="xsub", num_class=NUM_CLASS, num_point=JOINTS,
                            num_person=PERSONS, layout="ntu")  # fmt: skip
        for split, count in (("train", samples), ("test", 1)):
            group = handle.create_group(split)
            x = group.create_dataset("x", (count, 3, FRAMES, JOINTS, PERSONS), np.float32,
                                     chunks=(1, 3, FRAMES, JOINTS, PERSONS), compression="lzf")  # fmt: skip
            frames = rng.integers(40, 151, count)
            for i, length in enumerate(frames):
                sample = np.zeros((3, FRAMES, JOINTS, PERSONS), np.float32)
                sample[:, :length] = rng.normal(0, 0.3, (3, length, JOINTS, PERSONS)).cumsum(1) * 0.05
                x[i] = sample
            group.create_dataset("y", data=rng.integers(0, NUM_CLASS, count).astype(np.int64))
            group.create_dataset(
                "name", data=[f"S001C001P001R001A{i:03d}" for i in range(count)], dtype=strings
            )
            group.create_dataset("frames", data=frames.astype(np.int32))
    return path


def time_setting(data: Path, precision: str, workers: int, args: argparse.Namespace) -> dict[str, float]:
    """Seconds per measured step of one (precision, workers) setting, after the warm-up steps."""
    device = torch.device(args.device)
    torch.manual_seed(1)
    model = build_model("base", "ntu120").to(device)
    optimizer = make_optimizer(model, RECIPE_DEFAULTS)
    amp = resolve_amp(precision, device)
    scaler = torch.amp.GradScaler(device.type, enabled=amp.use_scaler)
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    dataset = SkeletonDataset(data, "train", "joint", window=64, train=True, seed=1)
    loader = DataLoader(dataset, batch_size=args.batch, shuffle=True, num_workers=workers,
                        pin_memory=device.type == "cuda", drop_last=True, persistent_workers=workers > 0)  # fmt: skip
    batches = iter(loader)
    start = time.perf_counter()
    for step in range(args.warmup + args.steps):
        if step == args.warmup:
            _synchronize(device)
            start = time.perf_counter()
        x, y, _ = next(batches)
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        with amp.autocast():
            logits = model(x)
        loss = criterion(logits.float(), y) + model.divergence_loss()
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    _synchronize(device)
    step_s = (time.perf_counter() - start) / args.steps
    return {"precision": precision, "amp": amp.name, "workers": workers, "step_ms": 1000 * step_s,
            "samples_per_s": args.batch / step_s, "epoch_min": step_s * ITERATIONS_PER_EPOCH / 60}  # fmt: skip


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def table(rows: list[dict[str, float]], device: str) -> str:
    lines = [
        f"Device: {device}; torch {torch.__version__}; base model, batch {rows[0]['batch']}, window 64.",
        "",
        "| precision | autocast | loader workers | step (ms) | samples/s | epoch (min, x 984 steps) |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['precision']} | {row['amp']} | {row['workers']} | {row['step_ms']:.1f} | "
            f"{row['samples_per_s']:.0f} | {row['epoch_min']:.1f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4, 8])
    parser.add_argument("--precisions", nargs="+", default=["fp32", "amp"], choices=["fp32", "amp"])
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = parser.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("no CUDA device here: nothing measured (run this on a GPU machine)")
        return 0
    torch.backends.cudnn.benchmark = True  # the authors' setting
    name = torch.cuda.get_device_name(args.device) if args.device.startswith("cuda") else "CPU"
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        data = write_benchmark_file(Path(folder) / "xsub.h5", (args.warmup + args.steps) * args.batch)
        for precision in args.precisions:
            for workers in args.workers:
                rows.append({**time_setting(data, precision, workers, args), "batch": args.batch})
                print(json.dumps(rows[-1]), flush=True)
    print(table(rows, name))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
