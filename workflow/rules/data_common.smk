# Input functions and parameters of the data rules (data.smk): raw folder checks, shard lists, build options.
# Kept apart from the rules (snakemake --lint); included by data.smk.
import json

from snakemake.logging import logger

from hypergcn.data.raw import RawDataError, check_raw
from hypergcn.datasets import dataset_info

DEMO_RAW = "results/raw/demo"
_RAW_CHECKED = {}


def dataset_config(dataset):
    """The datasets.<name> block of the config (raw_dir, on_bad_file, strict, max_frames)."""
    return (config.get("datasets") or {}).get(dataset) or {}


def raw_is_generated(dataset):
    """The demo's raw files are made by make_demo_skeletons unless raw_dir points elsewhere."""
    return dataset == "demo" and dataset_config("demo").get("raw_dir") in (
        None,
        DEMO_RAW,
    )


def raw_dirs(dataset):
    """The raw folder(s) of a dataset, checked once per run: one clear error before any job starts."""
    if raw_is_generated(dataset):
        return [DEMO_RAW]
    if dataset not in _RAW_CHECKED:
        settings = dataset_config(dataset)
        try:
            summary = check_raw(
                dataset,
                settings.get("raw_dir"),
                strict=settings.get("strict", False),
                shards=(
                    None if dataset_info(dataset).layout == "ucla" else shards(dataset)
                ),
            )
        except RawDataError as error:
            raise WorkflowError(str(error))
        message = summary.subset_message()
        if message:
            logger.warning(f"WARNING: {message}; building from the files present")
        if summary.duplicates:
            logger.warning(
                f"WARNING: {dataset}: {summary.duplicates} file names appear in more than one raw folder;"
                " the first folder's file is used"
            )
        _RAW_CHECKED[dataset] = [str(folder) for folder in summary.folders]
    return _RAW_CHECKED[dataset]


def parse_inputs(wildcards):
    """Input of parse_skeletons: the raw folder(s) themselves (never the 114,480 files)."""
    valid = shards(wildcards.dataset)
    if wildcards.shard not in valid:
        raise WorkflowError(
            f"{wildcards.shard} is not a shard of {wildcards.dataset}; its shards are {', '.join(valid)}"
        )
    return raw_dirs(wildcards.dataset)


def on_bad_file(wildcards):
    return dataset_config(wildcards.dataset).get("on_bad_file", "error")


def dataset_shards(wildcards):
    """What a benchmark and the statistics are made from: denoised NTU shards, parsed NW-UCLA shards."""
    stage = "parsed" if dataset_info(wildcards.dataset).layout == "ucla" else "denoised"
    return expand(
        "results/data/{dataset}/{stage}/{shard}.h5",
        dataset=wildcards.dataset,
        stage=stage,
        shard=shards(wildcards.dataset),
    )


def benchmark_shards(wildcards):
    valid = dataset_info(wildcards.dataset).benchmarks
    if wildcards.benchmark not in valid:
        raise WorkflowError(
            f"{wildcards.benchmark!r} is not a {wildcards.dataset} benchmark; choose from {list(valid)}"
        )
    return dataset_shards(wildcards)


def num_class(dataset):
    if dataset == "demo":
        return config["demo"]["num_class"]
    return dataset_info(dataset).num_class


def build_settings(wildcards):
    """The config parts that shape one benchmark file (also digested into its attributes)."""
    validation = config.get("validation") or {}
    return {
        "dataset": wildcards.dataset,
        "benchmark": wildcards.benchmark,
        "datasets": dataset_config(wildcards.dataset),
        "demo": config.get("demo") if wildcards.dataset == "demo" else None,
        "second_actor": DEVIATIONS["second_actor"],
        "validation": {
            "fraction": validation.get("fraction", 0.0),
            "seed": validation.get("seed", 1),
        },
        "package_version": PACKAGE_VERSION,
    }


def build_options(wildcards):
    settings = build_settings(wildcards)
    return (
        f"--max-frames {settings['datasets'].get('max_frames', 300)}"
        f" --second-actor {settings['second_actor']}"
        f" --num-class {num_class(wildcards.dataset)}"
        f" --val-fraction {settings['validation']['fraction']}"
        f" --val-seed {settings['validation']['seed']}"
    )


def build_provenance(wildcards):
    return json.dumps(build_settings(wildcards), sort_keys=True, default=str)


def stats_num_class(wildcards):
    return num_class(wildcards.dataset)
