"""Declarations of the supported datasets: every fact that differs between them, in one place.

Code never branches on a dataset's name; it reads an attribute of the dataset's :class:`DatasetInfo`
(the raw reader, the shards, the split rules, the authors' second-actor rule, the generated demo, ...).
The facts are those of the datasets' papers and the authors' preprocessing (docs/method.md#benchmark-files,
docs/method.md#nw-ucla).

Declarations are data: the package's datasets are YAML files in ``hypergcn/resources/datasets``, in the
format a user writes for a dataset of their own (docs/layouts.md#the-declaration); :func:`load_declaration`
reads a user's file and :func:`register` makes its name known to :func:`dataset_info`. Every error in a
declaration is a :class:`DeclarationError` naming the file and the key. :attr:`DatasetInfo.declaration` is
the declaration as plain JSON-able data with the actions inlined, which the benchmark file stores
(attribute ``declaration``), so everything after the build rebuilds the dataset from the file alone
(:func:`info_from_declaration`).
"""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from hypergcn.layouts import (
    DeclarationError,
    Layout,
    layout_from_mapping,
    layout_mapping,
    package_layout,
    register_layout,
)

MODALITIES: tuple[str, ...] = ("joint", "bone", "joint_motion", "bone_motion")
SIZES: tuple[str, ...] = ("base", "large")
# Stream sets fused by the ensemble, by their short names (j = joint, b = bone, jm/bm = motions).
STREAM_SETS: dict[str, tuple[str, ...]] = {
    "j_b": ("joint", "bone"),
    "j_b_jm": ("joint", "bone", "joint_motion"),
    "j_b_jm_bm": ("joint", "bone", "joint_motion", "bone_motion"),
}
# Raw formats, each read by its own module of hypergcn.data.
RAW_FORMATS: tuple[str, ...] = ("ntu_skeleton", "ucla_json", "clip_arrays")
# Generators of a generated dataset's raw files (``generated:``): the NTU-format demo (rule
# make_demo_skeletons) and the COCO-17 clip demo (rule make_demo_clips), each with whether its motions are
# the declared actions (the COCO-17 demo's are; the NTU demo's synthetic primitives only borrow NTU's labels,
# so figures number its classes rather than print a real action's name).
GENERATORS: dict[str, bool] = {"ntu_skeletons": False, "coco17_clips": True}


def _normal(value: Any) -> str:
    """A manifest or rule value as a split rule compares it: integers by value (``"03"`` is ``3``)."""
    text = str(value).strip()
    try:
        return str(int(text))
    except ValueError:
        return text


@dataclass(frozen=True)
class SplitRule:
    """How a benchmark splits samples, by one field (``column``): of the sample name for the package's
    formats (``performer``, ``camera``, ``setup`` or ``view``), of the manifest for clip folders.

    ``train`` values train and the others test; or ``test`` values test and the others train; with
    neither, the field holds ``train`` or ``test`` itself (an explicit split column). ``ordered`` sorts
    each split by that field first (then by name), as the authors' NTU transform does.
    """

    field: str
    train: frozenset | None = None
    ordered: bool = True
    test: frozenset | None = None

    @property
    def column(self) -> str:
        return self.field

    @property
    def explicit(self) -> bool:
        return self.train is None and self.test is None

    def split_of(self, value: str) -> str | None:
        """``"train"`` or ``"test"`` for a manifest row whose rule column holds ``value`` (text); None if an
        explicit split column holds something else (any case of ``train``/``test`` counts)."""
        if self.explicit:
            split = value.strip().lower()
            return split if split in ("train", "test") else None
        listed = self.test if self.test is not None else self.train
        inside = _normal(value) in {_normal(v) for v in listed}
        return ("test" if inside else "train") if self.test is not None else ("train" if inside else "test")

    def is_train(self, value: Any) -> bool:
        if self.test is not None:
            return value not in self.test
        if self.train is not None:
            return value in self.train
        return str(value).strip().lower() == "train"

    def as_data(self) -> dict[str, Any]:
        """The rule as a declaration writes it."""
        data: dict[str, Any] = {"column": self.field}
        for key in ("train", "test"):
            values = getattr(self, key)
            if values is not None:
                data[key] = sorted(values, key=lambda v: (isinstance(v, str), v))
        if not self.ordered:
            data["ordered"] = False
        return data


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
        num_class: classes of a complete dataset (a generated dataset's count comes from its config).
        layout: the skeleton layout (joints, bones, persons, channels).
        raw_format: the reader of its raw files, one of :data:`RAW_FORMATS`.
        splits: benchmark name -> split rule.
        shards: the parsing shards (NTU setups, NW-UCLA views); a generated dataset takes them from config;
            a clip folder's are the values of its ``shard_by`` column (``("all",)`` without one).
        raw_files: files of a complete download (None: generated, or not declared).
        raw_content: what ``datasets.<name>.raw_dir`` should hold, for messages.
        downloads: the archives a complete download consists of.
        actions: the action names' TSV file (label, code, name): a resource of the package, or the path of
            a user's file.
        missing_skeletons: resource file of the sample names whose skeletons the download lacks, or None.
        authors_second_actor: what the authors do with a one-actor sample's empty second slot
            (``zeros`` or ``copy``; docs/method.md#q9-data-preparation-quirks).
        validation_unit: the grouping field of a held-out validation split (whole performers or subjects;
            None: single clips).
        generated: the raw files are synthesised by the workflow rather than downloaded.
        cpu_threads: threads per training job on a CPU-only machine (None: the rule's default). The demo's
            small trainings run faster side by side, one core each (docs/benchmarks.md#training).
        loader_defaults: benchmark -> loader options the authors' configs set for it.
        recipe_defaults: the declaration's ``recipe:``, per-dataset defaults of recipe keys.
        shard_by: clip folders: the manifest column whose values are the parse shards (None: one shard).
        generator: the generator of a generated dataset's raw files, one of :data:`GENERATORS`.
        action_table: (label, code, name) of every class, in label order.
        declaration: the declaration as plain JSON-able data, actions inlined (the benchmark file's
            ``declaration`` attribute).
        source: the file it was read from (messages).
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
    actions: str = field(default="ntu_actions.tsv", compare=False)
    missing_skeletons: str | None = None
    authors_second_actor: str = "copy"
    validation_unit: str | None = "performer"
    generated: bool = False
    cpu_threads: int | None = None
    loader_defaults: dict[str, dict[str, object]] = field(default_factory=dict)
    recipe_defaults: dict[str, Any] = field(default_factory=dict)
    shard_by: str | None = None
    generator: str | None = None
    action_table: tuple[tuple[int, str, str], ...] = field(default=(), compare=False)
    declaration: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    source: str = field(default="", compare=False)

    @property
    def actions_named(self) -> bool:
        """Whether the action names describe the samples (see :data:`GENERATORS`)."""
        return self.generator is None or GENERATORS[self.generator]

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
        """NTU ``.skeleton`` data goes through the body filters and actor selection; the others do not."""
        return self.raw_format == "ntu_skeleton"


DECLARATION_KEYS: tuple[str, ...] = (
    "name", "layout", "actions", "action_codes", "num_class", "raw_format", "shards", "shard_by", "splits",
    "validation_unit", "recipe", "downloads", "raw_files", "raw_content", "missing_skeletons",
    "authors_second_actor", "loader_defaults", "cpu_threads", "generated",
)  # fmt: skip
SPLIT_KEYS: tuple[str, ...] = ("column", "train", "test", "ordered")
SECOND_ACTOR_RULES: tuple[str, ...] = ("zeros", "copy")
# A dataset or benchmark name is a path part and a workflow wildcard value.
_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_CLIP_CONTENT = (
    "a folder of <clip>.npz files (array 'keypoints') and manifest.csv (docs/layouts.md#the-clip-folder)"
)


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and bool(value) and value[0].isalpha() and set(value) <= _NAME_CHARS


class _Declaration:
    """One declaration being read: its data, where it came from (messages) and how to find its files."""

    def __init__(self, data: Any, source: str, base: Path | None) -> None:
        if not isinstance(data, Mapping):
            raise DeclarationError(source, "(top level)", "a declaration is a mapping of keys (YAML)")
        self.data, self.source, self.base = data, source, base
        unknown = [key for key in data if key not in DECLARATION_KEYS]
        if unknown:
            raise self.error(str(unknown[0]), f"unknown key; the keys are {list(DECLARATION_KEYS)}")

    def error(self, key: str, reason: str) -> DeclarationError:
        return DeclarationError(self.source, key, reason)

    def get(self, key: str, kinds: type | tuple[type, ...], default: Any = None) -> Any:
        """The value of ``key`` (``default`` when absent or null), checked to be of ``kinds``."""
        value = self.data.get(key)
        if value is None:
            return default
        boolean = isinstance(value, bool) and bool not in (kinds if isinstance(kinds, tuple) else (kinds,))
        if boolean or not isinstance(value, kinds):  # YAML's true is no integer here
            raise self.error(key, f"{value!r} is not a {_kind_names(kinds)}")
        return value

    def text(self, resource: str) -> str:
        """A file the declaration names: relative to the declaration file, or a resource of the package."""
        if self.base is None:
            return resources.files("hypergcn.resources").joinpath(resource).read_text(encoding="utf-8")
        return (self.base / resource).read_text(encoding="utf-8-sig")

    def path_of(self, resource: str) -> str:
        return resource if self.base is None else str((self.base / resource).resolve())


def _kind_names(kinds: type | tuple[type, ...]) -> str:
    names = {"str": "string", "int": "integer", "list": "list", "dict": "mapping", "Mapping": "mapping"}
    kinds = kinds if isinstance(kinds, tuple) else (kinds,)
    return " or ".join(names.get(kind.__name__, kind.__name__) for kind in kinds)


def _action_rows(decl: _Declaration, text: str, where: str) -> list[tuple[int, str, str]]:
    rows = list(csv.DictReader(text.splitlines(), delimiter="\t"))
    if not rows or not {"label", "code", "name"} <= set(rows[0]):
        raise decl.error("actions", f"{where}: a TSV file with the columns label, code, name (tab-separated)")
    table = []
    for number, row in enumerate(rows):
        try:
            label = int(row["label"])
        except (TypeError, ValueError):
            label = -1
        if label != number:
            raise decl.error(
                "actions", f"{where}: row {number + 2} has label {row['label']!r}, expected {number}"
            )
        table.append((label, (row["code"] or "").strip(), (row["name"] or "").strip()))
    return table


def _actions(decl: _Declaration) -> tuple[str, list[tuple[int, str, str]]]:
    """The actions file (or ``""`` when inlined) and the (label, code, name) rows the declaration selects."""
    value = decl.data.get("actions")
    if isinstance(value, list):  # inlined names (a benchmark file's declaration)
        if not value or not all(isinstance(name, str) for name in value):
            raise decl.error("actions", "an inlined action list must hold one name per class")
        codes = decl.data.get("action_codes") or value
        if not isinstance(codes, list) or len(codes) != len(value):
            raise decl.error("action_codes", f"must list one code per action ({len(value)})")
        return "", [
            (label, str(code), name) for label, (code, name) in enumerate(zip(codes, value, strict=True))
        ]
    first = None
    if isinstance(value, Mapping):
        extra = sorted(set(value) - {"file", "first"})
        if extra or not isinstance(value.get("first"), int):
            raise decl.error("actions", "the mapping form is {file: <TSV file>, first: <number of classes>}")
        value, first = value.get("file"), value["first"]
    if not isinstance(value, str) or not value:
        raise decl.error("actions", "must name the action names' TSV file (columns label, code, name)")
    try:
        text = decl.text(value)
    except OSError as exc:
        raise decl.error("actions", f"cannot read {value!r} ({exc})") from None
    rows = _action_rows(decl, text, value)
    if first is not None:
        if not 1 <= first <= len(rows):
            raise decl.error("actions.first", f"{first} is outside 1..{len(rows)}, the rows of {value}")
        rows = rows[:first]
    return decl.path_of(value), rows


def _layout(decl: _Declaration) -> Layout:
    value = decl.data.get("layout")
    if isinstance(value, str):
        try:
            return package_layout(value)
        except FileNotFoundError:
            raise decl.error(
                "layout", f"{value!r} is not a layout of the package; declare it as a mapping"
            ) from None
    return layout_from_mapping(value, decl.source, "layout")


def _values(decl: _Declaration, key: str, value: Any) -> frozenset | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value or not all(isinstance(v, int | str) for v in value):
        raise decl.error(key, "must be a non-empty list of the column's values")
    return frozenset(value)


def _split_rule(decl: _Declaration, benchmark: Any, rule: Any, raw_format: str) -> SplitRule:
    key = f"splits.{benchmark}"
    if not _is_name(benchmark):
        raise decl.error(key, "a benchmark name is letters, digits and _, starting with a letter")
    if not isinstance(rule, Mapping):
        raise decl.error(
            key, "a split rule is {column: C, test: [values]}, {column: C, train: [...]} or {column: C}"
        )
    unknown = sorted(set(rule) - set(SPLIT_KEYS))
    if unknown:
        raise decl.error(
            f"{key}.{unknown[0]}", f"unknown key of a split rule; the keys are {list(SPLIT_KEYS)}"
        )
    column = rule.get("column")
    if not isinstance(column, str) or not column:
        raise decl.error(f"{key}.column", "must name the field (manifest column) the split reads")
    train = _values(decl, f"{key}.train", rule.get("train"))
    test = _values(decl, f"{key}.test", rule.get("test"))
    if train is not None and test is not None:
        raise decl.error(key, "give train or test values, not both")
    if train is None and test is None and raw_format != "clip_arrays":
        raise decl.error(key, f"a {raw_format} split rule lists the train values (no explicit split column)")
    ordered = rule.get("ordered", raw_format != "clip_arrays")
    if not isinstance(ordered, bool):
        raise decl.error(f"{key}.ordered", "must be true or false")
    return SplitRule(column, train, ordered, test)


def _splits(decl: _Declaration, raw_format: str) -> dict[str, SplitRule]:
    splits = decl.data.get("splits")
    if not isinstance(splits, Mapping) or not splits:
        raise decl.error("splits", "must map each benchmark name to its split rule")
    return {str(name): _split_rule(decl, name, rule, raw_format) for name, rule in splits.items()}


def _names(decl: _Declaration, key: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise decl.error(key, "must be a list of names")
    return tuple(value)


def _downloads(decl: _Declaration) -> tuple[Download, ...]:
    downloads = decl.get("downloads", list, [])
    for number, entry in enumerate(downloads):
        if not isinstance(entry, Mapping) or set(entry) != {"archive", "shards"}:
            raise decl.error(f"downloads[{number}]", "each download is {archive: <file name>, shards: [...]}")
    return tuple(
        Download(str(e["archive"]), _names(decl, f"downloads[{n}].shards", e["shards"]))
        for n, e in enumerate(downloads)
    )


def _formats(decl: _Declaration) -> tuple[str, str | None, str | None]:
    """The raw format, the generator and the ``shard_by`` column, checked against each other."""
    raw_format = decl.data.get("raw_format")
    if raw_format not in RAW_FORMATS:
        raise decl.error(
            "raw_format", f"unknown raw format {raw_format!r}; choose one of {list(RAW_FORMATS)}"
        )
    generator = decl.data.get("generated")
    if generator is not None and generator not in GENERATORS:
        raise decl.error("generated", f"unknown generator {generator!r}; choose one of {list(GENERATORS)}")
    shard_by = decl.get("shard_by", str)
    if shard_by is not None and raw_format != "clip_arrays":
        raise decl.error("shard_by", f"only a clip_arrays dataset has a shard column, not a {raw_format} one")
    return raw_format, generator, shard_by


def _loader_defaults(decl: _Declaration, splits: Mapping[str, SplitRule]) -> dict[str, dict[str, object]]:
    value = decl.get("loader_defaults", Mapping, {})
    for benchmark, options in value.items():
        if benchmark not in splits or not isinstance(options, Mapping):
            raise decl.error(
                f"loader_defaults.{benchmark}", f"must map a benchmark of {list(splits)} to options"
            )
    return {str(b): dict(options) for b, options in value.items()}


def _check_num_class(decl: _Declaration, rows: list[tuple[int, str, str]]) -> int:
    num_class = decl.get("num_class", int, len(rows))
    if num_class != len(rows):
        raise decl.error(
            "num_class",
            f"{num_class} classes, but the action file lists {len(rows)} action names; they must be equal "
            "(the mapping form {file: F, first: N} takes the first N rows of a longer file)",
        )
    return num_class


def _facts(decl: _Declaration, raw_format: str, generator: str | None) -> dict[str, Any]:
    """The keys of the package's raw formats and of messages (downloads, missing skeletons, ...)."""
    second_actor = decl.get("authors_second_actor", str, "copy")
    if second_actor not in SECOND_ACTOR_RULES:
        raise decl.error("authors_second_actor", f"must be one of {list(SECOND_ACTOR_RULES)}")
    missing = decl.get("missing_skeletons", str)
    cpu_threads = decl.get("cpu_threads", int)
    if cpu_threads is not None and cpu_threads < 1:
        raise decl.error("cpu_threads", "must be at least 1")
    default_content = (
        _CLIP_CONTENT if raw_format == "clip_arrays" else f"the {raw_format} files of the dataset"
    )
    return {
        "raw_files": decl.get("raw_files", int),
        "raw_content": decl.get("raw_content", str, default_content),
        "downloads": _downloads(decl),
        "missing_skeletons": decl.path_of(missing) if missing else None,
        "authors_second_actor": second_actor,
        "generated": generator is not None,
        "generator": generator,
        "cpu_threads": cpu_threads,
    }


def declaration_info(data: Any, source: str, base: Path | None = None) -> DatasetInfo:
    """The :class:`DatasetInfo` of a declaration's data; ``source`` names it in errors, ``base`` is the
    folder its files are relative to (None: the package's resources, or actions inlined)."""
    decl = _Declaration(data, source, base)
    name = decl.data.get("name")
    if not _is_name(name):
        raise decl.error("name", f"{name!r}: a dataset name is letters, digits and _, starting with a letter")
    raw_format, generator, shard_by = _formats(decl)
    actions, rows = _actions(decl)
    num_class = _check_num_class(decl, rows)
    splits = _splits(decl, raw_format)
    default_shards = ("all",) if raw_format == "clip_arrays" and shard_by is None else ()
    shards = _names(decl, "shards", decl.data.get("shards")) or default_shards
    default_unit = None if raw_format == "clip_arrays" else "performer"
    info = DatasetInfo(
        name=name,
        num_class=num_class,
        layout=_layout(decl),
        raw_format=raw_format,
        splits=splits,
        shards=shards,
        actions=actions,
        validation_unit=decl.get("validation_unit", str, default_unit),
        loader_defaults=_loader_defaults(decl, splits),
        recipe_defaults=dict(decl.get("recipe", Mapping, {})),
        shard_by=shard_by,
        action_table=tuple(rows),
        source=source,
        **_facts(decl, raw_format, generator),
    )
    return _with_declaration(info)


def _with_declaration(info: DatasetInfo) -> DatasetInfo:
    """``info`` with :attr:`DatasetInfo.declaration` filled: plain data, actions inlined, files by name."""
    declaration = {
        "name": info.name,
        "layout": layout_mapping(info.layout),
        "actions": [name for _, _, name in info.action_table],
        "action_codes": [code for _, code, _ in info.action_table],
        "num_class": info.num_class,
        "raw_format": info.raw_format,
        "shards": list(info.shards),
        "shard_by": info.shard_by,
        "splits": {benchmark: rule.as_data() for benchmark, rule in info.splits.items()},
        "validation_unit": info.validation_unit,
        "recipe": info.recipe_defaults,
        "loader_defaults": info.loader_defaults,
        "downloads": [{"archive": d.archive, "shards": list(d.shards)} for d in info.downloads],
        "raw_files": info.raw_files,
        "raw_content": info.raw_content,
        "missing_skeletons": info.missing_skeletons and Path(info.missing_skeletons).name,
        "authors_second_actor": info.authors_second_actor,
        "cpu_threads": info.cpu_threads,
        "generated": info.generator,
    }
    json.dumps(declaration)  # plain data: fails here, not when a benchmark file is written
    info.declaration.update(declaration)
    return info


def load_declaration(path: str | Path, recipe_keys: Any = None) -> DatasetInfo:
    """Read a user's declaration file (docs/layouts.md#the-declaration); its ``actions`` file is relative
    to it. ``recipe_keys`` (the recipe's keys, from :mod:`hypergcn.config`) checks the ``recipe:`` keys.
    Every problem is a :class:`DeclarationError` naming the file and the key."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DeclarationError(
            path, "(file)", f"cannot read the declaration ({exc.strerror or exc})"
        ) from None
    except yaml.YAMLError as exc:
        raise DeclarationError(path, "(file)", f"not valid YAML: {exc}") from None
    info = declaration_info(data, str(path), path.resolve().parent)
    unknown = sorted(set(info.recipe_defaults) - set(recipe_keys)) if recipe_keys is not None else []
    if unknown:
        raise DeclarationError(
            path, f"recipe.{unknown[0]}", f"unknown recipe key; the keys are {sorted(recipe_keys)}"
        )
    return info


def info_from_declaration(declaration: Mapping[str, Any] | str, source: str = "declaration") -> DatasetInfo:
    """The :class:`DatasetInfo` of a stored declaration (a benchmark file's ``declaration`` attribute, JSON
    or parsed): the package's own dataset when it is one of them and equal, else the declared one."""
    data = json.loads(declaration) if isinstance(declaration, str) else declaration
    info = declaration_info(data, source)
    package = DATASETS.get(info.name)
    return package if package is not None and package == info else info


def _package_names() -> list[str]:
    folder = resources.files("hypergcn.resources").joinpath("datasets")
    return sorted(entry.name[: -len(".yaml")] for entry in folder.iterdir() if entry.name.endswith(".yaml"))


def _package_declaration(name: str) -> DatasetInfo:
    resource = resources.files("hypergcn.resources").joinpath("datasets").joinpath(f"{name}.yaml")
    source = f"hypergcn/resources/datasets/{name}.yaml"
    info = declaration_info(yaml.safe_load(resource.read_text(encoding="utf-8")), source)
    if info.name != name:
        raise DeclarationError(source, "name", f"{info.name!r} is not the file's name {name!r}")
    return info


# The package's datasets (hypergcn/resources/datasets/*.yaml).
DATASETS: dict[str, DatasetInfo] = {name: _package_declaration(name) for name in _package_names()}
# Datasets declared by the user (config `datasets.<name>.declaration`), registered at run time.
_DECLARED: dict[str, DatasetInfo] = {}
# A parsing shard name: a file name and a wildcard value (NTU setups, NW-UCLA views, clip-folder values).
SHARD_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.\-]*"
BENCHMARKS: tuple[str, ...] = tuple(dict.fromkeys(b for info in DATASETS.values() for b in info.benchmarks))


def register(info: DatasetInfo) -> DatasetInfo:
    """Make a user's dataset known to :func:`dataset_info` (and its layout to ``layout_named``). A name of
    the package's cannot be redeclared; a user's name may be registered again (the latest wins)."""
    if info.name in DATASETS:
        if DATASETS[info.name] == info:
            return DATASETS[info.name]
        raise DeclarationError(
            info.source, "name", f"{info.name!r} is a dataset of the package; give yours another name"
        )
    try:
        register_layout(info.layout)
    except ValueError as exc:
        raise DeclarationError(info.source, "layout.name", str(exc)) from None
    _DECLARED[info.name] = info
    return info


def known_datasets() -> dict[str, DatasetInfo]:
    """The package's datasets and the registered ones, by name."""
    return {**DATASETS, **_DECLARED}


def dataset_info(name: str) -> DatasetInfo:
    """Look up a dataset by name (the package's or a registered declaration), with an error that lists
    the valid names."""
    info = DATASETS.get(name) or _DECLARED.get(name)
    if info is None:
        raise ValueError(
            f"unknown dataset {name!r}; expected one of {sorted(known_datasets())} (a dataset of your own "
            "needs its declaration: datasets.<name>.declaration in the config, or --declaration FILE)"
        )
    return info


def action_names(dataset: str) -> list[str]:
    """Human-readable class names in label order (0-based)."""
    info = dataset_info(dataset)
    return [name for _, _, name in info.action_table][: info.num_class]


def action_codes(dataset: str) -> dict[str, int]:
    """Action code of the raw file names (NW-UCLA ``a01`` ... ``a12``, NTU ``A001`` ...) to 0-based label."""
    return {code: label for label, code, _ in dataset_info(dataset).action_table}


@cache
def _missing_text(resource: str) -> str:
    if Path(resource).is_absolute():
        return Path(resource).read_text()
    return resources.files("hypergcn.resources").joinpath(resource).read_text()


def missing_skeletons(dataset: str) -> frozenset[str]:
    """Sample names whose skeletons are known to be missing from the download (skipped by parsing)."""
    resource = dataset_info(dataset).missing_skeletons
    if resource is None:
        return frozenset()
    return frozenset(line.strip() for line in _missing_text(resource).splitlines() if line.strip())


def extend_schema(schema: dict[str, Any], infos: list[DatasetInfo]) -> dict[str, Any]:
    """The workflow's config schema with the user's declared datasets added to its dataset vocabularies:
    names (``run``, ``datasets``, ``experiments``), benchmarks, and the key patterns of
    ``recipe_overrides`` and ``ensemble.weights``. Returns a new schema; ``schema`` is unchanged."""
    schema = json.loads(json.dumps(schema))
    definitions, properties = schema["definitions"], schema["properties"]
    names = [info.name for info in infos]
    benchmarks = list(dict.fromkeys(b for info in infos for b in info.benchmarks))
    definitions["dataset_name"]["enum"] += [n for n in names if n not in definitions["dataset_name"]["enum"]]
    bench_enum = definitions["experiment"]["properties"]["benchmarks"]["items"]["enum"]
    bench_enum += [b for b in benchmarks if b not in bench_enum]
    for section, definition in (("datasets", "raw_source"), ("experiments", "experiment")):
        for name in names:
            properties[section]["properties"][name] = {"$ref": f"#/definitions/{definition}"}
    every = "|".join([*known_datasets(), *names])
    all_benchmarks = "|".join(dict.fromkeys([*BENCHMARKS, *benchmarks]))
    sizes, modalities = "|".join(SIZES), "|".join(MODALITIES)
    overrides = properties["recipe_overrides"]["patternProperties"]
    pattern = rf"^(\*|{every})(/(\*|{all_benchmarks})(/(\*|{sizes})(/(\*|{modalities}))?)?)?$"
    overrides[pattern] = next(iter(overrides.values()))
    weights = properties["ensemble"]["properties"]["weights"]["patternProperties"]
    weights[rf"^({'|'.join(names)})/({'|'.join(benchmarks)})/({sizes})$"] = next(iter(weights.values()))
    return schema


def add_dataset_arguments(parser: argparse.ArgumentParser) -> None:
    """``--dataset`` and ``--declaration``, for the commands that name a dataset before (or without) a
    benchmark file that would carry its declaration."""
    parser.add_argument("--dataset", required=True, help="a dataset of the package, or of --declaration")
    parser.add_argument(
        "--declaration", default=None, help="the declaration file of a dataset not of the package (YAML)"
    )
