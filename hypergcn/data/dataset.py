"""``SkeletonDataset``: the training and evaluation loader over a benchmark HDF5 file
(docs/data.md#benchmark-file).

It reproduces the authors' feeders (docs/method.md#ntu-loader, docs/method.md#nw-ucla,
docs/method.md#ntu-loader-formulas, docs/method.md#nw-ucla-loader-details) with two deliberate changes:

* Randomness comes from an explicit numpy ``Generator`` seeded per (seed, epoch, index) instead of the
  global numpy / torch / ``random`` RNGs that every DataLoader worker reseeds from torch's base seed. A
  sample's augmentation is then reproducible and independent of worker count, start method and rank,
  while still differing across samples and (through :meth:`SkeletonDataset.set_epoch`) across epochs.
* Cross-view ``clips`` sampling at test time is drawn from a per-sample seed (``test_sampling='seeded'``:
  the run's seed and the sample's name, so the same clip every run and epoch, in any file) so test
  accuracy is not a lottery (docs/method.md#q6-test-set-selection); ``test_sampling='random'`` restores
  the authors' fresh, unrepeatable draw (``xview_test_sampling: random``, docs/deviations.md).

Which feeder a file takes follows its dataset's raw format (:data:`FEEDERS`): the authors' NTU and
NW-UCLA feeders, and the clip-array feeder for any other layout (2-D or 3-D, with or without a confidence
channel). Its bones, centre and channels follow its skeleton layout (the file's ``layout`` attribute), and
its options are recipe keys (:data:`hypergcn.config.LOADER_DEFAULTS`,
docs/data.md#recipe-keys-for-preprocessing) whose defaults follow the dataset's declaration: nothing is
guessed from the array shapes.

The HDF5 file is never loaded whole: only labels, names and frame counts are read at construction, and
each item reads one sample's valid frames through a handle opened lazily in the calling process, so the
dataset pickles and works with DataLoader workers under fork and spawn.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import torch
from torch.utils.data import Dataset

import hypergcn.data.transforms as tf
from hypergcn.config import FEEDER_KEYS, TRAIN_ONLY_KEYS, foreign_loader_keys
from hypergcn.data.benchmark_file import benchmark_dataset_info, benchmark_layout, plain
from hypergcn.datasets import MODALITIES, DatasetInfo

FRAME_SAMPLES = ("resize", "clips")
TEST_SAMPLINGS = ("seeded", "random")
# Stream tags of the per-sample seeds, so train and seeded-test draws never share a generator state.
_TRAIN_STREAM, _TEST_STREAM = 0, 1
# NW-UCLA view transform ranges (docs/method.md#nw-ucla-loader-details): integer degrees, inclusive, and the
# scale interval.
_UCLA_MAX_ANGLE = 60
_UCLA_SCALE = (0.5, 1.5)
_UCLA_DROP_P = 0.5
# The clip-array feeder's training augmentation defaults, the project's choice
# (docs/data.md#recipe-keys-for-preprocessing): x, y rotated by U(-15, 15) degrees, an isotropic U(0.9, 1.1) scale.
CLIP_ROT_2D_DEGREES = 15.0
CLIP_SCALE = (0.9, 1.1)
# The crop fractions of the NTU and clip-array feeders when nothing sets them: the authors' NTU values.
_TRAIN_P_INTERVAL = (0.5, 1.0)
_TEST_P_INTERVAL = (0.95,)


@dataclass(frozen=True)
class Feeder:
    """One feeder: its name in messages and the loader options (recipe keys) that it takes."""

    title: str
    options: tuple[str, ...]


NTU_FEEDER = Feeder("NTU (feeders/feeder_ntu.py)", FEEDER_KEYS["ntu_skeleton"])
UCLA_FEEDER = Feeder("NW-UCLA (feeders/feeder_ucla.py)", FEEDER_KEYS["ucla_json"])
CLIP_FEEDER = Feeder("clip arrays (any layout)", FEEDER_KEYS["clip_arrays"])
# The feeder of each raw format (``DatasetInfo.raw_format``): the authors' for theirs.
FEEDERS: dict[str, Feeder] = {
    "ntu_skeleton": NTU_FEEDER,
    "ucla_json": UCLA_FEEDER,
    "clip_arrays": CLIP_FEEDER,
}


def _recipe_key(option: str, train: bool) -> str | None:
    """The recipe key a loader option reads: its own when training; when evaluating, ``test_p_interval`` for
    the crop and none for an augmentation (evaluation is never augmented unless an argument says so)."""
    if train:
        return option
    if option == "p_interval":
        return "test_p_interval"
    return None if option in TRAIN_ONLY_KEYS else option


class SkeletonDataset(Dataset):
    """Samples of one split of ``results/data/{dataset}/{benchmark}.h5`` as model inputs.

    ``ds[i]`` returns ``(x, label, name)``: ``x`` a float32 ``torch.Tensor`` of shape (C, window, V, M), C
    the layout's channels (a tensor, so the default collate stacks it without a copy through numpy),
    ``label`` an int, ``name`` the original sample name. ``len(ds)`` is ``N * repeat``; index i maps to
    sample ``i % N``.

    Args:
        h5_path: benchmark file written by ``build_benchmark``.
        split: group name, ``train``, ``val`` or ``test``.
        modality: ``joint``, ``bone``, ``joint_motion`` or ``bone_motion``.
        window: output frames (the authors use 64).
        train: draw the training augmentations (crop, random rotation, NW-UCLA view transform and drops).
        recipe: a run's recipe (:data:`hypergcn.config.RECIPE_DEFAULTS`); its loader keys set the options
            below that are not given. The training loader reads every loader key, the evaluation loader
            only the preprocessing ones (``frame_sample``, ``align``, ``centre``, ``normalise_scale``) and
            ``test_p_interval`` as its ``p_interval``, never an augmentation.
        frame_sample: NTU and clip arrays. ``resize`` (crop, then linear resize) or ``clips`` (uniform frame
            gather). Default (here and below, "default" is what neither argument nor recipe sets): the
            declaration's ``recipe_defaults``, then the benchmark's ``DatasetInfo.loader_defaults``, then
            ``resize`` (the authors' configs: ``clips`` for NTU-60 xview).
        align: NTU only. Rotate the shoulders onto +x; default from the same declaration (NTU-60 xview), else
            off.
        p_interval: NTU and clip arrays, ``resize`` only. One value = central crop keeping that fraction
            (default test ``[0.95]``), two = random crop fraction range (default train ``[0.5, 1]``).
        random_rot: NTU and 3-D clip arrays. Random rotation of ±0.3 rad per axis; default ``train`` for NTU,
            off for clip arrays.
        seed: base seed of every random draw.
        test_sampling: ``seeded`` or ``random``, how a non-training dataset draws its random parts
            (cross-view clips); see the module docstring.
        repeat: dataset length multiplier (NW-UCLA training uses 5); repeats draw different augmentations.
        view_transform: NW-UCLA only. Random rotation about x and y and scaling; default ``train``.
        drop_axis_p, drop_joint_p: NW-UCLA only. Probabilities of the drop-axis and drop-joint
            augmentations; default 0.5 when ``train``, else 0.
        centre: clip arrays only. Subtract each person's mean centre (the layout's); default on.
        normalise_scale: clip arrays only. Divide the coordinates by the layout's reference length (a
            layout without ``reference`` is not scaled); default on.
        random_rot_2d: clip arrays only. Rotate x, y by U(−a, a) degrees; default
            :data:`CLIP_ROT_2D_DEGREES` when ``train``, else 0.
        random_scale: clip arrays only. Multiply the coordinates by U(low, high); default :data:`CLIP_SCALE`
            when ``train``, else ``[1, 1]``.

    Valid frames. NTU and clip arrays: the authors' count of frames with a non-zero sum over C, V, M,
    computed on the slice ``x[i, :, :frames[i]]``. The stored ``frames`` only bounds the read (the file is
    zero after it), because the count is what the authors' crop uses and it is smaller whenever an all-zero
    frame sits inside the clip. NW-UCLA: the stored ``frames`` (the JSON clip length), as the authors use the
    whole clip.
    """

    def __init__(
        self,
        h5_path: str | os.PathLike,
        split: str,
        modality: str,
        window: int = 64,
        train: bool = False,
        *,
        recipe: Mapping[str, Any] | None = None,
        frame_sample: str | None = None,
        align: bool | None = None,
        p_interval: Sequence[float] | None = None,
        random_rot: bool | None = None,
        seed: int = 1,
        test_sampling: str = "seeded",
        repeat: int = 1,
        view_transform: bool | None = None,
        drop_axis_p: float | None = None,
        drop_joint_p: float | None = None,
        centre: bool | None = None,
        normalise_scale: bool | None = None,
        random_rot_2d: float | None = None,
        random_scale: Sequence[float] | None = None,
    ) -> None:
        if modality not in MODALITIES:
            raise ValueError(f"unknown modality {modality!r}; expected one of {MODALITIES}")
        if test_sampling not in TEST_SAMPLINGS:
            raise ValueError(f"test_sampling must be one of {TEST_SAMPLINGS}, got {test_sampling!r}")
        if window < 1 or repeat < 1:
            raise ValueError(f"window and repeat must be >= 1, got window={window}, repeat={repeat}")
        self.h5_path = str(Path(h5_path))
        self.split = split
        self.modality = modality
        self.window = int(window)
        self.train = bool(train)
        self.seed = int(seed)
        self.test_sampling = test_sampling
        self.repeat = int(repeat)
        attrs = self._read_index()
        self.dataset_name = str(attrs.get("dataset", ""))
        self.benchmark = str(attrs.get("benchmark", ""))
        self.num_class = int(attrs.get("num_class", int(self.labels.max(initial=-1)) + 1))
        # its stored declaration (a user's dataset needs no config here), else the package's dataset
        info = benchmark_dataset_info(attrs, self.h5_path)
        self.layout = benchmark_layout(attrs)
        if self.num_channels != self.layout.num_channels:
            raise ValueError(
                f"{self.h5_path} holds {self.num_channels} channels per joint, but its layout "
                f"{self.layout.name!r} declares {list(self.layout.channels)}"
            )
        self._parents = np.asarray(self.layout.parents, dtype=np.intp)
        self.feeder = FEEDERS[info.raw_format]
        given = {
            "frame_sample": frame_sample,
            "align": align,
            "p_interval": p_interval,
            "random_rot": random_rot,
            "view_transform": view_transform,
            "drop_axis_p": drop_axis_p,
            "drop_joint_p": drop_joint_p,
            "centre": centre,
            "normalise_scale": normalise_scale,
            "random_rot_2d": random_rot_2d,
            "random_scale": random_scale,
        }
        self.options = self._resolve_options(given, recipe or {}, info)
        if self.feeder == UCLA_FEEDER:
            self._ucla_options(self.options)
        elif self.feeder == NTU_FEEDER:
            self._ntu_options(self.options)
        else:
            self._clip_options(self.options)
        # The epoch lives in shared memory so set_epoch reaches persistent DataLoader workers too.
        self._epoch = torch.zeros(1, dtype=torch.int64).share_memory_()
        self._h5: h5py.File | None = None
        self._x: h5py.Dataset | None = None
        self._pid: int | None = None

    def _read_index(self) -> dict[str, Any]:
        """Labels, names and frame counts of the split (not the samples); returns the file's attributes."""
        with h5py.File(self.h5_path, "r") as handle:
            if self.split not in handle:
                raise KeyError(f"{self.h5_path} has no split {self.split!r}; it has {sorted(handle)}")
            group = handle[self.split]
            self.labels = np.asarray(group["y"][()], dtype=np.int64)
            self.names = [str(name) for name in group["name"].asstr()[()]]
            self.frames = np.asarray(group["frames"][()], dtype=np.int64)
            _, self.num_channels, self.max_frames, self.num_point, self.num_person = group["x"].shape
            return {key: plain(value) for key, value in handle.attrs.items()}

    def _resolve_options(
        self, given: dict[str, Any], recipe: Mapping[str, Any], info: DatasetInfo
    ) -> dict[str, Any]:
        """Each option of this feeder: the argument, else the recipe key, else the declaration's
        ``recipe_defaults`` (already in a resolved run's recipe), else the benchmark's ``loader_defaults``;
        None leaves the feeder's default.

        The evaluation loader reads ``test_p_interval`` for its crop and no augmentation key. An argument or
        recipe key that this feeder does not take is an error (it would be silently ignored otherwise).
        """
        foreign = sorted(
            key for key, value in given.items() if value is not None and key not in self.feeder.options
        )
        if foreign:
            raise ValueError(f"options {foreign} do not apply to the {self.feeder.title} file {self.h5_path}")
        foreign = foreign_loader_keys(dict(recipe), info.raw_format)
        if foreign:
            raise ValueError(
                f"recipe keys {foreign} do not apply to the {self.feeder.title} file {self.h5_path}; it "
                f"takes {list(self.feeder.options)}"
            )
        benchmark_defaults = (getattr(info, "loader_defaults", None) or {}).get(self.benchmark) or {}
        sources = (recipe, getattr(info, "recipe_defaults", None) or {}, benchmark_defaults)
        options: dict[str, Any] = {}
        for key in (key for key in given if key in self.feeder.options):
            value, source_key = given[key], _recipe_key(key, self.train)
            if value is None and source_key is not None:
                value = next((s[source_key] for s in sources if s.get(source_key) is not None), None)
            options[key] = value
        return options

    def _ntu_options(self, options: dict[str, Any]) -> None:
        """The NTU feeder's options (resolved by :meth:`_resolve_options`; None = the authors' default)."""
        self._frame_options(options)
        self.align = bool(options["align"] or False)
        self._shoulders = (
            self.layout.joints.index("left shoulder"),
            self.layout.joints.index("right shoulder"),
        )
        self.random_rot = self.train if options["random_rot"] is None else bool(options["random_rot"])
        random_crop = self.frame_sample == "resize" and len(self.p_interval) == 2
        self._needs_rng = self.frame_sample == "clips" or random_crop or self.random_rot

    def _frame_options(self, options: dict[str, Any]) -> None:
        """``frame_sample`` and ``p_interval`` (NTU and clip arrays)."""
        self.frame_sample = options["frame_sample"] or "resize"
        if self.frame_sample not in FRAME_SAMPLES:
            raise ValueError(f"frame_sample must be one of {FRAME_SAMPLES}, got {self.frame_sample!r}")
        interval = options["p_interval"]
        default_interval = _TRAIN_P_INTERVAL if self.train else _TEST_P_INTERVAL
        self.p_interval = tuple(float(p) for p in (default_interval if interval is None else interval))
        if len(self.p_interval) not in (1, 2):
            raise ValueError(f"p_interval needs one or two values, got {self.p_interval}")
        if not all(0 < p <= 1 for p in self.p_interval) or self.p_interval[0] > self.p_interval[-1]:
            raise ValueError(f"p_interval needs fractions 0 < low <= high <= 1, got {self.p_interval}")

    def _ucla_options(self, options: dict[str, Any]) -> None:
        """The NW-UCLA feeder's options: every augmentation on when training, off otherwise."""
        view_transform, drop_axis_p, drop_joint_p = (options[k] for k in UCLA_FEEDER.options)
        self.view_transform = self.train if view_transform is None else bool(view_transform)
        default_p = _UCLA_DROP_P if self.train else 0.0
        self.drop_axis_p = default_p if drop_axis_p is None else float(drop_axis_p)
        self.drop_joint_p = default_p if drop_joint_p is None else float(drop_joint_p)
        if not (0 <= self.drop_axis_p <= 1 and 0 <= self.drop_joint_p <= 1):
            raise ValueError(
                f"drop_axis_p and drop_joint_p are probabilities, got {self.drop_axis_p}, {self.drop_joint_p}"
            )
        self._needs_rng = self.train or self.view_transform or self.drop_axis_p > 0 or self.drop_joint_p > 0

    def _clip_options(self, options: dict[str, Any]) -> None:
        """The clip-array feeder's options: crop or clips, centring and scale on, augmentation when
        training (docs/data.md#recipe-keys-for-preprocessing)."""
        self._frame_options(options)
        self.random_rot = bool(options["random_rot"] or False)
        if self.random_rot and self.layout.spatial_channels != 3:
            raise ValueError(
                f"random_rot rotates 3-D points; the layout {self.layout.name!r} is 2-D (use random_rot_2d)"
            )
        self.centre = True if options["centre"] is None else bool(options["centre"])
        self.normalise_scale = (
            True if options["normalise_scale"] is None else bool(options["normalise_scale"])
        )
        angle = options["random_rot_2d"]
        self.random_rot_2d = float((CLIP_ROT_2D_DEGREES if self.train else 0.0) if angle is None else angle)
        scale = options["random_scale"]
        self.random_scale = tuple(
            float(s) for s in ((CLIP_SCALE if self.train else (1.0, 1.0)) if scale is None else scale)
        )
        if self.random_rot_2d < 0:
            raise ValueError(f"random_rot_2d is a largest angle in degrees (>= 0), got {self.random_rot_2d}")
        if len(self.random_scale) != 2 or not 0 < self.random_scale[0] <= self.random_scale[1]:
            raise ValueError(
                f"random_scale needs [low, high] with 0 < low <= high, got {list(self.random_scale)}"
            )
        random_crop = self.frame_sample == "resize" and len(self.p_interval) == 2
        augment = self.random_rot or self.random_rot_2d > 0 or self.random_scale != (1.0, 1.0)
        self._needs_rng = self.frame_sample == "clips" or random_crop or augment

    # ----------------------------------------------------------------------------------------------
    # Dataset protocol

    def __len__(self) -> int:
        return len(self.labels) * self.repeat

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int, str]:
        length = len(self)
        if not -length <= index < length:
            raise IndexError(f"index {index} out of range for {length} samples")
        index %= length
        sample = index % len(self.labels)
        raw = self._read(sample)
        rng = self._rng(index, sample) if self._needs_rng else None
        if self.feeder == UCLA_FEEDER:
            x = self._ucla(raw, rng)
        elif self.feeder == NTU_FEEDER:
            x = self._ntu(raw, rng, sample)
        else:
            x = self._clip(raw, rng, sample)
        return (
            torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)),
            int(self.labels[sample]),
            self.names[sample],
        )

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch whose augmentations are drawn (DistributedSampler-style).

        Call it before creating the epoch's DataLoader iterator. The value is in shared memory, so it also
        reaches workers of a DataLoader with ``persistent_workers=True``.
        """
        self._epoch[0] = int(epoch)

    @property
    def epoch(self) -> int:
        return int(self._epoch[0])

    def __getstate__(self) -> dict[str, Any]:
        # An open h5py handle cannot be pickled (spawned workers) and must not be shared across processes.
        state = dict(self.__dict__)
        state.update(_h5=None, _x=None, _pid=None)
        return state

    # ----------------------------------------------------------------------------------------------
    # Internals

    def _read(self, sample: int) -> np.ndarray:
        """The sample's first ``frames`` frames (C, frames, V, M), through this process's own handle."""
        pid = os.getpid()
        if self._x is None or self._pid != pid:
            # A handle inherited through fork is left alone: HDF5 handles must not cross processes.
            self._h5 = h5py.File(self.h5_path, "r")
            self._x = self._h5[self.split]["x"]
            self._pid = pid
        stop = min(int(self.frames[sample]), self.max_frames)
        if stop < 1:
            raise ValueError(f"sample {self.names[sample]!r} in {self.h5_path} has no frames")
        return self._x[sample, :, :stop]

    def _rng(self, index: int, sample: int) -> np.random.Generator:
        """The generator of one item.

        Training: seeded by (seed, epoch, dataset index), so repeats of a sample and epochs differ but a run
        is reproducible whatever the worker layout. Evaluation with ``seeded``: by (seed, sample name), the
        same draw every run, and whatever file or position holds the sample, so ``hypergcn predict`` draws a
        raw clip as evaluation draws it in the benchmark file. ``random``: fresh OS entropy, the authors'
        unrepeatable behaviour.
        """
        if self.train:
            return np.random.default_rng([self.seed, _TRAIN_STREAM, self.epoch, index])
        if self.test_sampling == "seeded":
            name_key = int.from_bytes(hashlib.sha256(self.names[sample].encode()).digest()[:8], "little")
            return np.random.default_rng([self.seed, _TEST_STREAM, 0, name_key])
        return np.random.default_rng()

    def _ntu(self, x: np.ndarray, rng: np.random.Generator | None, sample: int) -> np.ndarray:
        """NTU order: crop/clips → align → random_rot → bone or joint centring → motion
        (docs/method.md#ntu-loader)."""
        x = self._sample_frames(x, rng, sample, tf.MIN_CROP_FRAMES)
        rot = tf.align_matrix(x, self._shoulders) if self.align else None
        if self.random_rot:
            random = tf.random_rot_matrix(*tf.random_rot_angles(rng))
            rot = random if rot is None else random @ rot
        if rot is not None:
            x = tf.rotate(x, rot)
        if self.modality.startswith("bone"):
            x = tf.to_bone(x, self._parents, absolute=self.layout.centre)
        elif self.modality == "joint":
            x = tf.centre_on_joint(x, self.layout.centre)
        return tf.motion(x) if self.modality.endswith("motion") else x

    def _ucla(self, x: np.ndarray, rng: np.random.Generator | None) -> np.ndarray:
        """NW-UCLA order: centre → view transform → min–max → sampling → drop-axis → drop-joint → bone →
        motion (docs/method.md#nw-ucla-loader-details), in float64 as the authors' feeder."""
        frames = x.shape[1]
        x = tf.ucla_centre(x.astype(np.float64), self.layout.centre)
        if self.view_transform:
            ax, ay = rng.integers(-_UCLA_MAX_ANGLE, _UCLA_MAX_ANGLE + 1, size=2)
            x = tf.rotate(x, tf.view_transform_matrix(int(ax), int(ay), rng.uniform(*_UCLA_SCALE)))
        x = tf.minmax_normalise(x)
        if self.train:
            x = x[:, tf.ucla_train_indices(frames, self.window, rng)]
        else:
            x = x[:, tf.ucla_test_indices(frames, self.window)]
        if self.drop_axis_p > 0:
            tf.drop_axis(x, rng, self.drop_axis_p)
        if self.drop_joint_p > 0:
            tf.drop_joints(x, rng, self.drop_joint_p)
        if self.modality.startswith("bone"):
            x = tf.to_bone(x, self._parents)
        return tf.motion(x) if self.modality.endswith("motion") else x

    def _sample_frames(
        self, x: np.ndarray, rng: np.random.Generator | None, sample: int, min_frames: int
    ) -> np.ndarray:
        """The window's frames of the valid ones: uniform clips, or a crop (at least ``min_frames``, the
        authors' 64 for NTU) linearly resized (docs/method.md#ntu-loader, steps 2-4)."""
        valid = tf.valid_frame_count(x)
        if valid == 0:
            raise ValueError(f"sample {self.names[sample]!r} in {self.h5_path} is all zeros")
        if self.frame_sample == "clips":
            return x[:, tf.clip_indices(valid, self.window, rng)]
        if len(self.p_interval) == 1:
            start, length = tf.central_crop(valid, self.p_interval[0])
        else:
            start, length = tf.random_crop(valid, self.p_interval, rng, min_frames)
        return tf.resize(x[:, start : start + length], self.window)

    def _clip(self, x: np.ndarray, rng: np.random.Generator | None, sample: int) -> np.ndarray:
        """Clip-array order: crop/clips → reference length → centre → scale → random_rot → 2-D rotation →
        random scale → bone → motion (docs/data.md#recipe-keys-for-preprocessing). A crop keeps at least a
        window of frames. The confidence channel is never centred, rotated or scaled; the bone and motion
        streams average it (:func:`~hypergcn.data.transforms.to_bone`, :func:`~hypergcn.data.transforms.motion`).
        """
        layout, spatial = self.layout, self.layout.spatial_channels
        x = self._sample_frames(x, rng, sample, self.window)
        length = tf.reference_length(x, layout.reference, spatial) if self.normalise_scale else None
        if self.centre:
            x = tf.centre_persons(x, layout.centre_joints, spatial)
        if length is not None:
            x = tf.scale_spatial(x, 1.0 / length, spatial)
        if self.random_rot:
            x = x.copy()
            x[:3] = tf.rotate(x[:3], tf.random_rot_matrix(*tf.random_rot_angles(rng)))
        if self.random_rot_2d > 0:
            x = tf.rotate_xy(x, math.radians(rng.uniform(-self.random_rot_2d, self.random_rot_2d)))
        if self.random_scale != (1.0, 1.0):
            x = tf.scale_spatial(x, rng.uniform(*self.random_scale), spatial)
        confidence = layout.has_confidence
        if self.modality.startswith("bone"):
            x = tf.to_bone(x, self._parents, confidence=confidence)
        return tf.motion(x, confidence=confidence) if self.modality.endswith("motion") else x
