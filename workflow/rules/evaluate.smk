# Evaluation of trained models and of the authors' released weights, and the fusion of stream scores.


# The configured model selection (deviations.model_selection) picks one of the weights model.pt keeps
# (last, best validation, best test epoch): changing it re-evaluates and never retrains.
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
        selection=DEVIATIONS["model_selection"],
        val=val_scores_option,
        device=device,
    shell:
        "hypergcn evaluate --model {input.model:q} --selection {params.selection} --data {input.data:q}"
        " --modality {wildcards.modality} --scores {output.scores:q} --metrics {output.metrics:q}"
        " {params.val:q} --device {params.device} --threads {threads} > {log:q} 2>&1"


# The authors' released weights (config `pretrained:`), evaluated beside, never over, our own models.
rule evaluate_pretrained:
    input:
        weights=pretrained_weights,
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
        run=run_description,
        sha256=sha256_option,
        device=device,
    shell:
        "hypergcn evaluate --pretrained {input.weights:q} {params.sha256:q} --run {params.run:q}"
        " --data {input.data:q} --modality {wildcards.modality} --scores {output.scores:q}"
        " --metrics {output.metrics:q} --device {params.device} --threads {threads} > {log:q} 2>&1"


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
        weights=fusion_weights,
        search=search_option,
    shell:
        "hypergcn ensemble --streams {wildcards.streams} --scores {input.scores:q}"
        " --weights {params.weights} {params.search:q} --metrics {output.metrics:q}"
        " --out-scores {output.scores:q} --dataset {wildcards.dataset}"
        " --benchmark {wildcards.benchmark} --size {wildcards.size} > {log:q} 2>&1"
