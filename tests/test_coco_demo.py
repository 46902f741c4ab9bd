"""The COCO-17 demo (``hypergcn demo-clips``): deterministic clips in the generic per-clip array format, the
defects of a pose estimator's output, new clips for prediction, and the package's declaration."""

from __future__ import annotations

import csv
from importlib import resources

import numpy as np
import pytest
import yaml

from hypergcn.cli import main
from hypergcn.data.clip_arrays import ClipError, read_clip
from hypergcn.data.coco_demo import (
    IMAGE,
    JOINTS,
    LENGTHS,
    MALFORMED,
    MANIFEST_COLUMNS,
    MOTIONS,
    demo_clip_names,
    make_demo_clips,
)
from hypergcn.layouts import Layout

SUBJECTS = [1, 2, 3, 4]


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """40 clips (5 classes x 4 subjects x 2 repetitions) and the prediction folder, through the CLI."""
    root = tmp_path_factory.mktemp("coco17")
    argv = ["demo-clips", "--output", str(root / "raw"), "--seed", "0", "--num-class", "5", "--subjects"]
    argv += [str(s) for s in SUBJECTS] + ["--repetitions", "2", "--predict-output", str(root / "new")]
    assert main(argv) == 0
    return root


@pytest.fixture(scope="module")
def layout():
    """The declaration's layout, built by joint indices (its parents must form a tree)."""
    declaration = yaml.safe_load(
        resources.files("hypergcn.resources").joinpath("datasets/coco17.yaml").read_text()
    )
    data = declaration["layout"]
    if isinstance(data, str):  # a package layout, by name
        data = yaml.safe_load(
            resources.files("hypergcn.resources").joinpath(f"layouts/{data}.yaml").read_text()
        )
    index = {name: number for number, name in enumerate(data["joints"])}

    def joint(value):
        return value if isinstance(value, int) else index[value]

    centre = data["centre"]
    return Layout(
        name=data["name"],
        joints=tuple(data["joints"]),
        parents=tuple(joint(p) for p in data["parents"]),
        centre=tuple(joint(c) for c in centre) if isinstance(centre, list) else joint(centre),
        persons=data["persons"],
        channels=tuple(data["channels"]),
        reference=tuple((joint(a), joint(b)) for a, b in data.get("reference", ())),
    )


def _clips(folder):
    return {path.stem: np.load(path, allow_pickle=False) for path in sorted(folder.glob("*.npz"))}


def test_same_seed_same_bytes(folders, tmp_path):
    again = make_demo_clips(tmp_path / "again", seed=0, subjects=[1, 3], repetitions=2)
    assert len(again) == 20
    for path in again:
        assert path.read_bytes() == (folders / "raw" / path.name).read_bytes()
    other = make_demo_clips(tmp_path / "other", seed=1, subjects=[1], repetitions=1)
    assert all(path.read_bytes() != (folders / "raw" / path.name).read_bytes() for path in other)


def test_shapes_channels_and_confidence(folders):
    clips = _clips(folders / "raw")
    assert len(clips) == 5 * len(SUBJECTS) * 2
    ndims, missing = set(), 0
    for name, npz in clips.items():
        assert list(npz.keys()) == ["keypoints"]
        array = npz["keypoints"]
        assert array.dtype == np.float32 and array.shape[-2:] == (len(JOINTS), 3)
        assert LENGTHS[0] <= len(array) <= LENGTHS[1] and np.isfinite(array).all()
        ndims.add(array.ndim)
        persons = array if array.ndim == 4 else array[:, None]
        assert persons.shape[1] in (1, 2)
        confidence, xy = persons[..., 2], persons[..., :2]
        seen = confidence > 0
        assert np.all((confidence[seen] > 0.3) & (confidence[seen] <= 1.0)), name
        assert np.all(xy[~seen] == 0), name  # a missing joint: coordinates and confidence 0
        assert np.all((xy[seen] >= 0) & (xy[seen] < np.array(IMAGE))), name  # pixels of the image
        missing += int((~seen).sum())
        if MOTIONS[int(name[5:7]) - 1].persons == 2:  # an interaction: both persons
            assert array.ndim == 4
    assert ndims == {3, 4}  # (T, V, C) and (T, M, V, C) files
    assert missing > 0


def test_manifest(folders):
    with (folders / "raw" / "manifest.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == MANIFEST_COLUMNS
    assert [row["clip"] for row in rows] == demo_clip_names(5, SUBJECTS, 2)
    codes = {motion.code for motion in MOTIONS[:5]}
    assert {row["label"] for row in rows} == codes
    assert {int(row["subject"]) for row in rows} == set(SUBJECTS)
    assert {int(row["repetition"]) for row in rows} == {1, 2}
    assert {row["clip"] for row in rows} == set(_clips(folders / "raw"))


def test_prediction_folder_has_one_malformed_clip(folders, layout):
    folder = folders / "new"
    assert not (folder / "manifest.csv").exists()
    bad = []
    for path in sorted(folder.glob("*.npz")):
        try:
            assert read_clip(path, layout).shape[1:] == (2, 17, 3)
        except ClipError:
            bad.append(path.stem)
    assert bad == [MALFORMED] and len(list(folder.glob("*.npz"))) == 5


def test_one_person_option(tmp_path):
    paths = make_demo_clips(tmp_path / "one", seed=0, subjects=[5], repetitions=1, persons=1)
    assert all(np.load(path)["keypoints"].ndim == 3 for path in paths)


def test_declaration(layout):
    declaration = yaml.safe_load(
        resources.files("hypergcn.resources").joinpath("datasets/coco17.yaml").read_text()
    )
    assert declaration["name"] == "coco17" and declaration["raw_format"] == "clip_arrays"
    assert declaration["generated"] == "coco17_clips" and declaration["validation_unit"] == "subject"
    rule = declaration["splits"]["xsub"]
    assert rule["column"] == "subject" and set(rule["test"]) < set(range(1, 9))  # of the default subjects
    assert layout.joints == JOINTS and layout.root == 0  # the nose
    assert layout.centre_joints == (11, 12) and layout.channels == ("x", "y", "confidence")
    assert layout.persons == 2 and len(layout.edges) == 16
    actions = declaration["actions"]
    file, first = (actions["file"], actions["first"]) if isinstance(actions, dict) else (actions, None)
    with resources.files("hypergcn.resources").joinpath(file).open() as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert [(int(r["label"]), r["code"], r["name"]) for r in rows] == [
        (label, m.code, m.name) for label, m in enumerate(MOTIONS)
    ]
    assert (first or len(rows)) == declaration.get("num_class", len(rows)) == 5
