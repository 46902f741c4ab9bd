"""The fast path of the data stages gives the same files as the plain one: the one-pass parse + denoise
(one worker per setup, forked) against ``hypergcn parse`` then ``hypergcn denoise``, and benchmark files
built by copying packed chunks against building every sample in the build, bit for bit (decoded values,
names, labels, frame counts and attributes); the chunk encoder's streams decode to the exact chunk."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import h5py
import numpy as np
import pytest

from hypergcn.cli import main
from hypergcn.data.build import BuildError, BuildSettings, ChunkPacker, build_benchmark
from hypergcn.data.demo import make_demo_skeletons
from hypergcn.data.denoise import denoise_shard
from hypergcn.data.ntu_skeleton import compiled
from hypergcn.data.parse import BadFilesError, parse_denoise_ntu_shards, parse_ntu_shard
from hypergcn.data.shards import Shard
from tests.reference.skeleton_text import assemble, pose, track, write_skeleton

SETUPS = ["S001", "S002", "S003"]


def content(path: Path, skip_attrs: tuple[str, ...] = ()) -> dict:
    """Every dataset's decoded values and every attribute of an HDF5 file, by object name."""
    found = {}
    with h5py.File(path, "r") as h5:

        def visit(name: str, obj: h5py.HLObject) -> None:
            attrs = {
                key: np.asarray(value).tolist() for key, value in obj.attrs.items() if key not in skip_attrs
            }
            if isinstance(obj, h5py.Dataset):
                if h5py.check_string_dtype(obj.dtype):
                    values = "\0".join(np.atleast_1d(obj.asstr()[()]).tolist()).encode()
                else:
                    values = np.asarray(obj[()]).tobytes()
                found[name] = (attrs, str(obj.dtype), obj.shape, values)
            else:
                found[name] = (attrs,)

        visit("/", h5)
        h5.visititems(visit)
    return found


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> Path:
    """Demo files of three NTU-60 setups (every awkward case), one of them real-sized (style ntu)."""
    root = tmp_path_factory.mktemp("packed")
    make_demo_skeletons(root / "raw", seed=2, setups=SETUPS[:2], subjects=[1, 3], cameras=[1, 2])
    for path in make_demo_skeletons(root / "ntu", seed=2, setups=SETUPS[2:], subjects=[2], style="real"):
        path.rename(root / "raw" / path.name)
    return root / "raw"


@pytest.fixture(scope="module")
def two_step(raw, tmp_path_factory) -> list[Path]:
    """Denoised shards the plain way: a parsed shard per setup, then its denoised shard."""
    out = tmp_path_factory.mktemp("two_step")
    paths = []
    for setup in SETUPS:
        parse_ntu_shard("ntu60", setup, [raw], out / f"p{setup}.h5")
        denoise_shard(str(out / f"p{setup}.h5"), str(out / f"{setup}.h5"))
        paths.append(out / f"{setup}.h5")
    return paths


def test_one_pass_shards_equal_the_two_step_shards(raw, two_step, tmp_path):
    outs = [tmp_path / f"{setup}.h5" for setup in SETUPS]
    reports = parse_denoise_ntu_shards("ntu60", SETUPS, [raw], outs, pack=(300, "copy"), jobs=2)
    assert [r["parsed"] for r in reports] == [len(Shard(p)) for p in two_step]
    for ours, plain in zip(outs, two_step, strict=True):
        got = content(ours)
        packed = {name for name in got if name.startswith("packed")}
        assert packed == {"packed", "packed/bytes", "packed/offset", "packed/size", "packed/filter_mask"}
        root_attrs = {key: value for key, value in got.pop("/")[0].items() if not key.startswith("packed_")}
        expected = content(plain)
        assert root_attrs == expected.pop("/")[0]
        assert {name: value for name, value in got.items() if name not in packed} == expected
    # one process, no packing: the same shards without the packed group
    parse_denoise_ntu_shards("ntu60", SETUPS[:1], [raw], [tmp_path / "one.h5"], jobs=1)
    assert content(tmp_path / "one.h5") == content(two_step[0])


@pytest.mark.parametrize(
    ("dataset", "bench", "second_actor", "val"),
    [
        ("ntu60", "xsub", "copy", 0.0),
        ("ntu60", "xview", "zeros", 0.0),
        ("ntu120", "xset", "per_dataset", 0.0),
        ("ntu120", "xsub", "copy", 0.3),
        ("demo", "xsub", "per_dataset", 0.0),
    ],
)
def test_copied_chunks_equal_built_samples(raw, tmp_path, dataset, bench, second_actor, val):
    outs = [tmp_path / f"d{setup}.h5" for setup in SETUPS]
    parse_denoise_ntu_shards(dataset, SETUPS, [raw], outs, pack=(300, second_actor), jobs=2)
    settings = BuildSettings(dataset, bench, second_actor=second_actor, num_class=120, val_fraction=val)
    build_benchmark(outs, tmp_path / "copied.h5", settings)
    plain = []
    for out in outs:  # the same shards without their packed chunks
        with h5py.File(out, "a") as h5:
            del h5["packed"]
        plain.append(out)
    build_benchmark(plain, tmp_path / "built.h5", settings)
    assert content(tmp_path / "copied.h5") == content(tmp_path / "built.h5")
    with h5py.File(tmp_path / "copied.h5") as h5:
        assert h5["train"]["x"].compression == "lzf" and h5["train"]["x"].chunks == (1, 3, 300, 25, 2)


def test_chunks_packed_with_other_settings_are_not_copied(raw, two_step, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="hypergcn.data.build")
    outs = [tmp_path / f"d{setup}.h5" for setup in SETUPS]
    parse_denoise_ntu_shards("ntu60", SETUPS, [raw], outs, pack=(300, "zeros"), jobs=1)
    for settings in (
        BuildSettings("ntu60", "xsub", second_actor="copy"),
        BuildSettings("ntu60", "xsub", 280),
    ):
        build_benchmark(outs, tmp_path / "other.h5", settings)
        assert "transformed and compressed here" in caplog.text
        build_benchmark(two_step, tmp_path / "plain.h5", settings)
        assert content(tmp_path / "other.h5") == content(tmp_path / "plain.h5")
        caplog.clear()


def test_unpacked_samples_are_reported_as_the_build_would(tmp_path):
    raw = tmp_path / "raw"
    for name, frames in (("S001C001P001R001A001", 4), ("S001C001P002R001A001", 9)):
        write_skeleton(raw, name, assemble(frames, track("1", range(frames), lambda f: pose(x=0.25 * f))))
    out = tmp_path / "d.h5"
    parse_denoise_ntu_shards("ntu60", ["S001"], [raw], [out], pack=(6, "copy"))
    with Shard(out) as shard:
        assert shard.packed is not None and shard.packed.sizes.tolist()[1] == -1  # 9 frames > 6
    with pytest.raises(BuildError, match=r"S001C001P002R001A001 \(9 frames\).*datasets.ntu60.max_frames"):
        build_benchmark([out], tmp_path / "x.h5", BuildSettings("ntu60", "xsub", max_frames=6))
    # a chunk missing for another reason is built in place (the transform reports what it finds)
    parse_denoise_ntu_shards("ntu60", ["S001"], [raw], [out], pack=(12, "copy"))
    with h5py.File(out, "a") as h5:
        h5["packed/size"][0] = -1
    build_benchmark([out], tmp_path / "x.h5", BuildSettings("ntu60", "xsub", max_frames=12))
    with h5py.File(tmp_path / "x.h5") as x:
        sample = x["train"]["x"][0]
        assert sample[:, :4].any() and not sample[:, 4:].any()
        np.testing.assert_array_equal(sample[..., 0], sample[..., 1])


def test_bad_files_of_every_setup_are_listed_together(raw, tmp_path):
    folder = tmp_path / "raw"
    folder.mkdir()
    for path in sorted(raw.glob("S00[12]*.skeleton"))[::40]:
        (folder / path.name).write_bytes(path.read_bytes())
    bad = sorted(folder.glob("*.skeleton"))
    bad[0].write_bytes(bad[0].read_bytes()[:-300])  # truncated
    bad[-1].write_bytes(bad[-1].read_bytes().replace(b"\n25\n", b"\n24\n", 1))
    outs = [tmp_path / "S001.h5", tmp_path / "S002.h5"]
    with pytest.raises(BadFilesError) as info:
        parse_denoise_ntu_shards("ntu60", ["S001", "S002"], [folder], outs, jobs=2)
    assert {entry["file"] for entry in info.value.bad} == {str(bad[0]), str(bad[-1])}
    assert "S001, S002" in str(info.value) and not any(out.exists() for out in outs)
    reports = parse_denoise_ntu_shards("ntu60", ["S001", "S002"], [folder], outs, "skip", jobs=2)
    assert sum(r["bad_skipped"] for r in reports) == 2


def test_cli_parses_several_setups(raw, tmp_path):
    outs = [str(tmp_path / f"{setup}.h5") for setup in SETUPS]
    args = ["--log", str(tmp_path / "log"), "parse", "--denoise", "--dataset", "ntu60", "--raw-dir", str(raw)]
    assert main([*args, "--shard", *SETUPS, "--output", *outs, "--jobs", "2", "--second-actor", "copy"]) == 0
    with Shard(outs[2]) as shard:
        assert shard.packed is not None and shard.packed.attrs["second_actor"] == "copy"
    assert main([*args, "--shard", *SETUPS, "--output", *outs[:2]]) == 2
    assert main([*args[:3], *args[4:], "--shard", *SETUPS, "--output", *outs]) == 2  # several need --denoise


# -------------------------------------------------------------------------------------------------------
# The chunk encoder.


@pytest.mark.parametrize("frames", [1, 2, 37, 299, 300])
def test_encoded_chunks_decode_to_the_chunk(tmp_path, frames):
    rng = np.random.default_rng(frames)
    encode = compiled("lzf_chunk")
    out = np.empty(4 * 3 * 300 * 50 * 33 // 32 + 64, dtype=np.uint8)
    samples = []
    for mode in ("copy", "zeros", "two", "odd"):
        data = rng.normal(size=(3, frames, 25, 2)).astype(np.float32)
        if mode == "copy":
            data[..., 1] = data[..., 0]
        elif mode == "zeros":
            data[..., 1] = 0
        elif mode == "odd":  # runs of equal values, -0.0, NaN, zero frames inside the data part
            data[:, : frames // 2] = 1.5
            data[0, -1, 3, 0] = -0.0
            data[1, -1, 2, 1] = np.nan
            data[2, frames // 3 :] = 0
        chunk = np.zeros((3, 300, 25, 2), dtype=np.float32)
        chunk[:, :frames] = data
        planes = np.ascontiguousarray(data).view(np.uint32).reshape(3, -1)
        samples.append((chunk, out[: encode(planes, 300 * 50, out)].tobytes()))
    with h5py.File(tmp_path / "x.h5", "w") as h5:
        x = h5.create_dataset(
            "x", (4, 3, 300, 25, 2), np.float32, chunks=(1, 3, 300, 25, 2), compression="lzf"
        )
        for i, (_, stream) in enumerate(samples):
            x.id.write_direct_chunk((i, 0, 0, 0, 0), stream)
    with h5py.File(tmp_path / "x.h5") as h5:
        for i, (chunk, _) in enumerate(samples):
            assert np.array_equal(h5["x"][i].view(np.uint32), chunk.view(np.uint32)), i


def test_packer_keeps_a_chunk_raw_when_the_stream_is_larger():
    packer = ChunkPacker("ntu60", 300, "zeros")
    rng = np.random.default_rng(0)
    noise = rng.normal(size=(300, 2, 25, 3)).astype(np.float32)  # incompressible, every frame used
    stream, mask = packer.pack(noise, 2, "S001C001P001R001A001")
    assert mask == 1 and len(stream) == 3 * 300 * 25 * 2 * 4
    small, mask = packer.pack(noise[:40], 2, "S001C001P001R001A001")
    assert mask == 0 and len(small) < 40 * 600 * 1.15 + 3 * 3 * 170
    assert json.loads(json.dumps(packer.attrs)) == {
        "codec": "lzf",
        "chunk_shape": [3, 300, 25, 2],
        "max_frames": 300,
        "second_actor": "zeros",
    }
