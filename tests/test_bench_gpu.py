"""The GPU benchmark's smoke run on the CPU: it writes a real-size file, times every setting, prints the table."""

from __future__ import annotations

import json

import h5py
import pytest

from benchmarks import bench_gpu


def test_smoke_run_on_cpu(tmp_path, capsys) -> None:
    out = tmp_path / "rows.json"
    args = [
        "--device",
        "cpu",
        "--warmup",
        "1",
        "--steps",
        "1",
        "--batch",
        "2",
        "--workers",
        "0",
        "--json",
        str(out),
    ]
    assert bench_gpu.main([*args, "--precisions", "fp32", "amp"]) == 0
    rows = json.loads(out.read_text())
    assert [(r["precision"], r["amp"]) for r in rows] == [("fp32", "off"), ("amp", "off")]  # float32 on a CPU
    assert all(
        r["step_ms"] > 0 and r["epoch_min"] == pytest.approx(r["step_ms"] * 984 / 60_000) for r in rows
    )
    assert "| fp32 | off | 0 |" in capsys.readouterr().out


def test_file_holds_only_the_needed_samples_at_real_size(tmp_path) -> None:
    path = bench_gpu.write_benchmark_file(tmp_path / "x.h5", 6)
    with h5py.File(path) as handle:
        assert handle["train/x"].shape == (6, 3, 300, 25, 2) and handle["train/x"].chunks == (
            1,
            3,
            300,
            25,
            2,
        )
        assert all(40 <= f <= 150 for f in handle["train/frames"][()])
        assert handle.attrs["num_class"] == 120
