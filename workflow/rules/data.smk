# Data stages (docs/architecture.md#the-dag): synthetic demo, parsing, denoising, benchmark files, statistics.
# Every rule calls the `hypergcn` command (hypergcn/data/*); the rules only wire files and config.


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


rule denoise_skeletons:
    input:
        "results/data/{dataset}/parsed/{shard}.h5",
    output:
        "results/data/{dataset}/denoised/{shard}.h5",
    log:
        "results/logs/denoise_skeletons/{dataset}/{shard}.log",
    benchmark:
        "results/benchmarks/denoise_skeletons/{dataset}/{shard}.tsv"
    wildcard_constraints:
        dataset="|".join(name for name, info in DATASETS.items() if info.denoised),
    conda:
        "../../envs/data.yaml"
    params:
        version=PACKAGE_VERSION,
    shell:
        "hypergcn denoise --input {input:q} --output {output:q} > {log:q} 2>&1"


rule build_benchmark:
    input:
        benchmark_shards,
    output:
        "results/data/{dataset}/{benchmark}.h5",
    log:
        "results/logs/build_benchmark/{dataset}/{benchmark}.log",
    benchmark:
        "results/benchmarks/build_benchmark/{dataset}/{benchmark}.tsv"
    conda:
        "../../envs/data.yaml"
    params:
        max_frames=max_frames,
        second_actor=DEVIATIONS["second_actor"],
        num_class=num_class,
        val_fraction=VALIDATION["fraction"],
        val_seed=VALIDATION["seed"],
        provenance=build_provenance,
    shell:
        "hypergcn build --dataset {wildcards.dataset} --benchmark {wildcards.benchmark}"
        " --shards {input:q} --output {output:q} --max-frames {params.max_frames}"
        " --second-actor {params.second_actor} --num-class {params.num_class}"
        " --val-fraction {params.val_fraction} --val-seed {params.val_seed}"
        " --provenance {params.provenance:q} > {log:q} 2>&1"


rule dataset_statistics:
    input:
        dataset_shards,
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
        num_class=num_class,
    shell:
        "hypergcn stats --dataset {wildcards.dataset} --shards {input:q}"
        " --num-class {params.num_class} --output {output:q} > {log:q} 2>&1"
