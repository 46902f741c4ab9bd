# The results table, the report's plots and tables (captions in workflow/report/).


report: "../report/workflow.rst"


rule summarize_results:
    input:
        eval=summary_eval_inputs,
        ensemble=summary_ensemble_inputs,
        pretrained=summary_pretrained_inputs,
    output:
        report(
            "results/summary.csv",
            caption="../report/summary.rst",
            category="Results",
            labels={"table": "top-1 (%)"},
        ),
    log:
        "results/logs/summarize_results.log",
    localrule: True
    conda:
        "../../envs/report.yaml"
    shell:
        "hypergcn summarize --eval {input.eval:q} --ensemble {input.ensemble:q}"
        " --pretrained {input.pretrained:q} --out {output:q} > {log:q} 2>&1"


rule plot_training_curves:
    input:
        curve_inputs,
    output:
        report(
            "results/report/curves/{dataset}/{benchmark}/{size}.png",
            caption="../report/curves.rst",
            category="Training",
            subcategory="{dataset}/{benchmark}/{size}",
            labels={"modality": "all streams", "table": "training curves"},
        ),
    log:
        "results/logs/plot_training_curves/{dataset}/{benchmark}/{size}.log",
    localrule: True
    conda:
        "../../envs/report.yaml"
    shell:
        "hypergcn figure curves --metrics {input:q} --out {output:q}"
        " --title {wildcards.dataset}/{wildcards.benchmark}/{wildcards.size} > {log:q} 2>&1"


rule plot_confusion:
    input:
        "results/{kind}/{dataset}/{benchmark}/{size}/{name}/metrics.json",
    output:
        report(
            "results/report/confusion/{kind}/{dataset}/{benchmark}/{size}/{name}.png",
            caption="../report/confusion.rst",
            category="Confusion matrices",
            subcategory="{dataset}/{benchmark}/{size}",
            labels={"source": "{kind}", "streams": "{name}"},
        ),
    log:
        "results/logs/plot_confusion/{kind}/{dataset}/{benchmark}/{size}/{name}.log",
    wildcard_constraints:
        kind="eval|ensemble|pretrained",
        name="|".join([*MODALITIES, *STREAM_SETS]),
    localrule: True
    conda:
        "../../envs/report.yaml"
    shell:
        "hypergcn figure confusion --metrics {input:q} --dataset {wildcards.dataset}"
        " --out {output:q} > {log:q} 2>&1"


rule tabulate_statistics:
    input:
        "results/data/{dataset}/statistics.json",
    output:
        report(
            "results/report/statistics/{dataset}.csv",
            caption="../report/statistics.rst",
            category="Data",
            labels={"dataset": "{dataset}", "table": "statistics"},
        ),
    log:
        "results/logs/tabulate_statistics/{dataset}.log",
    localrule: True
    conda:
        "../../envs/report.yaml"
    shell:
        "hypergcn figure statistics --statistics {input:q} --out {output:q} > {log:q} 2>&1"
