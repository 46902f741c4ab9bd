"""Resumable training state: atomic per-epoch checkpoints with checksums, fallback, and stale-config checks.

Snakemake deletes a job's declared outputs before it starts, so the checkpoints live in an undeclared
``checkpoints/`` folder beside them. Each epoch writes ``epoch-<NNNN>.pt`` (``torch.save`` of plain
containers and tensors, loadable with ``weights_only=True``) plus ``epoch-<NNNN>.pt.sha256``. The sidecar is
written before the checkpoint is renamed into place, so every checkpoint visible under its final name has a
checksum; a truncated or otherwise damaged file fails the checksum (or ``torch.load``) and the previous
checkpoint is used with a warning. The last ``keep`` (2) checkpoints are kept.

A run that finished writes ``COMPLETED``: the next start of the same job is a deliberate rerun (``snakemake
-R``, or a config change after success), not a resume, so it starts from scratch instead of refusing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch

from hypergcn.io import atomic_path, sha256sum

log = logging.getLogger(__name__)

_NAME = re.compile(r"^epoch-(\d{4,})\.pt$")
COMPLETED = "COMPLETED"


class StaleCheckpointError(RuntimeError):
    """The checkpoint on disk belongs to a run with a different recipe, data file or model."""


def checkpoint_path(directory: str | os.PathLike, epoch: int) -> Path:
    """``epoch`` is the number of completed epochs the checkpoint holds (1-based)."""
    return Path(directory) / f"epoch-{epoch:04d}.pt"


def list_checkpoints(directory: str | os.PathLike) -> list[tuple[int, Path]]:
    """(epoch, path) of every checkpoint file in ``directory``, newest first."""
    folder = Path(directory)
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := _NAME.match(p.name))]
    return sorted(found, reverse=True)


def save_checkpoint(directory: str | os.PathLike, epoch: int, state: dict[str, Any], keep: int = 2) -> Path:
    """Write ``state`` as the checkpoint of ``epoch`` atomically, then prune to the newest ``keep``."""
    final = checkpoint_path(directory, epoch)
    with atomic_path(final) as tmp:
        torch.save(state, tmp)
        digest = sha256sum(tmp)
        # The sidecar first: a checkpoint visible under its final name always has its checksum.
        with atomic_path(_sidecar(final)) as tmp_sum:
            tmp_sum.write_text(f"{digest}  {final.name}\n")
    (Path(directory) / COMPLETED).unlink(missing_ok=True)
    for _, old in list_checkpoints(directory)[keep:]:
        old.unlink(missing_ok=True)
        _sidecar(old).unlink(missing_ok=True)
    return final


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Load one checkpoint after verifying its checksum; raise ``ValueError`` if it is damaged."""
    path = Path(path)
    sidecar = _sidecar(path)
    if sidecar.exists():
        expected = sidecar.read_text().split()[0] if sidecar.read_text().strip() else ""
        actual = sha256sum(path)
        if expected != actual:
            raise ValueError(
                f"checksum mismatch for {path} (expected {expected[:12]}..., got {actual[:12]}...)"
            )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # truncated zip, unpickling error, ...
        raise ValueError(f"cannot read checkpoint {path}: {err}") from err
    if not isinstance(state, dict) or "model" not in state or "epoch" not in state:
        raise ValueError(f"{path} is not a training checkpoint")
    return state


def load_latest_checkpoint(directory: str | os.PathLike) -> tuple[dict[str, Any], Path] | None:
    """The newest readable checkpoint; damaged newer ones are skipped with a warning. None if none."""
    for _, path in list_checkpoints(directory):
        try:
            return load_checkpoint(path), path
        except ValueError as err:
            log.warning("checkpoint %s is damaged (%s); falling back to the previous one", path.name, err)
    return None


def mark_completed(directory: str | os.PathLike, digest: str) -> None:
    """Record that the run owning these checkpoints finished and wrote its declared outputs."""
    with atomic_path(Path(directory) / COMPLETED) as tmp:
        tmp.write_text(json.dumps({"config_digest": digest}) + "\n")


def is_completed(directory: str | os.PathLike) -> bool:
    return (Path(directory) / COMPLETED).exists()


def clear_checkpoints(directory: str | os.PathLike) -> None:
    """Remove every checkpoint, sidecar and marker (a fresh start)."""
    folder = Path(directory)
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if _NAME.match(path.name) or path.name.endswith(".pt.sha256") or path.name == COMPLETED:
            path.unlink(missing_ok=True)


def config_changes(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Human-readable differences between two JSON-like configs, one ``key: old -> new`` per leaf."""
    if isinstance(old, dict) and isinstance(new, dict):
        changes: list[str] = []
        for key in sorted(set(old) | set(new), key=str):
            name = f"{prefix}.{key}" if prefix else str(key)
            if key not in old:
                changes.append(f"{name}: (absent) -> {new[key]!r}")
            elif key not in new:
                changes.append(f"{name}: {old[key]!r} -> (absent)")
            else:
                changes.extend(config_changes(old[key], new[key], name))
        return changes
    return [] if old == new else [f"{prefix or 'config'}: {old!r} -> {new!r}"]


def rng_state() -> dict[str, Any]:
    """Every global RNG state as tensors and plain containers (``weights_only``-loadable)."""
    np_name, np_keys, np_pos, np_has_gauss, np_gauss = np.random.get_state()
    py_version, py_state, py_gauss = random.getstate()
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": {
            "name": str(np_name),
            "keys": torch.from_numpy(np.asarray(np_keys, dtype=np.int64)),
            "pos": int(np_pos),
            "has_gauss": int(np_has_gauss),
            "gauss": float(np_gauss),
        },
        "python": {"version": int(py_version), "state": list(py_state), "gauss": py_gauss},
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore :func:`rng_state` output."""
    torch.set_rng_state(state["torch"])
    npst = state["numpy"]
    np.random.set_state(
        (npst["name"], npst["keys"].numpy().astype(np.uint32), npst["pos"], npst["has_gauss"], npst["gauss"])
    )
    py = state["python"]
    random.setstate((py["version"], tuple(py["state"]), py["gauss"]))
    if "cuda" in state and torch.cuda.is_available():
        cuda_states = state["cuda"]
        if len(cuda_states) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(cuda_states)


def seed_everything(seed: int) -> None:
    """Seed torch (CPU and CUDA), numpy and ``random`` (the authors' ``init_seed`` without cudnn settings)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def derived_seed(*parts: int) -> int:
    """A stable 32-bit seed from integers (e.g. seed, rank, epoch), independent of Python's hash salt."""
    text = ",".join(str(int(p)) for p in parts).encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:4], "little")


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")
