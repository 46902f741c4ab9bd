"""The clip-array feeder and the model on any layout: hand-computed checks on tiny arrays of centring,
reference scale, 2-D rotation and scale, the confidence rule of the bone and motion streams, and a
17-joint 2-D model with 2, 3 or 4 input channels (docs/data.md#recipe-keys-for-preprocessing)."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from hypergcn.data import transforms as tf
from hypergcn.data.dataset import CLIP_FEEDER, CLIP_ROT_2D_DEGREES, CLIP_SCALE, SkeletonDataset
from hypergcn.datasets import DATASETS, DatasetInfo, SplitRule, dataset_info
from hypergcn.layouts import LAYOUTS, Layout
from hypergcn.models import HyperGCN, model_config

COCO_JOINTS = (
    "nose", "left eye", "right eye", "left ear", "right ear", "left shoulder", "right shoulder",
    "left elbow", "right elbow", "left wrist", "right wrist", "left hip", "right hip", "left knee",
    "right knee", "left ankle", "right ankle",
)  # fmt: skip
COCO_PARENTS = (0, 0, 0, 1, 2, 0, 0, 5, 6, 7, 8, 0, 0, 11, 12, 13, 14)  # mmaction2's coco pairs


def coco(channels: tuple[str, ...] = ("x", "y", "confidence"), persons: int = 1) -> Layout:
    return Layout(
        name=f"coco17-{len(channels)}-{persons}",
        joints=COCO_JOINTS,
        parents=COCO_PARENTS,
        centre=(11, 12),
        persons=persons,
        channels=channels,
        reference=((5, 11), (6, 12)),
    )


# A three-joint chain 0 <- 1 <- 2 (joint 0 is the root), centred on the mean of joints 1 and 2, whose unit of
# length is the bone (0, 1): small enough to compute every number by hand.
TOY = Layout(
    name="toy3",
    joints=("a", "b", "c"),
    parents=(0, 0, 1),
    centre=(1, 2),
    persons=2,
    channels=("x", "y", "confidence"),
    reference=((0, 1),),
)


# --------------------------------------------------------------------------------------------------
# Transforms, by hand


def test_centre_persons_subtracts_each_persons_mean_centre_and_keeps_zero_frames():
    x = np.zeros((3, 3, 3, 2), dtype=np.float32)  # (C=x,y,conf, T=3, V=3, M=2)
    # person 0 present in frames 0 and 1 (frame 2 is padding); centre = mean of joints 1 and 2
    x[:2, 0, :, 0] = [[0, 2, 4], [0, 0, 2]]  # frame 0: centre (3, 1)
    x[:2, 1, :, 0] = [[2, 4, 6], [2, 2, 4]]  # frame 1: centre (5, 3)
    x[2, :2, :, 0] = 0.5
    # person 1 only in frame 2
    x[:2, 2, :, 1] = [[1, 1, 1], [7, 7, 9]]  # centre (1, 8)
    x[2, 2, :, 1] = 0.9
    out = tf.centre_persons(x, (1, 2), spatial=2)
    mean0 = np.array([4.0, 2.0])  # ((3, 1) + (5, 3)) / 2
    np.testing.assert_allclose(out[:2, 0, :, 0], x[:2, 0, :, 0] - mean0[:, None])
    np.testing.assert_allclose(out[:2, 1, :, 0], x[:2, 1, :, 0] - mean0[:, None])
    np.testing.assert_array_equal(out[:, 2, :, 0], 0)  # absent: stays zero
    np.testing.assert_allclose(out[:2, 2, :, 1], [[0, 0, 0], [-1, -1, 1]])
    np.testing.assert_array_equal(out[:, :2, :, 1], 0)
    np.testing.assert_array_equal(out[2], x[2])  # the confidence is never centred


def test_reference_length_skips_bones_with_a_missing_joint():
    x = np.zeros((2, 3, 3, 1), dtype=np.float32)
    x[:, 0, 0, 0], x[:, 0, 1, 0] = [0, 1], [3, 5]  # bone (0, 1) = (3, 4): length 5
    x[:, 1, 0, 0], x[:, 1, 1, 0] = [1, 1], [1, 2]  # length 1
    x[:, 2, 1, 0] = [9, 9]  # joint 0 missing (0, 0): not counted
    assert tf.reference_length(x, ((0, 1),), spatial=2) == pytest.approx(3.0)
    x[:, 2, 0, 0] = [9, 9]  # now present: a zero-length bone joins the mean
    assert tf.reference_length(x, ((0, 1),), spatial=2) == pytest.approx(2.0)
    assert tf.reference_length(x, (), spatial=2) is None
    assert tf.reference_length(np.zeros((2, 2, 3, 1), np.float32), ((0, 1),), spatial=2) is None


def test_rotate_xy_turns_x_onto_y_and_leaves_z_and_confidence():
    x = np.zeros((4, 1, 2, 1), dtype=np.float32)  # x, y, z, confidence
    x[:, 0, 0, 0] = [1, 0, 7, 0.3]
    x[:, 0, 1, 0] = [0, 2, -1, 0.8]
    out = tf.rotate_xy(x, math.pi / 2)
    np.testing.assert_allclose(out[:, 0, 0, 0], [0, 1, 7, 0.3], atol=1e-7)
    np.testing.assert_allclose(out[:, 0, 1, 0], [-2, 0, -1, 0.8], atol=1e-7)
    assert out.dtype == np.float32


def test_scale_spatial_leaves_the_confidence():
    x = np.array([1.0, -2.0, 0.5], dtype=np.float32).reshape(3, 1, 1, 1)
    np.testing.assert_array_equal(tf.scale_spatial(x, 2.0, spatial=2).ravel(), [2, -4, 0.5])


def test_bone_confidence_is_the_mean_of_the_two_joints():
    # chain 0 <- 1 <- 2, one frame: coordinates (x, y) and confidences 0.2, 0.6, 1.0
    x = np.array([[1.0, 4.0, 9.0], [0.0, 1.0, 3.0], [0.2, 0.6, 1.0]], dtype=np.float32).reshape(3, 1, 3, 1)
    bone = tf.to_bone(x, np.array([0, 0, 1]), confidence=True)
    np.testing.assert_allclose(bone[:, 0, :, 0], [[0, 3, 5], [0, 1, 2], [0.2, 0.4, 0.8]], rtol=1e-6)
    plain = tf.to_bone(x, np.array([0, 0, 1]))  # without the flag every channel is differenced
    np.testing.assert_allclose(plain[2, 0, :, 0], [0, 0.4, 0.4], rtol=1e-6)


def test_motion_confidence_is_the_mean_of_the_two_frames():
    x = np.zeros((3, 3, 1, 1), dtype=np.float32)
    x[0, :, 0, 0] = [1, 4, 9]
    x[1, :, 0, 0] = [0, 1, 1]
    x[2, :, 0, 0] = [0.2, 0.4, 1.0]
    out = tf.motion(x, confidence=True)
    np.testing.assert_allclose(out[:, :, 0, 0], [[3, 5, 0], [1, 0, 0], [0.3, 0.7, 0]], rtol=1e-6)


def test_random_crop_floor_is_a_parameter():
    class Draws:
        def random(self):
            return 0.0  # p = the interval's low end

        def integers(self, low, high):
            return low

    assert tf.random_crop(100, (0.5, 1.0), Draws()) == (0, 64)  # the authors' floor of 64 frames
    assert tf.random_crop(100, (0.5, 1.0), Draws(), min_frames=8) == (0, 50)
    assert tf.random_crop(6, (0.5, 1.0), Draws(), min_frames=8) == (0, 6)


# --------------------------------------------------------------------------------------------------
# The feeder through SkeletonDataset


def write_clip_file(path: Path, clips: list[np.ndarray], layout: Layout, dataset: str = "toyclips") -> Path:
    """A benchmark file of ``layout``'s channels: clips (C, T_i, V, M), zero padded to the longest."""
    c, _, v, m = clips[0].shape
    t_max = max(clip.shape[1] for clip in clips)
    with h5py.File(path, "w") as handle:
        handle.attrs.update(
            dataset=dataset, benchmark="xsub", num_class=2, num_point=v, num_person=m, layout=layout.name
        )
        for split in ("train", "test"):
            group = handle.create_group(split)
            x = np.zeros((len(clips), c, t_max, v, m), dtype=np.float32)
            for i, clip in enumerate(clips):
                x[i, :, : clip.shape[1]] = clip
            group["x"] = x
            group["y"] = np.arange(len(clips), dtype=np.int64) % 2
            group.create_dataset(
                "name", data=[f"clip{i}" for i in range(len(clips))], dtype=h5py.string_dtype()
            )
            group["frames"] = np.array([clip.shape[1] for clip in clips], dtype=np.int32)
    return path


def clip_dataset(layout: Layout, name: str) -> DatasetInfo:
    """A clip-array dataset of ``layout``: a package declaration with its name, layout and format replaced."""
    return dataclasses.replace(
        dataset_info("ucla"),
        name=name,
        layout=layout,
        raw_format="clip_arrays",
        splits={"xsub": SplitRule("subject", frozenset({1}))},
    )


@pytest.fixture
def declare(monkeypatch):
    """Register a clip-array dataset of a layout for one test (what the declarations do for a user's)."""

    def register(layout: Layout, name: str = "toyclips") -> DatasetInfo:
        info = clip_dataset(layout, name)
        monkeypatch.setitem(LAYOUTS, layout.name, layout)
        monkeypatch.setitem(DATASETS, name, info)
        return info

    return register


def toy_clip() -> np.ndarray:
    """Four frames of the toy layout: person 0 in every frame, person 1 absent in frames 2 and 3."""
    x = np.zeros((3, 4, 3, 2), dtype=np.float32)
    for t in range(4):
        x[:2, t, :, 0] = [[t, t, t + 2], [0, 2, 2]]  # joints a, b, c; bone (a, b) has length 2
        x[2, t, :, 0] = [0.5, 0.7, 0.9]
    x[:2, :2, :, 1] = np.array([[10, 10, 14], [10, 14, 14]], dtype=np.float32)[:, None]  # bone (a, b): 4
    x[2, :2, :, 1] = 0.25
    return x


@pytest.fixture
def toy_file(tmp_path, declare) -> Path:
    declare(TOY)
    return write_clip_file(tmp_path / "toy.h5", [toy_clip()], TOY)


def test_clip_feeder_test_path_by_hand(toy_file):
    """Full crop (test_p_interval [1]) of a 4-frame clip to a 4-frame window: resize is the identity, then the
    centre and the reference scale: the mean of bone (a, b) over the frames and persons where both joints are
    non-zero. Person 0's joint a is (0, 0) in frame 0, so that bone is skipped: lengths 2, 2, 2 (person 0,
    frames 1-3) and 4, 4 (person 1, frames 0-1), mean 14 / 5 = 2.8."""
    ds = SkeletonDataset(toy_file, "test", "joint", window=4, recipe={"test_p_interval": [1.0]})
    assert ds.feeder == CLIP_FEEDER and ds.options["p_interval"] == [1.0]
    assert (ds.centre, ds.normalise_scale, ds.random_rot_2d, ds.random_scale) == (True, True, 0.0, (1.0, 1.0))
    out = ds[0][0].numpy()
    assert out.shape == (3, 4, 3, 2)
    x = toy_clip()
    centre0 = np.array([(1 + 2 + 3 + 4) / 4, 2.0])  # mean over the frames of mean(b, c) = (t + 1, 2)
    centre1 = np.array([12.0, 14.0])
    expected = np.zeros_like(x)
    expected[:2, :, :, 0] = (x[:2, :, :, 0] - centre0[:, None, None]) / 2.8
    expected[:2, :2, :, 1] = (x[:2, :2, :, 1] - centre1[:, None, None]) / 2.8
    expected[2] = x[2]  # the confidence passes unchanged
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(out[:, 2:, :, 1], 0)  # person 1's absent frames stay zero

    no_scale = SkeletonDataset(
        toy_file, "test", "joint", window=4, recipe={"test_p_interval": [1.0], "normalise_scale": False}
    )
    np.testing.assert_allclose(no_scale[0][0].numpy()[:2], expected[:2] * 2.8, rtol=1e-5, atol=1e-5)
    raw = SkeletonDataset(
        toy_file, "test", "joint", window=4, p_interval=[1.0], centre=False, normalise_scale=False
    )
    np.testing.assert_array_equal(raw[0][0].numpy(), x)


@pytest.mark.parametrize("modality", ["bone", "joint_motion", "bone_motion"])
def test_clip_feeder_streams_follow_the_confidence_rule(toy_file, modality):
    joint = SkeletonDataset(toy_file, "test", "joint", window=4, recipe={"test_p_interval": [1.0]})[0][
        0
    ].numpy()
    out = SkeletonDataset(toy_file, "test", modality, window=4, recipe={"test_p_interval": [1.0]})[0][
        0
    ].numpy()
    parents = np.array(TOY.parents)
    expected = tf.to_bone(joint, parents, confidence=True) if modality.startswith("bone") else joint
    if modality.endswith("motion"):
        expected = tf.motion(expected, confidence=True)
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-7)
    if modality == "bone":  # bone (b -> a) of person 0: confidence (0.5 + 0.7) / 2; root a keeps its own
        np.testing.assert_allclose(out[2, :, 1, 0], 0.6, rtol=1e-6)
        np.testing.assert_allclose(out[2, :, 0, 0], 0.5, rtol=1e-6)


def test_clip_feeder_training_rotates_and_scales_xy_only(toy_file):
    """Training draws the 2-D angle, then the scale, from the sample's generator; the result is the test
    path's array rotated and scaled, with the confidence untouched."""
    recipe = {"p_interval": [1.0], "test_p_interval": [1.0], "random_rot_2d": 30, "random_scale": [0.5, 2.0]}
    train = SkeletonDataset(toy_file, "train", "joint", window=4, train=True, recipe=recipe, seed=7)
    test = SkeletonDataset(toy_file, "test", "joint", window=4, recipe=recipe, seed=7)
    assert (test.random_rot_2d, test.random_scale) == (0.0, (1.0, 1.0))  # evaluation never augments
    base = test[0][0].numpy()
    rng = np.random.default_rng([7, 0, 0, 0])  # (seed, train stream, epoch, index)
    angle, scale = math.radians(rng.uniform(-30, 30)), rng.uniform(0.5, 2.0)
    cos, sin = math.cos(angle), math.sin(angle)
    expected = base.copy()
    expected[0] = scale * (cos * base[0] - sin * base[1])
    expected[1] = scale * (sin * base[0] + cos * base[1])
    np.testing.assert_allclose(train[0][0].numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(train[0][0].numpy()[2], base[2])


def test_clip_feeder_defaults(toy_file):
    train = SkeletonDataset(toy_file, "train", "joint", window=4, train=True)
    assert train.p_interval == (0.5, 1.0) and train.frame_sample == "resize" and not train.random_rot
    assert (train.random_rot_2d, train.random_scale) == (CLIP_ROT_2D_DEGREES, CLIP_SCALE)
    assert SkeletonDataset(toy_file, "test", "joint", window=4).p_interval == (0.95,)
    with pytest.raises(ValueError, match="2-D"):
        SkeletonDataset(toy_file, "train", "joint", train=True, random_rot=True)
    with pytest.raises(ValueError, match="align"):
        SkeletonDataset(toy_file, "test", "joint", recipe={"align": True})
    with pytest.raises(ValueError, match="random_scale"):
        SkeletonDataset(toy_file, "train", "joint", train=True, random_scale=[1.2, 1.1])


def test_clip_feeder_3d_random_rot_leaves_the_confidence(tmp_path, declare):
    layout = Layout("chain3d", ("a", "b", "c"), (0, 0, 1), 0, 1, ("x", "y", "z", "confidence"))
    declare(layout, "chain3d")
    clip = np.random.default_rng(0).uniform(0.1, 1, size=(4, 6, 3, 1)).astype(np.float32)
    path = write_clip_file(tmp_path / "chain3d.h5", [clip], layout, "chain3d")
    recipe = {"p_interval": [1.0], "random_rot": True, "random_rot_2d": 0, "random_scale": [1, 1]}
    out = SkeletonDataset(path, "train", "joint", window=6, train=True, recipe=recipe)[0][0].numpy()
    ref = SkeletonDataset(path, "test", "joint", window=6, recipe={"test_p_interval": [1.0]})[0][0].numpy()
    np.testing.assert_array_equal(out[3], ref[3])
    np.testing.assert_allclose(np.linalg.norm(out[:3], axis=0), np.linalg.norm(ref[:3], axis=0), rtol=1e-5)


def test_channel_count_must_match_the_layout(tmp_path, declare):
    declare(TOY)
    path = write_clip_file(tmp_path / "bad.h5", [toy_clip()[:2]], TOY)
    with pytest.raises(ValueError, match="2 channels"):
        SkeletonDataset(path, "test", "joint")


# --------------------------------------------------------------------------------------------------
# The model on any layout


@pytest.mark.parametrize(
    "channels",
    [("x", "y"), ("x", "y", "confidence"), ("x", "y", "z", "confidence")],
    ids=lambda c: str(len(c)),
)
def test_model_builds_and_trains_on_a_17_joint_layout(one_thread, channels):
    info = clip_dataset(coco(channels, persons=1), "coco-demo")
    config = model_config("base", info)
    assert (config.in_channels, config.num_point, config.num_person) == (len(channels), 17, 1)
    assert set(config.edges) == {(child, parent) for child, parent in enumerate(COCO_PARENTS) if child}
    torch.manual_seed(0)
    model = HyperGCN(config)
    x = torch.randn(2, len(channels), 8, 17, 1)
    logits = model(x)
    assert logits.shape == (2, info.num_class)
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor([0, 3])) + model.divergence_loss()
    loss.backward()
    assert model.to_joint_embedding.weight.grad.shape == (128, len(channels))
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


def test_a_file_carrying_its_declaration_needs_no_registration(tmp_path):
    """The loader rebuilds a user's dataset from the file's ``declaration`` attribute: layout, feeder and the
    declaration's recipe defaults, with nothing registered in this process beforehand."""
    declaration = json.loads(json.dumps(dataset_info("coco17").declaration))
    declaration["name"], declaration["layout"]["name"] = "mycoco", "mycoco17"
    declaration["recipe"] = {"random_rot_2d": 0, "random_scale": [1, 1], "centre": False}
    clip = np.random.default_rng(1).uniform(0.1, 1, size=(3, 10, 17, 2)).astype(np.float32)
    layout = dataclasses.replace(coco(persons=2), name="mycoco17")
    path = write_clip_file(tmp_path / "mycoco.h5", [clip], layout, "mycoco")
    with h5py.File(path, "a") as handle:
        handle.attrs["declaration"] = json.dumps(declaration)
    assert "mycoco" not in DATASETS and "mycoco17" not in LAYOUTS
    ds = SkeletonDataset(path, "train", "bone", window=10, train=True, p_interval=[1.0])
    assert ds.feeder == CLIP_FEEDER and ds.layout.name == "mycoco17" and ds.layout.centre_joints == (11, 12)
    assert (ds.centre, ds.random_rot_2d, ds.random_scale) == (False, 0.0, (1.0, 1.0))
    assert ds[0][0].shape == (3, 10, 17, 2)
