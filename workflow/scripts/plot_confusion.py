"""Thin glue for rule plot_confusion: the row-normalised confusion matrix of one metrics.json."""

import contextlib
import logging
from pathlib import Path

from hypergcn.datasets import action_names
from hypergcn.evaluation.summary import plot_confusion
from hypergcn.log import configure_logging

snakemake = globals()["snakemake"]
with open(snakemake.log[0], "w", buffering=1) as log, contextlib.redirect_stderr(log):
    configure_logging()  # to stderr, redirected to the rule log
    dataset = snakemake.wildcards.dataset
    names = None if dataset == "demo" else action_names(dataset)  # demo classes are synthetic
    plot_confusion(Path(snakemake.input[0]), Path(snakemake.output[0]), class_names=names)
    logging.getLogger("hypergcn").info("wrote %s", snakemake.output[0])
