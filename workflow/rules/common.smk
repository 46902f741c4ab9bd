# Config validation, wildcard constraints and target functions shared by every rule file.
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

import hypergcn
import yaml

from hypergcn.config import config_errors, resolve_deviations, resolve_recipe
from hypergcn.datasets import DATASETS, MODALITIES, NTU_SETUPS, STREAM_SETS


def _validate_config():
    """Fail before any job runs with one line per bad key, then let Snakemake fill the defaults."""
    schema_path = Path(workflow.basedir) / "workflow/schemas/config.schema.yaml"
    errors = config_errors(config, yaml.safe_load(schema_path.read_text()))
    if errors:
        raise WorkflowError("invalid configuration:\n  " + "\n  ".join(errors))
    validate(config, schema="../schemas/config.schema.yaml")


_validate_config()

DEVIATIONS = resolve_deviations(config)
PACKAGE_VERSION = hypergcn.__version__


def _check_experiments():
    """Benchmarks must exist for their dataset; say which key is wrong before any job runs."""
    for dataset, experiment in (config.get("experiments") or {}).items():
        valid = DATASETS[dataset].benchmarks
        for benchmark in experiment.get("benchmarks", []):
            if benchmark not in valid:
                raise WorkflowError(
                    f"config key experiments.{dataset}.benchmarks: {benchmark!r} is not a "
                    f"{dataset} benchmark; choose from {list(valid)}"
                )


_check_experiments()


wildcard_constraints:
    dataset="|".join(DATASETS),
    benchmark="xsub|xview|xset",
    size="base|large",
    modality="|".join(MODALITIES),
    streams="|".join(STREAM_SETS),
    shard=r"S0[0-3]\d|v0[1-3]",


def experiment(dataset):
    """The experiments block of a dataset (benchmarks, sizes, modalities, ensembles)."""
    return (config.get("experiments") or {}).get(dataset) or {}


def experiment_runs(datasets=None):
    """Every (dataset, benchmark, size, modality) that the config asks for, for `run` datasets."""
    for dataset in datasets or config["run"]:
        exp = experiment(dataset)
        for benchmark in exp.get("benchmarks", []):
            for size in exp.get("sizes", []):
                for modality in exp.get("modalities", []):
                    yield dataset, benchmark, size, modality


def shards(dataset):
    """Parsing shards: NTU setups, demo setups from the config, NW-UCLA views."""
    if dataset == "demo":
        return list(config["demo"]["setups"])
    if dataset == "ucla":
        return ["v01", "v02", "v03"]
    return list(NTU_SETUPS[dataset])


def recipe_for(wildcards):
    """The resolved training recipe of one run (authors' recipe + matching overrides)."""
    return resolve_recipe(
        config,
        wildcards.dataset,
        wildcards.benchmark,
        wildcards.size,
        wildcards.modality,
    )


def all_targets():
    """What `snakemake` with no target builds: the summary table and the report's plots and tables.

    report_targets() lives in results_common.smk (included later, before rule all calls this).
    """
    return ["results/summary.csv", *report_targets()]
