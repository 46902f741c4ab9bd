"""The generic per-clip array format: reading, person selection, every bad-input case, parsed shards."""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hypergcn.data.clip_arrays import (
    ClipError,
    action_labels,
    check_clips,
    clip_sample_keys,
    clip_shards,
    parse_clip_shards,
    read_clip,
    read_manifest,
    select_persons,
)
from hypergcn.data.shards import Shard
from hypergcn.datasets import SplitRule
from hypergcn.layouts import Layout

# 4 joints, 2-D with confidence, 2 persons: the smallest layout with every feature this format reads.
LAYOUT = Layout(
    name="tiny2d",
    joints=("hip", "neck", "left hand", "right hand"),
    parents=(0, 0, 1, 1),
    centre=(0, 1),
    persons=2,
    channels=("x", "y", "confidence"),
)
ACTIONS = [(0, "A01", "wave"), (1, "A02", "kick"), (2, "A03", "sit")]


def rule(column: str, test: tuple | None = None) -> SplitRule:
    """A split rule as a declaration gives it: a column, and the values that go to test (None: explicit)."""
    return SplitRule(column, test=None if test is None else frozenset(test))


@dataclass(frozen=True)
class Info:
    """Stand-in for the DatasetInfo of a declared dataset (the attributes this format reads)."""

    name: str = "tiny"
    layout: Layout = LAYOUT
    num_class: int = 3
    action_table: tuple = tuple(ACTIONS)
    splits: dict[str, Any] = field(
        default_factory=lambda: {"xsub": rule("subject", (3, 4)), "fixed": rule("split")}
    )
    shard_by: str | None = "camera"
    validation_unit: str = "subject"


INFO = Info()
COLUMNS = ["clip", "label", "subject", "camera", "split"]


def clip_array(frames: int = 3, persons: int | None = 2, seed: int = 0, channels: int = 3) -> np.ndarray:
    """Random keypoints in (0, 1), confidences included; (T, V, C) when ``persons`` is None."""
    rng = np.random.default_rng(seed)
    shape = (frames, 4, channels) if persons is None else (frames, persons, 4, channels)
    return rng.uniform(0.05, 0.95, size=shape).astype(np.float32)


def write_manifest(folder: Path, rows: list[dict], columns: list[str] = COLUMNS) -> Path:
    path = folder / "manifest.csv"
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def good_rows() -> list[dict]:
    """12 clips: subjects 1-4 (3 and 4 test in xsub), cameras c1/c2, every class in both splits."""
    rows = []
    for i in range(12):
        subject = i % 4 + 1
        rows.append(
            {
                "clip": f"s{subject}/clip{i:02d}",
                "label": ACTIONS[i % 3][1] if i % 2 else ACTIONS[i % 3][2],  # codes and names
                "subject": str(subject),
                "camera": f"c{i % 2 + 1}",
                "split": "train" if i < 8 else "test",
            }
        )
    return rows


def make_folder(root: Path, rows: list[dict] | None = None) -> Path:
    folder = root / "clips"
    rows = good_rows() if rows is None else rows
    for i, row in enumerate(rows):
        path = folder / f"{row['clip']}.npz"
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, keypoints=clip_array(frames=3 + i % 3, persons=None if i % 4 == 0 else 2, seed=i))
    folder.mkdir(exist_ok=True)
    write_manifest(folder, rows)
    return folder


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return make_folder(tmp_path)


# --------------------------------------------------------------------------------------------------------
# Good input.


def test_good_folder_round_trip(folder, tmp_path):
    shards = clip_shards(folder, INFO)
    assert shards == ["c1", "c2"]
    outs = [tmp_path / f"{shard}.h5" for shard in shards]
    reports = parse_clip_shards(folder, INFO, shards, outs)
    assert [r["clips"] for r in reports] == [6, 6]
    rows = {row["clip"]: row for row in good_rows()}
    labels = action_labels(INFO)
    for shard, out in zip(shards, outs, strict=True):
        with Shard(out) as s:
            assert s.names == sorted(name for name, row in rows.items() if row["camera"] == shard)
            assert s.channels == ("x", "y", "confidence")
            assert s.skipped == []
            assert s.attrs["num_person"] == 2 and s.attrs["num_point"] == 4 and s.dataset == "tiny"
            assert sorted(s.fields) == ["camera", "split", "subject"]
            for k, frames in s.iter_samples():
                name = s.names[k]
                np.testing.assert_array_equal(frames, read_clip(folder / f"{name}.npz", LAYOUT))
                assert s.columns["label"][k] == labels[rows[name]["label"]]
                assert {c: s.fields[c][k] for c in s.fields} == {c: rows[name][c] for c in s.fields}
            keys = clip_sample_keys(s, INFO, "xsub")
            assert keys == [
                (
                    "test" if rows[n]["subject"] in "34" else "train",
                    labels[rows[n]["label"]],
                    rows[n]["subject"],
                )
                for n in s.names
            ]
            assert [split for split, _, _ in clip_sample_keys(s, INFO, "fixed")] == [
                rows[n]["split"] for n in s.names
            ]


def test_one_shard_without_shard_by(folder, tmp_path):
    info = replace(INFO, shard_by=None)
    assert clip_shards(folder, info) == ["all"]
    (report,) = parse_clip_shards(folder, info, ["all"], [tmp_path / "all.h5"])
    assert report["clips"] == 12
    with Shard(tmp_path / "all.h5") as s:
        assert len(s) == 12 and "camera" not in s.fields


def test_three_and_four_dimensional_clips(tmp_path):
    one = clip_array(frames=5, persons=None)
    np.savez(tmp_path / "one.npz", keypoints=one)
    got = read_clip(tmp_path / "one.npz", LAYOUT)
    assert got.shape == (5, 2, 4, 3) and got.dtype == np.float32
    np.testing.assert_array_equal(got[:, 0], one)
    assert not got[:, 1].any()  # the second person is zero padding
    two = clip_array(frames=5, persons=2).astype(np.float64)
    np.savez(tmp_path / "two.npz", keypoints=two)
    np.testing.assert_array_equal(read_clip(tmp_path / "two.npz", LAYOUT), two.astype(np.float32))


def test_persons_with_highest_mean_confidence_are_kept_in_original_order():
    array = clip_array(frames=4, persons=4)
    array[..., 2] = np.array([0.2, 0.9, 0.5, 0.8])[None, :, None]
    array[2:, 1] = 0  # absent in two frames: its mean over the frames where it is present stays 0.9
    np.testing.assert_array_equal(select_persons(array, 2, has_confidence=True), array[:, [1, 3]])


def test_persons_without_confidence_keep_the_most_frames_and_ties_go_to_the_earlier():
    array = clip_array(frames=4, persons=3)
    array[:3, 0] = 0  # person 0 in one frame, persons 1 and 2 in all four
    assert np.array_equal(select_persons(array, 1, has_confidence=False), array[:, [1]])
    assert np.array_equal(select_persons(array, 2, has_confidence=False), array[:, [1, 2]])


def test_more_persons_in_a_file_than_declared(tmp_path):
    array = clip_array(frames=3, persons=3)
    array[..., 2] = np.array([0.3, 0.1, 0.7])[None, :, None]
    np.savez(tmp_path / "three.npz", keypoints=array)
    np.testing.assert_array_equal(read_clip(tmp_path / "three.npz", LAYOUT), array[:, [0, 2]])


def test_a_layout_without_confidence_accepts_any_values(tmp_path):
    layout = replace(LAYOUT, name="tiny3d", channels=("x", "y", "z"))
    array = clip_array(frames=2, persons=2) * 10 - 5
    np.savez(tmp_path / "xyz.npz", keypoints=array)
    np.testing.assert_array_equal(read_clip(tmp_path / "xyz.npz", layout), array)


# --------------------------------------------------------------------------------------------------------
# Bad input: one test id per case. Each case changes the good folder and names where and why it fails.


def _save(folder: Path, clip: str, array: Any) -> str:
    np.savez(folder / f"{clip}.npz", keypoints=array)
    return f"{clip}.npz"


def _rewrite(folder: Path, change) -> None:
    rows = good_rows()
    change(rows)
    write_manifest(folder, rows)


def _wrong_shape(folder: Path) -> tuple[str, str]:
    return _save(folder, "s1/clip00", np.zeros((3, 4), np.float32)), "has shape (3, 4)"


def _wrong_channels(folder: Path) -> tuple[str, str]:
    return _save(folder, "s1/clip00", clip_array(channels=2)), "has 2 channels"


def _wrong_joints(folder: Path) -> tuple[str, str]:
    return _save(folder, "s1/clip00", np.full((3, 2, 5, 3), 0.5, np.float32)), "has 5 joints"


def _nan(folder: Path) -> tuple[str, str]:
    array = clip_array()
    array[1, 0, 2, 0] = np.nan
    return _save(folder, "s1/clip00", array), "NaN or infinite value(s), first at frame 1 person 0 joint 2"


def _inf(folder: Path) -> tuple[str, str]:
    array = clip_array().astype(np.float64)
    array[0, 1, 1, 1] = 1e300  # finite in float64, infinite once float32
    return _save(folder, "s1/clip00", array), "NaN or infinite"


def _zero_frames(folder: Path) -> tuple[str, str]:
    return _save(folder, "s1/clip00", np.zeros((0, 2, 4, 3), np.float32)), "0 frames (T = 0)"


def _not_a_zip(folder: Path) -> tuple[str, str]:
    (folder / "s1/clip00.npz").write_bytes(b"this is not an archive")
    return "s1/clip00.npz", "corrupt: not a readable .npz archive"


def _truncated(folder: Path) -> tuple[str, str]:
    path = folder / "s1/clip00.npz"
    path.write_bytes(path.read_bytes()[:60])
    return "s1/clip00.npz", "corrupt"


def _npy_not_npz(folder: Path) -> tuple[str, str]:
    with (folder / "s1/clip00.npz").open("wb") as f:
        np.save(f, clip_array())
    return "s1/clip00.npz", "a single .npy array, not an .npz archive"


def _missing_keypoints(folder: Path) -> tuple[str, str]:
    np.savez(folder / "s1/clip00.npz", joints=clip_array())
    return "s1/clip00.npz", "no array 'keypoints' (arrays: ['joints'])"


def _object_dtype(folder: Path) -> tuple[str, str]:
    array = np.empty(2, dtype=object)
    array[:] = [clip_array(), clip_array(frames=2)]
    return _save(folder, "s1/clip00", array), "'keypoints' is an object array"


def _confidence_above_one(folder: Path) -> tuple[str, str]:
    array = clip_array()
    array[2, 1, 3, 2] = 1.5
    return _save(folder, "s1/clip00", array), "confidence value(s) outside [0, 1], first at frame 2 person 1"


def _confidence_below_zero(folder: Path) -> tuple[str, str]:
    array = clip_array(persons=None)
    array[0, 0, 2] = -0.1
    return _save(folder, "s1/clip00", array), "outside [0, 1], first at frame 0 joint 0 (hip) confidence"


def _row_without_file(folder: Path) -> tuple[str, str]:
    (folder / "s2/clip01.npz").unlink()
    return "manifest.csv:3", "no file s2/clip01.npz for this row"


def _file_without_row(folder: Path) -> tuple[str, str]:
    return _save(folder, "s1/stray", clip_array()), "no manifest row names this file"


def _duplicate_clip(folder: Path) -> tuple[str, str]:
    _rewrite(folder, lambda rows: rows.append(dict(rows[0])))
    return "manifest.csv:14", "duplicate clip 's1/clip00' (first at manifest.csv:2)"


def _unknown_label(folder: Path) -> tuple[str, str]:
    _rewrite(folder, lambda rows: rows[4].update(label="A99"))
    return "manifest.csv:6", "unknown label 'A99'"


def _short_row(folder: Path) -> tuple[str, str]:
    path = folder / "manifest.csv"
    path.write_text(path.read_text() + "s1/extra,A01\n")
    return "manifest.csv:14", "2 values, the header has 5"


def _bad_explicit_split(folder: Path) -> tuple[str, str]:
    _rewrite(folder, lambda rows: rows[1].update(split="dev"))
    return "manifest.csv:3", "split value 'dev' is neither train nor test"


BAD_FILES = {
    "wrong_shape": _wrong_shape,
    "wrong_channel_count": _wrong_channels,
    "wrong_joint_count": _wrong_joints,
    "nan": _nan,
    "infinite": _inf,
    "zero_frames": _zero_frames,
    "corrupt_not_a_zip": _not_a_zip,
    "corrupt_truncated": _truncated,
    "corrupt_npy_not_npz": _npy_not_npz,
    "corrupt_missing_keypoints": _missing_keypoints,
    "corrupt_object_dtype": _object_dtype,
    "confidence_above_one": _confidence_above_one,
    "confidence_below_zero": _confidence_below_zero,
    "row_without_file": _row_without_file,
    "file_without_row": _file_without_row,
    "duplicate_clip": _duplicate_clip,
    "unknown_label": _unknown_label,
    "row_with_too_few_values": _short_row,
    "explicit_split_value": _bad_explicit_split,
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_input_is_named_with_its_file_and_reason(folder, case):
    where, reason = BAD_FILES[case](folder)
    with pytest.raises(ClipError) as info:
        check_clips(folder, INFO)
    (problem,) = info.value.problems
    assert problem.where.endswith(where) and reason in problem.reason and problem.fix
    assert f"{where}: " in str(info.value) and reason in str(info.value)
    assert "on_bad_file: skip" in str(info.value)


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_input_is_skipped_and_listed(folder, tmp_path, case):
    where, reason = BAD_FILES[case](folder)
    shards = clip_shards(folder, INFO)
    outs = [tmp_path / f"{shard}.h5" for shard in shards]
    reports = parse_clip_shards(folder, INFO, shards, outs, on_bad_file="skip")
    skipped = [entry for out in outs for entry in Shard(out).skipped]
    assert len(skipped) == 1 and reason in skipped[0]["reason"]
    assert f"{skipped[0]['file']}:{skipped[0]['line']}".endswith(where) or skipped[0]["file"].endswith(where)
    # every good clip is still there (a duplicate row's first row and a stray file's neighbours included)
    written = sum(r["clips"] for r in reports)
    assert written == 12 - (case not in ("file_without_row", "duplicate_clip", "row_with_too_few_values"))


def test_missing_column(folder):
    write_manifest(folder, good_rows(), ["clip", "label", "subject", "split"])
    with pytest.raises(ClipError, match=r"manifest.csv:1: missing column\(s\) \['camera'\]"):
        check_clips(folder, INFO, "skip")  # a missing column cannot be skipped


def test_missing_manifest(folder):
    (folder / "manifest.csv").unlink()
    with pytest.raises(ClipError, match=r"manifest.csv: missing; write manifest.csv"):
        read_manifest(folder, INFO)


def test_split_leaving_test_empty(folder):
    info = replace(INFO, splits={"xsub": rule("subject", (7,))})
    with pytest.raises(ClipError, match=r"benchmark xsub: no test clips \(column 'subject'"):
        check_clips(folder, info)


def test_split_leaving_train_empty(folder):
    info = replace(INFO, splits={"xsub": rule("subject", (1, 2, 3, 4))})
    with pytest.raises(ClipError, match="benchmark xsub: no train clips"):
        check_clips(folder, info, "skip")  # a split problem cannot be skipped


def test_class_without_training_clip(folder):
    _rewrite(
        folder, lambda rows: [row.update(label="A03") for row in rows if row["label"] in ("A02", "kick")]
    )
    with pytest.raises(ClipError, match=r"benchmark xsub: class 1 \(kick\) has no training clip"):
        check_clips(folder, INFO)


def test_skipping_that_empties_a_class_still_fails(folder):
    for i in (1, 4, 7):  # the training clips of 'kick' in the explicit split
        _save(folder, f"s{i % 4 + 1}/clip{i:02d}", np.zeros((0, 4, 3), np.float32))
    with pytest.raises(ClipError) as info:
        check_clips(folder, replace(INFO, splits={"fixed": rule("split")}), "skip")
    assert "class 1 (kick) has no training clip" in str(info.value)
    assert "3 bad clip(s) were left out" in str(info.value)


def test_every_problem_is_listed_up_to_a_cap(folder):
    for i in range(12):
        _save(folder, good_rows()[i]["clip"], np.zeros((0, 4, 3), np.float32))
    for i in range(15):
        _save(folder, f"stray{i}", clip_array())
    with pytest.raises(ClipError) as info:
        check_clips(folder, INFO)
    message = str(info.value)
    assert len(info.value.problems) > 27 and message.count("\n  ") == 21
    assert f"... and {len(info.value.problems) - 20} more" in message


def test_skip_mode_logs_and_lists_by_shard(folder, tmp_path, caplog):
    _save(folder, "s1/clip00", np.zeros((0, 2, 4, 3), np.float32))  # camera c1
    _save(folder, "stray", clip_array())  # no shard: listed by the first
    _rewrite(folder, lambda rows: rows[3].update(label="nope"))  # camera c2
    with caplog.at_level(logging.WARNING, "hypergcn.data.clip_arrays"):
        check = check_clips(folder, INFO, "skip")
    assert len(check.rows) == 10 and len(check.problems) == 3 and len(caplog.records) == 3
    assert [p.clip for p in check.problems_of("c1")] == ["s1/clip00", None]
    assert [p.clip for p in check.problems_of("c2")] == ["s4/clip03"]
    parse_clip_shards(folder, INFO, ["c1"], [tmp_path / "c1.h5"], on_bad_file="skip")
    with Shard(tmp_path / "c1.h5") as shard:
        assert shard.attrs["files_found"] == 6 + 1 and len(shard) == 5  # its rows and the stray file
        assert [entry["clip"] for entry in shard.skipped] == ["s1/clip00", None]


def test_a_failed_check_writes_no_shard(folder, tmp_path):
    _save(folder, "s1/clip00", np.zeros((0, 4, 3), np.float32))
    with pytest.raises(ClipError):
        parse_clip_shards(folder, INFO, ["c1"], [tmp_path / "c1.h5"])
    assert list(tmp_path.glob("c1*")) == []


def test_bad_arguments(folder, tmp_path):
    with pytest.raises(ValueError, match="on_bad_file"):
        check_clips(folder, INFO, "ignore")
    with pytest.raises(ValueError, match=r"no parse shard\(s\) \['c9'\]"):
        parse_clip_shards(folder, INFO, ["c9"], [tmp_path / "c9.h5"])


# --------------------------------------------------------------------------------------------------------
# The split rule and the labels.


def test_split_rules():
    assert rule("subject", (3, "4")).split_of("03") == "test"
    assert rule("subject", (3, 4)).split_of("P1") == "train"
    assert rule("split").split_of(" Test ") == "test" and rule("split").split_of("val") is None
    # the package's NTU and NW-UCLA rules list the training values
    assert SplitRule("view", frozenset({1, 2})).split_of("3") == "test"


def test_labels_from_codes_names_or_an_explicit_mapping(folder):
    assert action_labels(INFO) == {"wave": 0, "kick": 1, "sit": 2, "A01": 0, "A02": 1, "A03": 2}
    names_only = tuple((label, "", name) for label, _, name in ACTIONS)  # a table without codes
    assert action_labels(replace(INFO, action_table=names_only))["sit"] == 2
    rows, problems = read_manifest(folder, INFO, labels={"A01": 0, "wave": 0})
    assert {row.label for row in rows} == {0} and len(problems) == 8
