"""Hand-computed checks of the NTU loader transforms (docs/method.md#ntu-loader,
docs/method.md#ntu-loader-formulas)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hypergcn.data import transforms as tf
from hypergcn.layouts import NTU

NTU_PARENTS = np.asarray(NTU.parents, dtype=np.intp)
SHOULDERS = (4, 8)  # joints 5 and 9, left and right


class FixedRng:
    """Stand-in generator returning preset draws, so sampling regimes can be checked by hand."""

    def __init__(self, integers=None, choice=None):
        self._integers = integers
        self._choice = choice

    def integers(self, low, high=None, size=None):
        value = self._integers(low, high) if callable(self._integers) else self._integers
        return np.asarray(value)

    def choice(self, n, size, replace=True):
        assert not replace and len(self._choice) == size and max(self._choice, default=-1) < n
        return np.asarray(self._choice, dtype=np.intp)


def test_bone_on_three_joint_toy():
    # joints 0 -> 1 -> 2 (root, own parent); joint 1 keeps its absolute position
    x = np.array([[1.0, 3.0, 7.0], [2.0, 2.0, 2.0], [0.0, 1.0, 5.0]]).reshape(3, 1, 3, 1)
    bone = tf.to_bone(x, np.array([1, 2, 2]), absolute=1)
    expected = np.array([[1 - 3, 3, 0], [0, 2, 0], [0 - 1, 1, 0]], dtype=float).reshape(3, 1, 3, 1)
    np.testing.assert_array_equal(bone, expected)
    np.testing.assert_array_equal(tf.to_bone(x, np.array([1, 2, 2]))[:, :, 1], (x[:, :, 1] - x[:, :, 2]))


def test_bone_pairs_follow_the_authors_list():
    assert NTU_PARENTS.shape == (25,) and NTU.centre == 20  # joint 21
    assert (NTU.joints[SHOULDERS[0]], NTU.joints[SHOULDERS[1]]) == ("left shoulder", "right shoulder")
    one_based = {child + 1: int(parent) + 1 for child, parent in enumerate(NTU_PARENTS)}
    assert one_based == {
        1: 2, 2: 21, 3: 21, 4: 3, 5: 21, 6: 5, 7: 6, 8: 7, 9: 21, 10: 9, 11: 10, 12: 11, 13: 1, 14: 13,
        15: 14, 16: 15, 17: 1, 18: 17, 19: 18, 20: 19, 21: 21, 22: 8, 23: 8, 24: 12, 25: 12,
    }  # fmt: skip
    x = np.random.default_rng(0).normal(size=(3, 4, 25, 2)).astype(np.float32)
    bone = tf.to_bone(x, NTU_PARENTS, absolute=NTU.centre)
    np.testing.assert_array_equal(bone[:, :, 20], x[:, :, 20])
    np.testing.assert_array_equal(bone[:, :, 21], x[:, :, 21] - x[:, :, 7])


def test_joint_centring_keeps_the_torso_absolute():
    x = np.zeros((3, 2, 25, 1), dtype=np.float32)
    x[:, :, 20, 0] = [[1, 2], [3, 4], [5, 6]]
    x[:, :, 0, 0] = [[2, 2], [2, 2], [2, 2]]
    out = tf.centre_on_joint(x, NTU.centre)
    np.testing.assert_array_equal(out[:, :, 20, 0], x[:, :, 20, 0])
    np.testing.assert_array_equal(out[:, :, 0, 0], [[1, 0], [-1, -2], [-3, -4]])
    np.testing.assert_array_equal(out[:, :, 5, 0], -x[:, :, 20, 0])


def test_motion_is_a_forward_difference_with_zero_last_frame():
    x = np.array([1.0, 4.0, 9.0, 16.0]).reshape(1, 4, 1, 1)
    np.testing.assert_array_equal(tf.motion(x).ravel(), [3, 5, 7, 0])
    np.testing.assert_array_equal(tf.motion(x[:, :1]).ravel(), [0])


def test_valid_frame_count_counts_non_zero_frames():
    x = np.zeros((3, 10, 25, 2), dtype=np.float32)
    x[0, [0, 1, 3, 4], 2, 1] = 1.0  # frame 2 is an all-zero gap; it is not counted
    assert tf.valid_frame_count(x) == 4


@pytest.mark.parametrize(
    ("valid", "expected"), [(100, (2, 96)), (40, (1, 38)), (39, (0, 39)), (300, (7, 286)), (1, (0, 1))]
)
def test_central_crop_indices(valid, expected):
    assert tf.central_crop(valid, 0.95) == expected


def test_random_crop_bounds():
    rng = np.random.default_rng(0)
    for valid in (10, 64, 65, 130, 300):
        for _ in range(50):
            start, length = tf.random_crop(valid, (0.5, 1.0), rng)
            assert min(valid, 64) <= length <= valid and 0 <= start <= valid - length
            assert length == valid or length >= math.floor(valid * 0.5)


def test_resize_of_a_tiny_ramp():
    crop = np.array([0.0, 4.0], dtype=np.float32).reshape(1, 2, 1, 1)
    # s = max(0.5 (j + 0.5) - 0.5, 0) = 0, 0.25, 0.75, 1.25 -> i0 = 0, 0, 0, 1 and i1 capped at 1
    np.testing.assert_array_equal(tf.resize(crop, 4).ravel(), [0, 1, 3, 4])
    i0, i1, w0, w1 = tf.resize_table(2, 4)
    assert i0.tolist() == [0, 0, 0, 1] and i1.tolist() == [1, 1, 1, 1]
    np.testing.assert_array_equal(w1, np.float32([0, 0.25, 0.75, 0.25]))
    ramp = np.arange(6, dtype=np.float32).reshape(1, 6, 1, 1)
    # downsampling 6 -> 3: s = 0.5, 2.5, 4.5
    np.testing.assert_array_equal(tf.resize(ramp, 3).ravel(), [0.5, 2.5, 4.5])
    np.testing.assert_array_equal(tf.resize(ramp[:, :1], 3).ravel(), [0, 0, 0])


def test_clips_short_clip_wraps_around():
    idx = tf.clip_indices(20, 64, FixedRng(integers=10))
    np.testing.assert_array_equal(idx, (10 + np.arange(64)) % 20)


def test_clips_medium_clip_adds_skips():
    idx = tf.clip_indices(67, 64, FixedRng(choice=[0, 5, 64]))
    expected = np.arange(64) + 1  # skip at k=0 counts for every i
    expected[5:] += 1  # k=5 for i >= 5; k=64 is past the last index
    np.testing.assert_array_equal(idx, expected)
    assert idx[-1] == 65 and np.all(np.diff(idx) >= 1)
    np.testing.assert_array_equal(tf.clip_indices(64, 64, FixedRng(choice=[])), np.arange(64))


def test_clips_long_clip_picks_one_frame_per_segment():
    bounds = np.arange(65) * 200 // 64
    idx = tf.clip_indices(200, 64, FixedRng(integers=0))
    np.testing.assert_array_equal(idx, bounds[:-1])
    idx = tf.clip_indices(200, 64, FixedRng(integers=lambda low, high: np.asarray(high) - 1))
    np.testing.assert_array_equal(idx, bounds[1:] - 1)


@pytest.mark.parametrize("frames", [1, 20, 63, 64, 65, 100, 127, 128, 129, 300])
def test_clips_seeded_ranges_and_reproducibility(frames):
    idx = tf.clip_indices(frames, 64, np.random.default_rng([1, frames]))
    assert idx.shape == (64,) and idx.min() >= 0 and idx.max() <= frames - 1
    np.testing.assert_array_equal(idx, tf.clip_indices(frames, 64, np.random.default_rng([1, frames])))
    if frames >= 64:
        assert np.all(np.diff(idx) >= 1)


def _with_shoulders(d):
    x = np.zeros((3, 2, 25, 2), dtype=np.float32)
    x[:, 0, 4, 0] = [0.5, -0.2, 1.0]
    x[:, 0, 8, 0] = x[:, 0, 4, 0] + np.asarray(d, dtype=np.float32)
    return x


def test_align_maps_the_shoulder_vector_to_plus_x():
    rot = tf.align_matrix(_with_shoulders([0, 2, 0]), SHOULDERS)
    np.testing.assert_allclose(rot @ np.float32([0, 2, 0]), [2, 0, 0], atol=1e-6)
    np.testing.assert_allclose(rot, [[0, 1, 0], [-1, 0, 0], [0, 0, 1]], atol=1e-7)
    d = np.float32([0.3, -0.4, 1.2])
    rot = tf.align_matrix(_with_shoulders(d), SHOULDERS)
    np.testing.assert_allclose(rot @ d, [np.linalg.norm(d), 0, 0], atol=1e-6)
    np.testing.assert_allclose(rot @ rot.T, np.eye(3), atol=1e-6)
    assert np.linalg.det(rot) == pytest.approx(1, abs=1e-6)


@pytest.mark.parametrize("d", [[1, 0, 0], [0, 0, 0], [-1, 0, 0], [1e-8, 0, 0]])
def test_align_identity_cases(d):
    # along +x, empty, and the authors' quirk: exactly -x has a zero axis, so it is left as is
    np.testing.assert_array_equal(tf.align_matrix(_with_shoulders(d), SHOULDERS), np.eye(3, dtype=np.float32))


def test_random_rot_matrix_for_given_angles():
    h = math.pi / 2
    np.testing.assert_allclose(tf.random_rot_matrix(h, 0, 0), [[1, 0, 0], [0, 0, 1], [0, -1, 0]], atol=1e-7)
    np.testing.assert_allclose(tf.random_rot_matrix(0, h, 0), [[0, 0, -1], [0, 1, 0], [1, 0, 0]], atol=1e-7)
    np.testing.assert_allclose(tf.random_rot_matrix(0, 0, h), [[0, 1, 0], [-1, 0, 0], [0, 0, 1]], atol=1e-7)
    a, b, c = 0.1, -0.2, 0.25
    product = tf.random_rot_matrix(0, 0, c) @ tf.random_rot_matrix(0, b, 0) @ tf.random_rot_matrix(a, 0, 0)
    np.testing.assert_allclose(tf.random_rot_matrix(a, b, c), product, atol=1e-6)
    angles = tf.random_rot_angles(np.random.default_rng(0))
    assert len(angles) == 3 and all(-0.3 <= angle <= 0.3 for angle in angles)


def test_rotate_applies_r_times_p():
    x = np.random.default_rng(1).normal(size=(3, 5, 25, 2)).astype(np.float32)
    rot = tf.random_rot_matrix(0.2, -0.1, 0.3)
    out = tf.rotate(x, rot)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[:, 3, 7, 1], rot @ x[:, 3, 7, 1], rtol=1e-5, atol=1e-6)
