# Training: one job per (dataset, benchmark, size, modality, seed), resumable from undeclared checkpoints.
# The first seed writes to the seedless paths, the others to .../{modality}/seed-<n>/ ({seeddir}).


# Resume: checkpoints go to the undeclared checkpoints/ folder every epoch; a rerun of a killed job
# (--rerun-incomplete, in the default profile) continues from the newest readable one. If the run
# description changed since, the job refuses and lists the changes; start over with
# `HYPERGCN_RESTART=1 snakemake ...` (or delete the folder). Edits to the hypergcn package do not rerun
# training: use `-R train_model`.
rule train_model:
    input:
        data="results/data/{dataset}/{benchmark}.h5",
    output:
        model="results/train/{dataset}/{benchmark}/{size}/{modality}{seeddir}/model.pt",
        metrics=report(
            "results/train/{dataset}/{benchmark}/{size}/{modality}{seeddir}/metrics.csv",
            caption="../report/train_metrics.rst",
            category="Training",
            subcategory="{dataset}/{benchmark}/{size}",
            labels={
                "modality": "{modality}",
                "seed": "{seeddir}",
                "table": "metrics per epoch",
            },
        ),
    log:
        "results/logs/train_model/{dataset}/{benchmark}/{size}/{modality}{seeddir}.log",
    benchmark:
        "results/benchmarks/train_model/{dataset}/{benchmark}/{size}/{modality}{seeddir}.tsv"
    conda:
        "../../envs/train.yaml"
    threads: train_threads
    resources:
        gpu=GPU_PER_JOB,
    params:
        run=run_description,
        launcher=launcher,
        device=device,
    shell:
        "{params.launcher} train --run {params.run:q} --data {input.data:q} --model {output.model:q}"
        " --metrics {output.metrics:q} --device {params.device} --threads {threads} > {log:q} 2>&1"
