# Data stages (docs/architecture.md#the-dag): synthetic demos, parsing, denoising, benchmark files, statistics.
# Every rule calls the `hypergcn` command (hypergcn/data/*); the rules only wire files and config.
# NTU-format raw files go raw -> denoised shards in one job per dataset (parse, denoise and pack every sample
# as its benchmark-file chunk, in parallel worker processes); build_benchmark then only copies the chunks
# into place. NW-UCLA clips and clip folders (docs/layouts.md) go through parse_skeletons, one job per view
# or per value of the declaration's shard_by column. A dataset the user declared (datasets.<name>.declaration)
# gets --declaration FILE in the jobs that run before its benchmark file exists.


# The NTU-format demo (generated: ntu_skeletons), with the settings of the `demo:` block.
rule make_demo_skeletons:
    output:
        directory("results/raw/{dataset}"),
    log:
        "results/logs/make_demo_skeletons/{dataset}.log",
    wildcard_constraints:
        dataset=generated_by("ntu_skeletons"),
    localrule: True
    conda:
        "../../envs/data.yaml"
    params:
        seed=config["demo"]["seed"],
        num_class=config["demo"]["num_class"],
        setups=config["demo"]["setups"],
        subjects=config["demo"]["subjects"],
        repetitions=config["demo"]["repetitions"],
        cameras=config["demo"]["cameras"],
    shell:
        "hypergcn demo --output {output:q} --seed {params.seed} --num-class {params.num_class}"
        " --setups {params.setups:q} --subjects {params.subjects:q} --repetitions {params.repetitions}"
        " --cameras {params.cameras:q} > {log:q} 2>&1"


# The COCO-17 clip demo (generated: coco17_clips): a clip folder, with the settings of
# datasets.<name>.generator (docs/layouts.md#the-coco-17-demo).
# Also a few new clips for `hypergcn predict` (one malformed on purpose), the COCO-17 demo's predict: input.
rule make_demo_clips:
    output:
        clips=directory("results/raw/{dataset}"),
        new_clips=directory("results/raw/{dataset}-new-clips"),
    log:
        "results/logs/make_demo_clips/{dataset}.log",
    wildcard_constraints:
        dataset=generated_by("coco17_clips"),
    localrule: True
    conda:
        "../../envs/data.yaml"
    params:
        settings=lambda wildcards: demo_clips_options(wildcards.dataset),
    shell:
        "hypergcn demo-clips --output {output.clips:q} --predict-output {output.new_clips:q}"
        " {params.settings:q} > {log:q} 2>&1"


rule parse_skeletons:
    input:
        raw=parse_inputs,
    output:
        "results/data/{dataset}/parsed/{shard}.h5",
    log:
        "results/logs/parse_skeletons/{dataset}/{shard}.log",
    benchmark:
        "results/benchmarks/parse_skeletons/{dataset}/{shard}.tsv"
    conda:
        "../../envs/data.yaml"
    params:
        on_bad_file=on_bad_file,
        declaration=declaration_option,
        classes=parse_classes_option,
        version=PACKAGE_VERSION,
    shell:
        "hypergcn parse --dataset {wildcards.dataset} {params.declaration:q} {params.classes:q}"
        " --shard {wildcards.shard} --raw-dir {input.raw:q} --on-bad-file {params.on_bad_file}"
        " --output {output:q} > {log:q} 2>&1"


# One job per NTU-format dataset: its setups parsed and denoised in forked worker processes that share the
# compiled reader (hypergcn/data/parse.py:parse_denoise_ntu_shards). The output is the folder of its shards,
# one file per setup (a job's output count cannot vary with a wildcard; the folder can).
rule denoise_skeletons:
    input:
        raw=dataset_raw_dirs,
    output:
        directory("results/data/{dataset}/denoised"),
    log:
        "results/logs/denoise_skeletons/{dataset}.log",
    benchmark:
        "results/benchmarks/denoise_skeletons/{dataset}.tsv"
    conda:
        "../../envs/data.yaml"
    threads: parse_threads
    params:
        shards=lambda wildcards: shards(wildcards.dataset),
        outputs=lambda wildcards, output: [
            f"{output}/{shard}.h5" for shard in shards(wildcards.dataset)
        ],
        on_bad_file=on_bad_file,
        max_frames=max_frames,
        second_actor=DEVIATIONS["second_actor"],
        declaration=declaration_option,
        version=PACKAGE_VERSION,
    shell:
        "hypergcn parse --denoise --dataset {wildcards.dataset} {params.declaration:q} --shard {params.shards}"
        " --raw-dir {input.raw:q} --on-bad-file {params.on_bad_file} --max-frames {params.max_frames}"
        " --second-actor {params.second_actor} --jobs {threads} --output {params.outputs:q} > {log:q} 2>&1"


rule build_benchmark:
    input:
        benchmark_shard_inputs,
    output:
        "results/data/{dataset}/{benchmark}.h5",
    log:
        "results/logs/build_benchmark/{dataset}/{benchmark}.log",
    benchmark:
        "results/benchmarks/build_benchmark/{dataset}/{benchmark}.tsv"
    conda:
        "../../envs/data.yaml"
    params:
        shards=dataset_shards,
        max_frames=max_frames,
        second_actor=DEVIATIONS["second_actor"],
        num_class=num_class,
        val_fraction=VALIDATION["fraction"],
        val_seed=VALIDATION["seed"],
        provenance=build_provenance,
        declaration=declaration_option,
    shell:
        "hypergcn build --dataset {wildcards.dataset} {params.declaration:q} --benchmark {wildcards.benchmark}"
        " --shards {params.shards:q} --output {output:q} --max-frames {params.max_frames}"
        " --second-actor {params.second_actor} --num-class {params.num_class}"
        " --val-fraction {params.val_fraction} --val-seed {params.val_seed}"
        " --provenance {params.provenance:q} > {log:q} 2>&1"


rule dataset_statistics:
    input:
        dataset_shard_inputs,
    output:
        report(
            "results/data/{dataset}/statistics.json",
            category="Data",
            labels={"dataset": "{dataset}", "file": "statistics.json"},
        ),
    log:
        "results/logs/dataset_statistics/{dataset}.log",
    localrule: True
    conda:
        "../../envs/data.yaml"
    params:
        shards=dataset_shards,
        num_class=num_class,
        declaration=declaration_option,
    shell:
        "hypergcn stats --dataset {wildcards.dataset} {params.declaration:q} --shards {params.shards:q}"
        " --num-class {params.num_class} --output {output:q} > {log:q} 2>&1"
