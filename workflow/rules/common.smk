# Config validation, resolved switches, wildcard constraints and the lists of what to build.
# Every vocabulary (datasets, benchmarks, sizes, modalities, stream sets, shards) comes from the package.
import importlib.util
from pathlib import Path

import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

import hypergcn
from hypergcn.config import (
    config_errors,
    config_seeds,
    describe_run,
    resolve_deviations,
)
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
SEEDS = config_seeds(config)
# Every training keeps two model selections, each evaluated and fused: the honest one (best validation
# epoch with a validation split, else the last epoch) under today's paths, and the best test epoch (the
# authors' protocol, selected on the TEST set) beside it, suffixed -best-test. model_selection only picks
# the headline of the summary.
HONEST_SELECTION = "val" if VALIDATION["fraction"] > 0 else "last"
TEST_SUFFIX = "-best-test"
if DEVIATIONS["model_selection"] == "val" and HONEST_SELECTION != "val":
    raise WorkflowError(
        "config key deviations.model_selection: 'val' needs a validation split; set validation.fraction > 0"
    )


def seed_dir(seed):
    """Path part of a seed: none for the first seed (today's paths), /seed-<n> for the others."""
    return "" if seed == SEEDS[0] else f"/seed-{seed}"


def seed_of(wildcards):
    """The seed of a job: from its {seeddir}, the first seed where the path has none."""
    seeddir = getattr(wildcards, "seeddir", "")
    return int(seeddir.removeprefix("/seed-")) if seeddir else SEEDS[0]


def selection_of(wildcards):
    """The model selection of an evaluation or ensemble output: its suffix names the test-selected one."""
    return "test" if wildcards.selected else HONEST_SELECTION


def scores_test_split(dataset, benchmark, size, modality, seed):
    """Whether the run scores the test split every epoch (and so keeps a best-test-epoch selection)."""
    return describe_run(config, dataset, benchmark, size, modality, seed).recipe[
        "eval_test"
    ]


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
    seeddir=r"|/seed-\d+",
    selected=f"|{TEST_SUFFIX}",


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


def seeded_results():
    """(kind, dataset, benchmark, size, name, seed, suffix) of every evaluation and ensemble to build:
    each seed, the honest selection, and the test-selected one where every stream scored the test split.
    """
    for kind, combos in (
        ("eval", experiment_runs()),
        ("ensemble", experiment_ensembles()),
    ):
        for dataset, benchmark, size, name in combos:
            for seed in SEEDS:
                yield kind, dataset, benchmark, size, name, seed, ""
                streams = STREAM_SETS.get(name, (name,))
                if all(
                    scores_test_split(dataset, benchmark, size, m, seed)
                    for m in streams
                ):
                    yield kind, dataset, benchmark, size, name, seed, TEST_SUFFIX


def result_file(
    kind, dataset, benchmark, size, name, seed, suffix, stem="metrics", ext="json"
):
    return f"results/{kind}/{dataset}/{benchmark}/{size}/{name}{seed_dir(seed)}/{stem}{suffix}.{ext}"


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
    return [*targets, "results/report/summary/top1.png"]


def all_targets():
    """What `snakemake` with no target builds: the summary table and the report's plots and tables."""
    return [
        "results/summary.csv",
        "results/report/summary/paper_table.csv",
        *report_targets(),
    ]
