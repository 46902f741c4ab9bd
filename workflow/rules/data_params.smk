# Inputs and params of the data rules (data.smk): raw folder checks, shard lists, build settings.
import json

from snakemake.logging import logger

from hypergcn.data.clip_arrays import ClipError, clip_shards
from hypergcn.data.raw import RawDataError, check_raw

_RAW_CHECKED = {}
_CLIP_SHARDS = {}
# The settings of each generator of raw files (DatasetInfo.generator): the NTU-format demo's `demo:` block,
# the COCO-17 clip demo's datasets.<name>.generator.
GENERATOR_SETTINGS = {
    "ntu_skeletons": lambda dataset: config["demo"],
    "coco17_clips": lambda dataset: dataset_config(dataset).get("generator") or {},
}
# The parsing shards of an NTU-format generated dataset: the setups its generator writes.
GENERATED_SHARDS = {"ntu_skeletons": lambda: list(config["demo"]["setups"])}
# Worker processes of one such job at most (fewer where --cores is lower, as Snakemake scales them down).
PARSE_MAX_THREADS = 16


def dataset_config(dataset):
    """The datasets.<name> block of the config (raw_dir, on_bad_file, strict, max_frames)."""
    return (config.get("datasets") or {}).get(dataset) or {}


def generated_raw(dataset):
    """Where the workflow writes a generated dataset's raw files (make_demo_skeletons, make_demo_clips)."""
    return f"results/raw/{dataset}"


def generated_by(generator):
    """Wildcard pattern of the datasets whose raw files `generator` writes (none: matches nothing)."""
    names = [name for name, info in DATASETS.items() if info.generator == generator]
    return "|".join(names) or "(?!x)x"


def generator_settings(dataset):
    """The settings of a generated dataset's generator (GENERATOR_SETTINGS)."""
    return GENERATOR_SETTINGS[dataset_info(dataset).generator](dataset)


def raw_is_generated(dataset):
    """A generated dataset's raw files come from its generator's rule unless raw_dir points elsewhere."""
    return dataset_info(dataset).generated and dataset_config(dataset).get(
        "raw_dir"
    ) in (None, generated_raw(dataset))


def clip_folder_shards(dataset):
    """A clip folder's parsing shards: the values of its shard_by column in the manifest (read once)."""
    if dataset not in _CLIP_SHARDS:
        folder = raw_dirs(dataset)[0]
        try:
            _CLIP_SHARDS[dataset] = clip_shards(folder, dataset_info(dataset))
        except (ClipError, ValueError) as error:
            raise WorkflowError(f"datasets.{dataset}.raw_dir: {error}")
    return _CLIP_SHARDS[dataset]


def declaration_option(wildcards):
    """`--declaration FILE` for a dataset the user declared, for the jobs that run before its benchmark
    file exists (parse, build, stats); nothing for the package's datasets."""
    path = DECLARED.get(wildcards.dataset)
    return ["--declaration", path] if path else []


def raw_dirs(dataset):
    """The raw folder(s) of a dataset, checked once per run: one clear error before any job starts."""
    if raw_is_generated(dataset):
        return [generated_raw(dataset)]
    if dataset not in _RAW_CHECKED:
        settings, info = dataset_config(dataset), dataset_info(dataset)
        try:
            summary = check_raw(
                dataset,
                settings.get("raw_dir"),
                strict=settings.get("strict", False),
                # a clip folder's shards come from its manifest, which check_raw checks first
                shards=None if info.raw_format == "clip_arrays" else shards(dataset),
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


def dataset_raw_dirs(wildcards):
    """Input of a dataset's denoise job: its raw folder(s), checked first."""
    return raw_dirs(wildcards.dataset)


def shard_paths(dataset, stage):
    """The shard files of a dataset at one stage (parsed, denoised), one per setup or view."""
    return expand(
        "results/data/{dataset}/{stage}/{shard}.h5",
        dataset=dataset,
        stage=stage,
        shard=shards(dataset),
    )


def parse_threads(wildcards):
    """Worker processes of a dataset's denoise job: one per setup, up to PARSE_MAX_THREADS."""
    return min(len(shards(wildcards.dataset)), PARSE_MAX_THREADS)


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
    """The shard files a benchmark and the statistics are made from: denoised NTU shards (in the folder
    denoise_skeletons writes), parsed NW-UCLA shards."""
    stage = "denoised" if dataset_info(wildcards.dataset).denoised else "parsed"
    return shard_paths(wildcards.dataset, stage)


def dataset_shard_inputs(wildcards):
    """What those shards' jobs output: the denoised folder of an NTU dataset, else the parsed files."""
    if dataset_info(wildcards.dataset).denoised:
        return f"results/data/{wildcards.dataset}/denoised"
    return dataset_shards(wildcards)


def benchmark_shard_inputs(wildcards):
    valid = dataset_info(wildcards.dataset).benchmarks
    if wildcards.benchmark not in valid:
        raise WorkflowError(
            f"{wildcards.benchmark!r} is not a {wildcards.dataset} benchmark; choose from {list(valid)}"
        )
    return dataset_shard_inputs(wildcards)


def num_class(wildcards):
    """Classes of a dataset: declared, or from the generator's config for a generated one."""
    info = dataset_info(wildcards.dataset)
    if not info.generated:
        return info.num_class
    return generator_settings(wildcards.dataset).get("num_class", info.num_class)


def build_settings(wildcards):
    """The config parts that shape one benchmark file (also digested into its attributes)."""
    generated = dataset_info(wildcards.dataset).generated
    return {
        "dataset": wildcards.dataset,
        "benchmark": wildcards.benchmark,
        "datasets": dataset_config(wildcards.dataset),
        "demo": generator_settings(wildcards.dataset) if generated else None,
        "second_actor": DEVIATIONS["second_actor"],
        "validation": VALIDATION,
        "package_version": PACKAGE_VERSION,
    }


def max_frames(wildcards):
    return dataset_config(wildcards.dataset).get("max_frames", 300)


def build_provenance(wildcards):
    return json.dumps(build_settings(wildcards), sort_keys=True, default=str)


def demo_clips_options(dataset):
    """`hypergcn demo-clips` options from datasets.<name>.generator (defaults in config/config.yaml)."""
    options = []
    for key, value in sorted(generator_settings(dataset).items()):
        values = value if isinstance(value, list) else [value]
        options += [f"--{key.replace('_', '-')}", *map(str, values)]
    return options


def parse_classes_option(wildcards):
    """`--num-class K` for a generated clip folder whose generator writes fewer classes than declared."""
    info = dataset_info(wildcards.dataset)
    count = num_class(wildcards)
    if info.raw_format != "clip_arrays" or count == info.num_class:
        return []
    return ["--num-class", str(count)]
