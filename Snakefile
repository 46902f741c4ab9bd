# hypergcn-pipeline: Hyper-GCN (ICCV 2025) from raw skeletons to the paper's ensemble table.
# Thin entry point: configuration, rule files, and the default target.
from snakemake.utils import min_version

min_version("9.0")


# The default config lives beside this file, so a run from another working directory still finds it.
configfile: f"{workflow.basedir}/config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        all_targets(),
