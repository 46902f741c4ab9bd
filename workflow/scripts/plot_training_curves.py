"""Thin glue for rule plot_training_curves: per-epoch loss, top-1 and LR of every stream of one column."""

import contextlib
import logging
from pathlib import Path

from hypergcn.evaluation.summary import plot_training_curves
from hypergcn.log import configure_logging

snakemake = globals()["snakemake"]
with open(snakemake.log[0], "w", buffering=1) as log, contextlib.redirect_stderr(log):
    configure_logging()  # to stderr, redirected to the rule log
    paths = [Path(p) for p in snakemake.input]
    labels = [p.parent.name for p in paths]  # .../{modality}/metrics.csv
    w = snakemake.wildcards
    plot_training_curves(
        paths, labels, Path(snakemake.output[0]), title=f"{w.dataset}/{w.benchmark}/{w.size}"
    )
    logging.getLogger("hypergcn").info("wrote %s", snakemake.output[0])
