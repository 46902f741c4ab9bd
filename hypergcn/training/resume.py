"""Whether a training job resumes, and from which checkpoint: decided once, on rank 0, for every rank."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from hypergcn.training import checkpoint as ckpt
from hypergcn.training.distributed import DistContext, broadcast_object

log = logging.getLogger("hypergcn.training.trainer")
RESTART_ENV = "HYPERGCN_RESTART"


def _stale_message(path: Path, old: dict[str, Any], new: dict[str, Any], folder: Path) -> str:
    changes = ckpt.config_changes(old, new)
    return (
        f"refusing to resume from {path}: it was written by a run with a different config "
        f"({len(changes)} change(s)):\n  " + "\n  ".join(changes[:20]) + "\nTo discard it and start over, "
        f"pass --restart (or set {RESTART_ENV}=1 for a workflow run, e.g. `{RESTART_ENV}=1 snakemake ...`), "
        f"or delete {folder}."
    )


def _decide(
    folder: Path, result: dict[str, Any], digest: str, restart: bool
) -> tuple[str | None, str | None]:
    """(checkpoint to resume from, error message): at most one of them is set."""
    if restart:
        log.info("restart requested: removing checkpoints in %s", folder)
        ckpt.clear_checkpoints(folder)
        return None, None
    if ckpt.is_completed(folder):
        log.info("checkpoints in %s belong to a finished run; starting over", folder)
        ckpt.clear_checkpoints(folder)
        return None, None
    found = ckpt.load_latest_checkpoint(folder)
    if found is None:
        return None, None
    state, path = found
    if state.get("config_digest") != digest:
        return None, _stale_message(path, state.get("config", {}), result, folder)
    return str(path), None


def resume_decision(
    folder: Path, result: dict[str, Any], digest: str, ctx: DistContext, restart: bool = False
) -> Path | None:
    """The checkpoint to resume from, or None to start fresh; raises if the checkpoint is stale.

    A checkpoint whose run description or data differ from this run's (``result``, ``digest``) is never
    resumed silently: the error lists the changed keys and how to start over.
    """
    decision: Any = (None, None)
    if ctx.is_main:
        decision = _decide(folder, result, digest, restart)
    path, error = broadcast_object(ctx, decision)  # type: ignore[misc]
    if error:
        raise ckpt.StaleCheckpointError(error)
    return Path(path) if path else None
