"""NW-UCLA raw data: name parsing, the cross-view split, JSON validation and per-view shards."""

from __future__ import annotations

import itertools
import json
import logging
from collections import Counter
from pathlib import Path

import h5py
import numpy as np
import pytest

from hypergcn.data.build import assign_splits
from hypergcn.data.shards import Shard
from hypergcn.data.ucla import (
    UCLA_VIEW_CLIPS,
    UCLA_VIEWS,
    UclaDataError,
    UclaFileError,
    parse_name,
    parse_view_shard,
    read_skeleton_json,
)
from hypergcn.datasets import action_codes
from tests.reference.ucla_json import make_synthetic_ucla

CODES = ["a01", "a02", "a03", "a04", "a05", "a06", "a08", "a09", "a11", "a12"]


def clip(frames: int = 3, seed: int = 0) -> list:
    return np.random.default_rng(seed).normal(size=(frames, 20, 3)).round(4).tolist()


def write(path: Path, obj: object) -> Path:
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return path


def read_shard(path: Path) -> dict:
    """The shard through the pipeline's reader, plus its raw dtypes (checked against the agreed format)."""
    with Shard(path) as shard, h5py.File(path, "r") as h5:
        return {
            "name": shard.names,
            "length": h5["length"][()],
            "offset": h5["offset"][()],
            "data": h5["data"][()],
            "attrs": shard.attrs,
            "skipped": shard.skipped,
        }


def full_name_set() -> list[str]:
    """1,484 names in the real structure (10 actions x 10 subjects x episodes x 3 views), per-view counts
    as in the complete download (516 / 504 / 464), reached by taking episodes in order until full."""
    names = []
    for view, count in UCLA_VIEW_CLIPS.items():
        grid = itertools.product(range(6), CODES, range(1, 11))  # episode, action, subject
        names += [f"{a}_s{s:02d}_e{e:02d}_{view}" for e, a, s in itertools.islice(grid, count)]
    return names


# --- names ------------------------------------------------------------------------------------------------


def test_parse_name_fields():
    assert parse_name("a01_s01_e00_v01") == parse_name("a01_s01_e00_v01")
    name = parse_name("a12_s10_e05_v03")
    assert (name.action, name.label, name.subject, name.episode, name.view) == ("a12", 9, 10, 5, "v03")
    assert [parse_name(f"{code}_s01_e00_v02").label for code in CODES] == list(range(10))
    assert name.fields == {"label": 9, "subject": 10, "episode": 5, "view": 3}  # what split rules read
    assert action_codes("ucla") == {code: i for i, code in enumerate(CODES)}


@pytest.mark.parametrize(
    "name",
    [
        "",
        "a01_s01_e00",  # field missing
        "a01_s01_e00_v01.json",  # suffix
        "A01_s01_e00_v01",  # case
        "a1_s01_e00_v01",  # one digit
        "a01_s01_e00_v01_copy",  # trailing text
        " a01_s01_e00_v01",  # leading space
        "a01-s01-e00-v01",  # separator
        "a07_s01_e00_v01",  # action not in the benchmark
        "a13_s01_e00_v01",
        "a01_s01_e00_v04",  # no such view
    ],
)
def test_parse_name_rejects(name):
    with pytest.raises(ValueError, match="NW-UCLA name") as info:
        parse_name(name)
    assert repr(name) in str(info.value)


def test_split_sizes_on_full_name_set():
    """The cross-view split depends on the view only (1,020 / 464), in name order; a validation split takes
    whole subjects."""
    names = full_name_set()
    assert len(names) == len(set(names)) == 1_484
    views = Counter(parse_name(n).view for n in names)
    assert views == {"v01": 516, "v02": 504, "v03": 464}
    splits, _ = assign_splits("ucla", "xview", names)
    assert {k: len(v) for k, v in splits.items()} == {"train": 1_020, "test": 464}
    assert all(names[i].endswith("_v03") == (split == "test") for split, idx in splits.items() for i in idx)
    assert all([names[i] for i in idx] == sorted(names[i] for i in idx) for idx in splits.values())
    assert {parse_name(names[i]).label for i in splits["test"]} == set(range(10))
    splits, _ = assign_splits("ucla", "xview", names, val_fraction=0.2, val_seed=1)
    subjects = {split: {parse_name(names[i]).subject for i in idx} for split, idx in splits.items()}
    assert len(subjects["val"]) == 2 and not subjects["val"] & subjects["train"]
    assert len(splits["train"]) + len(splits["val"]) == 1_020 and len(splits["test"]) == 464


def test_full_folder_parses_into_per_view_shards(tmp_path, caplog):
    raw = tmp_path / "all_sqe"
    raw.mkdir()
    one = json.dumps({"skeletons": clip(1)})
    for name in full_name_set():
        (raw / f"{name}.json").write_text(one)
    with caplog.at_level(logging.WARNING, logger="hypergcn.data.ucla"):
        for view in UCLA_VIEWS:
            parse_view_shard(raw, view, tmp_path / f"{view}.h5", "error", strict=True)
    assert not [r for r in caplog.records if "complete download" in r.getMessage()]
    counts = {view: len(read_shard(tmp_path / f"{view}.h5")["name"]) for view in UCLA_VIEWS}
    assert counts == UCLA_VIEW_CLIPS

    # A partial download builds, with the counts in a warning; strict refuses it.
    (raw / "a01_s01_e00_v03.json").unlink()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="hypergcn.data.ucla"):
        parse_view_shard(raw, "v03", tmp_path / "v03.h5", "error")
    assert any("463 of the complete download's 464" in r.getMessage() for r in caplog.records)
    with pytest.raises(FileNotFoundError, match="1 files missing"):
        parse_view_shard(raw, "v03", tmp_path / "v03.h5", "error", strict=True)


# --- JSON files -------------------------------------------------------------------------------------------


def test_read_skeleton_json_roundtrip(tmp_path):
    data = clip(5)
    array = read_skeleton_json(write(tmp_path / "a01_s01_e00_v01.json", {"skeletons": data, "other": 1}))
    assert array.dtype == np.float32 and array.shape == (5, 20, 3)
    np.testing.assert_array_equal(array, np.asarray(data, dtype=np.float32))


def test_one_frame_clip(tmp_path):
    array = read_skeleton_json(write(tmp_path / "a01_s01_e00_v03.json", {"skeletons": clip(1)}))
    assert array.shape == (1, 20, 3)


def test_crlf_pretty_printed_and_bom(tmp_path):
    data = clip(4)
    compact = read_skeleton_json(write(tmp_path / "a.json", {"skeletons": data}))
    pretty = json.dumps({"skeletons": data}, indent=2).replace("\n", "\r\n")
    (tmp_path / "b.json").write_bytes(pretty.encode())
    (tmp_path / "c.json").write_bytes(b"\xef\xbb\xbf" + pretty.encode())
    np.testing.assert_array_equal(read_skeleton_json(tmp_path / "b.json"), compact)
    np.testing.assert_array_equal(read_skeleton_json(tmp_path / "c.json"), compact)


def _ragged_frames():
    frames = clip(3)
    del frames[1][4]
    return {"skeletons": frames}


def _short_joint():
    frames = clip(3)
    frames[2][7] = [0.1, 0.2]
    return {"skeletons": frames}


def _value(value):
    frames = clip(2)
    frames[1][3][2] = value
    return {"skeletons": frames}


BAD_CONTENT = {
    "missing_key": ({"skeleton": clip(2)}, "missing key 'skeletons'"),
    "top_level_list": (clip(2), "expected an object"),
    "wrong_joint_count": (
        {"skeletons": np.zeros((3, 25, 3)).tolist()},
        "wrong joint count: every frame has 25",
    ),
    "ragged_frames": (_ragged_frames(), "ragged frames: frame 1 has 19 joints"),
    "ragged_joint": (_short_joint(), "frame 2 joint 7 has 2 values"),
    "nan": (json.dumps(_value(4242.5)).replace("4242.5", "NaN"), "frame 1 joint 3: non-finite"),
    "inf": (json.dumps(_value(4242.5)).replace("4242.5", "-Infinity"), "frame 1 joint 3: non-finite"),
    "string": (_value("1.0"), "frame 1 joint 3: non-numeric value '1.0'"),
    "null": (_value(None), "non-numeric value None"),
    "bool": (_value(True), "non-numeric value True"),
    "empty": ({"skeletons": []}, "empty (0 frames)"),
    "not_a_list": ({"skeletons": "x"}, "'skeletons' is a str"),
    "invalid_json": ('{"skeletons": [\n  [1, 2,\n}', "invalid JSON at line 3, column 1"),
}


@pytest.mark.parametrize("kind", sorted(BAD_CONTENT))
def test_bad_content_names_the_file(tmp_path, kind):
    content, reason = BAD_CONTENT[kind]
    path = write(tmp_path / "a02_s03_e01_v02.json", content)
    with pytest.raises(UclaFileError) as info:
        read_skeleton_json(path)
    assert str(info.value).startswith(f"{path}: ")
    assert reason in str(info.value)


# --- shards -----------------------------------------------------------------------------------------------


def test_shard_contents(tmp_path):
    raw = tmp_path / "raw"
    paths = make_synthetic_ucla(raw, seed=3, subjects=(1, 2), one_frame=["a04_s02_e00_v01"])
    assert len(paths) == 10 * 2 * 3
    (raw / "notes.txt").write_text("not a clip")  # other files are ignored
    (raw / "._a01_s01_e00_v01.json").write_bytes(b"\x00\x05")  # macOS resource fork: ignored
    parse_view_shard(raw, "v01", tmp_path / "v01.h5", "error")
    shard = read_shard(tmp_path / "v01.h5")
    assert shard["name"] == sorted(p.stem for p in paths if p.stem.endswith("_v01"))
    assert {k: shard["attrs"][k] for k in ("dataset", "layout", "shard", "num_point", "num_person")} == {
        "dataset": "ucla",
        "layout": "nw-ucla",
        "shard": "v01",
        "num_point": 20,
        "num_person": 1,
    }
    assert shard["skipped"] == []
    assert shard["data"].dtype == np.float32 and shard["data"].shape == (shard["length"].sum(), 1, 20, 3)
    assert shard["length"].dtype == np.int32 and shard["offset"].dtype == np.int64
    for name, length, offset in zip(shard["name"], shard["length"], shard["offset"], strict=True):
        expected = read_skeleton_json(raw / f"{name}.json")
        np.testing.assert_array_equal(shard["data"][offset : offset + length, 0], expected)
    assert shard["length"][shard["name"].index("a04_s02_e00_v01")] == 1


def _bad_folder(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    make_synthetic_ucla(raw, subjects=(1,), views=("v01", "v02"))
    write(raw / "a03_s01_e00_v02.json", {"skeleton": clip(2)})  # overwrite: missing key
    write(raw / "a05_s01_e00_v02.json", '{"skeletons": [')  # invalid JSON
    write(raw / "a07_s01_e00_v02.json", {"skeletons": clip(2)})  # unknown action
    write(raw / "a01_s01_e00_v02 (copy).json", {"skeletons": clip(2)})  # name does not parse
    return raw


def test_error_mode_lists_every_bad_file(tmp_path):
    raw = _bad_folder(tmp_path)
    out = tmp_path / "v02.h5"
    with pytest.raises(UclaDataError) as info:
        parse_view_shard(raw, "v02", out, "error")
    message = str(info.value)
    for name in ("a03_s01_e00_v02", "a05_s01_e00_v02", "a07_s01_e00_v02", "a01_s01_e00_v02 (copy)"):
        assert f"{raw / name}.json: " in message
    assert "4 bad file(s)" in message and "on_bad_file: skip" in message
    assert not out.exists()  # nothing half-written
    parse_view_shard(raw, "v01", tmp_path / "v01.h5", "error")  # the other view has no bad files


def test_skip_mode_records_bad_files(tmp_path):
    raw = _bad_folder(tmp_path)
    parse_view_shard(raw, "v02", tmp_path / "v02.h5", "skip")
    shard = read_shard(tmp_path / "v02.h5")
    assert len(shard["name"]) == 8 and "a03_s01_e00_v02" not in shard["name"]
    skipped = {Path(entry["file"]).name: entry for entry in shard["skipped"]}
    assert sorted(skipped) == [
        "a01_s01_e00_v02 (copy).json",
        "a03_s01_e00_v02.json",
        "a05_s01_e00_v02.json",
        "a07_s01_e00_v02.json",
    ]
    assert "missing key 'skeletons'" in skipped["a03_s01_e00_v02.json"]["reason"]
    assert skipped["a05_s01_e00_v02.json"]["line"] == 1
    assert "unknown action 'a07'" in skipped["a07_s01_e00_v02.json"]["reason"]
    # Each bad name is listed by exactly one view shard, so statistics count it once.
    parse_view_shard(raw, "v01", tmp_path / "v01.h5", "skip")
    parse_view_shard(raw, "v03", tmp_path / "v03.h5", "skip")
    assert read_shard(tmp_path / "v01.h5")["skipped"] == []
    v03 = read_shard(tmp_path / "v03.h5")
    assert v03["skipped"] == [] and v03["name"] == [] and v03["data"].shape == (0, 1, 20, 3)


def test_unparsable_name_without_view_goes_to_first_shard(tmp_path):
    raw = tmp_path / "raw"
    make_synthetic_ucla(raw, subjects=(1,), views=("v03",))
    write(raw / "readme.json", {})
    with pytest.raises(UclaDataError, match="readme"):
        parse_view_shard(raw, "v01", tmp_path / "v01.h5", "error")
    parse_view_shard(raw, "v03", tmp_path / "v03.h5", "error")


def test_missing_or_empty_raw_dir_names_the_key(tmp_path):
    with pytest.raises(FileNotFoundError, match="datasets.ucla.raw_dir"):
        parse_view_shard(tmp_path / "nope", "v01", tmp_path / "v01.h5")
    with pytest.raises(FileNotFoundError, match="no .json files"):
        parse_view_shard(tmp_path, "v01", tmp_path / "v01.h5")
    with pytest.raises(ValueError, match="on_bad_file"):
        parse_view_shard(tmp_path, "v01", tmp_path / "v01.h5", "ignore")


def test_synthetic_motion_depends_on_the_class(tmp_path):
    paths = make_synthetic_ucla(tmp_path, subjects=(1,), views=("v02",), frames=(30, 30))
    spread = {}
    for path in paths:
        array = read_skeleton_json(path)
        spread[parse_name(path.stem).label] = (array.std(axis=0) > 0.05).tobytes()  # which joints/axes move
    assert len(set(spread.values())) == 10  # every class moves its own joints along its own axis
