"""Benchmark building (docs/method.md#benchmark-files, docs/data.md#benchmark-file): centring, masks, second
actor, padding, splits."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from hypergcn.cli import main
from hypergcn.data.build import BuildError, BuildSettings, assign_splits, build_benchmark, transform_ntu
from hypergcn.datasets import action_codes
from tests.reference import authors_preprocess
from tests.reference.shard_files import write_shard
from tests.reference.skeleton_text import assemble, pose, track, write_skeleton


def cli(args: list[str]) -> int:
    """The ``hypergcn`` command, logging to a file (a stderr handler would outlive pytest's capture)."""
    log = Path(args[args.index("--output") + 1]).with_suffix(".log")
    log.parent.mkdir(parents=True, exist_ok=True)
    return main(["--log", str(log), *args])


def sample(slot1: list, slot2: list | None = None) -> np.ndarray:
    """(F, 2, 25, 3) from per-frame (25, 3) arrays (None = an all-zero frame)."""
    frames = len(slot1)
    data = np.zeros((frames, 2, 25, 3), dtype=np.float32)
    for f in range(frames):
        if slot1[f] is not None:
            data[f, 0] = slot1[f]
        if slot2 is not None and slot2[f] is not None:
            data[f, 1] = slot2[f]
    return data


def const(value) -> np.ndarray:
    return np.full((25, 3), value, dtype=np.float32)


def with_joint2(value, joint2) -> np.ndarray:
    joints = const(value)
    joints[1] = joint2
    return joints


def test_centring_on_actor1_first_nonzero_frame_with_masks():
    # actor 1 is missing in frame 0, actor 2 in frame 2; origin = joint 2 of actor 1 in frame 1 = (0.5, 1.5, 2.5)
    a1 = with_joint2([1.0, 2.0, 3.0], [0.5, 1.5, 2.5])
    data = sample([None, a1, const(2.0)], [const(4.0), const(4.0), None])
    out = transform_ntu(data, 2, "ntu60", "zeros")
    origin = np.array([0.5, 1.5, 2.5], dtype=np.float32)
    assert not out[0, 0].any() and not out[2, 1].any()  # masked frames are zero again
    np.testing.assert_array_equal(out[1, 0], a1 - origin)
    np.testing.assert_array_equal(out[2, 0], const(2.0) - origin)
    np.testing.assert_array_equal(out[0, 1], const(4.0) - origin)
    np.testing.assert_array_equal(out[1, 1, 1], [3.5, 2.5, 1.5])


def test_75_wide_samples_have_no_masks():
    # a (hypothetical) all-zero frame of a 75-wide sample is centred like any other frame
    a1 = with_joint2([1.0, 1.0, 1.0], [0.25, 0.5, 0.75])
    out = transform_ntu(sample([a1, None]), 1, "ntu60", "zeros")
    np.testing.assert_array_equal(out[1, 0], np.tile([-0.25, -0.5, -0.75], (25, 1)))
    assert not out[:, 1].any()


@pytest.mark.parametrize(
    ("mode", "dataset", "slots", "copied"),
    [
        ("copy", "ntu60", 1, True),
        ("copy", "ntu120", 2, True),  # a 150-wide sample whose slot 2 is empty
        ("copy", "demo", 1, True),
        ("zeros", "ntu120", 1, False),
        ("per_dataset", "ntu60", 1, False),
        ("per_dataset", "demo", 1, False),
        ("per_dataset", "ntu120", 1, True),
        ("per_dataset", "ntu120", 2, False),  # the authors copy only 75-wide arrays
    ],
)
def test_second_actor_switch(mode, dataset, slots, copied):
    a1 = with_joint2([1.0, 1.0, 1.0], [0.5, 0.5, 0.5])
    out = transform_ntu(sample([a1, a1]), slots, dataset, mode)
    centred = const(0.5)
    centred[1] = 0.0  # joint 2 is the origin
    np.testing.assert_array_equal(out[:, 0], np.stack([centred] * 2))
    if copied:
        np.testing.assert_array_equal(out[:, 1], out[:, 0])
    else:
        assert not out[:, 1].any()


def test_copy_never_overwrites_a_real_second_actor():
    out = transform_ntu(sample([const(1.0)], [const(3.0)]), 2, "ntu60", "copy")
    np.testing.assert_array_equal(out[0, 1], const(2.0))


NAMES = [
    "S001C001P003R001A001",
    "S001C002P001R002A002",
    "S002C001P001R001A060",
    "S001C003P002R001A001",
    "S001C001P006R001A005",
    "S001C003P001R001A003",
]


def ordered(dataset, benchmark, names=NAMES, **kwargs):
    splits, keys = assign_splits(dataset, benchmark, names, **kwargs)
    return {split: [names[i] for i in members] for split, members in splits.items()}, keys


def test_ntu60_xsub_order_and_labels():
    out, keys = ordered("ntu60", "xsub")
    # train performers 1, 2 (in ID order, names sorted within an ID); test performers 3, 6
    assert out["train"] == [
        "S001C002P001R002A002",
        "S001C003P001R001A003",
        "S002C001P001R001A060",
        "S001C003P002R001A001",
    ]
    assert out["test"] == ["S001C001P003R001A001", "S001C001P006R001A005"]
    assert [k.label for k in keys] == [0, 1, 59, 0, 4, 2]


def test_ntu60_xview_order():
    out, _ = ordered("ntu60", "xview")
    # train: every camera-2 sample, then every camera-3 sample; test: camera 1
    assert out["train"] == ["S001C002P001R002A002", "S001C003P001R001A003", "S001C003P002R001A001"]
    assert out["test"] == ["S001C001P003R001A001", "S001C001P006R001A005", "S002C001P001R001A060"]


def test_ntu120_xset_and_xsub():
    names = ["S003C001P045R001A100", "S002C001P044R001A001", "S018C001P001R001A120", "S004C001P001R001A001"]
    out, keys = ordered("ntu120", "xset", names)
    assert out["train"] == ["S002C001P044R001A001", "S004C001P001R001A001", "S018C001P001R001A120"]
    assert out["test"] == ["S003C001P045R001A100"]
    assert [k.label for k in keys] == [99, 0, 119, 0]
    out, _ = ordered("ntu120", "xsub", names)  # 45 is a training subject of NTU-120, 44 is not
    assert out["train"] == ["S004C001P001R001A001", "S018C001P001R001A120", "S003C001P045R001A100"]
    assert out["test"] == ["S002C001P044R001A001"]


def test_demo_subjects_split_like_ntu60_xsub():
    names = [f"S001C001P{p:03d}R001A001" for p in range(1, 7)]
    out, _ = ordered("demo", "xsub", names)
    assert [n[8:12] for n in out["train"]] == ["P001", "P002", "P004", "P005"]
    assert [n[8:12] for n in out["test"]] == ["P003", "P006"]


def test_validation_carves_whole_performers_deterministically():
    names = [f"S001C00{c}P{p:03d}R001A00{a}" for p in (1, 2, 4, 5, 8, 9, 3) for c in (1, 2) for a in (1, 2)]
    first, _ = ordered("ntu60", "xsub", names, val_fraction=0.4, val_seed=3)
    again, _ = ordered("ntu60", "xsub", names, val_fraction=0.4, val_seed=3)
    assert first == again
    val_performers = {n[8:12] for n in first["val"]}
    train_performers = {n[8:12] for n in first["train"]}
    assert len(val_performers) == 2 and not val_performers & train_performers  # round(0.4 * 6) = 2
    assert "P003" not in val_performers | train_performers
    assert len(first["val"]) == 8 and len(first["train"]) == 16 and len(first["test"]) == 4
    with pytest.raises(BuildError, match="leaves no training performers"):
        ordered("ntu60", "xsub", names, val_fraction=0.99)


# -------------------------------------------------------------------------------------------------------
# Whole files.


def make_ntu_raw(folder: Path) -> dict[str, np.ndarray]:
    """Three NTU-60 files; returns each sample's expected centred actor 1 (F, 25, 3)."""
    expected = {}
    for name, frames, step in (
        ("S001C001P001R001A003", 4, 0.125),
        ("S001C001P003R001A010", 6, 0.25),
        ("S001C002P002R002A001", 3, 0.5),
    ):
        body = track("1", range(frames), lambda f, step=step: pose(x=0.25 * f, z=3.0, step=step))
        write_skeleton(folder, name, assemble(frames, body))
        joints = np.stack([pose(x=0.25 * f, z=3.0, step=step) for f in range(frames)]).astype(np.float32)
        expected[name] = joints - joints[0, 1]
    return expected


def test_build_cli_end_to_end(tmp_path):
    raw = tmp_path / "raw"
    expected = make_ntu_raw(raw)
    out = tmp_path / "data"
    assert (
        cli(
            [
                "parse",
                "--dataset",
                "ntu60",
                "--shard",
                "S001",
                "--raw-dir",
                str(raw),
                "--output",
                str(out / "p.h5"),
            ]
        )
        == 0
    )
    assert cli(["denoise", "--input", str(out / "p.h5"), "--output", str(out / "d.h5")]) == 0
    provenance = json.dumps({"datasets": {"raw_dir": str(raw)}})
    args = ["build", "--dataset", "ntu60", "--benchmark", "xsub", "--shards", str(out / "d.h5")]
    assert (
        cli([*args, "--output", str(out / "xsub.h5"), "--max-frames", "8", "--provenance", provenance]) == 0
    )
    with h5py.File(out / "xsub.h5") as h5:
        attrs = dict(h5.attrs)
        assert attrs["dataset"] == "ntu60" and attrs["benchmark"] == "xsub" and attrs["layout"] == "ntu"
        assert (attrs["num_class"], attrs["num_point"], attrs["num_person"]) == (60, 25, 2)
        assert len(attrs["config_digest"]) == 16 and attrs["package_version"]
        train, test = h5["train"], h5["test"]
        assert train["x"].shape == (2, 3, 8, 25, 2) and test["x"].shape == (1, 3, 8, 25, 2)
        assert train["x"].dtype == np.float32 and train["x"].chunks == (1, 3, 8, 25, 2)
        assert train["x"].compression in ("lzf", "gzip")
        assert train["y"].dtype == np.int64 and train["frames"].dtype == np.int32
        assert list(train["name"].asstr()[()]) == ["S001C001P001R001A003", "S001C002P002R002A001"]
        assert train["y"][()].tolist() == [2, 0] and test["y"][()].tolist() == [9]
        assert train["frames"][()].tolist() == [4, 3] and test["frames"][()].tolist() == [6]
        x = train["x"][0]  # (3, T, V, M)
        np.testing.assert_array_equal(x[:, :4, :, 0], expected["S001C001P001R001A003"].transpose(2, 0, 1))
        np.testing.assert_array_equal(x[:, :4, :, 1], x[:, :4, :, 0])  # default: the single actor is copied
        assert not x[:, 4:].any()  # zero padding
    # a sample longer than max_frames is an error that names it and the config key
    assert cli([*args, "--output", str(out / "short.h5"), "--max-frames", "5"]) == 1
    with pytest.raises(BuildError, match=r"S001C001P003R001A010 \(6 frames\).*datasets.ntu60.max_frames"):
        build_benchmark([out / "d.h5"], out / "short.h5", BuildSettings("ntu60", "xsub", max_frames=5))
    assert not (out / "short.h5").exists()


def test_build_writes_val_group(tmp_path):
    raw = tmp_path / "raw"
    for p in (1, 2, 4, 5, 3):
        write_skeleton(raw, f"S001C001P{p:03d}R001A001", assemble(2, track("1", range(2), lambda f: pose())))
    assert (
        cli(
            [
                "parse",
                "--dataset",
                "demo",
                "--shard",
                "S001",
                "--raw-dir",
                str(raw),
                "--output",
                str(tmp_path / "p.h5"),
            ]
        )
        == 0
    )
    assert cli(["denoise", "--input", str(tmp_path / "p.h5"), "--output", str(tmp_path / "d.h5")]) == 0
    counts = build_benchmark(
        [tmp_path / "d.h5"], tmp_path / "b.h5", BuildSettings("demo", "xsub", num_class=8, val_fraction=0.25)
    )
    assert counts == {"train": 3, "test": 1, "val": 1}
    with h5py.File(tmp_path / "b.h5") as h5:
        assert sorted(h5) == ["test", "train", "val"] and h5.attrs["num_class"] == 8


def test_ucla_build_pads_to_longest_clip_without_centring(tmp_path):
    codes = action_codes("ucla")
    clips = {
        "a01_s01_e00_v01": np.full((3, 20, 3), 1.0),
        "a02_s02_e00_v02": np.full((5, 20, 3), 2.0),
        "a12_s01_e01_v03": np.full((2, 20, 3), 3.0),
    }
    for view in ("v01", "v02", "v03"):
        names = [n for n in clips if n.endswith(view)]
        write_shard(
            tmp_path / f"{view}.h5",
            dataset="ucla",
            layout="nw-ucla",
            shard=view,
            names=names,
            clips=[clips[n] for n in names],
            num_point=20,
            num_person=1,
        )
    counts = build_benchmark(
        [tmp_path / f"{v}.h5" for v in ("v01", "v02", "v03")],
        tmp_path / "x.h5",
        BuildSettings("ucla", "xview"),
    )
    assert counts == {"train": 2, "test": 1}
    with h5py.File(tmp_path / "x.h5") as h5:
        assert h5["train"]["x"].shape == (2, 3, 5, 20, 1) and h5.attrs["num_class"] == 10
        assert h5.attrs["layout"] == "nw-ucla" and h5.attrs["second_actor"] == "n/a"
        assert h5["train"]["y"][()].tolist() == [codes["a01"], codes["a02"]] and h5["test"]["y"][
            ()
        ].tolist() == [codes["a12"]]
        x = h5["test"]["x"][0]
        assert (x[:, :2] == 3.0).all() and not x[:, 2:].any()
        assert h5["train"]["frames"][()].tolist() == [3, 5]


# -------------------------------------------------------------------------------------------------------
# Parity: with the authors' settings, x transposed to (N, T, 150) equals an independent re-implementation of
# the authors' three scripts (tests/reference/authors_preprocess.py), bit for bit, on synthetic files with
# every awkward case (several bodies, noise bodies, empty frames, late bodies, a known missing-skeleton name).


@pytest.mark.parametrize(
    ("dataset", "benchmarks"), [("ntu60", ["xsub", "xview"]), ("ntu120", ["xsub", "xset"])]
)
def test_parity_with_the_authors_pipeline(tmp_path, dataset, benchmarks, capsys):
    from hypergcn.data.demo import make_demo_skeletons
    from hypergcn.data.denoise import denoise_shard
    from hypergcn.data.parse import parse_denoise_ntu_shards, parse_ntu_shard

    baseline = authors_preprocess
    raw = tmp_path / "raw"
    make_demo_skeletons(raw, seed=3, setups=["S001", "S002"], subjects=[3, 5], cameras=[1, 2], repetitions=2)
    assert (raw / "S001C002P005R002A008.skeleton").exists()  # a known missing-skeleton name of both lists
    names = baseline.baseline_names(raw, dataset)
    assert "S001C002P005R002A008" not in names
    reference = tmp_path / "authors"
    baseline.baseline_get_raw(names, raw, reference)
    baseline.baseline_denoise(reference)
    baseline.baseline_transform(reference, names, dataset, benchmarks)
    capsys.readouterr()
    max_frames = int(np.loadtxt(reference / "frames_cnt.txt", dtype=int).max())
    shards = []
    for setup in ("S001", "S002"):
        parse_ntu_shard(dataset, setup, [raw], tmp_path / f"p{setup}.h5")
        denoise_shard(str(tmp_path / f"p{setup}.h5"), str(tmp_path / f"d{setup}.h5"))
        shards.append(tmp_path / f"d{setup}.h5")
    # the workflow's path: one pass per setup in forked workers, samples packed there, chunks copied
    fast = tmp_path / "fast"
    fast.mkdir()
    packed = [fast / "S001.h5", fast / "S002.h5"]
    parse_denoise_ntu_shards(
        dataset, ["S001", "S002"], [raw], packed, pack=(max_frames, "per_dataset"), jobs=2
    )
    for folder, inputs in ((tmp_path, shards), (fast, packed)):
        for benchmark in benchmarks:
            out = folder / f"{dataset}_{benchmark}.h5"
            settings = BuildSettings(dataset, benchmark, max_frames=max_frames, second_actor="per_dataset")
            build_benchmark(inputs, out, settings)
            report = baseline.check_parity(folder, reference, dataset, benchmark)
            assert all(r["x_equal"] and r["y_equal"] for r in report.values()), (folder, report)
