"""Thin glue for rule tabulate_statistics: statistics.json of the data stage as a report table."""

import contextlib
import logging
from pathlib import Path

from hypergcn.evaluation.summary import statistics_table
from hypergcn.log import configure_logging

snakemake = globals()["snakemake"]
with open(snakemake.log[0], "w", buffering=1) as log, contextlib.redirect_stderr(log):
    configure_logging()  # to stderr, redirected to the rule log
    statistics_table(Path(snakemake.input[0]), Path(snakemake.output[0]))
    logging.getLogger("hypergcn").info("wrote %s", snakemake.output[0])
