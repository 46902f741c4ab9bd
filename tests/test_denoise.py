"""SGN denoising semantics (docs/method.md#denoising), one rule per test, on hand-built files.

Bodies are built with ``pose(step=s)``: all joints share x (x-range 0, never spread-noisy) and y grows by s
per joint, so a still body's motion is var(y) = s^2 * var(1..25) = 52 s^2 (s = 0.25: 3.25, 0.125: 0.8125,
0.0625: 0.203125). ``wide()`` frames are spread-noisy (x-range 2 > 0.8 * y-range 0.25).
"""

from __future__ import annotations

import numpy as np
import pytest

from hypergcn.data.denoise import check_denoisable, denoise, spread_valid
from hypergcn.data.ntu_skeleton import SkeletonFileError, parse_skeleton_bytes
from tests.reference.skeleton_text import assemble, pose, skeleton_text, track, wide


def run(frames):
    parsed = parse_skeleton_bytes(skeleton_text(frames).encode(), "raw/S001C001P001R001A050.skeleton")
    return parsed, denoise(parsed)


def f32(*arrays):
    return np.stack(arrays).astype(np.float32)


def still(step, x=0.0):
    return lambda f: pose(x=x, step=step)


def moving(step, x=0.0):
    """Identifiable frames: z encodes the frame index."""
    return lambda f: pose(x=x, z=3.0 + f / 8, step=step)


def test_single_body_skips_denoising():
    # 5 frames (<= 11) would fail the length filter, but a single-bodyID file is never denoised
    frames = assemble(5, track("A", range(5), moving(0.125)))
    _, result = run(frames)
    assert result.slots == 1 and result.rows_deleted == 0 and result.dropped_length == 0
    np.testing.assert_array_equal(result.data[:, 0], f32(*(pose(z=3 + f / 8) for f in range(5))))
    assert not result.data[:, 1].any()


def test_length_filter_keeps_bodies_longer_than_11_frames():
    frames = assemble(
        20, track("A", range(20), moving(0.125)), track("B", range(3, 14), still(0.25))
    )  # B: 11
    _, result = run(frames)
    assert result.dropped_length == 1 and result.slots == 1
    np.testing.assert_array_equal(result.data[:, 0], f32(*(pose(z=3 + f / 8) for f in range(20))))
    frames = assemble(
        20, track("A", range(20), moving(0.125)), track("B", range(3, 15), still(0.25))
    )  # B: 12
    _, result = run(frames)
    assert result.dropped_length == 0 and result.slots == 2


def test_multi_body_reduced_to_one_deletes_empty_rows():
    # A in frames 0-14, the short B in 15-24 is dropped: rows 15-24 are empty and deleted (75-wide array)
    frames = assemble(25, track("A", range(15), moving(0.125)), track("B", range(15, 25), still(0.25)))
    _, result = run(frames)
    assert result.slots == 1 and result.rows_deleted == 10 and len(result.data) == 15
    np.testing.assert_array_equal(result.data[:, 0], f32(*(pose(z=3 + f / 8) for f in range(15))))


@pytest.mark.parametrize("wide_first", [False, True])
def test_spread_filter_drops_a_wide_body(wide_first):
    a = track("A", range(20), moving(0.125))
    w = track("W", range(20), lambda f: wide())
    _, result = run(assemble(20, *((w, a) if wide_first else (a, w))))
    assert result.dropped_spread == 1 and result.slots == 1 and result.actors == [["A"], []]


def test_last_body_is_never_spread_checked():
    w1 = track("W1", range(15), lambda f: wide(x=0.0))
    w2 = track("W2", range(15), lambda f: wide(x=5.0))
    _, result = run(assemble(15, w1, w2))
    # W1 is visited first and dropped; then only W2 is left, so the check stops before it
    assert result.dropped_spread == 1 and result.actors == [["W2"], []]
    np.testing.assert_array_equal(result.data[:, 0], f32(*([wide(x=5.0)] * 15)))


def test_noisy_ratio_threshold():
    def body_b(noisy):
        return track("B", range(43), lambda f: wide(x=1.0) if f < noisy else pose(x=1.0, step=0.0625))

    a = track("A", range(43), still(0.125))
    _, result = run(assemble(43, a, body_b(30)))  # 30 / 43 = 0.6977 >= 0.69754: dropped
    assert result.dropped_spread == 1 and result.slots == 1
    _, result = run(assemble(43, a, body_b(29)))  # 29 / 43 = 0.6744: kept
    assert result.dropped_spread == 0 and result.slots == 2


def test_spread_updates_motion_to_the_valid_frames():
    # B is wide (x spread over 4 m) in 6 of 20 frames: its raw motion (var(x) alone is about 1.27) beats A's
    # 0.8125, but the spread filter sets it to min(raw, motion over valid frames) = 52 * 0.0625^2 = 0.203,
    # so A becomes actor 1 and B actor 2.
    a = track("A", range(20), moving(0.125))
    b = track(
        "B", range(20), lambda f: wide(x=2.0, width=4.0) if f < 6 else pose(x=2.0, z=3 + f / 8, step=0.0625)
    )
    parsed, result = run(assemble(20, b, a))
    assert parsed.body_ids == ["B", "A"] and parsed.motion[0] > parsed.motion[1]
    assert result.dropped_spread == 0 and result.actors == [["A"], ["B"]]
    np.testing.assert_array_equal(result.data[:, 0], f32(*(pose(z=3 + f / 8) for f in range(20))))


def test_spread_test_in_float64():
    # x-range = float32(0.8) = 0.800000011920929 and y-range = 1: valid in float32 (0.8f <= 0.8f * 1f) but
    # noisy in float64, as the authors' numpy 1.x evaluated it
    joints = np.full((25, 3), 0.5)
    joints[0, :2] = (0.0, 0.0)
    joints[1, :2] = (0.8, 1.0)
    as32 = joints.astype(np.float32)[None]
    assert not spread_valid(as32)[0]
    assert np.float32(0.8) <= np.float32(0.8) * np.float32(1.0)  # the float32 comparison would keep it
    a = track("A", range(15), still(0.125))
    b = track("B", range(15), lambda f: joints)
    _, result = run(assemble(15, a, b))
    assert result.dropped_spread == 1


@pytest.mark.parametrize("order", [("A", "M"), ("M", "A")])
def test_motion_ties_keep_first_appearance_order(order):
    # M is A mirrored in x: the variance is bit-identical, so the stable sort keeps the listing order
    bodies = {
        "A": track("A", range(15), lambda f: pose(x=0.25 * (f % 3), step=0.125)),
        "M": track("M", range(15), lambda f: pose(x=-0.25 * (f % 3), step=0.125)),
    }
    parsed, result = run(assemble(15, *(bodies[k] for k in order)))
    assert parsed.motion[0] == parsed.motion[1]
    assert result.actors == [[order[0]], [order[1]]]


def test_assembly_interval_rules_and_virtual_start_of_actor_2():
    # Motions X 3.25 > Z 0.8125 > Q 0.203. X (above the dead [0.089925, 2] motion filter, kept) fills slot 1.
    # Z overlaps X: slot 2, whose interval starts as [0, 0] and becomes [min(20, 0), 40] = [0, 40].
    # Q = [0, 15] overlaps X, and "overlaps" [0, 40] although it never meets Z's frames: discarded.
    x = track("X", range(60), moving(0.25))
    z = track("Z", range(20, 41), moving(0.125))
    q = track("Q", range(16), moving(0.0625))
    _, result = run(assemble(60, x, q, z))
    assert result.actors == [["X"], ["Z"]] and result.dropped_overlap == 1
    assert result.slots == 2 and len(result.data) == 60 and result.rows_deleted == 0
    np.testing.assert_array_equal(result.data[:, 0], f32(*(pose(z=3 + f / 8, step=0.25) for f in range(60))))
    np.testing.assert_array_equal(result.data[20:41, 1], f32(*(pose(z=3 + f / 8) for f in range(20, 41))))
    assert not result.data[:20, 1].any() and not result.data[41:, 1].any()


def test_touching_intervals_go_to_slot_1_and_overwrite():
    # X = [0, 20], Y = [20, 40]: min(20, 40) - max(0, 20) = 0 <= 0, so Y joins actor 1 and overwrites frame 20
    x = track("X", range(21), moving(0.25))
    y = track("Y", range(20, 41), moving(0.125))
    _, result = run(assemble(41, x, y))
    assert result.actors == [["X", "Y"], []] and result.slots == 2
    np.testing.assert_array_equal(
        result.data[:20, 0], f32(*(pose(z=3 + f / 8, step=0.25) for f in range(20)))
    )
    np.testing.assert_array_equal(result.data[20:, 0], f32(*(pose(z=3 + f / 8) for f in range(20, 41))))
    assert not result.data[:, 1].any()


def test_body_with_gaps_is_shifted_by_the_consecutive_interval():
    # B is seen in frames 0-14 and 20-34 (30 appearances): interval [0, 29], so frames 20-34 land in rows 15-29
    a = track("A", range(40), moving(0.25))
    seen = [*range(15), *range(20, 35)]
    b = track("B", seen, moving(0.125, x=1.0))
    _, result = run(assemble(40, a, b))
    assert result.actors == [["A"], ["B"]]
    np.testing.assert_array_equal(result.data[:30, 1], f32(*(pose(x=1.0, z=3 + f / 8) for f in seen)))
    assert not result.data[30:, 1].any()


def test_empty_rows_are_deleted_in_multi_body_files():
    # X = [0, 19] and Y = [30, 49] both go to slot 1; the short N covers frames 20-29 and is dropped, leaving
    # 10 empty rows that are deleted: 40 rows, actor 2 empty, still a 150-wide array
    x = track("X", range(20), moving(0.25))
    y = track("Y", range(30, 50), moving(0.125))
    n = track("N", range(20, 30), still(0.5))
    _, result = run(assemble(50, x, n, y))
    assert result.dropped_length == 1 and result.rows_deleted == 10 and len(result.data) == 40
    assert result.slots == 2 and result.actors == [["X", "Y"], []]
    expected = [pose(z=3 + f / 8, step=0.25) for f in range(20)] + [pose(z=3 + f / 8) for f in range(30, 50)]
    np.testing.assert_array_equal(result.data[:, 0], f32(*expected))


def test_length_filter_removing_every_body_is_bad_input():
    frames = assemble(12, track("A", range(6), still(0.125)), track("B", range(6, 12), still(0.25)))
    parsed = parse_skeleton_bytes(skeleton_text(frames).encode(), "raw/S001C001P001R001A001.skeleton")
    with pytest.raises(
        SkeletonFileError, match=r"every body lasts <= 11 frames.*A \(6 frames, line 3\)"
    ) as info:
        check_denoisable(parsed, "raw/S001C001P001R001A001.skeleton")
    assert info.value.line == 3 and info.value.path.endswith("A001.skeleton")
    with pytest.raises(SkeletonFileError):
        denoise(parsed)
