"""``SkeletonDataset``: the training and evaluation loader over a benchmark HDF5 file (pipeline-design §4).

It reproduces the authors' feeders (method §4.5, §4.6, §9.4, §9.5) with two deliberate changes:

* Randomness comes from an explicit numpy ``Generator`` seeded per (seed, epoch, index) instead of the
  global numpy / torch / ``random`` RNGs that every DataLoader worker reseeds from torch's base seed. A
  sample's augmentation is then reproducible and independent of worker count, start method and rank,
  while still differing across samples and (through :meth:`SkeletonDataset.set_epoch`) across epochs.
* Cross-view ``clips`` sampling at test time is drawn from a per-sample seed (``test_sampling='seeded'``,
  the same clip every run and epoch) so test accuracy is not a lottery (method §7.6);
  ``test_sampling='random'`` restores the authors' fresh, unrepeatable draw (``xview_test_sampling:
  random``, pipeline-design §8).

The HDF5 file is never loaded whole: only labels, names and frame counts are read at construction, and
each item reads one sample's valid frames through a handle opened lazily in the calling process, so the
dataset pickles and works with DataLoader workers under fork and spawn.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import torch
from torch.utils.data import Dataset

from hypergcn.data import transforms as tf
from hypergcn.datasets import MODALITIES

FRAME_SAMPLES = ("resize", "clips")
TEST_SAMPLINGS = ("seeded", "random")
# Stream tags of the per-sample seeds, so train and seeded-test draws never share a generator state.
_TRAIN_STREAM, _TEST_STREAM = 0, 1
# NW-UCLA view transform ranges (method §9.5): integer degrees, inclusive, and the scale interval.
_UCLA_MAX_ANGLE = 60
_UCLA_SCALE = (0.5, 1.5)
_UCLA_DROP_P = 0.5


def _attr(value: Any) -> Any:
    """HDF5 string attributes can come back as bytes depending on how they were written."""
    return value.decode() if isinstance(value, bytes) else value


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
            Default follows the file: ``clips`` for NTU-60 xview, ``resize`` otherwise (the authors' configs).
        align: NTU only. Rotate the shoulders onto +x; default as ``frame_sample``'s default (NTU-60 xview).
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

        with h5py.File(self.h5_path, "r") as handle:
            if split not in handle:
                raise KeyError(f"{self.h5_path} has no split {split!r}; it has {sorted(handle)}")
            attrs = {key: _attr(value) for key, value in handle.attrs.items()}
            group = handle[split]
            self.labels = np.asarray(group["y"][()], dtype=np.int64)
            self.names = [str(name) for name in group["name"].asstr()[()]]
            self.frames = np.asarray(group["frames"][()], dtype=np.int64)
            _, _, self.max_frames, self.num_point, self.num_person = group["x"].shape
        self.dataset_name = str(attrs.get("dataset", ""))
        self.benchmark = str(attrs.get("benchmark", ""))
        self.num_class = int(attrs.get("num_class", int(self.labels.max(initial=-1)) + 1))
        self.is_ucla = self.dataset_name == "ucla" or self.num_point == 20

        ntu_options = {"frame_sample": frame_sample, "align": align, "p_interval": p_interval}
        ucla_options = {
            "view_transform": view_transform,
            "drop_axis_p": drop_axis_p,
            "drop_joint_p": drop_joint_p,
        }
        wrong = {**ntu_options, "random_rot": random_rot} if self.is_ucla else ucla_options
        given = sorted(key for key, value in wrong.items() if value is not None)
        if given:
            layout = "NW-UCLA" if self.is_ucla else "NTU"
            raise ValueError(f"options {given} do not apply to the {layout} file {self.h5_path}")

        if self.is_ucla:
            self.view_transform = self.train if view_transform is None else bool(view_transform)
            default_p = _UCLA_DROP_P if self.train else 0.0
            self.drop_axis_p = default_p if drop_axis_p is None else float(drop_axis_p)
            self.drop_joint_p = default_p if drop_joint_p is None else float(drop_joint_p)
            self._needs_rng = (
                self.train or self.view_transform or self.drop_axis_p > 0 or self.drop_joint_p > 0
            )
        else:
            xview = self.dataset_name == "ntu60" and self.benchmark == "xview"
            self.frame_sample = frame_sample or ("clips" if xview else "resize")
            if self.frame_sample not in FRAME_SAMPLES:
                raise ValueError(f"frame_sample must be one of {FRAME_SAMPLES}, got {self.frame_sample!r}")
            self.align = xview if align is None else bool(align)
            default_interval = (0.5, 1.0) if self.train else (0.95,)
            self.p_interval = tuple(
                float(p) for p in (default_interval if p_interval is None else p_interval)
            )
            if len(self.p_interval) not in (1, 2):
                raise ValueError(f"p_interval needs one or two values, got {self.p_interval}")
            self.random_rot = self.train if random_rot is None else bool(random_rot)
            random_crop = self.frame_sample == "resize" and len(self.p_interval) == 2
            self._needs_rng = self.frame_sample == "clips" or random_crop or self.random_rot

        # The epoch lives in shared memory so set_epoch reaches persistent DataLoader workers too.
        self._epoch = torch.zeros(1, dtype=torch.int64).share_memory_()
        self._h5: h5py.File | None = None
        self._x: h5py.Dataset | None = None
        self._pid: int | None = None

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
        x = self._ucla(raw, rng) if self.is_ucla else self._ntu(raw, rng, sample)
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
        """NTU order: crop/clips → align → random_rot → bone or joint centring → motion (method §4.5)."""
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
        rot = tf.align_matrix(x) if self.align else None
        if self.random_rot:
            random = tf.random_rot_matrix(*tf.random_rot_angles(rng))
            rot = random if rot is None else random @ rot
        if rot is not None:
            x = tf.rotate(x, rot)
        if self.modality.startswith("bone"):
            x = tf.to_bone(x, tf.NTU_PARENTS, absolute=tf.NTU_TORSO)
        elif self.modality == "joint":
            x = tf.centre_on_joint(x, tf.NTU_TORSO)
        return tf.motion(x) if self.modality.endswith("motion") else x

    def _ucla(self, x: np.ndarray, rng: np.random.Generator | None) -> np.ndarray:
        """NW-UCLA order: centre → view transform → min–max → sampling → drop-axis → drop-joint → bone →
        motion (method §9.5), in float64 as the authors' feeder."""
        frames = x.shape[1]
        x = tf.ucla_centre(x.astype(np.float64))
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
            x = tf.to_bone(x, tf.UCLA_PARENTS)
        return tf.motion(x) if self.modality.endswith("motion") else x
