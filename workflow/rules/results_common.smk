# Helpers of the training, evaluation and report rules (train.smk, evaluate.smk, report.smk): recipes
# and switches passed as params (so config changes rerun what they affect), GPU and thread requests, input
# functions and the report's targets. Included by train.smk, after common.smk.
import importlib.util
import json

from hypergcn.config import ensemble_weights, num_virtual_joints
from hypergcn.datasets import MODALITIES, STREAM_SETS
from hypergcn.training.gpus import local_gpu_count


def recipe_json(wildcards):
    """The resolved recipe as JSON: as a param, a config change to it reruns the training job."""
    return json.dumps(recipe_for(wildcards), sort_keys=True)


def train_options(wildcards):
    """Model and evaluation switches from the deviations (method §7), also rerun triggers as params."""
    virtual = num_virtual_joints(
        config,
        wildcards.dataset,
        wildcards.benchmark,
        wildcards.size,
        wildcards.modality,
    )
    return (
        f"--virtual-joints {virtual}"
        f" --virtual-joint-init {DEVIATIONS['virtual_joint_init']}"
        f" --test-sampling {DEVIATIONS['xview_test_sampling']}"
        f" --model-selection {DEVIATIONS['model_selection']}"
    )


# GPU design. A GPU job requests `gpu` = GPU_PER_JOB: 1 where this machine has a GPU, 0 where it has
# none, so a CPU laptop runs independent trainings in parallel (the default profile's `gpu: 1` limit
# does not serialise them) and a GPU box gives each job one card, never oversubscribing the
# `--resources gpu=<cards>` limit. Snakemake caps a request at that limit, so `--resources gpu=0` (the
# tests) runs jobs with gpu=0, which forces the CPU (--device cpu). DDP on N GPUs of one machine:
#   snakemake --resources gpu=N --set-resources train_model:gpu=N
# starts `torchrun --standalone --nproc-per-node=N` (one process per GPU, the recipe's batch is global).
# Cluster profiles set each rule's request (profiles/slurm*, set-resources train_model gpu).
# Snakemake assigns no CUDA_VISIBLE_DEVICES; on a machine with several cards, each single-GPU job claims
# a free one through a lock file (hypergcn.training.distributed.choose_device).
GPU_PER_JOB = 1 if local_gpu_count() > 0 else 0


def train_threads(wildcards):
    """CPU threads of training and evaluation: 4 (torch + data loading); 1 for the demo on CPU, whose
    four small trainings run faster side by side, one core each, than one after the other on all cores
    (docs/benchmarks.md, Training).
    """
    return 1 if wildcards.dataset == "demo" and GPU_PER_JOB == 0 else 4


LAUNCH = (
    "launch='python -m hypergcn'; device=auto; "
    "if [ {resources.gpu} -gt 1 ]; then "
    "launch='torchrun --standalone --nproc-per-node={resources.gpu} -m hypergcn'; fi; "
    "if [ {resources.gpu} -eq 0 ]; then device=cpu; fi; "
)


def has_validation():
    """build_benchmark writes a `val` group exactly when validation.fraction > 0 (contract table)."""
    return float((config.get("validation") or {}).get("fraction", 0.0)) > 0


# val_scores.npz exists only with a validation split, so the output is declared only then.
VAL_SCORES = (
    {
        "val_scores": "results/eval/{dataset}/{benchmark}/{size}/{modality}/val_scores.npz"
    }
    if has_validation()
    else {}
)


def val_scores_arg(wildcards, output):
    return f"--val-scores {output.val_scores}" if has_validation() else ""


def pretrained_entry(wildcards):
    key = f"{wildcards.dataset}/{wildcards.benchmark}/{wildcards.size}/{wildcards.modality}"
    entry = (config.get("pretrained") or {}).get(key)
    if entry is None:
        raise WorkflowError(f"config key pretrained: no entry {key!r}")
    return entry


def pretrained_checkpoint(wildcards):
    return pretrained_entry(wildcards)["path"]


def pretrained_options(wildcards):
    """sha256 check, test-time recipe and model structure of an authors' checkpoint."""
    entry = pretrained_entry(wildcards)
    recipe = recipe_for(wildcards)
    virtual = num_virtual_joints(
        config,
        wildcards.dataset,
        wildcards.benchmark,
        wildcards.size,
        wildcards.modality,
    )
    test_recipe = json.dumps(
        {k: recipe[k] for k in ("window", "test_batch_size", "seed")}
    )
    sha = f" --sha256 {entry['sha256']}" if entry.get("sha256") else ""
    return (
        f"--size {wildcards.size} --virtual-joints {virtual} --recipe '{test_recipe}'"
        f" --test-sampling {DEVIATIONS['xview_test_sampling']}{sha}"
    )


def ensemble_scores(wildcards):
    """Test scores of the fused streams, in the order of STREAM_SETS[streams]."""
    return [
        f"results/eval/{wildcards.dataset}/{wildcards.benchmark}/{wildcards.size}/{m}/scores.npz"
        for m in STREAM_SETS[wildcards.streams]
    ]


def ensemble_val_scores(wildcards):
    """Validation scores, needed only when the weights are searched."""
    if not (config.get("ensemble") or {}).get("search"):
        return []
    if not has_validation():
        raise WorkflowError(
            "config key ensemble.search: true needs a validation split; set validation.fraction > 0"
        )
    return [
        f"results/eval/{wildcards.dataset}/{wildcards.benchmark}/{wildcards.size}/{m}/val_scores.npz"
        for m in STREAM_SETS[wildcards.streams]
    ]


def ensemble_options(wildcards, input):
    weights = ensemble_weights(
        config,
        wildcards.dataset,
        wildcards.benchmark,
        wildcards.size,
        wildcards.streams,
    )
    options = "--weights " + " ".join(f"{w:g}" for w in weights)
    if input.val:
        options += " --search --val-scores " + " ".join(input.val)
    return options


# Plots need matplotlib, an optional extra (`pip install -e .[plots]`); without it the table is still built.
HAVE_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


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


def summary_eval_inputs(wildcards=None):
    return [
        f"results/eval/{d}/{b}/{s}/{m}/metrics.json" for d, b, s, m in experiment_runs()
    ]


def summary_ensemble_inputs(wildcards=None):
    return [
        f"results/ensemble/{d}/{b}/{s}/{e}/metrics.json"
        for d, b, s, e in experiment_ensembles()
    ]


def summary_pretrained_inputs(wildcards=None):
    return [
        f"results/pretrained/{d}/{b}/{s}/{m}/metrics.json"
        for d, b, s, m in pretrained_runs()
    ]


def report_targets():
    """Plots and tables for `snakemake --report`: curves, confusion matrices, dataset statistics."""
    targets = [f"results/report/statistics/{d}.csv" for d in config["run"]]
    if not HAVE_MATPLOTLIB:
        return targets
    columns = sorted({(d, b, s) for d, b, s, _ in experiment_runs()})
    targets += [f"results/report/curves/{d}/{b}/{s}.png" for d, b, s in columns]
    targets += [
        f"results/report/confusion/eval/{d}/{b}/{s}/{m}.png"
        for d, b, s, m in experiment_runs()
    ]
    targets += [
        f"results/report/confusion/ensemble/{d}/{b}/{s}/{e}.png"
        for d, b, s, e in experiment_ensembles()
    ]
    targets += [
        f"results/report/confusion/pretrained/{d}/{b}/{s}/{m}.png"
        for d, b, s, m in pretrained_runs()
    ]
    return targets


def curve_inputs(wildcards):
    """metrics.csv of every configured modality of one dataset/benchmark/size."""
    modalities = [
        m
        for m in experiment(wildcards.dataset).get("modalities", [])
        if m in MODALITIES
    ]
    return [
        f"results/train/{wildcards.dataset}/{wildcards.benchmark}/{wildcards.size}/{m}/metrics.csv"
        for m in modalities
    ]
