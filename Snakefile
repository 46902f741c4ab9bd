# hypergcn-pipeline: Hyper-GCN (ICCV 2025) from raw skeletons to the paper's ensemble table.
# The whole story in one place: the configuration, every helper file, every rule file, the default target.
from snakemake.utils import min_version

min_version("9.0")


# The default config lives beside this file, so a run from another working directory still finds it.
configfile: f"{workflow.basedir}/config/config.yaml"


# Helpers: config checks, wildcards and targets; then the inputs and params of each group of rules.
include: "workflow/rules/common.smk"
include: "workflow/rules/data_params.smk"
include: "workflow/rules/run_params.smk"
include: "workflow/rules/predict_params.smk"
# Rules, in DAG order.
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/predict.smk"


rule all:
    default_target: True
    input:
        all_targets(),
