# Inputs and params of the training, evaluation and report rules (train.smk, evaluate.smk, report.smk):
# the run description of each training job, launcher, device and threads, and the score files to fuse.
from hypergcn.config import ensemble_weights
from hypergcn.training.gpus import local_gpu_count


def run_description(wildcards):
    """The resolved run description (JSON): the rerun trigger of a training job and its one argument."""
    return describe_run(
        config,
        wildcards.dataset,
        wildcards.benchmark,
        wildcards.size,
        wildcards.modality,
        seed_of(wildcards),
    ).to_json()


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


def launcher(wildcards, resources):
    """The `hypergcn` command, or one DDP process per GPU through torchrun when a job holds several."""
    if resources.gpu > 1:
        return f"torchrun --standalone --nproc-per-node={resources.gpu} -m hypergcn"
    return "hypergcn"


def device(wildcards, resources):
    """`cpu` when the job holds no GPU (so `--resources gpu=0` keeps a GPU machine's jobs on the CPU)."""
    return "cpu" if resources.gpu == 0 else "auto"


def train_threads(wildcards):
    """CPU threads of training and evaluation: 4 (torch + data loading), or the dataset's own CPU policy
    (the demo's four small trainings run faster side by side, one core each; docs/benchmarks.md).
    """
    policy = dataset_info(wildcards.dataset).cpu_threads
    return policy if policy and GPU_PER_JOB == 0 else 4


def has_validation():
    """build_benchmark writes a `val` group exactly when validation.fraction > 0 (docs/data.md#benchmark-file)."""
    return VALIDATION["fraction"] > 0


# val_scores.npz exists only with a validation split, so the output is declared only then.
VAL_SCORES = (
    {
        "val_scores": "results/eval/{dataset}/{benchmark}/{size}/{modality}{seeddir}/val_scores{selected}.npz"
    }
    if has_validation()
    else {}
)


def val_scores_option(wildcards, output):
    return ["--val-scores", output.val_scores] if has_validation() else []


def pretrained_entry(wildcards):
    key = f"{wildcards.dataset}/{wildcards.benchmark}/{wildcards.size}/{wildcards.modality}"
    entry = (config.get("pretrained") or {}).get(key)
    if entry is None:
        raise WorkflowError(f"config key pretrained: no entry {key!r}")
    return entry


def pretrained_weights(wildcards):
    return pretrained_entry(wildcards)["path"]


def sha256_option(wildcards):
    sha = pretrained_entry(wildcards).get("sha256")
    return ["--sha256", sha] if sha else []


def stream_files(wildcards, stem):
    """One file per fused stream (in the order of STREAM_SETS[streams]), of the same seed and selection."""
    w = wildcards
    return [
        f"results/eval/{w.dataset}/{w.benchmark}/{w.size}/{m}{w.seeddir}/{stem}{w.selected}.npz"
        for m in STREAM_SETS[w.streams]
    ]


def ensemble_scores(wildcards):
    return stream_files(wildcards, "scores")


def ensemble_val_scores(wildcards):
    """Validation scores, needed only when the weights are searched."""
    if not (config.get("ensemble") or {}).get("search"):
        return []
    if not has_validation():
        raise WorkflowError(
            "config key ensemble.search: true needs a validation split; set validation.fraction > 0"
        )
    return stream_files(wildcards, "val_scores")


def fusion_weights(wildcards):
    return ensemble_weights(
        config,
        wildcards.dataset,
        wildcards.benchmark,
        wildcards.size,
        wildcards.streams,
    )


def search_option(wildcards, input):
    return ["--search", "--val-scores", *input.val] if input.val else []


def summary_inputs(kind):
    return [result_file(*result) for result in seeded_results() if result[0] == kind]


def summary_pretrained_inputs(wildcards=None):
    return [
        f"results/pretrained/{d}/{b}/{s}/{m}/metrics.json"
        for d, b, s, m in pretrained_runs()
    ]


def curve_inputs(wildcards):
    """metrics.csv of every configured modality of one dataset/benchmark/size."""
    return [
        f"results/train/{wildcards.dataset}/{wildcards.benchmark}/{wildcards.size}/{m}/metrics.csv"
        for m in experiment(wildcards.dataset).get("modalities", [])
    ]


def hypergraph_model(wildcards):
    """The weights a hypergraph figure shows: a trained model.pt, or a `pretrained:` entry's file."""
    if wildcards.kind == "pretrained":
        return pretrained_weights(wildcards)
    return f"results/train/{wildcards.dataset}/{wildcards.benchmark}/{wildcards.size}/{wildcards.modality}/model.pt"


def hypergraph_source(wildcards, input):
    """`hypergcn figure hypergraphs` options naming the weights: the honest selection of a model.pt, or
    the released weights with the run description that sizes their model."""
    if wildcards.kind == "pretrained":
        return [
            "--pretrained",
            input.model,
            "--run",
            run_description(wildcards),
            *sha256_option(wildcards),
        ]
    return ["--model", input.model, "--selection", HONEST_SELECTION]


def hypergraph_options(wildcards):
    """The `figures:` config as options: which samples, layers, head and frames (the rerun trigger)."""
    options = ["--classes", FIGURES["classes"], "--layers", *FIGURES["layers"]]
    options += ["--head", FIGURES["head"], "--frames", FIGURES["frames"]]
    options += ["--gif-frames", FIGURES["gif_frames"]]
    return [
        *map(str, options),
        *(["--samples", *FIGURES["samples"]] if FIGURES["samples"] else []),
    ]


def figure_title(wildcards):
    """dataset/benchmark/size stream, and whose weights (ours or the authors')."""
    whose = "authors' weights" if wildcards.kind == "pretrained" else "trained here"
    return f"{wildcards.dataset}/{wildcards.benchmark}/{wildcards.size} {wildcards.modality} ({whose})"
