# The results table, the report's plots and tables (captions in workflow/report/).


report: "../report/workflow.rst"


rule summarize_results:
    input:
        eval=summary_inputs("eval"),
        ensemble=summary_inputs("ensemble"),
        pretrained=summary_pretrained_inputs,
    output:
        summary=report(
            "results/summary.csv",
            caption="../report/summary.rst",
            category="Results",
            labels={"table": "top-1 (%) per seed set and selection"},
        ),
        paper=report(
            "results/report/summary/paper_table.csv",
            caption="../report/paper_table.rst",
            category="Results",
            labels={"table": "paper-style top-1 (%)"},
        ),
    log:
        "results/logs/summarize_results.log",
    localrule: True
    conda:
        "../../envs/report.yaml"
    params:
        headline=DEVIATIONS["model_selection"],
    shell:
        "hypergcn summarize --eval {input.eval:q} --ensemble {input.ensemble:q}"
        " --pretrained {input.pretrained:q} --headline {params.headline}"
        " --out {output.summary:q} --paper-table {output.paper:q} > {log:q} 2>&1"


rule plot_summary:
    input:
        "results/summary.csv",
    output:
        report(
            "results/report/summary/top1.png",
            caption="../report/summary_plot.rst",
            category="Results",
            labels={"table": "top-1 with error bars"},
        ),
    log:
        "results/logs/plot_summary.log",
    localrule: True
    conda:
        "../../envs/report.yaml"
    shell:
        "hypergcn figure summary --summary {input:q} --out {output:q} > {log:q} 2>&1"


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
    params:
        declaration=declaration_option,
    shell:
        "hypergcn figure confusion --metrics {input:q} --dataset {wildcards.dataset}"
        " {params.declaration:q}"
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


# What the model learned: the hypergraphs it builds for test samples (PNG + GIF per sample), the t-SNE of its
# pooled features, and the per-class results. The first seed and the honest selection throughout.
rule plot_hypergraphs:
    input:
        model=hypergraph_model,
        data="results/data/{dataset}/{benchmark}.h5",
    output:
        report(
            directory(
                "results/report/hypergraphs/{kind}/{dataset}/{benchmark}/{size}/{modality}"
            ),
            patterns=["{sample}.{ext}"],
            caption="../report/hypergraphs.rst",
            category="Hypergraphs",
            subcategory="{dataset}/{benchmark}/{size}",
            labels={
                "model": "{kind}",
                "stream": "{modality}",
                "sample": "{sample}",
                "file": "{ext}",
            },
        ),
    log:
        "results/logs/plot_hypergraphs/{kind}/{dataset}/{benchmark}/{size}/{modality}.log",
    wildcard_constraints:
        kind="train|pretrained",
    localrule: True
    conda:
        "../../envs/report.yaml"
    threads: 1
    params:
        source=hypergraph_source,
        options=hypergraph_options,
    shell:
        "hypergcn figure hypergraphs {params.source:q} --data {input.data:q}"
        " --modality {wildcards.modality} {params.options:q} --threads {threads}"
        " --out-dir {output:q} > {log:q} 2>&1"


rule plot_embeddings:
    input:
        "results/{kind}/{dataset}/{benchmark}/{size}/{modality}/features.npz",
    output:
        report(
            "results/report/tsne/{kind}/{dataset}/{benchmark}/{size}/{modality}.png",
            caption="../report/tsne.rst",
            category="Embeddings (t-SNE)",
            subcategory="{dataset}/{benchmark}/{size}",
            labels={"model": "{kind}", "stream": "{modality}"},
        ),
    log:
        "results/logs/plot_embeddings/{kind}/{dataset}/{benchmark}/{size}/{modality}.log",
    wildcard_constraints:
        kind="eval|pretrained",
    localrule: True
    conda:
        "../../envs/report.yaml"
    params:
        declaration=declaration_option,
        title=figure_title,
    shell:
        "hypergcn figure tsne --features {input:q} --dataset {wildcards.dataset}"
        " {params.declaration:q}"
        " --title {params.title:q} --out {output:q} > {log:q} 2>&1"


rule plot_per_class:
    input:
        "results/{kind}/{dataset}/{benchmark}/{size}/{name}/metrics.json",
    output:
        chart=report(
            "results/report/per_class/{kind}/{dataset}/{benchmark}/{size}/{name}.png",
            caption="../report/per_class.rst",
            category="Per-class accuracy",
            subcategory="{dataset}/{benchmark}/{size}",
            labels={
                "source": "{kind}",
                "streams": "{name}",
                "table": "accuracy per class",
            },
        ),
        pairs=report(
            "results/report/per_class/{kind}/{dataset}/{benchmark}/{size}/{name}-confused.csv",
            caption="../report/confused_pairs.rst",
            category="Per-class accuracy",
            subcategory="{dataset}/{benchmark}/{size}",
            labels={
                "source": "{kind}",
                "streams": "{name}",
                "table": "most-confused pairs",
            },
        ),
    log:
        "results/logs/plot_per_class/{kind}/{dataset}/{benchmark}/{size}/{name}.log",
    wildcard_constraints:
        kind="eval|ensemble|pretrained",
        name="|".join([*MODALITIES, *STREAM_SETS]),
    localrule: True
    conda:
        "../../envs/report.yaml"
    params:
        declaration=declaration_option,
    shell:
        "hypergcn figure per-class --metrics {input:q} --dataset {wildcards.dataset}"
        " {params.declaration:q}"
        " --out {output.chart:q} --pairs {output.pairs:q} > {log:q} 2>&1"
