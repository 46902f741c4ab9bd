"""Shared fixtures: run the Snakemake workflow through its Python API on tiny synthetic data."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]


def run_workflow(
    workdir: Path,
    targets: list[str] | None = None,
    config: dict[str, Any] | None = None,
    configfiles: list[Path] | None = None,
    cores: int = 2,
    forcerun: list[str] | None = None,
    until: list[str] | None = None,
    dryrun: bool = False,
    rerun_incomplete: bool = True,
) -> None:
    """Run (or dry-run) the repository's Snakefile in ``workdir`` with ``config`` merged over the default.

    The API reads no profile, so cores and the gpu resource limit are passed explicitly (gpu=0 here:
    no GPU on the test machines, and training jobs then request none).
    """
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import (
        ConfigSettings,
        DAGSettings,
        ExecutionSettings,
        OutputSettings,
        ResourceSettings,
        StorageSettings,
    )

    workdir.mkdir(parents=True, exist_ok=True)
    old_cwd = os.getcwd()
    try:
        with SnakemakeApi(OutputSettings(show_failed_logs=True)) as api:
            workflow_api = api.workflow(
                resource_settings=ResourceSettings(cores=cores, resources={"gpu": 0}),
                config_settings=ConfigSettings(config=config or {}, configfiles=list(configfiles or [])),
                storage_settings=StorageSettings(),
                workdir=workdir,
                snakefile=REPO / "Snakefile",
            )
            dag_api = workflow_api.dag(
                DAGSettings(
                    targets=set(targets or []),
                    forcerun=set(forcerun or []),
                    until=set(until or []),
                    force_incomplete=rerun_incomplete,
                )
            )
            if dryrun:
                dag_api.execute_workflow(executor="dryrun")
            else:
                dag_api.execute_workflow(executor="local", execution_settings=ExecutionSettings())
    finally:
        os.chdir(old_cwd)


@pytest.fixture
def workflow_runner():
    """The ``run_workflow`` helper as a fixture."""
    return run_workflow


@pytest.fixture(autouse=True)
def _restore_package_logger():
    """CLI entry points point the ``hypergcn`` logger at a file and stop propagation; undo that per test
    so ``caplog`` in a later test still sees the package's records."""
    import logging

    logger = logging.getLogger("hypergcn")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]
