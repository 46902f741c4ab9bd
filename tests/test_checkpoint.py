"""Loading the authors' checkpoint format (method §9.6) into our model, and the errors for the wrong model."""

from __future__ import annotations

import pytest
import reference_hypergcn as ref
import torch

from hypergcn.models import build_model, describe_checkpoint, load_official_weights


@pytest.fixture(scope="module")
def released():
    """A state_dict in the released format: the reference model's, PA included, after a training forward."""
    torch.manual_seed(0)
    model = ref.build_reference("base", "ntu120")
    with torch.no_grad():
        model(torch.randn(2, 3, 8, 25, 2))  # moves BN running statistics away from their defaults
    return model.state_dict()


def _same_state(model, state):
    ours = model.state_dict()
    return all(torch.equal(ours[key], state[key]) for key in ours)


def test_loads_the_released_format(released):
    assert any(key.endswith(".PA") for key in released)
    model = build_model("base", "ntu120")
    assert load_official_weights(model, released) is model
    assert _same_state(model, released)


def test_loads_with_dataparallel_prefix(released):
    model = build_model("base", "ntu120")
    load_official_weights(model, {f"module.{key}": value for key, value in released.items()})
    assert _same_state(model, released)


def test_file_round_trip_with_weights_only(released, tmp_path):
    path = tmp_path / "runs-130-127920.pt"
    torch.save(released, path)
    model = build_model("base", "ntu120")
    load_official_weights(model, path)
    assert _same_state(model, released)
    # our own state_dict (no PA) loads too, from a file saved by our model
    ours = tmp_path / "ours.pt"
    torch.save(model.state_dict(), ours)
    again = build_model("base", "ntu120")
    load_official_weights(again, str(ours))
    assert _same_state(again, released)


def test_missing_key_is_named(released):
    state = dict(released)
    del state["l3.gcn1.alpha"]
    with pytest.raises(ValueError, match=r"missing key 'l3.gcn1.alpha'"):
        load_official_weights(build_model("base", "ntu120"), state)


def test_unexpected_key_is_named(released):
    state = dict(released, **{"l1.gcn1.extra": torch.zeros(1)})
    with pytest.raises(ValueError, match=r"unexpected key 'l1.gcn1.extra'"):
        load_official_weights(build_model("base", "ntu120"), state)


def test_wrong_dataset_gives_a_hint(released):
    with pytest.raises(ValueError, match=r"shape mismatch for 'fc.weight'.*'num_class': 120") as error:
        load_official_weights(build_model("base", "ntu60"), released)
    assert "'num_class': 60" in str(error.value)


def test_wrong_size_gives_a_hint(released):
    with pytest.raises(ValueError, match=r"'size': 'base'.*'size': 'large'"):
        load_official_weights(build_model("large", "ntu120"), released)


def test_wrong_layout_or_virtual_joints_gives_a_hint(released):
    with pytest.raises(ValueError, match=r"graph l1.gcn1.PA.*'virtual_joints': 3"):
        load_official_weights(build_model("base", "ntu120", virtual_joints=0), released)
    with pytest.raises(ValueError, match=r"'num_point': 25"):
        load_official_weights(build_model("base", "ucla", num_class=120), released)


def test_a_different_graph_is_rejected(released):
    state = dict(released)
    state["l5.gcn1.PA"] = state["l5.gcn1.PA"].clone()
    state["l5.gcn1.PA"][0, 0, 1] = 1 - state["l5.gcn1.PA"][0, 0, 1]
    with pytest.raises(ValueError, match="l5.gcn1.PA.*differs"):
        load_official_weights(build_model("base", "ntu120"), state)


def test_not_a_state_dict(tmp_path):
    path = tmp_path / "list.pt"
    torch.save([torch.zeros(1)], path)
    with pytest.raises(ValueError, match="expected a state_dict"):
        load_official_weights(build_model("base", "ntu120"), path)


def test_describe_checkpoint(released):
    assert describe_checkpoint(released) == {
        "num_class": 120, "size": "base", "num_point": 25, "num_person": 2, "virtual_joints": 3,
    }  # fmt: skip
    ucla = ref.build_reference("large", "ucla", virtual_joints=0).state_dict()
    assert describe_checkpoint(ucla) == {
        "num_class": 10, "size": "large", "num_point": 20, "num_person": 1, "virtual_joints": 0,
    }  # fmt: skip
