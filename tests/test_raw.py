"""Raw folders: the missing/empty raw_dir error, subsets and strict mode, files per shard, bad files per shard."""

from __future__ import annotations

import json

import h5py
import pytest

from hypergcn.cli import main as cli
from hypergcn.data.denoise import denoise_shard
from hypergcn.data.parse import BadFilesError, parse_ntu_shard
from hypergcn.data.raw import RawDataError, check_raw, shard_files
from hypergcn.data.shards import Shard
from hypergcn.data.statistics import dataset_statistics
from tests.reference.skeleton_text import assemble, pose, skeleton_text, track, write_skeleton

GOOD = assemble(3, track("1", range(3), lambda f: pose(x=0.125 * f)))


def touch(folder, *names):
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_text("")


def test_unset_raw_dir_names_the_key_and_the_content():
    with pytest.raises(RawDataError, match=r"datasets\.ntu60\.raw_dir is not set.*56,880 \.skeleton files"):
        check_raw("ntu60", None)
    with pytest.raises(RawDataError, match=r"datasets\.ntu120\.raw_dir.*57,600 more \(S018-S032\)"):
        check_raw("ntu120", None)
    with pytest.raises(RawDataError, match=r"datasets\.ucla\.raw_dir.*all_sqe folder: 1,484"):
        check_raw("ucla", None)


def test_missing_and_empty_raw_dir(tmp_path):
    with pytest.raises(RawDataError, match=r"datasets\.ntu60\.raw_dir: '.*nowhere' does not exist.*56,880"):
        check_raw("ntu60", str(tmp_path / "nowhere"))
    (tmp_path / "nturgbd_raw" / "nturgb+d_skeletons").mkdir(parents=True)
    with pytest.raises(
        RawDataError, match=r"no \.skeleton files of S001-S017.*subfolder\(s\) nturgb\+d_skeletons"
    ):
        check_raw("ntu60", str(tmp_path / "nturgbd_raw"))


def test_subset_counts_and_strict(tmp_path):
    touch(tmp_path / "a", "S001C001P001R001A001.skeleton", "S017C003P040R002A060.skeleton", "readme.txt")
    touch(tmp_path / "b", "S018C001P041R001A061.skeleton", "S001C001P001R001A001.skeleton")
    summary = check_raw("ntu60", str(tmp_path / "a"))
    assert summary.found == 2 and summary.missing == 56_878
    assert "2 of the 56,880 raw files" in summary.subset_message()
    assert "S002-S016" in summary.subset_message()
    with pytest.raises(RawDataError, match=r"56,878 missing.*strict is true"):
        check_raw("ntu60", str(tmp_path / "a"), strict=True)
    # NTU-120 from two folders: the duplicate name is counted once; S018 comes from the second folder
    summary = check_raw("ntu120", [str(tmp_path / "a"), str(tmp_path / "b")])
    assert summary.found == 3 and summary.duplicates == 1 and summary.per_shard["S018"] == 1
    summary = check_raw("ntu120", str(tmp_path / "a"))
    message = summary.subset_message()
    assert "S018-S032" in message and "is nturgbd_skeletons_s018_to_s032.zip extracted" in message
    assert "s001_to_s017" not in message  # a download with files present is not named
    touch(tmp_path / "c", "S018C001P041R001A061.skeleton")
    summary = check_raw("ntu120", str(tmp_path / "c"), shards=["S001", "S018"])
    assert (
        "S001" in summary.subset_message() and ".zip" not in summary.subset_message()
    )  # S002-S017 unchecked
    summary = check_raw("ntu120", str(tmp_path / "c"))
    assert "is nturgbd_skeletons_s001_to_s017.zip extracted" in summary.subset_message()


def test_demo_raw_has_no_reference_count(tmp_path):
    touch(tmp_path, "S001C001P001R001A001.skeleton")
    summary = check_raw("demo", str(tmp_path), shards=["S001", "S002"])
    assert summary.expected is None and summary.subset_message() is None


def test_shard_files_sorted_and_filtered(tmp_path):
    touch(
        tmp_path / "a",
        "S002C001P001R001A001.skeleton",
        "S001C002P001R001A001.skeleton",
        "S001C001P001R001A001.skeleton",
    )
    touch(tmp_path / "a", "S001C001P001R001A001.txt", "S001_bad.skeleton")
    touch(tmp_path / "b", "S001C001P001R001A001.skeleton")
    files = shard_files("ntu60", [tmp_path / "a", tmp_path / "b"], "S001")
    assert [name for name, _ in files] == ["S001C001P001R001A001", "S001C002P001R001A001"]
    assert files[0][1].parent.name == "a"


def bad_raw(folder):
    write_skeleton(folder, "S001C001P001R001A001", GOOD)
    text = skeleton_text(GOOD).splitlines()
    text[5] = "0.1 0.2"
    (folder / "S001C001P002R001A001.skeleton").write_text("\n".join(text) + "\n")
    (folder / "S001C001P003R001A001.skeleton").write_text("\n".join(text[:20]) + "\n")
    # a known missing-skeleton name (NTU-60 list): skipped by name, whatever its content
    (folder / "S001C002P005R002A008.skeleton").write_text("garbage")


def test_bad_files_error_lists_every_one(tmp_path):
    bad_raw(tmp_path / "raw")
    with pytest.raises(BadFilesError) as info:
        parse_ntu_shard("ntu60", "S001", [tmp_path / "raw"], tmp_path / "p.h5", "error")
    message = str(info.value)
    assert "2 bad raw file(s)" in message and "on_bad_file: skip" in message
    assert "S001C001P002R001A001.skeleton:6: expected a joint line of 12 values" in message
    assert "S001C001P003R001A001.skeleton:21: unexpected end of file" in message
    assert not (tmp_path / "p.h5").exists()
    log = tmp_path / "parse.log"
    args = [
        "--dataset",
        "ntu60",
        "--shard",
        "S001",
        "--raw-dir",
        str(tmp_path / "raw"),
        "--output",
        str(tmp_path / "p.h5"),
    ]
    assert cli(["--log", str(log), "parse", *args]) == 1
    text = log.read_text()
    assert "S001C001P002R001A001.skeleton:6" in text and "S001C001P003R001A001.skeleton:21" in text


def test_bad_files_skip_lists_them_in_shard_and_statistics(tmp_path):
    bad_raw(tmp_path / "raw")
    summary = parse_ntu_shard("ntu60", "S001", [tmp_path / "raw"], tmp_path / "p.h5", "skip")
    assert summary["parsed"] == 1 and summary["bad_skipped"] == 2 and summary["known_missing_skipped"] == 1
    with h5py.File(tmp_path / "p.h5") as h5:
        skipped = json.loads(h5.attrs["skipped"])
        assert [(s["file"].rsplit("/", 1)[1], s["line"]) for s in skipped] == [
            ("S001C001P002R001A001.skeleton", 6),
            ("S001C001P003R001A001.skeleton", 21),
        ]
    denoise_shard(str(tmp_path / "p.h5"), str(tmp_path / "d.h5"))
    with Shard(tmp_path / "d.h5") as shard:
        assert shard.names == ["S001C001P001R001A001"] and len(shard.skipped) == 2
    stats = dataset_statistics("ntu60", [tmp_path / "d.h5"])
    assert stats["raw"]["bad_files_skipped"] == 2 and stats["raw"]["known_missing_skipped"] == 1
    assert stats["raw"]["files_found"] == 4 and stats["raw"]["files_missing"] == 56_876
    assert len(stats["skipped_files"]) == 2


def test_setup_without_files_gives_an_empty_shard(tmp_path):
    write_skeleton(tmp_path / "raw", "S001C001P001R001A001", GOOD)
    parse_ntu_shard("ntu60", "S002", [tmp_path / "raw"], tmp_path / "p.h5")
    denoise_shard(str(tmp_path / "p.h5"), str(tmp_path / "d.h5"))
    with Shard(tmp_path / "d.h5") as shard:
        assert len(shard) == 0 and shard.data.shape == (0, 2, 25, 3)
