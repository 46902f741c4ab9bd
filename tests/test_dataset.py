"""SkeletonDataset: parity with the authors' test feeders, randomness, workers, options
(docs/method.md#ntu-loader, docs/method.md#nw-ucla)."""

from __future__ import annotations

import math
import pickle
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from hypergcn.data import SkeletonDataset
from hypergcn.data.dataset import NTU_FEEDER, UCLA_FEEDER
from hypergcn.datasets import MODALITIES
from hypergcn.layouts import NTU, UCLA

# 1-based (child, parent) pairs written out independently of the package (docs/method.md#ntu-loader-formulas,
# docs/method.md#nw-ucla).
AUTHORS_NTU_PAIRS = [
    (1, 2), (2, 21), (3, 21), (4, 3), (5, 21), (6, 5), (7, 6), (8, 7), (9, 21), (10, 9), (11, 10), (12, 11),
    (13, 1), (14, 13), (15, 14), (16, 15), (17, 1), (18, 17), (19, 18), (20, 19), (22, 8), (21, 21), (23, 8),
    (24, 12), (25, 12),
]  # fmt: skip
AUTHORS_UCLA_PAIRS = [
    (1, 2), (2, 3), (3, 3), (4, 3), (5, 3), (6, 5), (7, 6), (8, 7), (9, 3), (10, 9), (11, 10), (12, 11),
    (13, 1), (14, 13), (15, 14), (16, 15), (17, 1), (18, 17), (19, 18), (20, 19),
]  # fmt: skip


def write_benchmark_h5(path: Path, splits: dict[str, list[np.ndarray]], dataset: str, benchmark: str) -> Path:
    """A small file of the benchmark contract: clips (3, T_i, V, M) zero padded to the longest (or 300)."""
    first = next(clip for clips in splits.values() for clip in clips)
    _, _, v, m = first.shape
    t_max = 300 if v == 25 else max(clip.shape[1] for clips in splits.values() for clip in clips)
    with h5py.File(path, "w") as handle:
        handle.attrs.update(dataset=dataset, benchmark=benchmark, num_class=5, num_point=v, num_person=m)
        for split, clips in splits.items():
            group = handle.create_group(split)
            x = group.create_dataset(
                "x",
                shape=(len(clips), 3, t_max, v, m),
                dtype="f4",
                chunks=(1, 3, t_max, v, m),
                compression="lzf",
            )
            for i, clip in enumerate(clips):
                padded = np.zeros((3, t_max, v, m), dtype=np.float32)
                padded[:, : clip.shape[1]] = clip
                x[i] = padded
            group["y"] = np.arange(len(clips), dtype=np.int64) % 5
            group.create_dataset(
                "name", data=[f"{split}_{i}" for i in range(len(clips))], dtype=h5py.string_dtype()
            )
            group["frames"] = np.array([clip.shape[1] for clip in clips], dtype=np.int32)
    return path


def random_clip(frames: int, rng: np.random.Generator, joints: int = 25, persons: int = 2) -> np.ndarray:
    """A smooth random walk, like real coordinates (metres around the origin)."""
    steps = rng.normal(scale=0.02, size=(3, frames, joints, persons))
    return (np.cumsum(steps, axis=1) + rng.normal(size=(3, 1, joints, persons))).astype(np.float32)


# --------------------------------------------------------------------------------------------------
# Literal re-implementations of the authors' deterministic feeders, from the spec's formulas


def authors_ntu_test(padded: np.ndarray, modality: str, window: int = 64) -> np.ndarray:
    """feeder_ntu test path: sum-based valid count, central crop, torch bilinear resize, bone/joint, vel."""
    valid = int(np.sum(padded.sum(0).sum(-1).sum(-1) != 0))
    bias = int((1 - 0.95) * valid / 2)
    data = padded[:, bias : valid - bias]
    c, length, v, m = data.shape
    t = torch.tensor(data, dtype=torch.float).permute(0, 2, 3, 1).contiguous().view(c * v * m, length)
    t = F.interpolate(t[None, None], size=(c * v * m, window), mode="bilinear", align_corners=False).squeeze()
    data = t.contiguous().view(c, v, m, window).permute(0, 3, 1, 2).contiguous().numpy()
    if "bone" in modality:
        bone = np.zeros_like(data)
        for child, parent in AUTHORS_NTU_PAIRS:
            bone[:, :, child - 1] = data[:, :, child - 1] - data[:, :, parent - 1]
        bone[:, :, 20] = data[:, :, 20]
        data = bone
    elif "motion" not in modality:
        trajectory = data[:, :, 20].copy()
        data = data - data[:, :, 20:21]
        data[:, :, 20] = trajectory
    if "motion" in modality:
        data[:, :-1] = data[:, 1:] - data[:, :-1]
        data[:, -1] = 0
    return data


def authors_ucla_test(clip: np.ndarray, modality: str, window: int = 64) -> np.ndarray:
    """feeder_ucla test path on a (T, 20, 3) float64 clip, row-vector view transform with identity angles."""
    value = clip - clip[0, 1, :]
    ax = ay = math.radians(0)
    rx = np.asarray([[1, 0, 0], [0, math.cos(ax), math.sin(ax)], [0, -math.sin(ax), math.cos(ax)]])
    ry = np.asarray([[math.cos(ay), 0, -math.sin(ay)], [0, 1, 0], [math.sin(ay), 0, math.cos(ay)]])
    value = np.dot(value.reshape(-1, 3), np.dot(ry, np.dot(rx, np.eye(3))))
    value = (value - value.min(axis=0)) / (value.max(axis=0) - value.min(axis=0)) * 2 - 1
    value = value.reshape(-1, 20, 3)
    data = value[np.linspace(0, value.shape[0] - 1, window).astype(int)]
    if "bone" in modality:
        bone = np.zeros_like(data)
        for child, parent in AUTHORS_UCLA_PAIRS:
            bone[:, child - 1] = data[:, child - 1] - data[:, parent - 1]
        data = bone
    if "motion" in modality:
        diff = np.zeros_like(data)
        diff[:-1] = data[1:] - data[:-1]
        data = diff
    return data.transpose(2, 0, 1)[..., None]


# --------------------------------------------------------------------------------------------------
# Fixtures

NTU_LENGTHS = [1, 2, 3, 20, 40, 63, 64, 65, 100, 217, 300]


@pytest.fixture(scope="module")
def ntu_clips() -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    clips = [random_clip(t, rng) for t in NTU_LENGTHS]
    clips[3][:, :, :, 1] = 0  # one actor: the second slot is zero
    clips[8][:, 50] = 0  # an all-zero frame inside the clip shortens the authors' valid count
    return clips


@pytest.fixture(scope="module")
def ntu_file(tmp_path_factory, ntu_clips) -> Path:
    path = tmp_path_factory.mktemp("ntu") / "xsub.h5"
    return write_benchmark_h5(path, {"train": ntu_clips, "test": ntu_clips}, "ntu60", "xsub")


@pytest.fixture(scope="module")
def xview_file(tmp_path_factory, ntu_clips) -> Path:
    path = tmp_path_factory.mktemp("xview") / "xview.h5"
    return write_benchmark_h5(path, {"train": ntu_clips, "test": ntu_clips}, "ntu60", "xview")


@pytest.fixture(scope="module")
def ucla_clips() -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    return [random_clip(t, rng, joints=20, persons=1) + 2.0 for t in (1, 2, 30, 64, 134)]


@pytest.fixture(scope="module")
def ucla_file(tmp_path_factory, ucla_clips) -> Path:
    path = tmp_path_factory.mktemp("ucla") / "xview.h5"
    return write_benchmark_h5(path, {"train": ucla_clips, "test": ucla_clips}, "ucla", "xview")


# --------------------------------------------------------------------------------------------------
# Parity of the deterministic paths


@pytest.mark.parametrize("modality", MODALITIES)
def test_ntu_test_path_matches_the_authors_feeder(ntu_file, ntu_clips, modality):
    ds = SkeletonDataset(ntu_file, "test", modality)
    assert ds.frame_sample == "resize" and not ds.align and not ds.random_rot
    for i, clip in enumerate(ntu_clips):
        padded = np.zeros((3, 300, 25, 2), dtype=np.float32)
        padded[:, : clip.shape[1]] = clip
        x, label, name = ds[i]
        assert x.dtype == torch.float32 and x.shape == (3, 64, 25, 2)
        assert (label, name) == (i % 5, f"test_{i}")
        np.testing.assert_allclose(x.numpy(), authors_ntu_test(padded, modality), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("window", [52, 64, 100])
def test_resize_matches_torch_interpolate_for_other_windows(ntu_file, ntu_clips, window):
    ds = SkeletonDataset(ntu_file, "test", "bone", window=window)
    for i in (0, 4, 9, 10):
        padded = np.zeros((3, 300, 25, 2), dtype=np.float32)
        padded[:, : ntu_clips[i].shape[1]] = ntu_clips[i]
        np.testing.assert_allclose(ds[i][0].numpy(), authors_ntu_test(padded, "bone", window), atol=1e-6)


@pytest.mark.parametrize("modality", MODALITIES)
def test_ucla_test_path_matches_the_authors_feeder(ucla_file, ucla_clips, modality):
    ds = SkeletonDataset(ucla_file, "test", modality)
    for i, clip in enumerate(ucla_clips):
        x = ds[i][0]
        assert x.shape == (3, 64, 20, 1)
        authors = authors_ucla_test(clip[..., 0].transpose(1, 2, 0).astype(np.float64), modality)
        np.testing.assert_allclose(x.numpy(), authors, rtol=1e-6, atol=1e-6)


# --------------------------------------------------------------------------------------------------
# Random paths


def _stack(ds: SkeletonDataset, indices) -> np.ndarray:
    return np.stack([ds[i][0].numpy() for i in indices])


@pytest.mark.parametrize("modality", MODALITIES)
def test_ntu_train_path_is_reproducible_per_seed_epoch_and_index(ntu_file, modality):
    ds = SkeletonDataset(ntu_file, "train", modality, train=True, repeat=2)
    assert len(ds) == 2 * len(NTU_LENGTHS) and ds.random_rot
    n = len(NTU_LENGTHS)
    first = _stack(ds, range(2 * n))
    assert first.shape == (2 * n, 3, 64, 25, 2) and np.isfinite(first).all()
    np.testing.assert_array_equal(
        first, _stack(SkeletonDataset(ntu_file, "train", modality, train=True, repeat=2), range(2 * n))
    )
    assert not np.array_equal(first[n - 1], first[2 * n - 1])  # the two repeats of a sample differ
    ds.set_epoch(1)
    assert not np.array_equal(first, _stack(ds, range(2 * n)))
    other_seed = SkeletonDataset(ntu_file, "train", modality, train=True, repeat=2, seed=2)
    assert not np.array_equal(first, _stack(other_seed, range(2 * n)))


def test_random_rotation_preserves_per_frame_geometry(ntu_file):
    # train path without the random crop: rotation only, so joint distances match the test path
    ds = SkeletonDataset(ntu_file, "train", "joint_motion", train=True, p_interval=[0.95])
    ref = SkeletonDataset(ntu_file, "test", "joint_motion")
    for i in (4, 10):
        a, b = ds[i][0].numpy(), ref[i][0].numpy()
        np.testing.assert_allclose(np.linalg.norm(a, axis=0), np.linalg.norm(b, axis=0), rtol=1e-4, atol=1e-5)
        assert not np.allclose(a, b)


def test_xview_defaults_to_seeded_clips_and_align(xview_file):
    ds = SkeletonDataset(xview_file, "test", "joint_motion")
    assert ds.frame_sample == "clips" and ds.align and not ds.random_rot
    first = _stack(ds, range(len(ds)))
    np.testing.assert_array_equal(
        first, _stack(SkeletonDataset(xview_file, "test", "joint_motion"), range(len(ds)))
    )
    # aligned: the shoulder vector of person 0, frame 0 lies on +x (motion off to read raw joints)
    raw = SkeletonDataset(xview_file, "test", "bone")[10][0].numpy()
    d = raw[:, 0, 8, 0] - raw[:, 0, 4, 0]  # bone of joint 9 minus joint 5 = r - l (parents 21 cancel)
    assert d[0] > 0 and np.allclose(d[1:], 0, atol=1e-5)
    random = SkeletonDataset(xview_file, "test", "joint_motion", test_sampling="random")
    assert not np.array_equal(_stack(random, [10, 10]), first[[10, 10]])


def test_explicit_resize_on_xview_and_clips_override(xview_file, ntu_file):
    assert SkeletonDataset(xview_file, "test", "joint", frame_sample="resize").align  # align stays per file
    ds = SkeletonDataset(ntu_file, "test", "joint", frame_sample="clips", align=False)
    assert ds[5][0].shape == (3, 64, 25, 2)


@pytest.mark.parametrize("modality", MODALITIES)
def test_ucla_train_path(ucla_file, modality):
    ds = SkeletonDataset(ucla_file, "train", modality, train=True, repeat=5)
    assert len(ds) == 25 and ds.view_transform and ds.drop_axis_p == 0.5
    out = _stack(ds, range(len(ds)))
    assert out.shape == (25, 3, 64, 20, 1) and np.isfinite(out).all()
    if modality == "joint":
        assert out.min() >= -1 - 1e-6 and out.max() <= 1 + 1e-6
    np.testing.assert_array_equal(
        out, _stack(SkeletonDataset(ucla_file, "train", modality, train=True, repeat=5), range(25))
    )


# --------------------------------------------------------------------------------------------------
# Workers, pickling, options


def _epoch_batches(loader: DataLoader) -> np.ndarray:
    return np.concatenate([x.numpy() for x, _, _ in loader])


def test_dataloader_workers_match_single_process(ntu_file):
    ds = SkeletonDataset(ntu_file, "train", "bone", train=True)
    single = _epoch_batches(DataLoader(ds, batch_size=4, num_workers=0))
    loader = DataLoader(ds, batch_size=4, num_workers=2, persistent_workers=True)
    np.testing.assert_array_equal(_epoch_batches(loader), single)
    ds.set_epoch(3)  # reaches the persistent workers through shared memory
    second = _epoch_batches(loader)
    assert not np.array_equal(second, single)
    np.testing.assert_array_equal(second, _epoch_batches(DataLoader(ds, batch_size=4, num_workers=0)))
    x, labels, names = next(iter(DataLoader(ds, batch_size=3)))
    assert (
        x.shape == (3, 3, 64, 25, 2)
        and labels.dtype == torch.int64
        and list(names) == ["train_0", "train_1", "train_2"]
    )


def test_dataset_pickles_after_use(ntu_file):
    ds = SkeletonDataset(ntu_file, "test", "joint")
    first = ds[3][0]
    clone = pickle.loads(pickle.dumps(ds))
    assert clone._x is None
    torch.testing.assert_close(clone[3][0], first, rtol=0, atol=0)


def test_feeder_and_layout_are_read_not_guessed(tmp_path, ntu_file, ucla_file, ucla_clips):
    """The feeder follows the dataset's raw format, the bones the file's layout attribute; a file written
    before that attribute existed takes its dataset's layout."""
    ntu, ucla = SkeletonDataset(ntu_file, "test", "bone"), SkeletonDataset(ucla_file, "test", "bone")
    assert (ntu.feeder, ntu.layout, ucla.feeder, ucla.layout) == (NTU_FEEDER, NTU, UCLA_FEEDER, UCLA)
    tagged = {}
    for layout in ("nw-ucla", "kinect-v3"):
        tagged[layout] = write_benchmark_h5(tmp_path / f"{layout}.h5", {"test": ucla_clips}, "ucla", "xview")
        with h5py.File(tagged[layout], "a") as handle:
            handle.attrs["layout"] = layout
    same = SkeletonDataset(tagged["nw-ucla"], "test", "bone")
    assert same.layout is UCLA
    for i in range(len(ucla_clips)):
        torch.testing.assert_close(same[i][0], ucla[i][0], rtol=0, atol=0)
    with pytest.raises(ValueError, match="unknown skeleton layout 'kinect-v3'"):
        SkeletonDataset(tagged["kinect-v3"], "test", "bone")
    demo = SkeletonDataset(write_benchmark_h5(tmp_path / "demo.h5", {"test": [ucla_clips[0]]}, "demo", "xsub"),
                           "test", "joint")  # fmt: skip
    assert demo.feeder is NTU_FEEDER and demo.frame_sample == "resize" and not demo.align


def test_options_are_validated(ntu_file, ucla_file):
    with pytest.raises(ValueError, match="modality"):
        SkeletonDataset(ntu_file, "test", "velocity")
    with pytest.raises(KeyError, match="val"):
        SkeletonDataset(ntu_file, "val", "joint")
    with pytest.raises(ValueError, match="frame_sample"):
        SkeletonDataset(ntu_file, "test", "joint", frame_sample="crop")
    with pytest.raises(ValueError, match="test_sampling"):
        SkeletonDataset(ntu_file, "test", "joint", test_sampling="fixed")
    with pytest.raises(ValueError, match="drop_axis_p"):
        SkeletonDataset(ntu_file, "test", "joint", drop_axis_p=0.5)
    with pytest.raises(ValueError, match="random_rot"):
        SkeletonDataset(ucla_file, "train", "joint", random_rot=True)
    ds = SkeletonDataset(ntu_file, "test", "joint", window=32)
    assert ds[0][0].shape == (3, 32, 25, 2) and ds[-1][2] == f"test_{len(NTU_LENGTHS) - 1}"
    with pytest.raises(IndexError):
        ds[len(ds)]
