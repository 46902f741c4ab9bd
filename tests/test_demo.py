"""The synthetic demo data (rule make_demo_skeletons): real NTU format, awkward cases, learnable classes."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from hypergcn.cli import main
from hypergcn.data.build import BuildSettings, build_benchmark
from hypergcn.data.demo import demo_names, make_demo_skeletons
from hypergcn.data.denoise import denoise_shard
from hypergcn.data.ntu_skeleton import read_skeleton
from hypergcn.data.parse import parse_ntu_shard
from hypergcn.data.shards import ParsedShard
from hypergcn.data.statistics import dataset_statistics


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """One demo setup (192 files: 6 subjects x 2 cameras x 2 repetitions x 8 classes), parsed and built."""
    root = tmp_path_factory.mktemp("demo")
    paths = make_demo_skeletons(root / "raw", seed=0, setups=["S001"])
    parse_ntu_shard("demo", "S001", [root / "raw"], root / "parsed.h5")
    denoise_shard(str(root / "parsed.h5"), str(root / "denoised.h5"))
    build_benchmark([root / "denoised.h5"], root / "xsub.h5", BuildSettings("demo", "xsub", num_class=8))
    return root, paths


def test_names_and_counts(demo):
    _, paths = demo
    assert len(paths) == 192
    assert [p.stem for p in paths] == demo_names(setups=["S001"])
    assert paths[0].name == "S001C001P001R001A001.skeleton"
    # the default config: 2 setups x 2 cameras x 6 subjects x 2 repetitions x 8 classes
    assert len(demo_names()) == 384


def test_deterministic_per_seed(tmp_path, demo):
    _, paths = demo
    again = make_demo_skeletons(tmp_path / "same", seed=0, setups=["S001"], subjects=[1], cameras=[1])
    for path in again:
        assert path.read_bytes() == (paths[0].parent / path.name).read_bytes()
    other = make_demo_skeletons(tmp_path / "other", seed=1, setups=["S001"], subjects=[1], cameras=[1])
    assert other[0].read_bytes() != again[0].read_bytes()


def test_exact_ntu_text_format(demo):
    _, paths = demo
    lines = paths[0].read_text().splitlines()
    frames = int(lines[0])
    assert 40 <= frames <= 110
    body = lines[2].split()
    assert len(body) == 10 and len(body[0]) == 17  # bodyID like 72057594037931101
    assert lines[3] == "25" and all(len(line.split()) == 12 for line in lines[4:29])


def test_realistic_bone_lengths(demo):
    _, paths = demo
    parsed = read_skeleton(paths[0])  # S001C001P001R001A001: raise the right arm
    joints = parsed.body_joints(0)
    height = np.linalg.norm(joints[:, 3] - (joints[:, 14] + joints[:, 18]) / 2, axis=-1).mean()
    upper_arm = np.linalg.norm(joints[:, 9] - joints[:, 8], axis=-1)  # right shoulder -> elbow
    shin = np.linalg.norm(joints[:, 13] - joints[:, 14], axis=-1)  # left knee -> ankle
    assert 1.3 < height < 1.9
    assert 0.22 < upper_arm.mean() < 0.34 and upper_arm.std() < 0.02  # rigid up to sensor noise
    assert 0.33 < shin.mean() < 0.5


def test_awkward_cases_are_present(demo):
    root, _ = demo
    stats = dataset_statistics("demo", [root / "denoised.h5"], num_class=8)
    bodies = stats["bodies"]
    assert bodies["samples_multi_body"] > 40 and bodies["max_bodies_in_a_file"] >= 3
    assert bodies["dropped"]["length_le_11_frames"] > 10  # short noisy bodies
    assert bodies["dropped"]["spread_noisy_ratio_ge_0.69754"] > 5  # wide noise bodies
    assert bodies["zero_body_frames_dropped"] > 10  # frames without bodies
    assert bodies["samples_two_actor_array"] > 24  # at least the 24 two-person samples
    assert stats["frames"]["min"] >= 30 and stats["frames"]["max"] <= 110
    with ParsedShard(root / "parsed.h5") as shard:  # bodies (not noise) that appear late
        assert any(
            p.starts[k] > 0 and p.lengths[k] > 11
            for p, _ in shard.iter_parsed()
            for k in range(1, p.num_bodies)
        )


def test_classes_are_learnable(demo):
    """A nearest-centroid classifier on how much each joint moves separates the classes across subjects."""
    root, _ = demo

    def features(group):
        x, frames = group["x"][()], group["frames"][()]
        rows = []
        for sample, n in zip(x, frames, strict=True):
            actor1, actor2 = sample[:, :n, :, 0], sample[:, :n, :, 1]
            spread = np.sqrt((actor1.std(axis=1) ** 2).sum(axis=0))
            rows.append(np.append(spread, np.abs(actor2 - actor1).mean()))
        return np.array(rows), group["y"][()]

    with h5py.File(root / "xsub.h5") as h5:
        x_train, y_train = features(h5["train"])
        x_test, y_test = features(h5["test"])
    centroids = np.stack([x_train[y_train == c].mean(axis=0) for c in range(8)])
    predicted = np.argmin(((x_test[:, None] - centroids[None]) ** 2).sum(axis=-1), axis=1)
    assert (predicted == y_test).mean() > 0.75


def test_cli_refuses_to_overwrite(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("x")
    args = [
        "--log",
        str(tmp_path / "demo.log"),
        "demo",
        "--output",
        str(tmp_path / "out"),
        "--subjects",
        "1",
        "2",
    ]
    with pytest.raises(FileExistsError):
        main(args)
    assert main([*args, "--overwrite", "--setups", "S003", "--cameras", "3", "--num-class", "2"]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir())[0] == "S003C003P001R001A001.skeleton"
    assert len(list((tmp_path / "out").iterdir())) == 8


def test_real_sized_style_has_what_real_files_have(tmp_path):
    """style="real": the bytes of real NTU files (numbers as the Kinect SDK writes them, CRLF, NTU lengths),
    read the same by the compiled reader and the line walker, as large as copies of the real download."""
    from hypergcn.data import ntu_skeleton
    from hypergcn.data.demo import write_sample

    names = [
        f"S00{s}C00{c}P0{p:02d}R001A0{a:02d}"
        for s in (1, 2)
        for c in (1, 3)
        for p in (7, 31)
        for a in (9, 56)
    ]
    paths = [write_sample(tmp_path, name, seed=1, style="real") for name in names]
    (tmp_path / "again").mkdir()
    assert paths[0].read_bytes() == write_sample(tmp_path / "again", names[0], 1, "real").read_bytes()
    sizes, frames, joint_lines = [], [], []
    for path in paths:
        buf = path.read_bytes()
        assert buf.count(b"\r\n") == buf.count(b"\n")  # CRLF line ends only
        lines = buf.decode().splitlines()
        frames.append(int(lines[0]))
        body = lines[2].split()
        assert len(body) == 10 and len(body[0]) == 17 and len(body[7].replace("-", "")) >= 6  # lean: 7 digits
        joint_lines += [line for line in lines[4:29]]
        sizes.append(len(buf))
        compiled = ntu_skeleton._parse_compiled(buf, "x")
        walked = ntu_skeleton._parse_lines(buf, "x.skeleton", "x")
        assert compiled is not None
        assert np.array_equal(compiled.joints.view(np.uint32), walked.joints.view(np.uint32))
        assert compiled.body_ids == walked.body_ids and np.array_equal(
            compiled.motion, walked.motion, equal_nan=True
        )
    values = [line.split() for line in joint_lines]
    assert all(len(v) == 12 for v in values)
    digits = [len(token.lstrip("-").replace(".", "").lstrip("0")) for v in values for token in v[:7]]
    assert 6 <= np.mean(digits) <= 7.5  # e.g. 0.2181153 3.785547 277.419 1036.233
    assert 90 <= np.mean([len(line) + 2 for line in joint_lines]) <= 115  # bytes per joint line
    assert all(32 <= f <= 300 for f in frames)
    assert 150e3 <= np.mean(sizes) <= 400e3  # about 262 KB on average over many files
