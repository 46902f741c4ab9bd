"""Facts about the supported datasets: sizes, layouts, benchmarks and official splits (method §4.4, §4.6)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class DatasetInfo:
    """Static description of one dataset's skeleton layout and benchmarks."""

    name: str
    num_class: int
    num_point: int
    num_person: int
    benchmarks: tuple[str, ...]
    layout: str  # "ntu" (25 joints, .skeleton text) or "ucla" (20 joints, JSON)
    raw_files: int | None  # number of raw files a complete download holds (None: generated)


DATASETS: dict[str, DatasetInfo] = {
    "ntu60": DatasetInfo("ntu60", 60, 25, 2, ("xsub", "xview"), "ntu", 56_880),
    "ntu120": DatasetInfo("ntu120", 120, 25, 2, ("xsub", "xset"), "ntu", 114_480),
    "ucla": DatasetInfo("ucla", 10, 20, 1, ("xview",), "ucla", 1_484),
    # The synthetic demo uses the NTU layout; its class count comes from the config (build_model override).
    "demo": DatasetInfo("demo", 8, 25, 2, ("xsub",), "ntu", None),
}

MODALITIES: tuple[str, ...] = ("joint", "bone", "joint_motion", "bone_motion")
SIZES: tuple[str, ...] = ("base", "large")
# Stream sets fused by the ensemble, by their short names (j = joint, b = bone, jm/bm = motions).
STREAM_SETS: dict[str, tuple[str, ...]] = {
    "j_b": ("joint", "bone"),
    "j_b_jm": ("joint", "bone", "joint_motion"),
    "j_b_jm_bm": ("joint", "bone", "joint_motion", "bone_motion"),
}

# NTU setups: NTU-60 is S001-S017; NTU-120 adds S018-S032 (a second download).
NTU_SETUPS: dict[str, tuple[str, ...]] = {
    "ntu60": tuple(f"S{s:03d}" for s in range(1, 18)),
    "ntu120": tuple(f"S{s:03d}" for s in range(1, 33)),
}

# Official splits (method §4.4).
NTU60_XSUB_TRAIN_SUBJECTS = frozenset(
    {1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19, 25, 27, 28, 31, 34, 35, 38}
)
NTU120_XSUB_TRAIN_SUBJECTS = NTU60_XSUB_TRAIN_SUBJECTS | frozenset(
    {45, 46, 47, 49, 50, 52, 53, 54, 55, 56, 57, 58, 59, 70, 74, 78, 80, 81, 82, 83, 84, 85, 86, 89, 91, 92}
    | {93, 94, 95, 97, 98, 100, 103}
)
NTU60_XVIEW_TRAIN_CAMERAS = (2, 3)  # test: camera 1
# NTU-120 cross-setup: train on even setups 2-32, test on odd setups 1-31.

UCLA_TRAIN_VIEWS = ("v01", "v02")
UCLA_TEST_VIEWS = ("v03",)


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
    rows = _read_tsv("ucla_actions.tsv" if info.layout == "ucla" else "ntu_actions.tsv")
    return [name for _, _, name in rows][: info.num_class]


def ucla_action_codes() -> dict[str, int]:
    """NW-UCLA action code (``a01`` ... ``a12``) to 0-based label."""
    return {code: label for label, code, _ in _read_tsv("ucla_actions.tsv")}


@cache
def missing_skeletons(dataset: str) -> frozenset[str]:
    """Sample names whose skeletons are known to be missing from the NTU download (skipped by parsing)."""
    if dataset not in ("ntu60", "ntu120"):
        return frozenset()
    text = resources.files("hypergcn.resources").joinpath(f"{dataset}_missing_skeletons.txt").read_text()
    return frozenset(line.strip() for line in text.splitlines() if line.strip())
