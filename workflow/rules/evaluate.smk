# Evaluation of trained and released models, and the fusion of stream scores.


rule evaluate_model:
    input:
        model="results/train/{dataset}/{benchmark}/{size}/{modality}/model.pt",
        data="results/data/{dataset}/{benchmark}.h5",
    output:
        **VAL_SCORES,
        scores="results/eval/{dataset}/{benchmark}/{size}/{modality}/scores.npz",
        metrics="results/eval/{dataset}/{benchmark}/{size}/{modality}/metrics.json",
    log:
        "results/logs/evaluate_model/{dataset}/{benchmark}/{size}/{modality}.log",
    benchmark:
        "results/benchmarks/evaluate_model/{dataset}/{benchmark}/{size}/{modality}.tsv"
    conda:
        "../../envs/train.yaml"
    threads: train_threads
    resources:
        gpu=GPU_PER_JOB,
    params:
        val=val_scores_arg,
    shell:
        LAUNCH
        + "python -m hypergcn evaluate --model {input.model} --data {input.data}"
        " --modality {wildcards.modality} --scores {output.scores} --metrics {output.metrics}"
        " {params.val} --device $device --threads {threads} > {log} 2>&1"


# The authors' released checkpoints (config `pretrained:`), evaluated beside, never over, our own models.
rule evaluate_pretrained:
    input:
        checkpoint=pretrained_checkpoint,
        data="results/data/{dataset}/{benchmark}.h5",
    output:
        scores="results/pretrained/{dataset}/{benchmark}/{size}/{modality}/scores.npz",
        metrics="results/pretrained/{dataset}/{benchmark}/{size}/{modality}/metrics.json",
    log:
        "results/logs/evaluate_pretrained/{dataset}/{benchmark}/{size}/{modality}.log",
    benchmark:
        "results/benchmarks/evaluate_pretrained/{dataset}/{benchmark}/{size}/{modality}.tsv"
    conda:
        "../../envs/train.yaml"
    threads: train_threads
    resources:
        gpu=GPU_PER_JOB,
    params:
        options=pretrained_options,
    shell:
        LAUNCH
        + "python -m hypergcn evaluate --pretrained {input.checkpoint} --data {input.data}"
        " --modality {wildcards.modality} {params.options} --scores {output.scores}"
        " --metrics {output.metrics} --device $device --threads {threads} > {log} 2>&1"


rule ensemble_streams:
    input:
        scores=ensemble_scores,
        val=ensemble_val_scores,
    output:
        metrics="results/ensemble/{dataset}/{benchmark}/{size}/{streams}/metrics.json",
        scores="results/ensemble/{dataset}/{benchmark}/{size}/{streams}/scores.npz",
    log:
        "results/logs/ensemble_streams/{dataset}/{benchmark}/{size}/{streams}.log",
    localrule: True
    conda:
        "../../envs/report.yaml"
    params:
        options=ensemble_options,
    shell:
        "python -m hypergcn ensemble --streams {wildcards.streams} --scores {input.scores}"
        " {params.options} --metrics {output.metrics} --out-scores {output.scores}"
        " --dataset {wildcards.dataset} --benchmark {wildcards.benchmark} --size {wildcards.size}"
        " > {log} 2>&1"
