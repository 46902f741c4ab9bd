# Data stages (pipeline-design §3): synthetic demo, parsing, denoising, benchmark files, statistics.
# Every rule calls the `hypergcn` command (hypergcn/data/*); the rules only wire files and config.


include: "data_common.smk"


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
        setups=" ".join(config["demo"]["setups"]),
        subjects=" ".join(str(s) for s in config["demo"]["subjects"]),
        repetitions=config["demo"]["repetitions"],
        cameras=" ".join(str(c) for c in config["demo"]["cameras"]),
    shell:
        "hypergcn demo --output {output:q} --seed {params.seed} --num-class {params.num_class}"
        " --setups {params.setups} --subjects {params.subjects} --repetitions {params.repetitions}"
        " --cameras {params.cameras} > {log} 2>&1"


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
        " --on-bad-file {params.on_bad_file} --output {output:q} > {log} 2>&1"


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
        dataset="demo|ntu60|ntu120",
    conda:
        "../../envs/data.yaml"
    params:
        version=PACKAGE_VERSION,
    shell:
        "hypergcn denoise --input {input:q} --output {output:q} > {log} 2>&1"


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
        options=build_options,
        provenance=build_provenance,
    shell:
        "hypergcn build --dataset {wildcards.dataset} --benchmark {wildcards.benchmark}"
        " --shards {input:q} --output {output:q} {params.options}"
        " --provenance {params.provenance:q} > {log} 2>&1"


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
        num_class=stats_num_class,
    shell:
        "hypergcn stats --dataset {wildcards.dataset} --shards {input:q}"
        " --num-class {params.num_class} --output {output:q} > {log} 2>&1"
