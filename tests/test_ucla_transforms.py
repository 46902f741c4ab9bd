"""Hand-computed checks of the NW-UCLA loader transforms (docs/method.md#nw-ucla,
docs/method.md#nw-ucla-loader-details)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hypergcn.data import transforms as tf
from hypergcn.layouts import UCLA

UCLA_PARENTS = np.asarray(UCLA.parents, dtype=np.intp)


def test_centre_on_frame0_joint2():
    x = np.arange(3 * 4 * 20, dtype=np.float64).reshape(3, 4, 20, 1)
    assert UCLA.centre == 1  # joint 2
    out = tf.ucla_centre(x, UCLA.centre)
    np.testing.assert_array_equal(out[:, 0, 1, 0], 0)
    np.testing.assert_array_equal(out, x - x[:, 0, 1, 0].reshape(3, 1, 1, 1))


def test_view_transform_for_given_angles_and_scale():
    # column form s * Rx(ax) * Ry(ay) * p with standard right-handed rotations
    np.testing.assert_allclose(tf.view_transform_matrix(90, 0, 2.0) @ [0, 1, 0], [0, 0, 2], atol=1e-12)
    np.testing.assert_allclose(tf.view_transform_matrix(0, 90, 1.0) @ [1, 0, 0], [0, 0, -1], atol=1e-12)
    np.testing.assert_allclose(tf.view_transform_matrix(0, 0, 0.5), 0.5 * np.eye(3))


@pytest.mark.parametrize(("ax", "ay", "s"), [(-60, 60, 0.5), (17, -33, 1.37), (45, 0, 1.0)])
def test_view_transform_equals_the_authors_row_vector_form(ax, ay, s):
    a, b = math.radians(ax), math.radians(ay)
    rx = np.asarray([[1, 0, 0], [0, math.cos(a), math.sin(a)], [0, -math.sin(a), math.cos(a)]])
    ry = np.asarray([[math.cos(b), 0, -math.sin(b)], [0, 1, 0], [math.sin(b), 0, math.cos(b)]])
    points = np.random.default_rng(0).normal(size=(50, 3))
    authors = points @ (ry @ (rx @ (s * np.eye(3))))
    x = points.T.reshape(3, 50, 1, 1)
    ours = tf.rotate(x, tf.view_transform_matrix(ax, ay, s)).reshape(3, 50).T
    np.testing.assert_allclose(ours, authors, atol=1e-12)


def test_minmax_normalises_each_axis_to_minus_one_one():
    x = np.array([[0.0, 2.0, 4.0], [5.0, 5.0, 5.0], [-1.0, 1.0, 3.0]]).reshape(3, 3, 1, 1)
    out = tf.minmax_normalise(x)
    np.testing.assert_array_equal(out[0].ravel(), [-1, 0, 1])
    np.testing.assert_array_equal(out[1].ravel(), [0, 0, 0])  # zero range: the midpoint, not NaN
    np.testing.assert_array_equal(out[2].ravel(), [-1, 0, 1])
    y = np.random.default_rng(0).normal(size=(3, 7, 20, 1))
    out = tf.minmax_normalise(y)
    np.testing.assert_allclose(out.reshape(3, -1).min(1), -1)
    np.testing.assert_allclose(out.reshape(3, -1).max(1), 1)


def test_linspace_sampling_including_a_one_frame_clip():
    np.testing.assert_array_equal(tf.ucla_test_indices(10, 4), [0, 3, 6, 9])
    np.testing.assert_array_equal(tf.ucla_test_indices(5, 8), [0, 0, 1, 1, 2, 2, 3, 4])
    np.testing.assert_array_equal(tf.ucla_test_indices(1, 64), np.zeros(64))
    np.testing.assert_array_equal(tf.ucla_test_indices(134, 64), np.linspace(0, 133, 64).astype(int))


@pytest.mark.parametrize("frames", [1, 2, 30, 64, 134])
def test_train_sampling_draws_sorted_indices(frames):
    idx = tf.ucla_train_indices(frames, 64, np.random.default_rng(frames))
    assert idx.shape == (64,) and np.all(np.diff(idx) >= 0)
    assert idx.min() >= 0 and idx.max() <= frames - 1
    # at most 100 copies of a frame exist in the repeated list
    assert np.bincount(idx).max() <= 100


def test_drop_axis_zeroes_one_whole_axis():
    x = np.ones((3, 64, 20, 1))
    out = tf.drop_axis(x.copy(), np.random.default_rng(0), p=1.0)
    assert out.shape == x.shape
    zero_axes = [c for c in range(3) if not out[c].any()]
    assert len(zero_axes) == 1 and out.sum() == 2 * 64 * 20
    np.testing.assert_array_equal(tf.drop_axis(x.copy(), np.random.default_rng(0), p=0.0), x)


def test_drop_joints_zeroes_a_joint_frame_block():
    for seed in range(20):
        x = np.ones((3, 64, 20, 1))
        out = tf.drop_joints(x, np.random.default_rng(seed), p=1.0)
        assert out.shape == (3, 64, 20, 1)
        dropped = ~out.any(axis=(0, 3))  # (T, V)
        frames, joints = np.nonzero(dropped.any(1))[0], np.nonzero(dropped.any(0))[0]
        assert 16 <= len(frames) <= 32 and 4 <= len(joints) <= 12
        assert dropped.sum() == len(frames) * len(joints)  # the full cross product, all axes
    short = tf.drop_joints(np.ones((3, 8, 20, 1)), np.random.default_rng(0), p=1.0)
    assert not short.any(axis=(0, 3)).all(axis=1).any()  # every frame loses joints when T < 16


def test_ucla_bone_pairs():
    one_based = {child + 1: int(parent) + 1 for child, parent in enumerate(UCLA_PARENTS)}
    assert one_based == {
        1: 2, 2: 3, 3: 3, 4: 3, 5: 3, 6: 5, 7: 6, 8: 7, 9: 3, 10: 9,
        11: 10, 12: 11, 13: 1, 14: 13, 15: 14, 16: 15, 17: 1, 18: 17, 19: 18, 20: 19,
    }  # fmt: skip
    x = np.random.default_rng(0).normal(size=(3, 4, 20, 1))
    bone = tf.to_bone(x, UCLA_PARENTS)
    np.testing.assert_array_equal(bone[:, :, 2], 0)
    np.testing.assert_array_equal(bone[:, :, 12], x[:, :, 12] - x[:, :, 0])
