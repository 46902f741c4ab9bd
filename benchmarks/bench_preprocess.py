"""Preprocessing speed and memory: ours versus the authors' approach, on the same synthetic files.

    python -m benchmarks.bench_preprocess                 # everything (about 5 minutes on 2 cores)
    python -m benchmarks.bench_preprocess --quick         # a smaller set, for a smoke run

Run from the repository root. What it measures (results go to docs/benchmarks.md, section "Preprocessing"):

1. A synthetic raw set of demo-style ``.skeleton`` files (``make_demo_skeletons``; default 8 setups x 3 cameras
   x 8 subjects x 2 repetitions x 8 classes = 3,072 files).
2. The **baseline**: the authors' three scripts as they run, single process
   (:mod:`tests.reference.authors_preprocess`, the independent re-implementation the parity test uses).
3. **Ours**: ``parse_ntu_shard`` and ``denoise_shard`` per setup in a pool of ``--jobs`` processes (what
   ``snakemake --cores 2`` does with the per-setup rules), then ``build_benchmark`` (one process).
4. Parity: with the authors' settings (``second_actor: per_dataset``, padding to the same length), our
   ``x`` transposed to (N, T, 150) must equal the baseline's ``x_train`` / ``x_test`` bit for bit.
5. Memory: peak RSS of ``build_benchmark`` (and of the baseline's last script) for two dataset sizes.
6. ``snakemake -n`` for NTU-60 + NTU-120 (all 6 data targets) on a tree of 114,480 empty files with real
   names.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import pickle
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

import h5py
import numpy as np

from hypergcn.data.build import BuildSettings, build_benchmark
from hypergcn.data.demo import make_demo_skeletons
from hypergcn.data.denoise import DENOISED_COLUMNS, denoise_shard
from hypergcn.data.parse import parse_ntu_shard
from hypergcn.data.shards import Shard, ShardWriter
from tests.reference.authors_preprocess import (
    baseline_denoise,
    baseline_get_raw,
    baseline_names,
    baseline_transform,
    check_parity,
)

REPO = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------------------------------------------------
# Ours.


def _parse_job(args: tuple) -> float:
    dataset, shard, raw_dir, out = args
    t0 = time.process_time()
    parse_ntu_shard(dataset, shard, [Path(raw_dir)], out)
    return time.process_time() - t0


def _denoise_job(args: tuple) -> float:
    parsed, out = args
    t0 = time.process_time()
    denoise_shard(parsed, out)
    return time.process_time() - t0


def ours(raw_dir: Path, work: Path, dataset: str, setups: Sequence[str], jobs: int) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    result = {}
    with ProcessPoolExecutor(jobs) as pool:
        list(pool.map(len, [[1]] * jobs))  # start the workers before timing
        t0 = time.perf_counter()
        cpu = list(pool.map(_parse_job, [(dataset, s, str(raw_dir), str(work / f"p{s}.h5")) for s in setups]))
        result["parse_wall"], result["parse_cpu"] = time.perf_counter() - t0, sum(cpu)
        t0 = time.perf_counter()
        cpu = list(pool.map(_denoise_job, [(str(work / f"p{s}.h5"), str(work / f"d{s}.h5")) for s in setups]))
        result["denoise_wall"], result["denoise_cpu"] = time.perf_counter() - t0, sum(cpu)
    # Steady state in this process (the first run loads the compiled kernel): CPU per file of one shard.
    _parse_job((dataset, setups[0], str(raw_dir), str(work / "steady_p.h5")))
    result["steady_parse_cpu"] = _parse_job((dataset, setups[0], str(raw_dir), str(work / "steady_p.h5")))
    result["steady_denoise_cpu"] = _denoise_job((str(work / "steady_p.h5"), str(work / "steady_d.h5")))
    result["steady_files"] = len(list(Path(raw_dir).glob(f"{setups[0]}*.skeleton")))
    return result


def ours_build(
    work: Path, dataset: str, benchmark: str, setups: Sequence[str], max_frames: int, second_actor: str
) -> float:
    t0 = time.perf_counter()
    build_benchmark(
        [work / f"d{s}.h5" for s in setups],
        work / f"{dataset}_{benchmark}.h5",
        BuildSettings(dataset, benchmark, max_frames=max_frames, second_actor=second_actor),
    )
    return time.perf_counter() - t0


# ---------------------------------------------------------------------------------------------------------
# Memory: peak RSS of one build (and of the baseline's last script) in a child process.


def _max_rss_mb(code: str) -> float:
    """Peak RSS of ``code`` run in a fresh interpreter: its own VmHWM (a fork of this big process would
    inflate ``ru_maxrss``)."""
    probe = "\nprint([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1])"
    proc = subprocess.run([sys.executable, "-c", code + probe], cwd=REPO, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"child failed: {proc.stderr[-2000:]}")
    return int(proc.stdout.split()[-1]) / 1024.0


def synthetic_denoised_shards(folder: Path, samples: int, shards: int = 4, seed: int = 0) -> list[Path]:
    """Denoised NTU-60 shards of random-walk samples, lengths uniform in 40-300 (mean about NTU's x 2)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    per = samples // shards
    for s in range(shards):
        path = folder / f"S{s + 1:03d}.h5"
        with ShardWriter(
            path,
            dataset="ntu60",
            layout="ntu",
            shard=f"S{s + 1:03d}",
            num_point=25,
            num_person=2,
            extra=DENOISED_COLUMNS,
        ) as writer:
            for i in range(per):
                n = int(rng.integers(40, 301))
                data = np.zeros((n, 2, 25, 3), np.float32)
                data[:, 0] = 1 + np.cumsum(rng.normal(0, 0.01, (n, 25, 3)), axis=0)
                two = rng.random() < 0.3
                if two:
                    data[:, 1] = 2 + np.cumsum(rng.normal(0, 0.01, (n, 25, 3)), axis=0)
                name = f"S{s + 1:03d}C{1 + i % 3:03d}P{1 + (i // 3) % 40:03d}R{1 + (i // 120) % 2:03d}A{1 + (i // 240) % 60:03d}"
                writer.add(name, data, num_bodies=2 if two else 1, slots=2 if two else 1, num_frames=n, frames_dropped=0,
                           dropped_length=0, dropped_spread=0, dropped_overlap=0, rows_deleted=0)  # fmt: skip
        paths.append(path)
    return paths


def memory(work: Path, sizes: Sequence[int], baseline: bool) -> dict:
    result = {}
    for n in sizes:
        folder = work / f"mem{n}"
        paths = synthetic_denoised_shards(folder, n)
        code = (
            "from hypergcn.data.build import BuildSettings, build_benchmark; "
            f"build_benchmark({[str(p) for p in paths]!r}, {str(folder / 'xsub.h5')!r}, BuildSettings('ntu60', 'xsub'))"
        )
        entry = {"ours_build_max_rss_mb": round(_max_rss_mb(code), 1)}
        if baseline:
            names, skes = [], []
            for path in paths:
                with Shard(path) as shard:
                    slots = shard.columns["slots"]
                    for k, frames in shard.iter_samples():
                        names.append(shard.names[k])
                        flat = frames.reshape(len(frames), 150)
                        skes.append(np.ascontiguousarray(flat[:, :75] if slots[k] == 1 else flat))
            with open(folder / "raw_denoised_joints.pkl", "wb") as handle:
                pickle.dump(skes, handle, pickle.HIGHEST_PROTOCOL)
            np.savetxt(folder / "frames_cnt.txt", [len(s) for s in skes], fmt="%d")
            (folder / "names.json").write_text(json.dumps(names))
            del skes
            code = (
                "import json; from pathlib import Path; from tests.reference import authors_preprocess as b; "
                f"p = Path({str(folder)!r}); b.baseline_transform(p, json.loads((p / 'names.json').read_text()), 'ntu60', ['xsub'])"
            )
            entry["baseline_transform_max_rss_mb"] = round(_max_rss_mb(code), 1)
        result[n] = entry
        shutil.rmtree(folder)
    return result


# ---------------------------------------------------------------------------------------------------------
# snakemake -n on the full NTU-60 + NTU-120 configuration (empty placeholder files with real names).


def fake_ntu_tree(root: Path) -> tuple[Path, Path]:
    """56,880 names in S001-S017 and 57,600 in S018-S032 (empty files), like the two real downloads."""
    first, second = root / "nturgb+d_skeletons", root / "nturgb+d_skeletons120"
    for folder, setups, actions, performers, total in (
        (first, range(1, 18), range(1, 61), range(1, 41), 56_880),
        (second, range(18, 33), range(1, 121), range(41, 107), 57_600),
    ):
        if folder.is_dir() and sum(1 for _ in os.scandir(folder)) == total:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        per, extra = divmod(total, len(setups))
        for k, s in enumerate(setups):
            want = per + (k < extra)
            names = (
                f"S{s:03d}C{c:03d}P{p:03d}R{r:03d}A{a:03d}.skeleton"
                for p in performers
                for c in (1, 2, 3)
                for r in (1, 2)
                for a in actions
            )
            for _, name in zip(range(want), names, strict=False):
                (folder / name).touch()
    return first, second


def dry_run_seconds(root: Path, repeats: int = 3) -> dict:
    first, second = fake_ntu_tree(root / "fake_ntu")
    config = root / "fake_full.yaml"
    config.write_text(
        json.dumps(
            {
                "run": ["ntu60", "ntu120"],
                "datasets": {
                    "ntu60": {"raw_dir": str(first)},
                    "ntu120": {"raw_dir": [str(first), str(second)]},
                },
            }
        )
    )
    workdir = root / "dry"
    workdir.mkdir(exist_ok=True)
    targets = [
        f"results/data/{d}/{b}.h5"
        for d, b in (("ntu60", "xsub"), ("ntu60", "xview"), ("ntu120", "xsub"), ("ntu120", "xset"))
    ]
    targets += ["results/data/ntu60/statistics.json", "results/data/ntu120/statistics.json"]
    cmd = [
        "snakemake",
        "-s",
        str(REPO / "Snakefile"),
        "-n",
        "--quiet",
        "--workflow-profile",
        "none",
        *targets,
        "--configfile",  # last: it takes several values
        str(config),
    ]
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise RuntimeError(proc.stdout + proc.stderr)
    return {
        "seconds_median": round(float(np.median(times)), 2),
        "seconds": [round(t, 2) for t in times],
        "jobs": 104,
    }


# ---------------------------------------------------------------------------------------------------------


def machine() -> dict:
    model = "unknown"
    with contextlib.suppress(Exception):
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name"):
                model = line.split(":", 1)[1].strip()
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "date": date.today().isoformat(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "h5py": h5py.__version__,
        "load_average": os.getloadavg(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default="/tmp/hypergcn_bench_preprocess")
    parser.add_argument("--setups", type=int, default=2, help="synthetic setups (one shard each)")
    parser.add_argument(
        "--subjects", type=int, default=32, help="x 3 cameras x 2 repetitions x 8 classes per setup"
    )
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--sizes", type=int, nargs=2, default=[1000, 4000], help="benchmark sizes for the RSS check"
    )
    parser.add_argument("--quick", action="store_true", help="2 setups, 4 subjects, sizes 250/1000")
    parser.add_argument("--skip", nargs="*", default=[], choices=["baseline", "memory", "dryrun"])
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.setups, args.subjects, args.sizes = 2, 4, [250, 1000]
    work = Path(args.workdir)
    setups = [f"S{s:03d}" for s in range(1, args.setups + 1)]
    subjects = list(range(1, args.subjects + 1))
    raw = work / f"raw_{args.setups}x{args.subjects}"
    if not raw.is_dir():
        make_demo_skeletons(raw, seed=0, setups=setups, subjects=subjects, cameras=[1, 2, 3], repetitions=2)
    files = sorted(raw.glob("*.skeleton"))
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    results: dict = {"machine": machine(), "files": len(files), "raw_mb": round(size_mb, 1)}
    print(f"{len(files)} files, {size_mb:.0f} MB in {raw}", flush=True)

    dataset = "ntu60"
    names = baseline_names(raw, dataset)
    results["samples"] = len(names)
    shutil.rmtree(work / "ours", ignore_errors=True)
    timing = ours(raw, work / "ours", dataset, setups, args.jobs)
    base_dir = work / "baseline"
    if "baseline" not in args.skip:
        shutil.rmtree(base_dir, ignore_errors=True)
        with contextlib.redirect_stdout(io.StringIO()):
            for key, step in (
                ("baseline_parse", lambda: baseline_get_raw(names, raw, base_dir)),
                ("baseline_denoise", lambda: baseline_denoise(base_dir)),
                ("baseline_build", lambda: baseline_transform(base_dir, names, dataset, ["xsub", "xview"])),
            ):
                t0, c0 = time.perf_counter(), time.process_time()
                step()
                timing[key] = time.perf_counter() - t0
                timing[key + "_cpu"] = time.process_time() - c0
        max_frames = int(np.loadtxt(base_dir / "frames_cnt.txt", dtype=int).max())
    else:
        max_frames = 300
    timing["build_xsub"] = ours_build(work / "ours", dataset, "xsub", setups, max_frames, "per_dataset")
    timing["build_xview"] = ours_build(work / "ours", dataset, "xview", setups, max_frames, "per_dataset")
    n = len(names)
    steady_files = timing.pop("steady_files")
    steady = (timing.pop("steady_parse_cpu") + timing.pop("steady_denoise_cpu")) / steady_files
    rate = {key: round(n / value, 1) for key, value in timing.items() if not key.endswith("_cpu")}
    rate["ours_parse_denoise_per_cpu_s_steady"] = round(1 / steady, 1)
    rate["ours_parse_denoise"] = round(n / (timing["parse_wall"] + timing["denoise_wall"]), 1)
    rate["ours_parse_denoise_per_cpu_s"] = round(n / (timing["parse_cpu"] + timing["denoise_cpu"]), 1)
    if "baseline_parse" in timing:
        rate["baseline_parse_denoise"] = round(n / (timing["baseline_parse"] + timing["baseline_denoise"]), 1)
        rate["baseline_parse_denoise_per_cpu_s"] = round(
            n / (timing["baseline_parse_cpu"] + timing["baseline_denoise_cpu"]), 1
        )
        results["speedup_parse_denoise_wall"] = round(
            rate["ours_parse_denoise"] / rate["baseline_parse_denoise"], 1
        )
        results["speedup_parse_denoise_cpu"] = round(
            rate["ours_parse_denoise_per_cpu_s"] / rate["baseline_parse_denoise_per_cpu_s"], 1
        )
        results["speedup_parse_denoise_cpu_steady"] = round(
            rate["ours_parse_denoise_per_cpu_s_steady"] / rate["baseline_parse_denoise_per_cpu_s"], 1
        )
        results["speedup_build_xsub_xview"] = round(
            timing["baseline_build"] / (timing["build_xsub"] + timing["build_xview"]), 1
        )
        results["parity"] = {b: check_parity(work / "ours", base_dir, dataset, b) for b in ("xsub", "xview")}
    results["seconds"] = {key: round(value, 2) for key, value in timing.items()}
    results["samples_per_s"] = rate
    print(json.dumps({k: results[k] for k in results if k != "machine"}, indent=1), flush=True)
    if "memory" not in args.skip:
        results["memory"] = memory(work, args.sizes, "baseline" not in args.skip)
        print(json.dumps(results["memory"], indent=1), flush=True)
    if "dryrun" not in args.skip:
        results["snakemake_dry_run"] = dry_run_seconds(work)
        print(json.dumps(results["snakemake_dry_run"]), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
