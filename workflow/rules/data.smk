# Data stages (docs/architecture.md#the-dag): synthetic demo, parsing, denoising, benchmark files, statistics.
# Every rule calls the `hypergcn` command (hypergcn/data/*); the rules only wire files and config.
# NTU-format raw files go raw -> denoised shards in one job per dataset (parse, denoise and pack every sample
# as its benchmark-file chunk, in parallel worker processes); build_benchmark then only copies the chunks
# into place. NW-UCLA clips go through parse_skeletons, one job per view.


rule make_demo_skeletons:
    output:
        directory(DEMO_RAW),
    log:
        "results/logs/make_demo_skeletons/demo.log",
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
        version=PACKAGE_VERSION,
    shell:
        "hypergcn parse --dataset {wildcards.dataset} --shard {wildcards.shard} --raw-dir {input.raw:q}"
        " --on-bad-file {params.on_bad_file} --output {output:q} > {log:q} 2>&1"


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
        version=PACKAGE_VERSION,
    shell:
        "hypergcn parse --denoise --dataset {wildcards.dataset} --shard {params.shards}"
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
    shell:
        "hypergcn build --dataset {wildcards.dataset} --benchmark {wildcards.benchmark}"
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
    shell:
        "hypergcn stats --dataset {wildcards.dataset} --shards {params.shards:q}"
        " --num-class {params.num_class} --output {output:q} > {log:q} 2>&1"
