# Evaluation of trained models and of the authors' released weights, and the fusion of stream scores.


# model.pt keeps the weights of each model selection; this rule scores one: the honest one (best validation
# epoch with a validation split, else the last epoch) under today's paths, or the best test epoch (selected
# on the TEST set, the authors' protocol) beside it, suffixed -best-test ({selected}). features.npz holds the
# pooled final features of the same forward pass, for the report's t-SNE maps.
rule evaluate_model:
    input:
        model="results/train/{dataset}/{benchmark}/{size}/{modality}{seeddir}/model.pt",
        data="results/data/{dataset}/{benchmark}.h5",
    output:
        **VAL_SCORES,
        scores="results/eval/{dataset}/{benchmark}/{size}/{modality}{seeddir}/scores{selected}.npz",
        metrics="results/eval/{dataset}/{benchmark}/{size}/{modality}{seeddir}/metrics{selected}.json",
        features="results/eval/{dataset}/{benchmark}/{size}/{modality}{seeddir}/features{selected}.npz",
    log:
        "results/logs/evaluate_model/{dataset}/{benchmark}/{size}/{modality}{seeddir}{selected}.log",
    benchmark:
        "results/benchmarks/evaluate_model/{dataset}/{benchmark}/{size}/{modality}{seeddir}{selected}.tsv"
    conda:
        "../../envs/train.yaml"
    threads: train_threads
    resources:
        gpu=GPU_PER_JOB,
    params:
        selection=selection_of,
        val=val_scores_option,
        device=device,
    shell:
        "hypergcn evaluate --model {input.model:q} --selection {params.selection} --data {input.data:q}"
        " --modality {wildcards.modality} --scores {output.scores:q} --metrics {output.metrics:q}"
        " --features {output.features:q} {params.val:q} --device {params.device} --threads {threads}"
        " > {log:q} 2>&1"


# The authors' released weights (config `pretrained:`), evaluated beside, never over, our own models.
rule evaluate_pretrained:
    input:
        weights=pretrained_weights,
        data="results/data/{dataset}/{benchmark}.h5",
    output:
        scores="results/pretrained/{dataset}/{benchmark}/{size}/{modality}/scores.npz",
        metrics="results/pretrained/{dataset}/{benchmark}/{size}/{modality}/metrics.json",
        features="results/pretrained/{dataset}/{benchmark}/{size}/{modality}/features.npz",
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
        " --metrics {output.metrics:q} --features {output.features:q} --device {params.device}"
        " --threads {threads} > {log:q} 2>&1"


rule ensemble_streams:
    input:
        scores=ensemble_scores,
        val=ensemble_val_scores,
    output:
        metrics="results/ensemble/{dataset}/{benchmark}/{size}/{streams}{seeddir}/metrics{selected}.json",
        scores="results/ensemble/{dataset}/{benchmark}/{size}/{streams}{seeddir}/scores{selected}.npz",
    log:
        "results/logs/ensemble_streams/{dataset}/{benchmark}/{size}/{streams}{seeddir}{selected}.log",
    localrule: True
    conda:
        "../../envs/report.yaml"
    params:
        weights=fusion_weights,
        search=search_option,
        seed=seed_of,
        selection=selection_of,
    shell:
        "hypergcn ensemble --streams {wildcards.streams} --scores {input.scores:q}"
        " --weights {params.weights} {params.search:q} --metrics {output.metrics:q}"
        " --out-scores {output.scores:q} --dataset {wildcards.dataset}"
        " --benchmark {wildcards.benchmark} --size {wildcards.size} --seed {params.seed}"
        " --selection {params.selection} > {log:q} 2>&1"
