# Config validation, resolved switches, wildcard constraints and the lists of what to build.
# Every vocabulary (datasets, benchmarks, sizes, modalities, stream sets, shards) comes from the package.
import os
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
    # os.sep, not a literal slash: `snakemake --lint` takes a quoted string that starts with one for an
    # absolute path
    return "" if seed == SEEDS[0] else f"{os.sep}seed-{seed}"


def seed_of(wildcards):
    """The seed of a job: from its {seeddir}, the first seed where the path has none."""
    seeddir = getattr(wildcards, "seeddir", "")
    return int(seeddir.rpartition("-")[2]) if seeddir else SEEDS[0]


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


# What the figures of the learned model show (config `figures:`); the schema fills the defaults.
FIGURES = config["figures"]
# The ensemble of every stream (j_b_jm_bm): the per-class results show it beside the single streams.
ALL_STREAMS = max(STREAM_SETS, key=lambda name: len(STREAM_SETS[name]))


def report_targets():
    """Plots and tables for `snakemake --report`: curves, confusion matrices, dataset statistics, and what
    the model learned (hypergraphs, t-SNE, per-class results)."""
    targets = [f"results/report/statistics/{d}.csv" for d in config["run"]]
    columns = sorted({(d, b, s) for d, b, s, _ in experiment_runs()})
    targets += [f"results/report/curves/{d}/{b}/{s}.png" for d, b, s in columns]
    sources = [("eval", run) for run in experiment_runs()]
    sources += [("ensemble", run) for run in experiment_ensembles()]
    sources += [("pretrained", run) for run in pretrained_runs()]
    targets += [
        f"results/report/confusion/{kind}/{d}/{b}/{s}/{name}.png"
        for kind, (d, b, s, name) in sources
    ]
    return [*targets, "results/report/summary/top1.png", *learned_targets()]


def learned_targets():
    """Hypergraph folders of the `figures.stream` models, t-SNE maps of every stream, and per-class charts
    and confused-pair tables of every stream and the all-stream ensemble; the first seed, honest selection.
    """
    models = [("train", run) for run in experiment_runs()]
    models += [("pretrained", run) for run in pretrained_runs()]
    targets = [
        f"results/report/hypergraphs/{kind}/{d}/{b}/{s}/{m}"
        for kind, (d, b, s, m) in models
        if m == FIGURES["stream"]
    ]
    streams = [("eval", run) for run in experiment_runs()]
    streams += [("pretrained", run) for run in pretrained_runs()]
    targets += [
        f"results/report/tsne/{kind}/{d}/{b}/{s}/{m}.png"
        for kind, (d, b, s, m) in streams
    ]
    streams += [
        ("ensemble", run) for run in experiment_ensembles() if run[3] == ALL_STREAMS
    ]
    for kind, (d, b, s, name) in streams:
        stem = f"results/report/per_class/{kind}/{d}/{b}/{s}/{name}"
        targets += [f"{stem}.png", f"{stem}-confused.csv"]
    return targets


def all_targets():
    """What `snakemake` with no target builds: the summary table and the report's plots and tables."""
    return [
        "results/summary.csv",
        "results/report/summary/paper_table.csv",
        *report_targets(),
    ]
