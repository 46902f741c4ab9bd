"""Dataset declarations as data (issue 16): the package's YAML declarations equal the facts they replaced,
a user's declaration loads (or fails naming the file and the key), and a benchmark file's stored
declaration rebuilds the dataset."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from hypergcn.datasets import (
    DATASETS,
    Download,
    SplitRule,
    action_codes,
    action_names,
    dataset_info,
    declaration_info,
    extend_schema,
    info_from_declaration,
    load_declaration,
    missing_skeletons,
    register,
)
from hypergcn.layouts import NTU, UCLA, DeclarationError, Layout, layout_named

REPO = Path(__file__).resolve().parents[1]

# The facts as the Python declarations held them before the move (1-based parent tables of the datasets'
# papers, the training performers of the cross-subject protocols).
NTU_PARENTS_1 = {1: 2, 2: 21, 3: 21, 4: 3, 5: 21, 6: 5, 7: 6, 8: 7, 9: 21, 10: 9, 11: 10, 12: 11, 13: 1}
NTU_PARENTS_1 |= {14: 13, 15: 14, 16: 15, 17: 1, 18: 17, 19: 18, 20: 19, 21: 21, 22: 8, 23: 8, 24: 12, 25: 12}
UCLA_PARENTS_1 = {1: 2, 2: 3, 3: 3, 4: 3, 5: 3, 6: 5, 7: 6, 8: 7, 9: 3, 10: 9, 11: 10, 12: 11, 13: 1, 14: 13}
UCLA_PARENTS_1 |= {15: 14, 16: 15, 17: 1, 18: 17, 19: 18, 20: 19}
LIMBS = (
    "left shoulder", "left elbow", "left wrist", "left hand", "right shoulder", "right elbow", "right wrist",
    "right hand", "left hip", "left knee", "left ankle", "left foot", "right hip", "right knee", "right ankle",
    "right foot",
)  # fmt: skip
NTU_JOINTS = ("spine base", "spine middle", "neck", "head", *LIMBS, "spine shoulder", "left hand tip")
NTU_JOINTS += ("left thumb", "right hand tip", "right thumb")
UCLA_JOINTS = ("hip centre", "spine", "shoulder centre", "head", *LIMBS)
NTU60_XSUB = frozenset({1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19, 25, 27, 28, 31, 34, 35, 38})
NTU120_XSUB = NTU60_XSUB | {45, 46, 47, 49, 50, 52, 53, 54, 55, 56, 57, 58, 59, 70, 74, 78, 80, 81, 82, 83}
NTU120_XSUB |= {84, 85, 86, 89, 91, 92, 93, 94, 95, 97, 98, 100, 103}
ZIP60, ZIP120 = "nturgbd_skeletons_s001_to_s017.zip", "nturgbd_skeletons_s018_to_s032.zip"


def _parents(table: dict[int, int]) -> tuple[int, ...]:
    return tuple(table[child] - 1 for child in range(1, len(table) + 1))


def _setups(first: int, last: int) -> tuple[str, ...]:
    return tuple(f"S{s:03d}" for s in range(first, last + 1))


EXPECTED_NTU = Layout("ntu", NTU_JOINTS, _parents(NTU_PARENTS_1), 20, 2)
EXPECTED_UCLA = Layout("nw-ucla", UCLA_JOINTS, _parents(UCLA_PARENTS_1), 1, 1)
EXPECTED = {
    "ntu60": dict(
        num_class=60, layout=EXPECTED_NTU, raw_format="ntu_skeleton", shards=_setups(1, 17), raw_files=56_880,
        splits={"xsub": SplitRule("performer", NTU60_XSUB), "xview": SplitRule("camera", frozenset({2, 3}))},
        raw_content=f"the 56,880 .skeleton files (setups S001-S017) extracted from {ZIP60} (the folder "
        "nturgb+d_skeletons/)",
        downloads=(Download(ZIP60, _setups(1, 17)),), actions="ntu_actions.tsv",
        missing_skeletons="ntu60_missing_skeletons.txt", authors_second_actor="zeros",
        validation_unit="performer", generated=False, cpu_threads=None,
        loader_defaults={"xview": {"frame_sample": "clips", "align": True}},
    ),
    "ntu120": dict(
        num_class=120, layout=EXPECTED_NTU, raw_format="ntu_skeleton", shards=_setups(1, 32), raw_files=114_480,
        splits={
            "xsub": SplitRule("performer", NTU120_XSUB),
            "xset": SplitRule("setup", frozenset(range(2, 33, 2))),
        },
        raw_content=f"the 114,480 .skeleton files of both downloads: 56,880 (S001-S017) from {ZIP60} and "
        f"57,600 more (S018-S032) from {ZIP120}; a list of the two extracted folders is fine",
        downloads=(Download(ZIP60, _setups(1, 17)), Download(ZIP120, _setups(18, 32))),
        actions="ntu_actions.tsv", missing_skeletons="ntu120_missing_skeletons.txt",
        authors_second_actor="copy", validation_unit="performer", generated=False, cpu_threads=None,
        loader_defaults={},
    ),
    "ucla": dict(
        num_class=10, layout=EXPECTED_UCLA, raw_format="ucla_json", shards=("v01", "v02", "v03"),
        splits={"xview": SplitRule("view", frozenset({1, 2}), ordered=False)}, raw_files=1_484,
        raw_content="the NW-UCLA all_sqe folder: 1,484 <name>.json files such as a01_s01_e00_v01.json",
        downloads=(), actions="ucla_actions.tsv", missing_skeletons=None, authors_second_actor="copy",
        validation_unit="subject", generated=False, cpu_threads=None, loader_defaults={},
    ),
    "demo": dict(
        num_class=8, layout=EXPECTED_NTU, raw_format="ntu_skeleton", shards=(),
        splits={"xsub": SplitRule("performer", NTU60_XSUB)}, raw_files=None,
        raw_content="synthetic .skeleton files (the workflow generates them under results/raw/demo)",
        downloads=(), actions="ntu_actions.tsv", missing_skeletons=None, authors_second_actor="zeros",
        validation_unit="performer", generated=True, cpu_threads=1, loader_defaults={},
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_package_declarations_equal_the_python_ones_field_by_field(name):
    info = dataset_info(name)
    assert info.name == name
    for key, value in EXPECTED[name].items():
        assert getattr(info, key) == value, key
    assert (info.num_point, info.num_person) == (info.layout.num_joints, info.layout.persons)
    assert info.denoised == (info.raw_format == "ntu_skeleton")


def test_package_layouts_are_the_python_ones_and_keep_their_names():
    assert NTU == EXPECTED_NTU and UCLA == EXPECTED_UCLA
    assert layout_named("ntu") == EXPECTED_NTU and layout_named("nw-ucla") == EXPECTED_UCLA
    assert NTU.channels == ("x", "y", "z") and NTU.reference == ()


def test_action_tables_and_missing_skeletons():
    assert len(action_names("ntu60")) == 60 and len(action_names("ntu120")) == 120
    assert action_names("ntu60")[0] == "drink water" and action_names("ntu120")[:60] == action_names("ntu60")
    assert action_codes("ucla") == {
        f"a{code:02d}": label for label, code in enumerate((1, 2, 3, 4, 5, 6, 8, 9, 11, 12))
    }
    assert len(missing_skeletons("ntu60")) == 302 and len(missing_skeletons("ntu120")) == 535
    assert missing_skeletons("ucla") == frozenset()


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_a_stored_declaration_rebuilds_the_dataset(name):
    info = DATASETS[name]
    stored = json.dumps(info.declaration, sort_keys=True)
    assert info_from_declaration(stored) is info
    assert json.loads(stored)["actions"] == action_names(name)


# --------------------------------------------------------------------------------------------------------
# A user's declaration.


def _declaration() -> dict:
    return {
        "name": "mini",
        "layout": {
            "name": "mini-layout",
            "joints": ["hip", "chest", "head", "hand"],
            "parents": ["hip", "hip", "chest", 1],
            "centre": ["hip", "chest"],
            "persons": 1,
            "channels": ["x", "y", "confidence"],
            "reference": [["hip", "chest"]],
        },
        "actions": "actions.tsv",
        "raw_format": "clip_arrays",
        "splits": {"xsub": {"column": "subject", "test": [3]}, "given": {"column": "split"}},
        "validation_unit": "subject",
        "recipe": {"random_rot_2d": 10},
    }


def _write(folder: Path, data: dict, actions: int = 2) -> Path:
    rows = ["label\tcode\tname", *(f"{i}\tA{i}\taction {i}" for i in range(actions))]
    (folder / "actions.tsv").write_text("\n".join(rows) + "\n")
    path = folder / "mini.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_a_user_declaration_loads(tmp_path):
    info = load_declaration(_write(tmp_path, _declaration()))
    assert info.num_class == 2 and action_names_of(info) == ["action 0", "action 1"]
    assert info.layout.parents == (0, 0, 1, 1) and info.layout.centre == (0, 1)
    assert info.layout.reference == ((0, 1),) and info.layout.has_confidence
    assert info.shards == ("all",) and info.shard_by is None and info.validation_unit == "subject"
    assert info.splits["xsub"].is_train(1) and not info.splits["xsub"].is_train(3)
    assert info.splits["given"].explicit and info.recipe_defaults == {"random_rot_2d": 10}
    rebuilt = info_from_declaration(json.dumps(info.declaration))
    assert rebuilt == info and rebuilt.layout == info.layout
    register(info)
    assert dataset_info("mini") is info and layout_named("mini-layout") == info.layout


def action_names_of(info) -> list[str]:
    return [name for _, _, name in info.action_table]


BAD = [
    (lambda d: d["layout"]["parents"].__setitem__(3, 7), "layout.parents[3]", "outside 0..3"),
    (lambda d: d["layout"]["parents"].__setitem__(3, "foot"), "layout.parents[3]", "unknown joint name"),
    (lambda d: d["layout"]["parents"].__setitem__(0, "chest"), "layout.parents", "not a tree"),
    (lambda d: d["layout"].__setitem__("centre", 9), "layout.centre", "outside 0..3"),
    (lambda d: d.__setitem__("num_class", 3), "num_class", "lists 2 action names"),
    (lambda d: d.__setitem__("raw_format", "bvh"), "raw_format", "unknown raw format"),
    (lambda d: d["splits"].__setitem__("xsub", {"column": "subject", "test": [3], "train": [1]}), "splits.xsub", "not both"),
    (lambda d: d["splits"].__setitem__("xsub", {"test": [3]}), "splits.xsub.column", "must name"),
    (lambda d: d["splits"].__setitem__("xsub", {"column": "subject", "tset": [3]}), "splits.xsub.tset", "unknown key"),
    (lambda d: d.__setitem__("persons", 2), "persons", "unknown key"),
    (lambda d: d["layout"].__setitem__("channels", ["x", "confidence"]), "layout.channels", "is not one of"),
    (lambda d: d.__setitem__("actions", "nowhere.tsv"), "actions", "cannot read"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "key", "reason"), BAD)
def test_a_bad_declaration_names_the_file_and_the_key(tmp_path, change, key, reason):
    data = _declaration()
    change(data)
    path = _write(tmp_path, data)
    with pytest.raises(DeclarationError) as failure:
        load_declaration(path)
    assert str(failure.value).startswith(f"{path}: key {key}: "), str(failure.value)
    assert reason in str(failure.value)


def test_unknown_recipe_keys_and_package_names_are_refused(tmp_path):
    data = _declaration()
    data["recipe"] = {"random_rot": True, "epoch": 3}
    with pytest.raises(DeclarationError, match=r"key recipe\.epoch: unknown recipe key"):
        load_declaration(_write(tmp_path, data), recipe_keys=("random_rot", "window"))
    data = _declaration()
    data["name"] = next(iter(DATASETS))
    with pytest.raises(DeclarationError, match="is a dataset of the package"):
        register(load_declaration(_write(tmp_path, data)))


def test_declarations_of_the_package_formats_need_train_values():
    data = yaml.safe_load((REPO / "hypergcn/resources/datasets/ucla.yaml").read_text())
    data["splits"]["xview"] = {"column": "view"}
    with pytest.raises(DeclarationError, match=r"key splits\.xview: a ucla_json split rule lists the train"):
        declaration_info(data, "ucla.yaml")


def test_the_schema_grows_by_a_declared_dataset(tmp_path):
    import jsonschema

    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    info = load_declaration(_write(tmp_path, _declaration()))
    extended = extend_schema(schema, [info])
    config = {
        "run": ["mini"],
        "datasets": {"mini": {"declaration": "mini.yaml", "raw_dir": "clips"}},
        "experiments": {"mini": {"benchmarks": ["given"], "sizes": ["base"]}},
        "recipe_overrides": {"mini/given": {"epochs": 1}, "*/xsub/base": {"window": 8}},
        "ensemble": {"weights": {"mini/xsub/base": {"j_b": [1, 2]}}},
    }
    jsonschema.validate(config, extended)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(config, schema)
    assert "mini" not in schema["definitions"]["dataset_name"]["enum"]  # the schema itself is unchanged
