"""The authors' NTU preprocessing, re-implemented independently: the parity oracle of the data stages.

``get_raw_skes_data.py``, ``get_raw_denoised_data.py`` and ``seq_transformation.py`` written from their
specification (docs/method.md#parsing, docs/method.md#denoising, docs/method.md#benchmark-files) the way
they run: a line-by-line Python parser that builds per-body dicts (``np.vstack`` per frame, ``np.array`` per
joint line), pickles of all raw data, the denoising loop with its log files and per-sample actor-info files,
then per-frame centring, alignment of the whole dataset in one array, the splits and ``np.savez``. Nothing
here uses the package's code or split tables: the parity test (tests/test_benchmark.py) compares the two,
and ``benchmarks/bench_preprocess.py`` times them.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Sequence
from pathlib import Path

import h5py
import numpy as np

from hypergcn.datasets import missing_skeletons

# seq_transformation.py: the cross-subject training performers of NTU-60 and NTU-120.
NTU60_XSUB_TRAIN_IDS = [1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19, 25, 27, 28, 31, 34, 35, 38]
NTU120_XSUB_TRAIN_IDS = NTU60_XSUB_TRAIN_IDS + [
    45, 46, 47, 49, 50, 52, 53, 54, 55, 56, 57, 58, 59, 70, 74, 78, 80, 81, 82, 83, 84, 85, 86, 89, 91, 92,
    93, 94, 95, 97, 98, 100, 103,
]  # fmt: skip

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
    """One file, line by line, into per-body dicts (docs/method.md#parsing)."""
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
        if benchmark == "xsub":
            train_ids = NTU120_XSUB_TRAIN_IDS if dataset == "ntu120" else NTU60_XSUB_TRAIN_IDS
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
    missing = missing_skeletons(dataset)
    return sorted(p.stem for p in raw_dir.glob("*.skeleton") if p.stem not in missing)


def check_parity(work: Path, base: Path, dataset: str, benchmark: str) -> dict:
    """Our x transposed to (N, T, 150) against the baseline arrays; returns counts and equality."""
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
