"""``hypergcn predict`` (docs/predict.md): every raw format, a folder with a bad clip, and predict = evaluate
on a benchmark's test split (NTU-60 X-View with its seeded test-time clip draw, NW-UCLA, COCO-17 clips).

The benchmark files are built from raw files with the workflow-free functions the workflow's jobs call, and
the models are randomly initialised (seeded) base models with a 16-frame window: nothing is trained.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from hypergcn.cli import main
from hypergcn.config import RunDescription
from hypergcn.data.benchmark_file import read_benchmark_info
from hypergcn.data.build import BuildSettings, build_benchmark
from hypergcn.data.clip_arrays import parse_clip_shards
from hypergcn.data.coco_demo import make_demo_clips, write_prediction_clips
from hypergcn.data.dataset import SkeletonDataset
from hypergcn.data.demo import write_sample
from hypergcn.data.parse import parse_denoise_ntu_shard
from hypergcn.data.ucla import UCLA_VIEWS, parse_view_shard
from hypergcn.datasets import action_names, dataset_info
from hypergcn.evaluation.ensemble import fuse
from hypergcn.evaluation.evaluate import evaluate, load_trained
from hypergcn.evaluation.predict import (
    CLIP_FILES,
    EXIT_BAD_CLIPS,
    Released,
    Stream,
    find_clips,
    predict_clips,
    stream_weights,
)
from hypergcn.io import load_npz
from hypergcn.models import HyperGCN, model_config, save_model_file
from hypergcn.training.outputs import model_metadata
from tests.reference.ucla_json import make_synthetic_ucla

pytestmark = pytest.mark.usefixtures("one_thread")

RECIPE = {"epochs": 1, "window": 16, "test_batch_size": 4, "num_workers": 0}
# NTU-60 X-View: camera 1 tests, cameras 2 and 3 train.
NTU_NAMES = [f"S001C00{c}P00{p}R001A00{a}" for c in (1, 2) for p in (1, 2) for a in (1, 2, 3)]


def save_random_model(path: Path, data: Path, modality: str, seed: int, with_metadata: bool = True) -> Path:
    """A seeded, untrained base model of the benchmark file's dataset, saved as `hypergcn train` saves it."""
    info = read_benchmark_info(data)
    fields = {"dataset": info.dataset, "benchmark": info.benchmark, "size": "base", "modality": modality}
    run = RunDescription.from_dict({**fields, "precision": "fp32", "recipe": RECIPE})
    torch.manual_seed(seed)
    model = HyperGCN(model_config("base", info.dataset, num_class=info.num_class)).eval()
    # An untrained model's logits are in the thousands (one-hot probabilities, the same class for every
    # clip): scale the classifier so they spread over a few units and every probability tells draws apart.
    sample = torch.stack([SkeletonDataset(data, "test", modality, window=16)[i][0] for i in range(2)])
    with torch.no_grad():
        scale = 3.0 / float(model(sample).std())
        model.fc.weight.mul_(scale)
        model.fc.bias.mul_(scale)
    metadata = model_metadata(run, info, {"last": 1}, "test", info.num_class)
    if not with_metadata:  # a model.pt from before prediction: no benchmark attributes, no class names
        metadata = {key: value for key, value in metadata.items() if key not in ("data", "actions")}
    save_model_file(path, model.config, model.state_dict(), metadata)
    return path


def evaluated_logits(model: Path, data: Path, out: Path) -> dict[str, np.ndarray]:
    """``hypergcn evaluate``'s test logits by sample name."""
    info = read_benchmark_info(data)
    loaded = load_trained(model, info, load_trained_modality(model))
    scores, metrics = out / f"{model.stem}-scores.npz", out / f"{model.stem}-metrics.json"
    evaluate(loaded, info, scores_out=scores, metrics_out=metrics, device="cpu")
    saved = load_npz(scores)
    return {str(name): logits for name, logits in zip(saved["names"], saved["logits"], strict=True)}


def load_trained_modality(model: Path) -> str:
    from hypergcn.models import load_model_file

    return load_model_file(model).metadata["run"]["modality"]


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max())
    return shifted / shifted.sum()


def predicted(out: Path) -> dict[str, dict]:
    """``predictions.json``'s clips by name."""
    return {clip["clip"]: clip for clip in json.loads((out / "predictions.json").read_text())["clips"]}


def assert_equals_evaluation(
    clips: dict[str, dict], expected_logits: dict[str, np.ndarray], actions: list[str]
):
    """Top-1 equals evaluation's, and every listed probability is the softmax of evaluation's logits."""
    assert set(clips) == set(expected_logits)
    for name, logits in expected_logits.items():
        clip, probs = clips[name], softmax(np.asarray(logits, dtype=np.float64))
        assert clip["status"] == "ok" and clip["top"][0]["label"] == int(np.argmax(logits)), name
        assert len(clip["top"]) == min(5, len(actions))
        for top in clip["top"]:
            assert top["action"] == actions[top["label"]]
            assert top["probability"] == pytest.approx(probs[top["label"]], rel=5e-4, abs=1e-6)


# --------------------------------------------------------------------------------------------------------
# NTU .skeleton


@pytest.fixture(scope="module")
def ntu_xview(tmp_path_factory) -> tuple[Path, Path]:
    """Raw NTU-60 files (S001, cameras 1 and 2) and their X-View benchmark file."""
    root = tmp_path_factory.mktemp("ntu")
    raw = root / "raw"
    raw.mkdir()
    for name in NTU_NAMES:
        write_sample(raw, name, seed=3)
    parse_denoise_ntu_shard("ntu60", "S001", [raw], root / "S001.h5")
    build_benchmark([root / "S001.h5"], root / "xview.h5", BuildSettings("ntu60", "xview"))
    return raw, root / "xview.h5"


def test_ntu_xview_ensemble_equals_evaluate(ntu_xview, tmp_path):
    """Seeded clip draws (X-View's `clips` sampling): the clips given in another order than the file's,
    one by one, still get evaluation's draw, so the fused probabilities equal evaluation's."""
    raw, data = ntu_xview
    assert SkeletonDataset(data, "test", "joint").frame_sample == "clips"
    joint = save_random_model(tmp_path / "joint.pt", data, "joint", seed=1)
    bone = save_random_model(tmp_path / "bone.pt", data, "bone", seed=2)
    per_stream = [evaluated_logits(model, data, tmp_path) for model in (joint, bone)]
    names = sorted(per_stream[0])
    assert names == sorted(n for n in NTU_NAMES if "C001" in n)
    fused = fuse([np.stack([logits[n] for n in names]) for logits in per_stream], [0.6, 0.4])
    files = [raw / f"{name}.skeleton" for name in reversed(names)]
    outcome = predict_clips([joint, bone], files, tmp_path / "out", weights=[0.6, 0.4], settings=_cpu())
    assert outcome.exit_status == 0
    actions = action_names("ntu60")
    assert_equals_evaluation(predicted(tmp_path / "out"), dict(zip(names, fused, strict=True)), actions)
    rows = list(csv.DictReader((tmp_path / "out/predictions.csv").open()))
    assert list(rows[0]) == ["clip", "rank", "action", "probability", "status"]
    assert len(rows) == 5 * len(names) and {row["status"] for row in rows} == {"ok"}
    summary = json.loads((tmp_path / "out/predictions.json").read_text())
    assert [m["weight"] for m in summary["models"]] == [0.6, 0.4] and summary["top_k"] == 5


def test_a_folder_with_a_bad_clip_lists_it_and_predicts_the_others(ntu_xview, tmp_path):
    raw, data = ntu_xview
    model = save_random_model(tmp_path / "joint.pt", data, "joint", seed=1, with_metadata=False)
    clips = tmp_path / "clips"
    clips.mkdir()
    for name in NTU_NAMES[:2]:
        shutil.copy(raw / f"{name}.skeleton", clips)
    (clips / "S001C001P009R001A001.skeleton").write_text("12\n1\nnot a body line\n")
    args = ["predict", "--model", str(model), "--out", str(tmp_path / "out"), "--device", "cpu", str(clips)]
    assert main([*args, str(tmp_path / "missing.skeleton")]) == EXIT_BAD_CLIPS
    clips_out = predicted(tmp_path / "out")
    assert [clips_out[n]["status"] for n in NTU_NAMES[:2]] == ["ok", "ok"]
    bad = clips_out["S001C001P009R001A001"]
    assert bad["status"] == "error" and "line" in bad["reason"] and not bad["top"]
    assert clips_out["missing.skeleton"]["reason"] == "no such file or folder"
    rows = list(csv.DictReader((tmp_path / "out/predictions.csv").open()))
    assert {
        "clip": "S001C001P009R001A001",
        "rank": "",
        "action": "",
        "probability": "",
        "status": "error",
    } in rows
    # a model.pt without class names or benchmark attributes: the package's names of its dataset
    assert clips_out[NTU_NAMES[0]]["top"][0]["action"] in action_names("ntu60")
    assert main([*args, "--allow-bad-clips"]) == 0


# --------------------------------------------------------------------------------------------------------
# NW-UCLA JSON


def test_ucla_json_equals_evaluate(tmp_path):
    raw = tmp_path / "raw"
    make_synthetic_ucla(raw, subjects=(1,), frames=(12, 30))
    shards = [tmp_path / f"{view}.h5" for view in UCLA_VIEWS]
    for view, shard in zip(UCLA_VIEWS, shards, strict=True):
        parse_view_shard(raw, view, shard)
    data = tmp_path / "xview.h5"
    build_benchmark(shards, data, BuildSettings("ucla", "xview"))
    model = save_random_model(tmp_path / "joint.pt", data, "joint", seed=4)
    expected = evaluated_logits(model, data, tmp_path)
    files = sorted(raw.glob("*_v03.json"))
    assert predict_clips([model], files, tmp_path / "out", settings=_cpu()).exit_status == 0
    assert_equals_evaluation(predicted(tmp_path / "out"), expected, action_names("ucla"))


# --------------------------------------------------------------------------------------------------------
# The generic clip arrays (COCO-17 keypoints with confidence)


def test_clip_arrays_equal_evaluate_and_need_no_manifest(tmp_path):
    raw = tmp_path / "coco17"
    info = dataset_info("coco17")
    test_subject = min(info.splits["xsub"].test)  # and subject 1 trains
    make_demo_clips(raw, seed=5, subjects=(1, test_subject), repetitions=1)
    shard = tmp_path / "all.h5"
    parse_clip_shards(raw, info, ["all"], [shard])
    data = tmp_path / "xsub.h5"
    build_benchmark([shard], data, BuildSettings("coco17", "xsub"))
    model = save_random_model(tmp_path / "joint.pt", data, "joint", seed=6)
    expected = evaluated_logits(model, data, tmp_path)
    # the test clips in a folder without manifest.csv, with a new clip and the demo's malformed one
    clips = tmp_path / "clips"
    write_prediction_clips(clips, seed=5, count=1)
    for name in expected:
        shutil.copy(raw / f"{name}.npz", clips)
    outcome = predict_clips([model], [clips], tmp_path / "out", settings=_cpu())
    assert outcome.exit_status == EXIT_BAD_CLIPS
    clips_out = predicted(tmp_path / "out")
    malformed = clips_out.pop("malformed_no_confidence")
    assert malformed["status"] == "error" and "channels" in malformed["reason"]
    new_clip = next(name for name in clips_out if name not in expected)
    assert clips_out.pop(new_clip)["status"] == "ok"
    assert_equals_evaluation(clips_out, expected, [name for _, _, name in info.action_table])


def test_clip_names_are_the_benchmarks_sample_names(tmp_path):
    """NTU names are file names wherever the file sits; a clip folder's ids keep their sub-folders."""
    for relative in (
        "a/S001C001P001R001A001.skeleton",
        "b/S001C001P001R001A001.skeleton",
        "a/x/c1.npz",
        ".h/c2.npz",
    ):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("")
    ntu = find_clips([tmp_path, tmp_path / "nothing.skeleton"], CLIP_FILES["ntu_skeleton"])
    assert [(c.clip, c.status) for c in ntu] == [
        ("S001C001P001R001A001", "ok"),
        ("S001C001P001R001A001", "error"),  # the same sample name twice
        ("nothing.skeleton", "error"),
    ]
    assert [c.clip for c in find_clips([tmp_path], CLIP_FILES["clip_arrays"])] == [
        "a/x/c1"
    ]  # hidden: skipped
    assert [c.clip for c in find_clips([tmp_path / "a/x/c1.npz"], CLIP_FILES["clip_arrays"])] == ["c1"]


# --------------------------------------------------------------------------------------------------------
# Fusion weights


class _Loaded:
    def __init__(self, modality: str) -> None:
        self.run = RunDescription.from_dict(
            {"dataset": "ntu60", "benchmark": "xsub", "size": "base", "modality": modality}
        )


def test_weights_from_an_ensemble_follow_the_models_modalities(tmp_path):
    streams = [Stream(_Loaded(m), {}, [], Path(m)) for m in ("bone", "joint")]
    recorded = tmp_path / "metrics.json"
    recorded.write_text(json.dumps({"modalities": ["joint", "bone"], "weights": [1.0, 0.4]}))
    assert stream_weights(streams, None, recorded) == [0.4, 1.0]
    assert stream_weights(streams, None, None) == [1.0, 1.0]
    assert stream_weights(streams, [2, 3], None) == [2.0, 3.0]
    with pytest.raises(ValueError, match="2 model"):
        stream_weights(streams, [1.0], None)
    recorded.write_text(json.dumps({"modalities": ["joint", "joint_motion"], "weights": [1.0, 0.4]}))
    with pytest.raises(ValueError, match="fuses the streams"):
        stream_weights(streams, None, recorded)


def test_released_weights_need_their_description(ntu_xview, tmp_path):
    """The authors' released weights (a bare state_dict) predict once told their dataset, benchmark, size
    and stream."""
    raw, _ = ntu_xview
    weights = tmp_path / "runs-1-1.pt"
    torch.manual_seed(7)
    torch.save(HyperGCN(model_config("base", "ntu60")).state_dict(), weights)
    with pytest.raises(ValueError, match="--dataset, --benchmark, --size and --modality"):
        predict_clips([weights], [raw], tmp_path / "out")
    with pytest.raises(ValueError, match="missing"):
        predict_clips([weights], [raw], tmp_path / "out", released=Released("ntu60", None, "base"))
    args = [
        "predict",
        "--model",
        str(weights),
        "--dataset",
        "ntu60",
        "--benchmark",
        "xview",
        "--size",
        "base",
    ]
    clip = str(raw / f"{NTU_NAMES[0]}.skeleton")
    assert main([*args, "--modality", "bone", "--device", "cpu", "--out", str(tmp_path / "out"), clip]) == 0
    summary = json.loads((tmp_path / "out/predictions.json").read_text())
    assert summary["models"][0]["modality"] == "bone" and summary["clips"][0]["status"] == "ok"
    assert summary["models"][0]["selection"].startswith("authors' released weights")


def _cpu():
    from hypergcn.evaluation.predict import Settings

    return Settings(device="cpu")
