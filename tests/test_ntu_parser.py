"""The .skeleton reader (docs/method.md#ntu-skeleton-format, docs/method.md#parsing): hand-built files,
expected values written down by hand."""

from __future__ import annotations

import numpy as np
import pytest

from hypergcn.data.ntu_skeleton import (
    SkeletonFileError,
    parse_ntu_name,
    parse_skeleton_bytes,
    read_skeleton,
)
from tests.reference.skeleton_text import pose, skeleton_text, write_skeleton


def parse(frames, **kwargs):
    return parse_skeleton_bytes(skeleton_text(frames, **kwargs).encode(), "x/S001C001P001R001A001.skeleton")


def test_name_fields_and_label():
    name = parse_ntu_name("S017C003P040R002A060")
    assert (name.setup, name.camera, name.performer, name.replication, name.action) == (17, 3, 40, 2, 60)
    assert name.label == 59
    with pytest.raises(ValueError, match="not an NTU sample name"):
        parse_ntu_name("S017C003P040R002")


def test_bodies_intervals_and_dropped_frames():
    a0, a1 = pose(0.5), pose(0.75)
    b0, b1 = pose(-1.0), pose(-1.25)
    # frame 0: A; frame 1: nobody (dropped); frame 2: A, B; frame 3: B
    frames = [[("111", a0)], [], [("111", a1), ("222", b0)], [("222", b1)]]
    p = parse(frames)
    assert p.num_frames == 4 and p.valid_frames == 3 and p.dropped_frames == 1
    assert p.body_ids == ["111", "222"]
    assert p.starts.tolist() == [0, 1]  # B first appears in valid frame 1 (frame 2 of the file)
    assert p.lengths.tolist() == [2, 2]
    assert p.lines.tolist() == [3, 59]  # 1-based line of each body's first body line
    np.testing.assert_array_equal(p.body_joints(0), np.stack([a0, a1]).astype(np.float32))
    np.testing.assert_array_equal(p.body_joints(1), np.stack([b0, b1]).astype(np.float32))


def test_consecutive_interval_assumption_shifts_a_body_with_gaps():
    # B is seen in valid frames 0 and 2 only; the authors' interval is [0, 1] (first index, then +1 each time)
    a, b = pose(0.0), pose(1.0)
    p = parse([[("1", a), ("2", b)], [("1", a)], [("1", a), ("2", b)]])
    assert p.starts.tolist() == [0, 0] and p.lengths.tolist() == [3, 2]


def test_motion_only_for_multi_body_files():
    still = pose(0.0)
    moved = pose(2.0)
    # A: x is 0 in frame 0 and 2 in frame 1 for all 25 joints -> var(x) = 1; y and z do not change over
    # frames, so their variance is the spread over joints: var(y) = 0.125^2 * var(1..25) = 0.8125, var(z) = 0.
    p = parse([[("A", still), ("B", still)], [("A", moved), ("B", still)]])
    assert p.motion.dtype == np.float32
    assert p.motion[0] == pytest.approx(1.0 + 0.8125, abs=1e-6)
    assert p.motion[1] == pytest.approx(0.8125, abs=1e-6)
    single = parse([[("A", still)], [("A", moved)]])
    assert np.isnan(single.motion).all()


def test_values_are_float32_of_the_decimal_text():
    joints = pose()
    joints[0] = (0.1, -0.2, 3.3)
    p = parse([[("A", joints)]])
    assert p.joints.dtype == np.float32
    assert p.joints[0, 0].tolist() == [np.float32(0.1), np.float32(-0.2), np.float32(3.3)]


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_crlf_cr_and_trailing_whitespace(newline):
    frames = [[("A", pose(0.5)), ("B", pose(1.0))], [], [("B", pose(1.5))]]
    expected = parse(frames)
    text = skeleton_text(frames, newline=newline)
    padded = newline.join(line + " \t" for line in text.split(newline)[:-1]) + newline + newline
    got = parse_skeleton_bytes(padded.encode(), "x.skeleton")
    assert got.body_ids == expected.body_ids
    assert got.starts.tolist() == expected.starts.tolist()
    np.testing.assert_array_equal(got.joints, expected.joints)


def test_read_skeleton_from_file(tmp_path):
    path = write_skeleton(tmp_path, "S001C001P001R001A001", [[("A", pose())]])
    p = read_skeleton(path)
    assert p.name == "S001C001P001R001A001" and p.joints.shape == (1, 25, 3)


# -------------------------------------------------------------------------------------------------------
# Bad input: every error names the file and the 1-based line.


def lines_of(frames):
    return skeleton_text(frames).splitlines()


def expect_error(text: str, line: int | None, match: str):
    with pytest.raises(SkeletonFileError, match=match) as info:
        parse_skeleton_bytes(text.encode(), "raw/S001C001P001R001A001.skeleton")
    assert info.value.path == "raw/S001C001P001R001A001.skeleton"
    assert info.value.line == line
    assert str(info.value).startswith(f"raw/S001C001P001R001A001.skeleton:{line}: ")


# Line 1: frame count; frame 1: lines 2 (body count), 3 (body line), 4 (joint count), 5-29 (joints);
# frame 2: lines 30-57.
TWO_FRAMES = [[("A", pose())], [("A", pose())]]


def test_truncated_file():
    lines = lines_of(TWO_FRAMES)
    expect_error("\n".join(lines[:40]) + "\n", 41, "truncated")  # cut inside the joints of frame 2
    expect_error("\n".join(lines[:29]) + "\n", 30, "truncated")  # cut before frame 2's body count


def test_truncated_last_joint_line():
    text = "\n".join(lines_of(TWO_FRAMES)) + "\n"
    expect_error(text[: text.rindex(" 250.5")] + "\n", 57, "truncated")


def test_wrong_joint_count():
    lines = lines_of(TWO_FRAMES)
    lines[3] = "24"  # joint count of frame 1
    expect_error("\n".join(lines) + "\n", 4, "24 joints, expected 25")


def test_non_numeric_nan_and_inf_values():
    for bad, kind in (
        ("abc", "non-numeric"),
        ("nan", "non-finite"),
        ("-inf", "non-finite"),
        ("1.2.3", "non-numeric"),
    ):
        lines = lines_of(TWO_FRAMES)
        fields = lines[35].split()  # frame 2, joint 4
        fields[1] = bad
        lines[35] = " ".join(fields)
        expect_error("\n".join(lines) + "\n", 36, f"{kind} y value")


def test_non_numeric_count_line():
    lines = lines_of(TWO_FRAMES)
    lines[29] = "two"  # line 30: the body count of frame 2
    expect_error("\n".join(lines) + "\n", 30, "expected the body count of frame 2")


def test_frame_count_disagrees_with_body_lines():
    expect_error(skeleton_text(TWO_FRAMES, declared=1), 30, "frame count disagrees")
    expect_error(skeleton_text(TWO_FRAMES, declared=3), 58, "truncated")


def test_body_listed_twice_in_a_frame():
    text = skeleton_text([[("A", pose())], [("B", pose()), ("B", pose())]])
    expect_error(text, 58, "bodyID B is listed twice")


def test_all_frames_without_bodies():
    expect_error(skeleton_text([[], [], []]), 1, "all 3 frames have 0 bodies")
    expect_error("0\n", 1, "declares 0 frames")
    expect_error("", 1, "truncated")


def test_wrong_value_counts():
    lines = lines_of(TWO_FRAMES)
    lines[2] = "A 0 1 1 1 1 0 0.1 0.2"  # body line with 9 values
    expect_error("\n".join(lines) + "\n", 3, "body line of 10 values, found 9")
    lines = lines_of(TWO_FRAMES)
    lines[10] = " ".join(lines[10].split()[:11])  # joint line with 11 values
    expect_error("\n".join(lines) + "\n", 11, "joint line of 12 values, found 11")
    lines = lines_of(TWO_FRAMES)
    lines[10] = lines[10] + " 7"  # 13 values
    expect_error("\n".join(lines) + "\n", 11, "joint line of 12 values, found 13")


# -------------------------------------------------------------------------------------------------------
# The ways to read x, y, z agree bit for bit: the compiled kernel and the exact line-by-line path; and the
# compiled whole-file reader agrees with the line walker.


@pytest.fixture
def paths():
    from hypergcn.data import ntu_skeleton

    def run(buf: bytes):
        lines = buf.splitlines()
        p = parse_skeleton_bytes(buf, "x.skeleton")
        block_line = []
        i = 1
        for _ in range(int(lines[0])):
            bodies = int(lines[i])
            i += 1
            for _ in range(bodies):
                block_line.append(i + 2)
                i += 27
        index = (np.asarray(block_line)[:, None] + np.arange(25)).ravel()
        results = {
            "compiled": ntu_skeleton._joint_xyz_compiled(buf, lines, index),
            "exact": ntu_skeleton._joint_xyz([lines[k] for k in index], block_line, lines, "x"),
        }
        return p, results

    return run


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_compiled_path_equals_the_exact_path(paths, newline):
    rng = np.random.default_rng(0)
    frames = []
    for _ in range(30):
        joints = np.round(rng.normal(0.0, 1.0, (25, 3)), 7)  # NTU files have up to 7-8 digits
        joints[0] = (1e-7, -123.456789012, 4.5e-3)  # tiny, long and short values
        frames.append([("7", joints)])
    text = skeleton_text(frames, newline=newline)
    text = text.replace("4.5e-3", "4.5E-03").replace("1e-07", "0.0000001")
    p, results = paths(text.encode())
    exact = results["exact"]
    assert results["compiled"] is not None
    assert np.array_equal(results["compiled"].view(np.uint32), exact.view(np.uint32))
    assert np.array_equal(p.joints.reshape(-1, 3).view(np.uint32), exact.view(np.uint32))
    assert exact.dtype == np.float32 and exact[0, 1] == np.float32(-123.456789012)


def test_compiled_path_refuses_what_it_cannot_read_exactly(paths):
    lines = lines_of(TWO_FRAMES)
    lines[4] = "0.12345678901234567 0.5 3.0 250.5 200.25 900.5 500.25 0.5 0 0 0.5 2"  # 17 digits
    lines[5] = lines[5].replace(" ", "  ", 1)  # double space
    p, results = paths(("\n".join(lines) + "\n").encode())
    assert results["compiled"] is None
    assert p.joints[0, 0, 0] == np.float32(0.12345678901234567)


def test_compiled_kernel_is_exact_on_random_numbers():
    from hypergcn.data._xyz_kernel import xyz_kernel

    rng = np.random.default_rng(1)
    tokens = []
    for _ in range(3000):
        value = rng.normal() * 10.0 ** rng.integers(-6, 4)
        tokens.append(
            f"{value:.{rng.integers(1, 10)}f}" if rng.random() < 0.7 else f"{value:.{rng.integers(1, 9)}e}"
        )
    text = "".join(
        f"{tokens[3 * i]} {tokens[3 * i + 1]} {tokens[3 * i + 2]} 1 2 3 4 5 6 7 8 9\n" for i in range(1000)
    )
    buf = np.frombuffer(text.encode(), dtype=np.uint8)
    starts = np.concatenate([[0], np.flatnonzero(buf == 10)[:-1] + 1])
    out = np.zeros((1000, 3))
    assert xyz_kernel(buf, starts, 12, out) == 1000
    np.testing.assert_array_equal(out.ravel(), [float(t) for t in tokens])


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
def test_compiled_file_reader_equals_the_line_walker(tmp_path, newline):
    from hypergcn.data import ntu_skeleton
    from hypergcn.data.demo import make_demo_skeletons

    paths = make_demo_skeletons(tmp_path, seed=5, setups=["S001"], subjects=[1, 2], cameras=[1], num_class=8)
    bufs = [path.read_bytes().replace(b"\n", newline) for path in paths]
    compiled = [ntu_skeleton._parse_compiled(buf, "x") for buf in bufs]
    walked = [ntu_skeleton._parse_lines(buf, "x.skeleton", "x") for buf in bufs]
    assert all(p is not None for p in compiled)  # the demo files are in the plain Kinect layout
    assert sum(p.num_bodies > 1 for p in walked) >= 5
    for a, b in zip(compiled, walked, strict=True):
        assert (a.num_frames, a.valid_frames, a.body_ids) == (b.num_frames, b.valid_frames, b.body_ids)
        assert a.starts.tolist() == b.starts.tolist() and a.lengths.tolist() == b.lengths.tolist()
        assert a.lines.tolist() == b.lines.tolist()
        assert np.array_equal(a.joints.view(np.uint32), b.joints.view(np.uint32))
        assert np.array_equal(a.motion, b.motion, equal_nan=True)


def _values_after(buf: bytes, p: int) -> tuple[int, int]:
    """What the compiled reader's value count must say about the rest of a line: the number of values if they
    are separated by single spaces with nothing else (one CR before the LF allowed), else -1; and where the
    next line starts."""
    end = buf.find(b"\n", p)
    after = len(buf) if end < 0 else end + 1
    line = buf[p : len(buf) if end < 0 else end]
    line = line[:-1] if line.endswith(b"\r") else line
    plain = bool(line) and all(c >= 32 for c in line) and b"  " not in line
    plain = plain and not line.startswith(b" ") and not line.endswith(b" ")
    return (len(line.split(b" ")) if plain else -1), after


def test_compiled_value_count_on_random_lines():
    """The 8-bytes-at-a-time count agrees with the plain definition on lines of every shape and alignment."""
    from hypergcn.data._xyz_kernel import _count_rest

    rng = np.random.default_rng(7)
    pieces = [b"0", b"12", b"-0.5", b"3.141593", b" ", b"  ", b"\t", b"\r", b"\x0b", b"\x80", b"e-05"]
    for _ in range(4000):
        prefix = b"x" * int(rng.integers(0, 9)) + b" "  # every position modulo 8
        if rng.random() < 0.6:
            tokens = [pieces[int(i)] for i in rng.integers(0, 4, int(rng.integers(1, 14)))]
            body = (
                b" ".join(tokens)
                + (b"\r" if rng.random() < 0.5 else b"")
                + (b" " if rng.random() < 0.1 else b"")
            )
        else:
            body = b"".join(pieces[int(i)] for i in rng.integers(0, len(pieces), int(rng.integers(0, 30))))
        buf = prefix + body + (b"\n" if rng.random() < 0.9 else b"") + b"1 2\n" * int(rng.integers(0, 3))
        a = np.frombuffer(buf, dtype=np.uint8)
        count, after = _count_rest(a, a[: len(a) // 8 * 8].view(np.uint64), len(prefix))
        assert (count, after) == _values_after(buf, len(prefix)), buf
