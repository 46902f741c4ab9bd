"""The report's figures of what the model learned: hypergraphs, t-SNE of the features, per-class results.

Helpers are checked on hand-made cases; the commands run end to end on a tiny benchmark file with a model
trained for one epoch (tests/test_trainer.py's helpers), from a model.pt and from released weights, for a
3-D and a 2-D skeleton and a model without virtual joints.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from hypergcn.cli import main
from hypergcn.evaluation import embeddings, hypergraph_figures
from hypergcn.evaluation.hypergraph_figures import (
    FigureOptions,
    LayerGraph,
    choose_samples,
    hyperedge_lines,
    sample_graphs,
    virtual_positions,
    write_sample_figures,
)
from hypergcn.evaluation.per_class import confused_pairs, per_class_figures
from hypergcn.io import load_npz
from hypergcn.layouts import NTU
from hypergcn.models import HyperGCN, model_config
from tests.test_trainer import spec_for, train, write_tiny_benchmark

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, Path]:
    """(benchmark file, model.pt of its joint stream after one epoch)."""
    folder = tmp_path_factory.mktemp("trained")
    data = write_tiny_benchmark(folder / "xsub.h5")
    train(spec_for(data, folder, recipe={"epochs": 1}))
    return data, folder / "model.pt"


# ------------------------------------------------------------------------------------------------ features
def test_evaluation_keeps_the_features_of_the_same_forward_pass(trained, tmp_path: Path) -> None:
    from hypergcn.data.benchmark_file import read_benchmark_info
    from hypergcn.evaluation.evaluate import evaluate, load_trained

    data, model_file = trained
    info = read_benchmark_info(data)
    loaded = load_trained(model_file, info, "joint")
    outputs = {"scores_out": tmp_path / "scores.npz", "metrics_out": tmp_path / "metrics.json"}
    evaluate(loaded, info, **outputs, features_out=tmp_path / "features.npz", device="cpu")
    scores, features = load_npz(tmp_path / "scores.npz"), load_npz(tmp_path / "features.npz")
    assert list(features["names"]) == list(scores["names"]) and list(features["labels"]) == list(
        scores["labels"]
    )
    assert features["features"].shape == (8, 256) and features["features"].dtype == np.float32
    with torch.no_grad():
        logits = loaded.model.fc(torch.from_numpy(features["features"])).numpy()
    np.testing.assert_allclose(logits, scores["logits"], rtol=1e-5, atol=1e-5)
    # without --features nothing else changes
    evaluate(loaded, info, scores_out=tmp_path / "again.npz", metrics_out=tmp_path / "m.json", device="cpu")
    np.testing.assert_array_equal(load_npz(tmp_path / "again.npz")["logits"], scores["logits"])


# ------------------------------------------------------------------------------------------------ hypergraphs
def _layer(incidence: np.ndarray, weights: np.ndarray, real: int) -> LayerGraph:
    """One head; links from the incidence as the model computes them."""
    from hypergcn.models.hypergcn import Hypergraph

    h = torch.from_numpy(incidence)[None, None]
    w = torch.from_numpy(weights)[None, None]
    links = Hypergraph(h, w, h).virtual_links(real)[0].numpy()
    return LayerGraph(incidence[None], weights[None], links)


def test_hyperedge_lines_and_virtual_joint_positions_by_hand() -> None:
    # 3 real joints (0, 1, 2) and 1 virtual joint (3); row u: u's weights on its nearest vertices
    incidence = np.array(
        [
            [0.6, 0.3, 0.0, 0.1],
            [0.2, 0.5, 0.3, 0.0],
            [0.0, 0.0, 0.4, 0.6],
            [0.5, 0.0, 0.0, 0.5],  # the virtual joint's own row: joint 0 and itself
        ]
    )
    weights = np.array([0.5, 1.0, -1.0, 0.2])
    graph = _layer(incidence, weights, real=3)
    lines = hyperedge_lines(graph, 0, 3)
    # strength H[u, e] * W_e^2, own hyperedge excluded, the two strongest per joint, none of strength 0
    assert [(u, e) for u, e, _ in lines] == [(0, 1), (0, 3), (1, 2), (1, 0), (2, 3)]
    assert [s for _, _, s in lines] == pytest.approx([0.3, 0.004, 0.3, 0.05, 0.024])
    # links of the virtual joint: column 3 (0.1, 0, 0.6) plus its row (0.5, 0, 0)
    np.testing.assert_allclose(graph.links[0, 0], [0.6, 0.0, 0.6])
    pose = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    position, linked = virtual_positions(graph, 0, pose)
    np.testing.assert_allclose(position, [[0.0, 1.0]])  # halfway between joints 0 and 2
    assert linked.tolist() == [True]
    unlinked = LayerGraph(graph.incidence, graph.weights, np.zeros_like(graph.links))
    position, linked = virtual_positions(unlinked, 0, pose)
    np.testing.assert_allclose(position, [pose.mean(axis=0)])
    assert linked.tolist() == [False]


def test_samples_are_chosen_by_name_or_as_the_first_of_each_class() -> None:
    names, labels = ["a", "b", "c", "d", "e"], np.array([2, 0, 2, 1, 0])
    assert choose_samples(names, labels, [], 8) == [1, 3, 0]
    assert choose_samples(names, labels, [], 2) == [1, 3]
    assert choose_samples(names, labels, ["e", "a"], 8) == [4, 0]
    with pytest.raises(ValueError, match=r"figures.samples: \['x'\]"):
        choose_samples(names, labels, ["x"], 8)


@pytest.mark.parametrize(("channels", "virtual_joints"), [(3, 3), (2, 3), (3, 0)])
def test_sample_figures_for_3d_2d_and_no_virtual_joints(tmp_path: Path, channels, virtual_joints) -> None:
    torch.manual_seed(0)
    config = model_config("base", "ntu60", in_channels=channels, virtual_joints=virtual_joints)
    model = HyperGCN(config).eval()
    frames = 12
    x = torch.randn(channels, frames, 25, 2)
    sample = sample_graphs(model, x, x[:, :, :, 0].permute(1, 2, 0).numpy(), "S001A001", 3, ["l1", "l9"])
    assert list(sample.layers) == ["l1", "l9"] and sample.positions.shape == (frames, 25, 2)
    graph = sample.layers["l9"]
    assert graph.incidence.shape == (8, 25 + virtual_joints, 25 + virtual_joints)
    assert graph.links.shape == (8, virtual_joints, 25)
    # the figure's graphs are the model's: person 1 of the accessor's output
    expected = model.hypergraphs(x.unsqueeze(0), ["l9"])["l9"]
    np.testing.assert_array_equal(graph.incidence, expected.incidence[0].numpy())
    options = FigureOptions(layers=("l1", "l9"), head=2, frames=3, gif_frames=5)
    png, gif = write_sample_figures(sample, options, NTU.edges, "a title", tmp_path)
    with Image.open(png) as image:
        assert image.size[0] > 300 and np.asarray(image.convert("L")).std() > 5
    with Image.open(gif) as image:
        assert image.n_frames == 5
    assert gif.stat().st_size <= hypergraph_figures.GIF_LIMIT


def test_hypergraph_command_from_a_model_file_and_from_released_weights(trained, tmp_path: Path) -> None:
    data, model_file = trained
    common = ["--data", str(data), "--modality", "joint", "--frames", "2", "--gif-frames", "3"]
    out = tmp_path / "ours"
    assert main(["figure", "hypergraphs", "--model", str(model_file), *common, "--out-dir", str(out)]) == 0
    # without names: the first test sample of each class (4 classes)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"test_{i}.{ext}" for i in range(4) for ext in ("gif", "png")
    )
    named = tmp_path / "named"
    args = ["--samples", "test_5", "--layers", "l4", "--head", "7"]
    assert (
        main(["figure", "hypergraphs", "--model", str(model_file), *common, *args, "--out-dir", str(named)])
        == 0
    )
    assert sorted(p.name for p in named.iterdir()) == ["test_5.gif", "test_5.png"]
    assert (
        main(
            [
                "figure",
                "hypergraphs",
                "--model",
                str(model_file),
                *common,
                "--head",
                "8",
                "--out-dir",
                str(named),
            ]
        )
        == 1
    )

    from hypergcn.models.model_file import load_model_file

    released = tmp_path / "runs-1-1.pt"
    loaded = load_model_file(model_file)
    torch.save(loaded.state_dict, released)
    run = json.dumps(loaded.metadata["run"])
    theirs = tmp_path / "theirs"
    argv = ["figure", "hypergraphs", "--pretrained", str(released), "--run", run, *common, "--classes", "1"]
    assert main([*argv, "--out-dir", str(theirs)]) == 0
    assert sorted(p.name for p in theirs.iterdir()) == ["test_0.gif", "test_0.png"]


# ------------------------------------------------------------------------------------------------ t-SNE
def test_knn_accuracy_perplexity_and_subsample() -> None:
    points = np.array([[0, 0], [0, 1], [1, 0], [10, 10], [10, 11], [11, 10]], dtype=float)
    assert embeddings.knn_accuracy(points, np.array([0, 0, 0, 1, 1, 1]), k=2) == 100.0
    # a 1-1 tie goes to the nearest: point 0's neighbours are 1 (label 1) then 2 (label 2)
    line = np.array([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0]])
    assert embeddings.knn_accuracy(line, np.array([1, 1, 2]), k=2) == pytest.approx(100 * 2 / 3)
    assert embeddings.perplexity_for(32) == pytest.approx(31 / 3) and embeddings.perplexity_for(5000) == 30
    kept = embeddings.subsample(5000, 2000)
    assert len(kept) == 2000 and np.array_equal(kept, embeddings.subsample(5000, 2000))
    assert np.all(np.diff(kept) > 0) and np.array_equal(embeddings.subsample(30, 2000), np.arange(30))


def test_tsne_of_separable_features_has_a_high_neighbour_accuracy(tmp_path: Path, monkeypatch) -> None:
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 40)
    features = rng.normal(size=(120, 16)) + 8 * np.eye(16)[labels]
    path = tmp_path / "features.npz"
    np.savez(
        path, names=np.array([f"s{i}" for i in range(120)]), labels=labels, features=features.astype("f4")
    )
    accuracy = embeddings.plot_tsne(path, "ntu60", tmp_path / "tsne.png", title="ntu60/xsub/base joint")
    assert accuracy > 90 and (tmp_path / "tsne.png").stat().st_size > 0
    monkeypatch.setattr(embeddings, "MAX_POINTS", 60)  # a large test split is sub-sampled
    assert (
        main(
            ["figure", "tsne", "--features", str(path), "--dataset", "demo", "--out", str(tmp_path / "s.png")]
        )
        == 0
    )
    with pytest.raises(ValueError, match="too few"):
        np.savez(path, names=np.array(["a", "b"]), labels=np.array([0, 1]), features=np.zeros((2, 4), "f4"))
        embeddings.plot_tsne(path, "demo", tmp_path / "x.png")


# ------------------------------------------------------------------------------------------------ per class
def test_confused_pairs_by_hand() -> None:
    confusion = np.array([[5, 3, 0], [1, 2, 4], [0, 4, 1]])
    # off-diagonal counts: (1, 2) 4 of 7, (2, 1) 4 of 5 (larger share first), (0, 1) 3, (1, 0) 1
    assert confused_pairs(confusion, top=3) == [
        (2, 1, 4, pytest.approx(80.0)),
        (1, 2, 4, pytest.approx(400 / 7)),
        (0, 1, 3, pytest.approx(37.5)),
    ]
    assert len(confused_pairs(confusion)) == 4  # zero cells are never listed
    assert confused_pairs(np.eye(3, dtype=int)) == []


def test_per_class_chart_is_readable_for_120_classes(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    confusion = rng.integers(0, 3, size=(120, 120)) + np.diag(rng.integers(0, 30, size=120))
    confusion[7] = 0  # a class without test samples
    totals = confusion.sum(axis=1)
    per_class = [100.0 * confusion[i, i] / totals[i] if totals[i] else None for i in range(120)]
    metrics = {"dataset": "ntu120", "benchmark": "xsub", "size": "base", "modality": "joint", "top1": 50.0,
               "n": int(totals.sum()), "per_class": per_class, "confusion": confusion.tolist()}  # fmt: skip
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps(metrics))
    per_class_figures(path, "ntu120", tmp_path / "chart.png", tmp_path / "pairs.csv")
    with Image.open(tmp_path / "chart.png") as image:
        width, height = image.size
    assert height > 119 * 0.16 * 110 and width < height  # about 0.16 inch per class at 110 dpi
    with open(tmp_path / "pairs.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 10 and rows[0]["rank"] == "1"
    counts = [int(row["count"]) for row in rows]
    assert counts == sorted(counts, reverse=True)
    from hypergcn.datasets import action_names

    first = rows[0]
    assert first["true_action"] == action_names("ntu120")[int(first["true_label"])]
    # a generated dataset has numbered classes
    metrics.update(dataset="demo")
    path.write_text(json.dumps(metrics))
    assert main(["figure", "per-class", "--metrics", str(path), "--dataset", "demo", "--out",
                 str(tmp_path / "c.svg"), "--pairs", str(tmp_path / "p.csv")]) == 0  # fmt: skip
    with open(tmp_path / "p.csv", newline="") as handle:
        assert next(csv.DictReader(handle))["true_action"].startswith("class ")
