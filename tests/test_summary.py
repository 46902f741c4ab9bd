"""The summary table: mean, sample std, min, max and n over seeds, the gap between the two selections, and the
paper-style table, on hand-written metrics files with hand-computed values."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from hypergcn.cli import main
from hypergcn.config import SELECTION_LABELS


def _metrics(folder: Path, name: str, top1: float, seed: int, selection: str, **identity) -> Path:
    fields = {"dataset": "ntu60", "benchmark": "xsub", "size": "base", "modality": "joint", **identity}
    record = {
        **fields,
        "top1": top1,
        "seed": seed,
        "selection_key": selection,
        "selection": SELECTION_LABELS[selection],
    }
    path = folder / f"{name}.json"
    path.write_text(json.dumps(record))
    return path


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_mean_std_min_max_and_gap_over_seeds(tmp_path: Path) -> None:
    evals = [
        _metrics(tmp_path, "a", 80.0, 1, "last"),
        _metrics(tmp_path, "b", 84.0, 2, "last"),
        _metrics(tmp_path, "c", 85.0, 1, "test"),
        _metrics(tmp_path, "d", 87.0, 2, "test"),
    ]
    fused = [_metrics(tmp_path, "e", 90.0, 1, "last", streams="j_b", modality=None)]
    out, paper = tmp_path / "summary.csv", tmp_path / "paper.csv"
    args = ["summarize", "--eval", *map(str, evals), "--ensemble", *map(str, fused), "--out", str(out)]
    assert main([*args, "--paper-table", str(paper), "--headline", "test"]) == 0
    honest, selected, ensemble = _rows(out)
    assert (honest["stream"], honest["selection"], honest["n"], honest["seeds"]) == (
        "joint",
        "last epoch",
        "2",
        "1 2",
    )
    # mean 82, sample std sqrt(((80 - 82)^2 + (84 - 82)^2) / 1) = sqrt(8) = 2.83
    assert (honest["mean"], honest["std"], honest["min"], honest["max"]) == (
        "82.00",
        "2.83",
        "80.00",
        "84.00",
    )
    assert (selected["mean"], selected["std"], selected["gap"], honest["gap"]) == (
        "86.00",
        "1.41",
        "4.00",
        "4.00",
    )
    assert (honest["headline"], selected["headline"]) == ("", "yes")
    # one seed: no spread, and no test-selected partner, so no gap
    assert (ensemble["stream"], ensemble["n"], ensemble["std"], ensemble["gap"]) == ("j_b", "1", "", "")
    with open(paper, newline="") as handle:
        header, *lines = list(csv.reader(handle))
    assert header == ["stream", "ntu60/xsub/base", "ntu60/xsub/base [test-selected]"]
    assert lines == [["joint", "82.00 ± 2.83", "86.00 ± 1.41"], ["j_b", "90.00", ""]]


def test_a_seed_given_twice_is_an_error(tmp_path: Path, capfd) -> None:
    evals = [_metrics(tmp_path, "a", 80.0, 1, "last"), _metrics(tmp_path, "b", 81.0, 1, "last")]
    assert main(["summarize", "--eval", *map(str, evals), "--out", str(tmp_path / "s.csv")]) == 1
    assert "b.json: a second result for seed 1 of ntu60/xsub/base/joint" in capfd.readouterr().err


def test_released_weights_get_their_own_rows(tmp_path: Path) -> None:
    ours = _metrics(tmp_path, "a", 80.0, 1, "last")
    theirs = tmp_path / "released.json"
    theirs.write_text(json.dumps({"dataset": "ntu60", "benchmark": "xsub", "size": "base", "modality": "joint",
                                  "top1": 90.1, "selection": "authors' released weights"}))  # fmt: skip
    out = tmp_path / "summary.csv"
    assert main(["summarize", "--eval", str(ours), "--pretrained", str(theirs), "--out", str(out)]) == 0
    rows = _rows(out)
    assert [r["selection"] for r in rows] == ["last epoch", "authors' released weights"]
    assert rows[1]["gap"] == "" and rows[1]["mean"] == "90.10"
