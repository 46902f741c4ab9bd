"""Declarations of the supported datasets: every fact that differs between them, in one place.

Code never branches on a dataset's name; it reads an attribute of the dataset's :class:`DatasetInfo`
(the raw reader, the shards, the split rules, the authors' second-actor rule, the generated demo, ...).
The facts are those of the datasets' papers and the authors' preprocessing (docs/method.md#benchmark-files,
docs/method.md#nw-ucla).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from hypergcn.layouts import NTU, UCLA, Layout

MODALITIES: tuple[str, ...] = ("joint", "bone", "joint_motion", "bone_motion")
SIZES: tuple[str, ...] = ("base", "large")
# Stream sets fused by the ensemble, by their short names (j = joint, b = bone, jm/bm = motions).
STREAM_SETS: dict[str, tuple[str, ...]] = {
    "j_b": ("joint", "bone"),
    "j_b_jm": ("joint", "bone", "joint_motion"),
    "j_b_jm_bm": ("joint", "bone", "joint_motion", "bone_motion"),
}
# Raw formats, each read by its own module of hypergcn.data.
RAW_FORMATS: tuple[str, ...] = ("ntu_skeleton", "ucla_json")


@dataclass(frozen=True)
class SplitRule:
    """How a benchmark splits samples: by one field of the sample name (``performer``, ``camera``,
    ``setup`` or ``view``); samples whose value is in ``train`` train, the others test.

    ``ordered`` sorts each split by that field first (then by name), as the authors' NTU transform does.
    """

    field: str
    train: frozenset[int]
    ordered: bool = True

    def is_train(self, value: int) -> bool:
        return value in self.train


@dataclass(frozen=True)
class Download:
    """One archive of raw files and the shards it holds (for messages about partial downloads)."""

    archive: str
    shards: tuple[str, ...]


@dataclass(frozen=True)
class DatasetInfo:
    """Static declaration of one dataset.

    Attributes:
        name: the dataset's key in the config and in every path.
        num_class: classes of a complete dataset (the demo's count comes from its config).
        layout: the skeleton layout (joints, bones, persons).
        raw_format: the reader of its raw files, one of :data:`RAW_FORMATS`.
        splits: benchmark name -> split rule.
        shards: the parsing shards (NTU setups, NW-UCLA views); a generated dataset takes them from config.
        raw_files: files of a complete download (None: generated).
        raw_content: what ``datasets.<name>.raw_dir`` should hold, for messages.
        downloads: the archives a complete download consists of.
        actions: resource file of the action names (label, code, name).
        missing_skeletons: resource file of the sample names whose skeletons the download lacks, or None.
        authors_second_actor: what the authors do with a one-actor sample's empty second slot
            (``zeros`` or ``copy``; docs/method.md#q9-data-preparation-quirks).
        validation_unit: the grouping field of a held-out validation split (whole performers or subjects).
        generated: the raw files are synthesised by ``hypergcn demo`` rather than downloaded.
        cpu_threads: threads per training job on a CPU-only machine (None: the rule's default). The demo's
            small trainings run faster side by side, one core each (docs/benchmarks.md#training).
        loader_defaults: benchmark -> loader options the authors' configs set for it.
    """

    name: str
    num_class: int
    layout: Layout
    raw_format: str
    splits: dict[str, SplitRule]
    shards: tuple[str, ...]
    raw_files: int | None
    raw_content: str
    downloads: tuple[Download, ...] = ()
    actions: str = "ntu_actions.tsv"
    missing_skeletons: str | None = None
    authors_second_actor: str = "copy"
    validation_unit: str = "performer"
    generated: bool = False
    cpu_threads: int | None = None
    loader_defaults: dict[str, dict[str, object]] = field(default_factory=dict)

    @property
    def benchmarks(self) -> tuple[str, ...]:
        return tuple(self.splits)

    @property
    def num_point(self) -> int:
        return self.layout.num_joints

    @property
    def num_person(self) -> int:
        return self.layout.persons

    @property
    def denoised(self) -> bool:
        """NTU ``.skeleton`` data goes through the body filters and actor selection; JSON clips do not."""
        return self.raw_format == "ntu_skeleton"


def _setups(first: int, last: int) -> tuple[str, ...]:
    return tuple(f"S{s:03d}" for s in range(first, last + 1))


_NTU60_ZIP = Download("nturgbd_skeletons_s001_to_s017.zip", _setups(1, 17))
_NTU120_ZIP = Download("nturgbd_skeletons_s018_to_s032.zip", _setups(18, 32))

# Cross-subject training performers (the datasets' papers).
_NTU60_XSUB_TRAIN = frozenset({1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19, 25, 27, 28, 31, 34, 35, 38})
_NTU120_XSUB_TRAIN = _NTU60_XSUB_TRAIN | frozenset(
    {45, 46, 47, 49, 50, 52, 53, 54, 55, 56, 57, 58, 59, 70, 74, 78, 80, 81, 82, 83, 84, 85, 86, 89, 91, 92}
    | {93, 94, 95, 97, 98, 100, 103}
)
_NTU60_XSUB = SplitRule("performer", _NTU60_XSUB_TRAIN)
_NTU60_XVIEW = SplitRule("camera", frozenset({2, 3}))  # test: camera 1
_NTU120_XSET = SplitRule("setup", frozenset(range(2, 33, 2)))  # train: even setups, test: odd
# NTU-60 cross-view: the authors' config samples uniform clips and aligns the shoulders (docs/method.md#ntu-loader).
_NTU60_XVIEW_LOADER = {"frame_sample": "clips", "align": True}

DATASETS: dict[str, DatasetInfo] = {
    "ntu60": DatasetInfo(
        name="ntu60",
        num_class=60,
        layout=NTU,
        raw_format="ntu_skeleton",
        splits={"xsub": _NTU60_XSUB, "xview": _NTU60_XVIEW},
        shards=_setups(1, 17),
        raw_files=56_880,
        raw_content=f"the 56,880 .skeleton files (setups S001-S017) extracted from {_NTU60_ZIP.archive} "
        "(the folder nturgb+d_skeletons/)",
        downloads=(_NTU60_ZIP,),
        missing_skeletons="ntu60_missing_skeletons.txt",
        authors_second_actor="zeros",
        loader_defaults={"xview": _NTU60_XVIEW_LOADER},
    ),
    "ntu120": DatasetInfo(
        name="ntu120",
        num_class=120,
        layout=NTU,
        raw_format="ntu_skeleton",
        splits={"xsub": SplitRule("performer", _NTU120_XSUB_TRAIN), "xset": _NTU120_XSET},
        shards=_setups(1, 32),
        raw_files=114_480,
        raw_content=f"the 114,480 .skeleton files of both downloads: 56,880 (S001-S017) from "
        f"{_NTU60_ZIP.archive} and 57,600 more (S018-S032) from {_NTU120_ZIP.archive}; a list of the two "
        "extracted folders is fine",
        downloads=(_NTU60_ZIP, _NTU120_ZIP),
        missing_skeletons="ntu120_missing_skeletons.txt",
        authors_second_actor="copy",
    ),
    "ucla": DatasetInfo(
        name="ucla",
        num_class=10,
        layout=UCLA,
        raw_format="ucla_json",
        splits={"xview": SplitRule("view", frozenset({1, 2}), ordered=False)},  # test: view 3
        shards=("v01", "v02", "v03"),
        raw_files=1_484,
        raw_content="the NW-UCLA all_sqe folder: 1,484 <name>.json files such as a01_s01_e00_v01.json",
        actions="ucla_actions.tsv",
        validation_unit="subject",
    ),
    # The synthetic demo: NTU layout and format, generated by `hypergcn demo`; its class count and setups
    # come from the `demo:` block of the config.
    "demo": DatasetInfo(
        name="demo",
        num_class=8,
        layout=NTU,
        raw_format="ntu_skeleton",
        splits={"xsub": _NTU60_XSUB},
        shards=(),
        raw_files=None,
        raw_content="synthetic .skeleton files (the workflow generates them under results/raw/demo)",
        authors_second_actor="zeros",
        generated=True,
        cpu_threads=1,
    ),
}
# Every parsing shard name any dataset can have (NTU setups S001-S032, NW-UCLA views), for wildcards.
SHARD_PATTERN = r"S0[0-3]\d|v0[1-3]"
BENCHMARKS: tuple[str, ...] = tuple(dict.fromkeys(b for info in DATASETS.values() for b in info.benchmarks))


def dataset_info(name: str) -> DatasetInfo:
    """Look up a dataset by name, with an error that lists the valid names."""
    try:
        return DATASETS[name]
    except KeyError:
        raise ValueError(f"unknown dataset {name!r}; expected one of {sorted(DATASETS)}") from None


@cache
def _read_tsv(resource: str) -> tuple[tuple[int, str, str], ...]:
    text = resources.files("hypergcn.resources").joinpath(resource).read_text()
    rows = csv.DictReader(text.splitlines(), delimiter="\t")
    return tuple((int(r["label"]), r["code"], r["name"]) for r in rows)


def action_names(dataset: str) -> list[str]:
    """Human-readable class names in label order (0-based)."""
    info = dataset_info(dataset)
    return [name for _, _, name in _read_tsv(info.actions)][: info.num_class]


def action_codes(dataset: str) -> dict[str, int]:
    """Action code of the raw file names (NW-UCLA ``a01`` ... ``a12``, NTU ``A001`` ...) to 0-based label."""
    return {code: label for label, code, _ in _read_tsv(dataset_info(dataset).actions)}


@cache
def missing_skeletons(dataset: str) -> frozenset[str]:
    """Sample names whose skeletons are known to be missing from the download (skipped by parsing)."""
    resource = dataset_info(dataset).missing_skeletons
    if resource is None:
        return frozenset()
    text = resources.files("hypergcn.resources").joinpath(resource).read_text()
    return frozenset(line.strip() for line in text.splitlines() if line.strip())
