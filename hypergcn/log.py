"""Logging set-up shared by the command line and the workflow scripts."""

from __future__ import annotations

import logging
import sys


def configure_logging(log_file: str | None = None, level: int = logging.INFO) -> logging.Logger:
    """Send the package's log records to ``log_file`` (a rule's log) or to stderr.

    Records are one line each with a timestamp: log files stay readable (no progress-bar carriage returns).
    """
    handler: logging.Handler = (
        logging.FileHandler(log_file, mode="a") if log_file else logging.StreamHandler(sys.stderr)
    )
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
    )
    root = logging.getLogger("hypergcn")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    return root
