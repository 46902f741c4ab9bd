"""Preprocessing speed and memory: ours versus the authors' approach, on the same synthetic files.

    python benchmarks/bench_preprocess.py                 # everything (about 5 minutes on 2 cores)
    python benchmarks/bench_preprocess.py --quick         # a smaller set, for a smoke run

What it measures (results go to docs/benchmarks.md, section "Preprocessing"):

1. A synthetic raw set of demo-style ``.skeleton`` files (``make_demo_skeletons``; default 8 setups x 3 cameras
   x 8 subjects x 2 repetitions x 8 classes = 3,072 files).
2. The **baseline**: the authors' three scripts re-implemented from method §4.2-4.4 for timing, single
   process, as they run: a line-by-line Python parser that builds per-body dicts (``np.vstack`` per frame,
   ``np.array`` per joint line), pickles of all raw data, the denoising loop with its log files and per-sample
   actor-info files, then per-frame centring, alignment of the whole dataset in one array, the splits and
   ``np.savez``.
3. **Ours**: ``parse_ntu_shard`` and ``denoise_shard`` per setup in a pool of ``--jobs`` processes (what
   ``snakemake --cores 2`` does with the per-setup rules), then ``build_benchmark`` (one process).
4. Parity: with the authors' settings (``second_actor: per_dataset``, padding to the same length), our
   ``x`` transposed to (N, T, 150) must equal the baseline's ``x_train`` / ``x_test`` bit for bit.
5. Memory: peak RSS of ``build_benchmark`` (and of the baseline's last script) for two dataset sizes.
6. ``snakemake -n`` for NTU-60 + NTU-120 (all 6 data targets) on a tree of 114,480 empty files with real
   names.

The baseline functions are importable (``tests/test_benchmark_parity`` style checks use them).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
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

import numpy as np

REPO = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------------------------------------------------
# Baseline: the authors' approach (get_raw_skes_data.py, get_raw_denoised_data.py, seq_transformation.py),
# written from the method specification, used for timing and as an independent parity reference.

NOISE_LEN_THRES = 11
NOISE_SPR_THRES1 = 0.8
NOISE_SPR_THRES2 = 0.69754


def _file_logger(name: str, path: Path) -> logging.Logger:
    logger = logging.getLogger(f"baseline.{name}")
    logger.handlers[:] = [logging.FileHandler(path, mode="w")]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger


def baseline_read(path: Path, name: str, frames_drop_skes: dict, drop_logger: logging.Logger) -> dict:
    """One file, line by line, into per-body dicts (method §4.2)."""
    with open(path) as handle:
        lines = handle.readlines()
    num_frames = int(lines[0].strip("\r\n"))
    frames_drop = []
    bodies: dict[str, dict] = {}
    valid = -1
    cur = 1
    for f in range(num_frames):
        num_bodies = int(lines[cur].strip("\r\n"))
        cur += 1
        if num_bodies == 0:
            frames_drop.append(f)
            continue
        valid += 1
        joints = np.zeros((num_bodies, 25, 3), dtype=np.float32)
        colors = np.zeros((num_bodies, 25, 2), dtype=np.float32)
        for b in range(num_bodies):
            body_id = lines[cur].strip("\r\n").split()[0]
            cur += 1
            num_joints = int(lines[cur].strip("\r\n"))
            cur += 1
            for j in range(num_joints):
                tokens = lines[cur].strip("\r\n").split()
                joints[b, j, :] = np.array(tokens[:3], dtype=np.float32)
                colors[b, j, :] = np.array(tokens[5:7], dtype=np.float32)
                cur += 1
            if body_id not in bodies:
                body = {"joints": joints[b], "colors": colors[b, np.newaxis], "interval": [valid]}
            else:
                body = bodies[body_id]
                body["joints"] = np.vstack((body["joints"], joints[b]))
                body["colors"] = np.vstack((body["colors"], colors[b, np.newaxis]))
                body["interval"].append(body["interval"][-1] + 1)
            bodies[body_id] = body
    assert len(frames_drop) < num_frames, f"all frames of {name} are empty"
    if frames_drop:
        frames_drop_skes[name] = np.array(frames_drop, dtype=int)
        drop_logger.info("%s: %d frames missed: %s", name, len(frames_drop), frames_drop)
    if len(bodies) > 1:
        for body in bodies.values():
            body["motion"] = np.sum(np.var(body["joints"], axis=0))
    return {"name": name, "data": bodies, "num_frames": num_frames - len(frames_drop)}


def baseline_get_raw(names: Sequence[str], raw_dir: Path, out: Path) -> None:
    """Script 1: every file, then pickles of everything."""
    out.mkdir(parents=True, exist_ok=True)
    drop_logger = _file_logger("frames_drop", out / "frames_drop.log")
    frames_drop_skes: dict = {}
    raw, frames_cnt = [], []
    for idx, name in enumerate(names):
        print(f"Reading data from {name}.skeleton")
        data = baseline_read(raw_dir / f"{name}.skeleton", name, frames_drop_skes, drop_logger)
        raw.append(data)
        frames_cnt.append(data["num_frames"])
        if (idx + 1) % 1000 == 0:
            print(f"Processed: {100.0 * (idx + 1) / len(names):.2f}% ({idx + 1} / {len(names)})")
    with open(out / "raw_skes_data.pkl", "wb") as handle:
        pickle.dump(raw, handle, pickle.HIGHEST_PROTOCOL)
    np.savetxt(out / "frames_cnt.txt", np.array(frames_cnt, dtype=int), fmt="%d")
    with open(out / "frames_drop_skes.pkl", "wb") as handle:
        pickle.dump(frames_drop_skes, handle, pickle.HIGHEST_PROTOCOL)


def _valid_by_spread(points: np.ndarray) -> list[int]:
    valid = []
    for i in range(points.shape[0]):
        x, y = points[i, :, 0], points[i, :, 1]
        # np.float32 scalars times a Python float: float64 in numpy 1.x (and 2.x: NEP 50 keeps float32, so
        # the promotion is written out to stay faithful to the authors' numpy 1.26)
        if float(x.max() - x.min()) <= NOISE_SPR_THRES1 * float(y.max() - y.min()):
            valid.append(i)
    return valid


def _denoise_bodies(name: str, bodies: dict, loggers: dict) -> tuple[list, str]:
    info = ""
    for body_id, body in bodies.copy().items():  # length
        if len(body["interval"]) <= NOISE_LEN_THRES:
            info += f"Filter out: {body_id}, {len(body['interval'])} (length).\n"
            loggers["length"].info("%s\t%s\t%.6f\t%d", name, body_id, body["motion"], len(body["interval"]))
            del bodies[body_id]
    if len(bodies) == 1:
        return list(bodies.items()), info
    for body_id, body in bodies.copy().items():  # spread
        if len(bodies) == 1:
            break
        valid = _valid_by_spread(body["joints"].reshape(-1, 25, 3))
        num_frames = len(body["interval"])
        num_noise = num_frames - len(valid)
        if num_noise == 0:
            continue
        ratio = num_noise / float(num_frames)
        motion = body["motion"]
        if ratio >= NOISE_SPR_THRES2:
            del bodies[body_id]
            loggers["spread"].info("%s\t%s\t%.6f\t%.6f", name, body_id, motion, ratio)
        else:
            joints = body["joints"].reshape(-1, 25, 3)[valid]
            body["motion"] = min(motion, np.sum(np.var(joints.reshape(-1, 3), axis=0)))
            info += f"{body_id}: motion {motion:.6f} -> {body['motion']:.6f}\n"
    if len(bodies) == 1:
        return list(bodies.items()), info
    order = sorted(((bid, b["motion"]) for bid, b in bodies.items()), key=lambda item: item[1], reverse=True)
    return [(bid, bodies[bid]) for bid, _ in order], info


def _one_actor(body: dict, num_frames: int) -> tuple[np.ndarray, np.ndarray]:
    joints = np.zeros((num_frames, 75), dtype=np.float32)
    colors = np.ones((num_frames, 1, 25, 2), dtype=np.float32) * np.nan
    start, end = body["interval"][0], body["interval"][-1]
    joints[start : end + 1] = body["joints"].reshape(-1, 75)
    colors[start : end + 1, 0] = body["colors"]
    return joints, colors


def _two_actors(sample: dict, loggers: dict, info_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    name, num_frames = sample["name"], sample["num_frames"]
    bodies, info = _denoise_bodies(name, sample["data"], loggers)
    if len(bodies) == 1:
        joints, colors = _one_actor(bodies[0][1], num_frames)
    else:
        joints = np.zeros((num_frames, 150), dtype=np.float32)
        colors = np.ones((num_frames, 2, 25, 2), dtype=np.float32) * np.nan
        _, actor1 = bodies[0]
        start1, end1 = actor1["interval"][0], actor1["interval"][-1]
        joints[start1 : end1 + 1, :75] = actor1["joints"].reshape(-1, 75)
        colors[start1 : end1 + 1, 0] = actor1["colors"]
        start2, end2 = 0, 0
        for body_id, actor in bodies[1:]:
            start, end = actor["interval"][0], actor["interval"][-1]
            if min(end1, end) - max(start1, start) <= 0:
                joints[start : end + 1, :75] = actor["joints"].reshape(-1, 75)
                colors[start : end + 1, 0] = actor["colors"]
                start1, end1 = min(start, start1), max(end, end1)
            elif min(end2, end) - max(start2, start) <= 0:
                joints[start : end + 1, 75:] = actor["joints"].reshape(-1, 75)
                colors[start : end + 1, 1] = actor["colors"]
                start2, end2 = min(start, start2), max(end, end2)
            info += f"{body_id}\t{[start, end]}\t{actor['motion']:f}\n"
    (info_dir / f"{name}.txt").write_text(info + "\n")
    return joints, colors


def _remove_missing(name: str, joints: np.ndarray, colors: np.ndarray, logger: logging.Logger):
    valid = np.where(joints.sum(axis=1) != 0)[0]
    missing = np.where(joints.sum(axis=1) == 0)[0]
    if len(missing):
        joints = joints[valid]
        colors[missing] = np.nan
        logger.info("%s\t%d\t%d", name, len(valid) + len(missing), len(missing))
    return joints, colors


def baseline_denoise(out: Path) -> None:
    """Script 2: load the pickle, denoise every sample, pickle joints and colors."""
    with open(out / "raw_skes_data.pkl", "rb") as handle:
        raw = pickle.load(handle)
    info_dir = out / "actors_info"
    info_dir.mkdir(exist_ok=True)
    loggers = {key: _file_logger(key, out / f"noise_{key}.log") for key in ("length", "spread", "missing")}
    all_joints, all_colors, frames_cnt = [], [], []
    for idx, sample in enumerate(raw):
        if len(sample["data"]) == 1:
            num_frames = sample["num_frames"]
            joints, colors = _one_actor(next(iter(sample["data"].values())), num_frames)
        else:
            joints, colors = _two_actors(sample, loggers, info_dir)
            joints, colors = _remove_missing(sample["name"], joints, colors, loggers["missing"])
            num_frames = joints.shape[0]
        all_joints.append(joints)
        all_colors.append(colors)
        frames_cnt.append(num_frames)
        if (idx + 1) % 1000 == 0:
            print(f"Processed: {100.0 * (idx + 1) / len(raw):.2f}% ({idx + 1} / {len(raw)})")
    with open(out / "raw_denoised_joints.pkl", "wb") as handle:
        pickle.dump(all_joints, handle, pickle.HIGHEST_PROTOCOL)
    with open(out / "raw_denoised_colors.pkl", "wb") as handle:
        pickle.dump(all_colors, handle, pickle.HIGHEST_PROTOCOL)
    np.savetxt(out / "frames_cnt.txt", np.array(frames_cnt, dtype=int), fmt="%d")


def baseline_transform(out: Path, names: Sequence[str], dataset: str, benchmarks: Sequence[str]) -> None:
    """Script 3: per-frame centring, one aligned array for the whole dataset, splits, np.savez."""
    with open(out / "raw_denoised_joints.pkl", "rb") as handle:
        skes = pickle.load(handle)
    frames_cnt = np.loadtxt(out / "frames_cnt.txt", dtype=int, ndmin=1)
    for idx, ske in enumerate(skes):  # seq_translation
        num_frames = ske.shape[0]
        two = ske.shape[1] == 150
        if two:
            missing1 = np.where(ske[:, :75].sum(axis=1) == 0)[0]
            missing2 = np.where(ske[:, 75:].sum(axis=1) == 0)[0]
        i = 0
        while i < num_frames:
            if np.any(ske[i, :75] != 0):
                break
            i += 1
        origin = np.copy(ske[i, 3:6])
        for f in range(num_frames):
            ske[f] -= np.tile(origin, 50 if two else 25)
        if two and len(missing1):
            ske[missing1, :75] = np.zeros((len(missing1), 75), dtype=np.float32)
        if two and len(missing2):
            ske[missing2, 75:] = np.zeros((len(missing2), 75), dtype=np.float32)
        skes[idx] = ske
    aligned = np.zeros((len(skes), frames_cnt.max(), 150), dtype=np.float32)  # align_frames
    for idx, ske in enumerate(skes):
        if ske.shape[1] == 75:
            second = ske if dataset == "ntu120" else np.zeros_like(ske)
            aligned[idx, : ske.shape[0]] = np.hstack((ske, second))
        else:
            aligned[idx, : ske.shape[0]] = ske
    setup = np.array([int(n[1:4]) for n in names])
    camera = np.array([int(n[5:8]) for n in names])
    performer = np.array([int(n[9:12]) for n in names])
    label = np.array([int(n[17:20]) for n in names]) - 1
    num_class = 120 if dataset == "ntu120" else 60
    for benchmark in benchmarks:  # get_indices + split_dataset
        from hypergcn.datasets import NTU60_XSUB_TRAIN_SUBJECTS, NTU120_XSUB_TRAIN_SUBJECTS

        if benchmark == "xsub":
            train_ids = sorted(
                NTU120_XSUB_TRAIN_SUBJECTS if dataset == "ntu120" else NTU60_XSUB_TRAIN_SUBJECTS
            )
            test_ids = [i for i in range(1, 107 if dataset == "ntu120" else 41) if i not in train_ids]
            key = performer
        elif benchmark == "xview":
            train_ids, test_ids, key = [2, 3], [1], camera
        else:
            train_ids, test_ids, key = list(range(2, 33, 2)), list(range(1, 33, 2)), setup
        train = np.hstack([np.where(key == i)[0] for i in train_ids]).astype(int)
        test = np.hstack([np.where(key == i)[0] for i in test_ids]).astype(int)
        np.savez(
            out / f"{dataset}_{benchmark}.npz",
            x_train=aligned[train],
            y_train=np.eye(num_class)[label[train]],
            x_test=aligned[test],
            y_test=np.eye(num_class)[label[test]],
        )


def baseline_names(raw_dir: Path, dataset: str) -> list[str]:
    """``skes_available_name.txt``: the sorted names, minus the known missing skeletons."""
    from hypergcn.datasets import missing_skeletons

    missing = missing_skeletons(dataset)
    return sorted(p.stem for p in raw_dir.glob("*.skeleton") if p.stem not in missing)


# ---------------------------------------------------------------------------------------------------------
# Ours.


def _parse_job(args: tuple) -> float:
    from hypergcn.data.parse import parse_ntu_shard

    dataset, shard, raw_dir, out = args
    t0 = time.process_time()
    parse_ntu_shard(dataset, shard, [Path(raw_dir)], out)
    return time.process_time() - t0


def _denoise_job(args: tuple) -> float:
    from hypergcn.data.denoise import denoise_shard

    parsed, out = args
    t0 = time.process_time()
    denoise_shard(parsed, out)
    return time.process_time() - t0


def ours(raw_dir: Path, work: Path, dataset: str, setups: Sequence[str], jobs: int) -> dict:
    import hypergcn.data.denoise
    import hypergcn.data.parse  # noqa: F401 - imported before the pool forks, as in a warm worker

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
    # Steady state in this process (the compiled kernel already loaded): CPU per file of one shard.
    from hypergcn.data.ntu_skeleton import _compiled_kernel

    _compiled_kernel()
    _parse_job((dataset, setups[0], str(raw_dir), str(work / "steady_p.h5")))
    result["steady_parse_cpu"] = _parse_job((dataset, setups[0], str(raw_dir), str(work / "steady_p.h5")))
    result["steady_denoise_cpu"] = _denoise_job((str(work / "steady_p.h5"), str(work / "steady_d.h5")))
    result["steady_files"] = len(list(Path(raw_dir).glob(f"{setups[0]}*.skeleton")))
    return result


def ours_build(
    work: Path, dataset: str, benchmark: str, setups: Sequence[str], max_frames: int, second_actor: str
) -> float:
    from hypergcn.data.benchmark import BuildSettings, build_benchmark

    t0 = time.perf_counter()
    build_benchmark(
        [work / f"d{s}.h5" for s in setups],
        work / f"{dataset}_{benchmark}.h5",
        BuildSettings(
            dataset,
            benchmark,
            max_frames=max_frames,
            second_actor=second_actor,
            num_class=60 if dataset != "ntu120" else 120,
        ),
    )
    return time.perf_counter() - t0


def check_parity(work: Path, base: Path, dataset: str, benchmark: str) -> dict:
    """Our x transposed to (N, T, 150) against the baseline arrays; returns counts and equality."""
    import h5py

    reference = np.load(base / f"{dataset}_{benchmark}.npz")
    report = {}
    with h5py.File(work / f"{dataset}_{benchmark}.h5") as h5:
        for split in ("train", "test"):
            x = h5[split]["x"][()]  # (N, 3, T, V, M)
            ours_x = x.transpose(0, 2, 4, 3, 1).reshape(len(x), x.shape[2], 150)
            theirs = reference[f"x_{split}"]
            t = theirs.shape[1]
            equal = (
                ours_x.shape[0] == theirs.shape[0]
                and np.array_equal(ours_x[:, :t], theirs)
                and not ours_x[:, t:].any()
            )
            labels = np.array_equal(h5[split]["y"][()], reference[f"y_{split}"].argmax(axis=1))
            report[split] = {"n": int(len(x)), "x_equal": bool(equal), "y_equal": bool(labels)}
    return report


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
    from hypergcn.data.denoise import DENOISED_COLUMNS
    from hypergcn.data.shards import ShardWriter

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
            "from hypergcn.data.benchmark import BuildSettings, build_benchmark; "
            f"build_benchmark({[str(p) for p in paths]!r}, {str(folder / 'xsub.h5')!r}, BuildSettings('ntu60', 'xsub'))"
        )
        entry = {"ours_build_max_rss_mb": round(_max_rss_mb(code), 1)}
        if baseline:
            from hypergcn.data.shards import Shard

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
                "import json, sys; from pathlib import Path; "
                f"sys.path.insert(0, {str(REPO / 'benchmarks')!r}); import bench_preprocess as b; "
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
    import h5py

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
    parser.add_argument(
        "--no-numba", action="store_true", help="measure the numpy reader (HYPERGCN_NO_NUMBA=1)"
    )
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.setups, args.subjects, args.sizes = 2, 4, [250, 1000]
    if args.no_numba:
        os.environ["HYPERGCN_NO_NUMBA"] = "1"
    sys.path.insert(0, str(REPO))
    from hypergcn.data.demo import make_demo_skeletons

    work = Path(args.workdir)
    setups = [f"S{s:03d}" for s in range(1, args.setups + 1)]
    subjects = list(range(1, args.subjects + 1))
    raw = work / f"raw_{args.setups}x{args.subjects}"
    if not raw.is_dir():
        make_demo_skeletons(raw, seed=0, setups=setups, subjects=subjects, cameras=[1, 2, 3], repetitions=2)
    files = sorted(raw.glob("*.skeleton"))
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    results: dict = {"machine": machine(), "files": len(files), "raw_mb": round(size_mb, 1)}
    results["reader"] = "numpy" if os.environ.get("HYPERGCN_NO_NUMBA") else "numba (if installed)"
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
