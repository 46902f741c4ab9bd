# Config validation, resolved switches, wildcard constraints and the lists of what to build.
# Every vocabulary (datasets, benchmarks, sizes, modalities, stream sets, shards) comes from the package.
import importlib.util
from pathlib import Path

import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

import hypergcn
from hypergcn.config import config_errors, resolve_deviations
from hypergcn.datasets import (
    BENCHMARKS,
    DATASETS,
    MODALITIES,
    SHARD_PATTERN,
    SIZES,
    STREAM_SETS,
    dataset_info,
)


def _validate_config():
    """Fail before any job runs with one line per bad key, then let Snakemake fill the defaults."""
    schema_path = Path(workflow.basedir) / "workflow/schemas/config.schema.yaml"
    errors = config_errors(config, yaml.safe_load(schema_path.read_text()))
    if errors:
        raise WorkflowError("invalid configuration:\n  " + "\n  ".join(errors))
    validate(config, schema="../schemas/config.schema.yaml")


_validate_config()

DEVIATIONS = resolve_deviations(config)
# The held-out validation split carved from the training groups (0 = none).
VALIDATION = {
    "fraction": float((config.get("validation") or {}).get("fraction", 0.0)),
    "seed": int((config.get("validation") or {}).get("seed", 1)),
}
PACKAGE_VERSION = hypergcn.__version__


def experiment(dataset):
    """The experiments block of a dataset (benchmarks, sizes, modalities, ensembles)."""
    return (config.get("experiments") or {}).get(dataset) or {}


def _check_experiments():
    """Benchmarks must exist for their dataset; say which key is wrong before any job runs."""
    for dataset in config["run"]:
        valid = dataset_info(dataset).benchmarks
        for benchmark in experiment(dataset).get("benchmarks", []):
            if benchmark not in valid:
                raise WorkflowError(
                    f"config key experiments.{dataset}.benchmarks: {benchmark!r} is not a "
                    f"{dataset} benchmark; choose from {list(valid)}"
                )


_check_experiments()


wildcard_constraints:
    dataset="|".join(DATASETS),
    benchmark="|".join(BENCHMARKS),
    size="|".join(SIZES),
    modality="|".join(MODALITIES),
    streams="|".join(STREAM_SETS),
    shard=SHARD_PATTERN,


def experiment_runs(datasets=None):
    """Every (dataset, benchmark, size, modality) that the config asks for, for `run` datasets."""
    for dataset in datasets or config["run"]:
        exp = experiment(dataset)
        for benchmark in exp.get("benchmarks", []):
            for size in exp.get("sizes", []):
                for modality in exp.get("modalities", []):
                    yield dataset, benchmark, size, modality


def experiment_ensembles():
    """(dataset, benchmark, size, streams) for every configured ensemble whose streams are all trained."""
    for dataset in config["run"]:
        exp = experiment(dataset)
        modalities = set(exp.get("modalities", []))
        for benchmark in exp.get("benchmarks", []):
            for size in exp.get("sizes", []):
                for streams in exp.get("ensembles", []):
                    if set(STREAM_SETS[streams]) <= modalities:
                        yield dataset, benchmark, size, streams


def pretrained_runs():
    """(dataset, benchmark, size, modality) of the `pretrained:` entries of `run` datasets."""
    for key in sorted(config.get("pretrained") or {}):
        dataset, benchmark, size, modality = key.split("/")
        if dataset in config["run"]:
            yield dataset, benchmark, size, modality


def shards(dataset):
    """Parsing shards: the declared NTU setups or NW-UCLA views; a generated dataset's from its config."""
    info = dataset_info(dataset)
    if info.generated:
        return list(config["demo"]["setups"])
    return list(info.shards)


# Plots need matplotlib, an optional extra (`pip install -e .[plots]`); without it the table is still built.
HAVE_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


def report_targets():
    """Plots and tables for `snakemake --report`: curves, confusion matrices, dataset statistics."""
    targets = [f"results/report/statistics/{d}.csv" for d in config["run"]]
    if not HAVE_MATPLOTLIB:
        return targets
    columns = sorted({(d, b, s) for d, b, s, _ in experiment_runs()})
    targets += [f"results/report/curves/{d}/{b}/{s}.png" for d, b, s in columns]
    sources = [("eval", run) for run in experiment_runs()]
    sources += [("ensemble", run) for run in experiment_ensembles()]
    sources += [("pretrained", run) for run in pretrained_runs()]
    targets += [
        f"results/report/confusion/{kind}/{d}/{b}/{s}/{name}.png"
        for kind, (d, b, s, name) in sources
    ]
    return targets


def all_targets():
    """What `snakemake` with no target builds: the summary table and the report's plots and tables."""
    return ["results/summary.csv", *report_targets()]
