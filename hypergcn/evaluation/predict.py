"""``hypergcn predict``: the classes of new raw clips, preprocessed exactly as the model's test split was
(docs/predict.md).

The clips go through the code that made the benchmark file: NTU ``.skeleton`` files through the parser,
the denoising and actor selection and the build's centring and second-actor rule; NW-UCLA JSON files through
their reader; generic ``.npz`` clips through :func:`hypergcn.data.clip_arrays.read_clip`. They are written
as the ``test`` split of a temporary benchmark-format file with the attributes of the model's own benchmark
file (recorded in ``model.pt``: layout, dataset declaration, second actor, ...), and that split is scored by
:func:`hypergcn.evaluation.inference.score_split` with the model's test-time settings
(:func:`hypergcn.evaluation.evaluate.inference_settings`), the code ``hypergcn evaluate`` runs. So a clip of
a benchmark's test split gets the logits evaluation gives it, the cross-view clip draw included: the loader
seeds a test sample's draw by its name, and a clip's name is its file name without the extension.

Several models are an ensemble: their logits are summed with the weights (``--weights``, or the weights an
ensemble recorded in its ``metrics.json``: ``--ensemble``), as ``hypergcn ensemble`` fuses them, and the
probabilities are the softmax of that sum. A clip that cannot be read or preprocessed is listed with the
reason, and every other clip is still predicted.

Exit status: 0 when every clip was predicted; :data:`EXIT_BAD_CLIPS` (3) when some could not be (the
outputs list them; ``--allow-bad-clips`` makes this 0 with a warning, as long as one clip was predicted);
:data:`EXIT_FAILED` (1) when nothing could run (an unreadable model, models that disagree, no clips); 2 is
argparse's usage error.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import logging
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import torch

from hypergcn.config import DEFAULT_DEVIATIONS, RunDescription
from hypergcn.data.benchmark_file import BenchmarkInfo, benchmark_dataset_info, benchmark_layout
from hypergcn.data.build import transform_ntu
from hypergcn.data.clip_arrays import read_clip
from hypergcn.data.denoise import denoise
from hypergcn.data.ntu_skeleton import read_skeleton
from hypergcn.data.shards import STRING
from hypergcn.data.ucla import read_skeleton_json
from hypergcn.datasets import MODALITIES, SIZES, DatasetInfo, dataset_info
from hypergcn.evaluation.evaluate import LoadedModel, inference_settings, load_released, load_trained
from hypergcn.evaluation.inference import score_split
from hypergcn.io import atomic_path, write_json
from hypergcn.models import fold_for_inference
from hypergcn.models.model_file import action_names_for, load_model_file
from hypergcn.training.distributed import choose_device

log = logging.getLogger(__name__)

EXIT_FAILED = 1
EXIT_BAD_CLIPS = 3
TOP_K = 5
FORMAT = "hypergcn-predictions/1"
CSV_COLUMNS = ("clip", "rank", "action", "probability", "status")
# Attributes of the model's benchmark file that decide how a clip is preprocessed: the models of an
# ensemble must agree on them, since they share one temporary file.
PREPROCESSING_ATTRS = (
    "dataset", "layout", "benchmark", "num_class", "num_point", "num_person", "second_actor", "declaration",
)  # fmt: skip
# The NTU padding length of a benchmark file the workflow builds (datasets.<name>.max_frames); recorded for
# model files from before ``data`` was stored. Prediction itself accepts longer clips (the loader reads the
# frames a clip has).
DEFAULT_MAX_FRAMES = 300


@dataclass(frozen=True)
class ClipFiles:
    """How a raw format's clips are found in a folder and named: the file suffix (a file named on the
    command line is read whatever its suffix), and whether a clip's name keeps the sub-folders it sits in
    (a clip folder's ids do, ``a/b``; NTU and NW-UCLA sample names are file names, wherever the file is)."""

    suffix: str
    nested_names: bool


CLIP_FILES: dict[str, ClipFiles] = {
    "ntu_skeleton": ClipFiles(".skeleton", False),
    "ucla_json": ClipFiles(".json", False),
    "clip_arrays": ClipFiles(".npz", True),
}


@dataclass(frozen=True)
class Released:
    """What the authors' released weights do not say about themselves (``--dataset`` and the rest)."""

    dataset: str | None = None
    benchmark: str | None = None
    size: str | None = None
    modalities: tuple[str, ...] = ()
    sha256: str | None = None


@dataclass
class Stream:
    """One model of the prediction, ready to score, with the benchmark attributes its test split had."""

    loaded: LoadedModel
    attrs: dict[str, Any]
    actions: list[str]
    source: Path

    @property
    def modality(self) -> str:
        return self.loaded.run.modality


@dataclass
class ClipResult:
    """One clip's outcome: ``ok`` with the top classes, or ``error`` with the reason."""

    clip: str
    file: str
    status: str = "ok"
    reason: str | None = None
    top: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    """What a prediction wrote: every clip's result and the exit status it calls for."""

    results: list[ClipResult]
    exit_status: int


# --------------------------------------------------------------------------------------------------------
# Models.


def dataset_of(attrs: dict[str, Any]) -> DatasetInfo:
    """The dataset a benchmark file's attributes describe: its stored declaration (registered, so the
    loader knows a user's dataset too), else the package's."""
    return benchmark_dataset_info(attrs, "the model's benchmark attributes")


def package_attrs(dataset: str, benchmark: str, num_class: int, num_point: int, num_person: int) -> dict:
    """The attributes the workflow's benchmark file of a package dataset has by default: for model files
    from before ``data`` was recorded, and for the authors' released weights."""
    info = dataset_info(dataset)
    return {
        "dataset": dataset,
        "layout": info.layout.name,
        "benchmark": benchmark,
        "num_class": num_class,
        "num_point": num_point,
        "num_person": num_person,
        "max_frames": DEFAULT_MAX_FRAMES,
        "second_actor": DEFAULT_DEVIATIONS["second_actor"] if info.denoised else "n/a",
    }


def load_stream(path: Path, selection: str, released: Released, index: int = 0) -> Stream:
    """A ``model.pt`` of ``hypergcn train`` (its ``selection`` weights), or the authors' released weights
    described by ``released`` (its ``index``-th modality)."""
    try:
        contents = load_model_file(path, selection)
    except ValueError as err:
        if released.dataset is None:
            raise ValueError(
                f"{err}. For the authors' released weights give --dataset, --benchmark, --size and --modality"
            ) from None
        return _released_stream(path, released, index)
    meta, config = contents.metadata, contents.config
    run = meta.get("run") or meta
    attrs = dict((meta.get("data") or {}).get("attrs") or {})
    if not attrs.get("dataset"):
        attrs = package_attrs(
            run["dataset"], run["benchmark"], config.num_class, config.num_point, config.num_person
        )
    info = BenchmarkInfo(path, attrs, {}, {})
    loaded = load_trained(path, info, run["modality"], selection)
    actions = meta.get("actions") or action_names_for(dataset_of(attrs), config.num_class)
    return Stream(loaded, attrs, [str(name) for name in actions], path)


def _released_stream(path: Path, released: Released, index: int) -> Stream:
    missing = [key for key in ("benchmark", "size") if getattr(released, key) is None]
    if missing or len(released.modalities) <= index:
        raise ValueError(
            f"{path}: the authors' released weights need --dataset, --benchmark, --size and one --modality "
            f"per released model (missing: {missing or ['--modality']})"
        )
    info = dataset_info(released.dataset)
    attrs = package_attrs(
        released.dataset, released.benchmark, info.num_class, info.num_point, info.num_person
    )
    run = RunDescription.from_dict(
        {
            "dataset": released.dataset,
            "benchmark": released.benchmark,
            "size": released.size,
            "modality": released.modalities[index],
        }
    )
    loaded = load_released(path, BenchmarkInfo(path, attrs, {}, {}), run, released.sha256)
    return Stream(loaded, attrs, action_names_for(info, info.num_class), path)


def check_streams(streams: Sequence[Stream]) -> None:
    """The models of an ensemble must preprocess clips alike and name the same classes."""
    first = streams[0]
    for stream in streams[1:]:
        for key in PREPROCESSING_ATTRS:
            if stream.attrs.get(key) != first.attrs.get(key):
                raise ValueError(
                    f"{stream.source} and {first.source} were trained on different data ({key}: "
                    f"{stream.attrs.get(key)!r} vs {first.attrs.get(key)!r}); an ensemble needs models of "
                    "one benchmark"
                )
        if stream.actions != first.actions:
            raise ValueError(f"{stream.source} and {first.source} name their classes differently")


def stream_weights(
    streams: Sequence[Stream], weights: Sequence[float] | None, ensemble: Path | None
) -> list[float]:
    """One fusion weight per model: ``weights`` in model order, or an ensemble's recorded weights matched
    by modality (its ``metrics.json``: ``modalities`` and ``weights``), else equal weights."""
    if weights is not None and ensemble is not None:
        raise ValueError("give --weights or --ensemble, not both")
    if ensemble is not None:
        recorded = json.loads(Path(ensemble).read_text())
        if "weights" not in recorded or "modalities" not in recorded:
            raise ValueError(
                f"{ensemble}: not an ensemble's metrics.json (it needs 'modalities' and 'weights')"
            )
        by_modality = dict(zip(recorded["modalities"], recorded["weights"], strict=True))
        modalities = [stream.modality for stream in streams]
        if sorted(modalities) != sorted(by_modality):
            raise ValueError(
                f"{ensemble} fuses the streams {sorted(by_modality)}, the models are {modalities}"
            )
        return [float(by_modality[modality]) for modality in modalities]
    if weights is None:
        return [1.0] * len(streams)
    if len(weights) != len(streams):
        raise ValueError(f"{len(streams)} model(s) but {len(weights)} weight(s)")
    return [float(w) for w in weights]


# --------------------------------------------------------------------------------------------------------
# Clips.


def find_clips(inputs: Sequence[Path], files: ClipFiles) -> list[ClipResult]:
    """Every clip of ``inputs``, in order: a file as given (named by its file name without the suffix), a
    folder's clip files at any depth in path order (named by their file name, or with ``nested_names`` by
    their path in the folder, without the suffix, as a clip folder's manifest names them). A missing input
    or a name given twice is an ``error`` result."""
    clips: list[ClipResult] = []
    seen: dict[str, str] = {}
    for given in map(Path, inputs):
        if given.is_dir():
            paths = sorted(
                path
                for path in given.rglob(f"*{files.suffix}")
                if path.is_file() and not any(part.startswith(".") for part in path.relative_to(given).parts)
            )
            if not paths:
                log.warning("%s holds no %s files", given, files.suffix)
            named = [path.relative_to(given) if files.nested_names else Path(path.name) for path in paths]
            found = [(n.as_posix().removesuffix(files.suffix), p) for n, p in zip(named, paths, strict=True)]
        elif given.is_file():
            name = given.name.removesuffix(files.suffix) if given.name.endswith(files.suffix) else given.stem
            found = [(name, given)]
        else:
            clips.append(ClipResult(given.name, str(given), "error", "no such file or folder"))
            continue
        for name, path in found:
            if name in seen:
                reason = f"another input has the same clip name ({seen[name]})"
                clips.append(ClipResult(name, str(path), "error", reason))
                continue
            seen[name] = str(path)
            clips.append(ClipResult(name, str(path)))
    return clips


def _ntu_sample(path: Path, name: str, info: DatasetInfo, attrs: dict[str, Any]) -> np.ndarray:
    """An NTU file as the build stores it: parsed, denoised (actor selection), centred, second slot set."""
    denoised = denoise(read_skeleton(path), str(path))
    return transform_ntu(denoised.data, denoised.slots, info.name, str(attrs["second_actor"]), name)


def _ucla_sample(path: Path, name: str, info: DatasetInfo, attrs: dict[str, Any]) -> np.ndarray:
    return read_skeleton_json(path)[:, None]  # (T, 20, 3) -> (T, M = 1, 20, 3), as the parse shards hold it


def _array_sample(path: Path, name: str, info: DatasetInfo, attrs: dict[str, Any]) -> np.ndarray:
    return read_clip(path, benchmark_layout(attrs))


# The reader of each raw format: one clip file -> (T, M, V, C) float32, the frames the benchmark file holds.
SAMPLE_READERS: dict[str, Callable[[Path, str, DatasetInfo, dict[str, Any]], np.ndarray]] = {
    "ntu_skeleton": _ntu_sample,
    "ucla_json": _ucla_sample,
    "clip_arrays": _array_sample,
}


def read_samples(clips: Sequence[ClipResult], attrs: dict[str, Any]) -> dict[str, np.ndarray]:
    """The benchmark-file frames of every readable clip, by name; an unreadable clip becomes an error."""
    info = dataset_of(attrs)
    reader = SAMPLE_READERS[info.raw_format]
    samples: dict[str, np.ndarray] = {}
    for clip in clips:
        if clip.status != "ok":
            continue
        try:
            frames = np.asarray(reader(Path(clip.file), clip.clip, info, attrs), dtype=np.float32)
            if not frames.any():
                raise ValueError("every frame is all zeros: there is no skeleton to classify")
        except ValueError as err:  # every reader's own errors: the message names the file and the problem
            clip.status, clip.reason = "error", str(err)
            continue
        except Exception as err:  # anything else one file raises is that file's problem, not fatal
            clip.status, clip.reason = "error", f"cannot read: {type(err).__name__}: {err}"
            continue
        samples[clip.clip] = frames
    return samples


def write_clip_file(path: Path, attrs: dict[str, Any], samples: dict[str, np.ndarray]) -> None:
    """A benchmark-format file whose ``test`` split holds ``samples`` (docs/data.md#benchmark-file): (C, T,
    V, M) zero-padded to the longest clip, one compressed chunk per sample, labels -1 (unknown), the
    model's benchmark attributes."""
    names = list(samples)
    frames = [len(sample) for sample in samples.values()]
    _, persons, joints, channels = next(iter(samples.values())).shape
    shape = (channels, max(frames), joints, persons)
    with h5py.File(path, "w") as out:
        out.attrs.update({key: value for key, value in attrs.items() if value is not None})
        out.attrs["created_by"] = "hypergcn predict"
        group = out.create_group("test")
        x = group.create_dataset(
            "x", shape=(len(names), *shape), dtype=np.float32, chunks=(1, *shape), compression="lzf"
        )
        padded = np.zeros(shape, dtype=np.float32)
        for i, sample in enumerate(samples.values()):
            padded[:] = 0
            padded[:, : len(sample)] = sample.transpose(3, 0, 2, 1)  # (T, M, V, C) -> (C, T, V, M)
            x[i] = padded
        group.create_dataset("y", data=np.full(len(names), -1, dtype=np.int64))
        group.create_dataset("name", data=np.array(names, dtype=object), dtype=STRING)
        group.create_dataset("frames", data=np.asarray(frames, dtype=np.int32))


# --------------------------------------------------------------------------------------------------------
# Scoring.


@dataclass(frozen=True)
class Settings:
    """How the models run: device, test batch (None: each model's own) and loader workers."""

    device: str = "auto"
    batch_size: int | None = None
    num_workers: int = 0


# Clips per temporary benchmark file: memory stays bounded whatever a folder holds, and the results do not
# depend on it (a test-time draw is seeded by the clip's name, not its place).
CLIPS_PER_FILE = 256


def fused_logits(
    streams: Sequence[Stream],
    models: Sequence[torch.nn.Module],
    weights: Sequence[float],
    data: Path,
    settings: Settings,
) -> tuple[list[str], np.ndarray]:
    """The names of the ``test`` split of ``data`` and the weighted sum of every model's logits (float64),
    each model scored by :func:`score_split` with its own test-time settings, as evaluation scores it."""
    device = choose_device(settings.device)
    fused: np.ndarray | None = None
    names: list[str] = []
    for stream, model, weight in zip(streams, models, weights, strict=True):
        test_time = inference_settings(stream.loaded.run)
        test_time = dataclasses.replace(
            test_time,
            batch_size=settings.batch_size or test_time.batch_size,
            num_workers=settings.num_workers,
        )
        scores = score_split(model, data, "test", stream.modality, test_time, device)
        names = scores.names
        logits = float(weight) * scores.logits.astype(np.float64)
        fused = logits if fused is None else fused + logits
    return names, fused


def top_classes(logits: np.ndarray, actions: Sequence[str]) -> list[list[dict[str, Any]]]:
    """Per row of fused logits, the k = min(5, classes) most probable classes (softmax of the fused logits),
    highest first; ties keep the lower label, as top-1's argmax does."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(shifted)
    probs /= probs.sum(axis=1, keepdims=True)
    k = min(TOP_K, logits.shape[1])
    tops = []
    for row in probs:
        order = np.argsort(-row, kind="stable")[:k]
        tops.append(
            [
                {"rank": rank, "label": int(c), "action": actions[c], "probability": float(row[c])}
                for rank, c in enumerate(order, start=1)
            ]
        )
    return tops


@dataclass(frozen=True)
class _Scorer:
    """The models (folded for inference, on their device) and what scoring a file of clips needs."""

    streams: Sequence[Stream]
    models: Sequence[torch.nn.Module]
    weights: Sequence[float]
    settings: Settings
    work: Path

    def tops(self, samples: dict[str, np.ndarray]) -> dict[str, list[dict[str, Any]]]:
        """The top classes of every sample, from one temporary benchmark file holding them all."""
        data = self.work / "clips.h5"
        write_clip_file(data, self.streams[0].attrs, samples)
        names, logits = fused_logits(self.streams, self.models, self.weights, data, self.settings)
        return dict(zip(names, top_classes(logits, self.streams[0].actions), strict=True))


def _score_batch(scorer: _Scorer, clips: Sequence[ClipResult]) -> None:
    """Read and score a batch of clips. A clip the loader cannot preprocess fails the whole file; then each
    clip is scored alone (the same values), so only the clips that fail are listed as errors."""
    samples = read_samples(clips, scorer.streams[0].attrs)
    if not samples:
        return
    failed: dict[str, str] = {}
    try:
        tops = scorer.tops(samples)
    except (ValueError, RuntimeError) as err:
        log.warning("scoring %d clips together failed (%s); scoring each clip alone", len(samples), err)
        tops = {}
        for name, sample in samples.items():
            try:
                tops.update(scorer.tops({name: sample}))
            except (ValueError, RuntimeError) as one:
                failed[name] = f"preprocessing failed: {one}"
    for clip in clips:
        if clip.status == "ok" and clip.clip in tops:
            clip.top = tops[clip.clip]
        elif clip.status == "ok":
            clip.status, clip.reason = "error", failed.get(clip.clip, "not scored")


def score_clips(
    streams: Sequence[Stream], weights: Sequence[float], clips: Sequence[ClipResult], settings: Settings
) -> None:
    """Fill the top classes of every readable clip (the others become errors), :data:`CLIPS_PER_FILE` at a
    time."""
    device = choose_device(settings.device)
    models = [fold_for_inference(stream.loaded.model).to(device) for stream in streams]
    readable = [clip for clip in clips if clip.status == "ok"]
    with tempfile.TemporaryDirectory(prefix="hypergcn-predict-") as work:
        scorer = _Scorer(streams, models, weights, settings, Path(work))
        for start in range(0, len(readable), CLIPS_PER_FILE):
            _score_batch(scorer, readable[start : start + CLIPS_PER_FILE])


# --------------------------------------------------------------------------------------------------------
# Outputs.


def write_predictions(out: Path, clips: Sequence[ClipResult], summary: dict[str, Any]) -> None:
    """``predictions.csv`` (a row per clip and rank; one row with status ``error`` for a clip that failed)
    and ``predictions.json`` (``summary`` and, per clip, its top classes, status and reason), atomically."""
    out = Path(out)
    with atomic_path(out / "predictions.csv") as tmp, open(tmp, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for clip in clips:
            if clip.status != "ok":
                writer.writerow([clip.clip, "", "", "", clip.status])
            for top in clip.top:
                writer.writerow([clip.clip, top["rank"], top["action"], f"{top['probability']:.6g}", "ok"])
    write_json(
        out / "predictions.json",
        {
            "format": FORMAT,
            **summary,
            "predicted": sum(clip.status == "ok" for clip in clips),
            "errors": sum(clip.status != "ok" for clip in clips),
            "clips": [dataclasses.asdict(clip) for clip in clips],
        },
    )


def _summary(streams: Sequence[Stream], weights: Sequence[float]) -> dict[str, Any]:
    first = streams[0]
    return {
        "dataset": first.attrs.get("dataset"),
        "benchmark": first.attrs.get("benchmark"),
        "num_class": len(first.actions),
        "top_k": min(TOP_K, len(first.actions)),
        "models": [
            {
                "file": str(stream.source),
                "modality": stream.modality,
                "size": stream.loaded.run.size,
                "selection": stream.loaded.selection,
                "sha256": stream.loaded.provenance.get("model_sha256"),
                "weight": weight,
            }
            for stream, weight in zip(streams, weights, strict=True)
        ],
    }


def predict_clips(
    models: Sequence[Path],
    inputs: Sequence[Path],
    out: Path,
    *,
    selection: str = "last",
    weights: Sequence[float] | None = None,
    ensemble: Path | None = None,
    released: Released | None = None,
    settings: Settings | None = None,
    allow_bad_clips: bool = False,
) -> Outcome:
    """Predict every clip of ``inputs`` with the models (module docstring), write the outputs into ``out``
    and return the results with the exit status they call for. Raises ``ValueError`` (or
    ``FileNotFoundError``) when nothing can run: a model that does not load, models that disagree, or no
    clip in ``inputs``."""
    released = released or Released()
    streams: list[Stream] = []
    for path in models:  # the k-th released model takes the k-th --modality
        released_before = sum(stream.loaded.selection_key == "released" for stream in streams)
        streams.append(load_stream(Path(path), selection, released, released_before))
    check_streams(streams)
    fusion = stream_weights(streams, weights, ensemble)
    raw_format = dataset_of(streams[0].attrs).raw_format
    files = CLIP_FILES[raw_format]
    clips = find_clips(inputs, files)
    if not clips:
        raise ValueError(
            f"no clips in {', '.join(map(str, inputs))}: a folder is searched for {files.suffix} "
            f"files ({raw_format}, the format of the model's dataset)"
        )
    score_clips(streams, fusion, clips, settings or Settings())
    write_predictions(out, clips, _summary(streams, fusion))
    bad = [clip for clip in clips if clip.status != "ok"]
    for clip in bad:
        log.warning("not predicted: %s (%s): %s", clip.clip, clip.file, clip.reason)
    log.info("%d clip(s) predicted, %d not; outputs in %s", len(clips) - len(bad), len(bad), out)
    if not bad:
        return Outcome(clips, 0)
    if allow_bad_clips and len(bad) < len(clips):
        log.warning("--allow-bad-clips: exit status 0 although %d clip(s) could not be predicted", len(bad))
        return Outcome(clips, 0)
    return Outcome(clips, EXIT_BAD_CLIPS)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="+", type=Path, help="clip files and/or folders of clips")
    parser.add_argument(
        "--model",
        action="append",
        required=True,
        type=Path,
        help="a model.pt of `hypergcn train` (or the authors' released weights); repeat for an ensemble",
    )
    parser.add_argument("--out", required=True, type=Path, help="folder for predictions.csv and .json")
    parser.add_argument(
        "--selection",
        default="last",
        choices=["last", "val", "test"],
        help="which weights of each model.pt (last epoch, best validation epoch, best test epoch)",
    )
    fusion = parser.add_mutually_exclusive_group()
    fusion.add_argument("--weights", nargs="+", type=float, help="one fusion weight per --model, in order")
    fusion.add_argument(
        "--ensemble", type=Path, help="an ensemble's metrics.json: fuse with the weights it recorded"
    )
    released = parser.add_argument_group("the authors' released weights (not needed for a model.pt)")
    released.add_argument("--dataset", help="the dataset they were trained on")
    released.add_argument("--benchmark", help="the benchmark they were trained on")
    released.add_argument("--size", choices=SIZES)
    released.add_argument(
        "--modality",
        action="append",
        choices=MODALITIES,
        help="the stream of the released model; repeat for several, in --model order",
    )
    released.add_argument("--sha256", help="expected sha256 of the released weights")
    parser.add_argument(
        "--batch-size", type=int, help="clips per forward pass (default: the model's test batch)"
    )
    parser.add_argument(
        "--allow-bad-clips",
        action="store_true",
        help=f"exit 0 (with a warning) instead of {EXIT_BAD_CLIPS} when some clips cannot be predicted",
    )
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--threads", type=int)


def run(args: argparse.Namespace) -> int:
    if args.threads:
        torch.set_num_threads(args.threads)
    released = Released(args.dataset, args.benchmark, args.size, tuple(args.modality or ()), args.sha256)
    try:
        outcome = predict_clips(
            args.model,
            args.inputs,
            args.out,
            selection=args.selection,
            weights=args.weights,
            ensemble=args.ensemble,
            released=released,
            settings=Settings(args.device, args.batch_size),
            allow_bad_clips=args.allow_bad_clips,
        )
    except (ValueError, KeyError, FileNotFoundError) as err:
        log.error("%s", err)
        return EXIT_FAILED
    return outcome.exit_status


__all__ = ["EXIT_BAD_CLIPS", "EXIT_FAILED", "ClipResult", "Released", "Settings", "predict_clips"]
