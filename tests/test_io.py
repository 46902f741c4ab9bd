"""Atomic writes: a failed write leaves nothing behind, a finished one has ordinary permissions."""

import os
import stat

import numpy as np
import pytest

from hypergcn.io import atomic_path, config_digest, load_npz, save_npz, write_json


def test_failed_write_leaves_no_file_and_keeps_the_old_one(tmp_path):
    target = tmp_path / "out.json"
    write_json(target, {"a": 1})
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert target.read_text().strip().startswith("{")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_finished_file_gets_umask_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        write_json(tmp_path / "x.json", [1])
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "x.json").stat().st_mode) == 0o644


def test_npz_round_trip_refuses_nothing_it_wrote(tmp_path):
    save_npz(tmp_path / "s.npz", logits=np.eye(2, dtype=np.float32), names=np.array(["a", "b"]))
    loaded = load_npz(tmp_path / "s.npz")
    assert loaded["names"].tolist() == ["a", "b"]
    np.testing.assert_array_equal(loaded["logits"], np.eye(2))


def test_config_digest_ignores_key_order():
    assert config_digest({"a": 1, "b": [1, 2]}) == config_digest({"b": [1, 2], "a": 1})
    assert config_digest({"a": 1}) != config_digest({"a": 2})
