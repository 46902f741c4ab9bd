"""Loader throughput: samples/s of one process (num_workers=0) for every path and modality.

Writes synthetic benchmark files in the contract's layout (one lzf-compressed sample per chunk, zero
padding after the valid frames): an NTU-size file (T_max 300, 25 joints, 2 persons, valid lengths 30–300,
smooth random-walk coordinates so compression behaves like real data) and an NW-UCLA-size file (20 joints,
1 person, lengths 10–150 padded to the longest). It then iterates a ``DataLoader(num_workers=0,
batch_size=64)`` over each split once (after one warm-up pass, so the OS page cache is warm as in training)
and prints a Markdown table. The loader should keep a GPU fed from one process: at least 1,000 samples/s on
the test path and 500 on the training path (docs/benchmarks.md).

    python -m benchmarks.bench_loader [--samples 512] [--repeats 3]    # from the repository root
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np
import torch
from torch.utils.data import DataLoader

from hypergcn.data import SkeletonDataset
from hypergcn.datasets import MODALITIES, dataset_info


def write_synthetic(
    path: Path, samples: int, t_max: int, joints: int, persons: int, lengths: tuple[int, int], dataset: str
) -> Path:
    """A benchmark file with ``train`` and ``test`` groups of ``samples`` random-walk clips each."""
    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as handle:
        handle.attrs.update(
            dataset=dataset,
            layout=dataset_info(dataset).layout.name,
            benchmark="xsub",
            num_class=60,
            num_point=joints,
            num_person=persons,
        )
        for split in ("train", "test"):
            group = handle.create_group(split)
            frames = rng.integers(lengths[0], lengths[1] + 1, size=samples).astype(np.int32)
            x = group.create_dataset(
                "x",
                shape=(samples, 3, t_max, joints, persons),
                dtype="f4",
                chunks=(1, 3, t_max, joints, persons),
                compression="lzf",
            )
            for i, t in enumerate(frames):
                clip = np.zeros((3, t_max, joints, persons), dtype=np.float32)
                steps = rng.normal(scale=0.01, size=(3, t, joints, persons))
                clip[:, :t] = np.cumsum(steps, axis=1) + rng.normal(size=(3, 1, joints, persons))
                x[i] = clip
            group["y"] = rng.integers(0, 60, size=samples)
            group.create_dataset(
                "name", data=[f"{split}_{i}" for i in range(samples)], dtype=h5py.string_dtype()
            )
            group["frames"] = frames
    return path


def throughput(dataset: SkeletonDataset, repeats: int) -> float:
    """Best samples/s over ``repeats`` full passes, after one warm-up pass."""
    loader = DataLoader(dataset, batch_size=64, num_workers=0, shuffle=dataset.train)
    best = 0.0
    for attempt in range(repeats + 1):
        dataset.set_epoch(attempt)
        start = time.perf_counter()
        count = sum(len(names) for _, _, names in loader)
        rate = count / (time.perf_counter() - start)
        best = max(best, rate) if attempt else best
    return best


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return platform.processor() or "unknown"
    return next(
        (line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name")),
        "unknown",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=512, help="samples per split and file")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes per configuration (best kept)")
    args = parser.parse_args()
    torch.set_num_threads(1)

    with tempfile.TemporaryDirectory() as tmp:
        files = {
            "NTU": write_synthetic(Path(tmp) / "ntu.h5", args.samples, 300, 25, 2, (30, 300), "ntu60"),
            "NW-UCLA": write_synthetic(Path(tmp) / "ucla.h5", args.samples, 150, 20, 1, (10, 150), "ucla"),
        }
        print(
            f"CPU: {cpu_model()}; torch {torch.__version__}, numpy {np.__version__}, h5py {h5py.__version__}"
        )
        print(
            f"{args.samples} samples per split, DataLoader(num_workers=0, batch_size=64), best of {args.repeats}\n"
        )
        print("| data | path | " + " | ".join(MODALITIES) + " |")
        print("|---|---|" + "---:|" * len(MODALITIES))
        clips = {"frame_sample": "clips", "align": True}  # the NTU-60 xview sampling
        runs = [(layout, path, {}) for layout, path in files.items()] + [
            ("NTU clips+align", files["NTU"], clips)
        ]
        for layout, path, options in runs:
            for split, train in (("test", False), ("train", True)):
                rates = [
                    throughput(SkeletonDataset(path, split, m, train=train, **options), args.repeats)
                    for m in MODALITIES
                ]
                print(f"| {layout} | {split} | " + " | ".join(f"{rate:,.0f}" for rate in rates) + " |")


if __name__ == "__main__":
    main()
