"""``SkeletonDataset``: the training and evaluation loader over a benchmark HDF5 file
(docs/data.md#benchmark-file).

It reproduces the authors' feeders (docs/method.md#ntu-loader, docs/method.md#nw-ucla,
docs/method.md#ntu-loader-formulas, docs/method.md#nw-ucla-loader-details) with two deliberate changes:

* Randomness comes from an explicit numpy ``Generator`` seeded per (seed, epoch, index) instead of the
  global numpy / torch / ``random`` RNGs that every DataLoader worker reseeds from torch's base seed. A
  sample's augmentation is then reproducible and independent of worker count, start method and rank,
  while still differing across samples and (through :meth:`SkeletonDataset.set_epoch`) across epochs.
* Cross-view ``clips`` sampling at test time is drawn from a per-sample seed (``test_sampling='seeded'``,
  the same clip every run and epoch) so test accuracy is not a lottery (docs/method.md#q6-test-set-selection);
  ``test_sampling='random'`` restores the authors' fresh, unrepeatable draw (``xview_test_sampling:
  random``, docs/deviations.md).

Which feeder a file takes follows its dataset's raw format (:data:`FEEDERS`), its bones and centre joint
follow its skeleton layout (the file's ``layout`` attribute), and the per-benchmark defaults follow the
dataset's declaration (``DatasetInfo.loader_defaults``): nothing is guessed from the array shapes.

The HDF5 file is never loaded whole: only labels, names and frame counts are read at construction, and
each item reads one sample's valid frames through a handle opened lazily in the calling process, so the
dataset pickles and works with DataLoader workers under fork and spawn.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import torch
from torch.utils.data import Dataset

import hypergcn.data.transforms as tf
from hypergcn.data.benchmark_file import benchmark_layout, plain
from hypergcn.datasets import MODALITIES, dataset_info

FRAME_SAMPLES = ("resize", "clips")
TEST_SAMPLINGS = ("seeded", "random")
# Stream tags of the per-sample seeds, so train and seeded-test draws never share a generator state.
_TRAIN_STREAM, _TEST_STREAM = 0, 1
# NW-UCLA view transform ranges (docs/method.md#nw-ucla-loader-details): integer degrees, inclusive, and the
# scale interval.
_UCLA_MAX_ANGLE = 60
_UCLA_SCALE = (0.5, 1.5)
_UCLA_DROP_P = 0.5


@dataclass(frozen=True)
class Feeder:
    """One of the authors' feeders: its name in messages and the options that only it takes."""

    title: str
    options: tuple[str, ...]


NTU_FEEDER = Feeder("NTU (feeders/feeder_ntu.py)", ("frame_sample", "align", "p_interval", "random_rot"))
UCLA_FEEDER = Feeder("NW-UCLA (feeders/feeder_ucla.py)", ("view_transform", "drop_axis_p", "drop_joint_p"))
# The authors' feeder of each raw format (``DatasetInfo.raw_format``).
FEEDERS: dict[str, Feeder] = {"ntu_skeleton": NTU_FEEDER, "ucla_json": UCLA_FEEDER}


class SkeletonDataset(Dataset):
    """Samples of one split of ``results/data/{dataset}/{benchmark}.h5`` as model inputs.

    ``ds[i]`` returns ``(x, label, name)``: ``x`` a float32 ``torch.Tensor`` of shape (3, window, V, M) (a
    tensor, so the default collate stacks it without a copy through numpy), ``label`` an int, ``name``
    the original sample name. ``len(ds)`` is ``N * repeat``; index i maps to sample ``i % N``.

    Args:
        h5_path: benchmark file written by ``build_benchmark``.
        split: group name, ``train``, ``val`` or ``test``.
        modality: ``joint``, ``bone``, ``joint_motion`` or ``bone_motion``.
        window: output frames (the authors use 64).
        train: draw the training augmentations (crop, random rotation, NW-UCLA view transform and drops).
        frame_sample: NTU only. ``resize`` (crop, then linear resize) or ``clips`` (uniform frame gather).
            Default: the file's benchmark's ``DatasetInfo.loader_defaults``, else ``resize`` (the authors'
            configs: ``clips`` for NTU-60 xview).
        align: NTU only. Rotate the shoulders onto +x; default from the same declaration (NTU-60 xview), else
            off.
        p_interval: NTU ``resize`` only. One value = central crop keeping that fraction (default test
            ``[0.95]``), two = random crop fraction range (default train ``[0.5, 1]``).
        random_rot: NTU only. Random rotation of ±0.3 rad per axis; default ``train``.
        seed: base seed of every random draw.
        test_sampling: ``seeded`` or ``random``, how a non-training dataset draws its random parts
            (cross-view clips); see the module docstring.
        repeat: dataset length multiplier (NW-UCLA training uses 5); repeats draw different augmentations.
        view_transform: NW-UCLA only. Random rotation about x and y and scaling; default ``train``.
        drop_axis_p, drop_joint_p: NW-UCLA only. Probabilities of the drop-axis and drop-joint
            augmentations; default 0.5 when ``train``, else 0.

    Valid frames. NTU: the authors' count of frames with a non-zero sum over C, V, M, computed on the
    slice ``x[i, :, :frames[i]]``. The stored ``frames`` only bounds the read (the file is zero after it),
    because the count is what the authors' crop uses and it is smaller whenever an all-zero frame sits
    inside the clip. NW-UCLA: the stored ``frames`` (the JSON clip length), as the authors use the whole
    clip.
    """

    def __init__(
        self,
        h5_path: str | os.PathLike,
        split: str,
        modality: str,
        window: int = 64,
        train: bool = False,
        *,
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
        info = dataset_info(self.dataset_name)
        self.layout = benchmark_layout(attrs)
        self._parents = np.asarray(self.layout.parents, dtype=np.intp)
        self.feeder = FEEDERS[info.raw_format]
        options = {
            "frame_sample": frame_sample,
            "align": align,
            "p_interval": p_interval,
            "random_rot": random_rot,
            "view_transform": view_transform,
            "drop_axis_p": drop_axis_p,
            "drop_joint_p": drop_joint_p,
        }
        given = sorted(
            key for key, value in options.items() if value is not None and key not in self.feeder.options
        )
        if given:
            raise ValueError(f"options {given} do not apply to the {self.feeder.title} file {self.h5_path}")
        if self.feeder is UCLA_FEEDER:
            self._ucla_options(view_transform, drop_axis_p, drop_joint_p)
        else:
            defaults = info.loader_defaults.get(self.benchmark, {})
            self._ntu_options(frame_sample, align, p_interval, random_rot, defaults)
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
            _, _, self.max_frames, self.num_point, self.num_person = group["x"].shape
            return {key: plain(value) for key, value in handle.attrs.items()}

    def _ntu_options(
        self,
        frame_sample: str | None,
        align: bool | None,
        p_interval: Sequence[float] | None,
        random_rot: bool | None,
        defaults: dict[str, Any],
    ) -> None:
        """The NTU feeder's options; ``defaults`` are the benchmark's (``DatasetInfo.loader_defaults``)."""
        self.frame_sample = frame_sample or defaults.get("frame_sample", "resize")
        if self.frame_sample not in FRAME_SAMPLES:
            raise ValueError(f"frame_sample must be one of {FRAME_SAMPLES}, got {self.frame_sample!r}")
        self.align = bool(defaults.get("align", False)) if align is None else bool(align)
        self._shoulders = (
            self.layout.joints.index("left shoulder"),
            self.layout.joints.index("right shoulder"),
        )
        default_interval = (0.5, 1.0) if self.train else (0.95,)
        self.p_interval = tuple(float(p) for p in (default_interval if p_interval is None else p_interval))
        if len(self.p_interval) not in (1, 2):
            raise ValueError(f"p_interval needs one or two values, got {self.p_interval}")
        self.random_rot = self.train if random_rot is None else bool(random_rot)
        random_crop = self.frame_sample == "resize" and len(self.p_interval) == 2
        self._needs_rng = self.frame_sample == "clips" or random_crop or self.random_rot

    def _ucla_options(
        self, view_transform: bool | None, drop_axis_p: float | None, drop_joint_p: float | None
    ) -> None:
        """The NW-UCLA feeder's options: every augmentation on when training, off otherwise."""
        self.view_transform = self.train if view_transform is None else bool(view_transform)
        default_p = _UCLA_DROP_P if self.train else 0.0
        self.drop_axis_p = default_p if drop_axis_p is None else float(drop_axis_p)
        self.drop_joint_p = default_p if drop_joint_p is None else float(drop_joint_p)
        self._needs_rng = self.train or self.view_transform or self.drop_axis_p > 0 or self.drop_joint_p > 0

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
        x = self._ucla(raw, rng) if self.feeder is UCLA_FEEDER else self._ntu(raw, rng, sample)
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
        is reproducible whatever the worker layout. Evaluation with ``seeded``: by (seed, sample), the same
        draw every run. ``random``: fresh OS entropy, the authors' unrepeatable behaviour.
        """
        if self.train:
            return np.random.default_rng([self.seed, _TRAIN_STREAM, self.epoch, index])
        if self.test_sampling == "seeded":
            return np.random.default_rng([self.seed, _TEST_STREAM, 0, sample])
        return np.random.default_rng()

    def _ntu(self, x: np.ndarray, rng: np.random.Generator | None, sample: int) -> np.ndarray:
        """NTU order: crop/clips → align → random_rot → bone or joint centring → motion
        (docs/method.md#ntu-loader)."""
        valid = tf.valid_frame_count(x)
        if valid == 0:
            raise ValueError(f"sample {self.names[sample]!r} in {self.h5_path} is all zeros")
        if self.frame_sample == "clips":
            x = x[:, tf.clip_indices(valid, self.window, rng)]
        else:
            if len(self.p_interval) == 1:
                start, length = tf.central_crop(valid, self.p_interval[0])
            else:
                start, length = tf.random_crop(valid, self.p_interval, rng)
            x = tf.resize(x[:, start : start + length], self.window)
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
