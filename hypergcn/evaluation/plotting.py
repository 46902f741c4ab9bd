"""What every report figure shares: a headless pyplot, atomic saving, and the class labels of a dataset.

matplotlib is an ordinary dependency; it is imported on first use so that commands that draw nothing (and
the workflow's rule files, which import the package) do not pay for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypergcn.datasets import action_names, known_datasets
from hypergcn.io import atomic_path


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend: figures are files, never windows (jobs have no display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Any, out: Path, dpi: int = 110) -> None:
    """Write ``fig`` atomically in the format of ``out``'s suffix (a killed job leaves no half image) and
    close it, so a job drawing many figures does not keep them all in memory."""
    out = Path(out)
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format=out.suffix.lstrip(".") or "png", dpi=dpi)
    pyplot().close(fig)


def action_names_of(dataset: str) -> list[str] | None:
    """The dataset's action names in label order; ``None`` for the NTU demo (its synthetic classes only
    borrow NTU's labels, so a real action's name would mislead: ``DatasetInfo.actions_named``) or an unknown
    dataset (a user's declaration is known once registered: the figure commands' ``--declaration``)."""
    info = known_datasets().get(dataset)
    return action_names(dataset) if info is not None and info.actions_named else None


def class_names(dataset: str, num_class: int) -> list[str]:
    """The action name of every class, or "class <label>" where the dataset has none."""
    names = action_names_of(dataset) or []
    return [names[k] if k < len(names) else f"class {k}" for k in range(num_class)]


def class_labels(dataset: str, num_class: int) -> list[str]:
    """ "<label> <action name>" per class, or "class <label>" where the dataset has no action names."""
    names = action_names_of(dataset) or []
    return [f"{k} {names[k]}" if k < len(names) else f"class {k}" for k in range(num_class)]
