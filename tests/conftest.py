"""Shared fixtures: run the Snakemake workflow through its Python API on tiny synthetic data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
# The test suite's tiny demo: 4 subjects, 1 repetition, 2 epochs of window 16, and figures of 2 samples with
# 4-frame GIFs, so the whole DAG with every report figure runs in about two minutes on 2 cores.
DEMO_OVERLAY = {
    "demo": {"subjects": [1, 2, 3, 4], "repetitions": 1},
    "recipe_overrides": {
        "demo": {
            "epochs": 2,
            "batch_size": 16,
            "test_batch_size": 32,
            "warmup_epochs": 1,
            "lr_steps": [],
            "window": 16,
            "num_workers": 0,
        }
    },
    "figures": {"classes": 2, "gif_frames": 4},
}


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


def build_report(workdir: Path, out: Path, configfiles: list[Path]) -> None:
    """``snakemake --report`` of a finished run (a subprocess: the report is a CLI feature)."""
    cmd = [
        sys.executable, "-m", "snakemake", "--report", str(out), "-s", str(REPO / "Snakefile"), "-d", str(workdir),
        "--workflow-profile", "none", "--cores", "1", "--configfile", *map(str, configfiles),
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and out.exists(), done.stdout + done.stderr


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> Path:
    """Workdir of a finished tiny demo run (``DEMO_OVERLAY``, written there as ``overlay.yaml`` for CLI runs)
    with its HTML report ``report.html``.

    One run serves the workflow tests and the browser test. The report is built at once, before any test
    changes the workdir (the workflow tests add a seed and retrain a stream), so it shows the run as made.
    """
    workdir = tmp_path_factory.mktemp("demo_full")
    overlay = workdir / "overlay.yaml"
    overlay.write_text(yaml.safe_dump(DEMO_OVERLAY))
    run_workflow(workdir, configfiles=[overlay])
    build_report(workdir, workdir / "report.html", [overlay])
    return workdir


@pytest.fixture
def workflow_runner():
    """The ``run_workflow`` helper as a fixture."""
    return run_workflow


@pytest.fixture(autouse=True)
def _restore_package_logger():
    """CLI entry points point the ``hypergcn`` logger at a file and stop propagation; reset it to logging's
    defaults after every test so ``caplog`` in a later test still sees the package's records (also when a
    module-scoped fixture ran a command, before any test's own set-up could note the logger's state)."""
    import logging

    yield
    logger = logging.getLogger("hypergcn")
    logger.handlers[:], logger.level, logger.propagate = [], logging.NOTSET, True


@pytest.fixture
def one_thread():
    """torch on one thread for the test (the model tests' sizes run fastest so on 2 shared cores)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
