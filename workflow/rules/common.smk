# Config validation, resolved switches, wildcard constraints and the lists of what to build.
# Every vocabulary (datasets, benchmarks, sizes, modalities, stream sets, shards) comes from the package and
# from the user's dataset declarations (datasets.<name>.declaration, registered here before anything else).
import os
import tempfile
from pathlib import Path

import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

import hypergcn
from hypergcn.config import (
    RECIPE_DEFAULTS,
    config_errors,
    config_seeds,
    describe_run,
    resolve_deviations,
)
from hypergcn.datasets import (
    MODALITIES,
    SHARD_PATTERN,
    SIZES,
    STREAM_SETS,
    DeclarationError,
    dataset_info,
    extend_schema,
    known_datasets,
    load_declaration,
    register,
)


def _register_declarations():
    """Read and register every datasets.<name>.declaration of the config (docs/layouts.md): a bad
    declaration fails here, before any job, naming its file and key. Returns {name: declaration file}.
    """
    declared = {}
    for name, settings in (config.get("datasets") or {}).items():
        path = settings.get("declaration") if isinstance(settings, dict) else None
        if path is None:
            continue
        try:
            info = register(load_declaration(path, RECIPE_DEFAULTS))
        except DeclarationError as error:
            raise WorkflowError(f"config key datasets.{name}.declaration: {error}")
        if info.name != name:
            raise WorkflowError(
                f"config key datasets.{name}.declaration: {path}: key name: declares {info.name!r}; "
                f"list it as datasets.{info.name}"
            )
        declared[name] = str(path)
    return declared


# Dataset name -> declaration file of the datasets the user declared (not the package's).
DECLARED = _register_declarations()


def _validate_config():
    """Fail before any job runs with one line per bad key, then let Snakemake fill the defaults. The
    schema's dataset vocabularies grow by the declared datasets (their names and benchmarks).
    """
    schema_path = Path(workflow.basedir) / "workflow/schemas/config.schema.yaml"
    schema = yaml.safe_load(schema_path.read_text())
    user = [dataset_info(name) for name in DECLARED]
    if user:
        schema = extend_schema(schema, user)
    errors = config_errors(config, schema)
    if errors:
        raise WorkflowError("invalid configuration:\n  " + "\n  ".join(errors))
    if not user:
        validate(config, schema="../schemas/config.schema.yaml")
        return
    with tempfile.TemporaryDirectory() as folder:
        extended = Path(folder) / "config.schema.yaml"
        extended.write_text(yaml.safe_dump(schema))
        validate(config, schema=str(extended))


_validate_config()
DATASETS = known_datasets()
BENCHMARKS = list(
    dict.fromkeys(b for info in DATASETS.values() for b in info.benchmarks)
)

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
    """The experiments block of a dataset (benchmarks, sizes, modalities, ensembles); without one, the
    declaration's: every benchmark, base size, the four modalities and the three ensembles.
    """
    configured = (config.get("experiments") or {}).get(dataset)
    if configured is not None:
        return configured
    return {
        "benchmarks": list(dataset_info(dataset).benchmarks),
        "sizes": [SIZES[0]],
        "modalities": list(MODALITIES),
        "ensembles": list(STREAM_SETS),
    }


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
    """Parsing shards: the declared NTU setups or NW-UCLA views; an NTU-format generated dataset's from its
    config; a clip folder's: the values of its shard_by column (the manifest, read once), else `all`.
    """
    info = dataset_info(dataset)
    if info.generator in GENERATED_SHARDS:
        return GENERATED_SHARDS[info.generator]()
    if info.shards:
        return list(info.shards)
    return clip_folder_shards(dataset)


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
    """What `snakemake` with no target builds: the summary table, the report's plots and tables, and the
    predictions of the `predict:` block (predict.smk) when it is set."""
    return [
        "results/summary.csv",
        "results/report/summary/paper_table.csv",
        *report_targets(),
        *predict_targets(),
    ]
