"""Weights from files: the authors' released weights (docs/method.md#released-weights) loaded into our model,
with the errors for the wrong model, and our model file (``model.pt``): round trip, the previous format, and
files that are not model files."""

from __future__ import annotations

import json

import pytest
import torch

from hypergcn.models import (
    ModelConfig,
    build_from_model_file,
    build_model,
    describe_released_weights,
    load_model_file,
    load_official_weights,
    model_config,
    save_model_file,
)
from tests.reference import authors_model as ref


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


def test_describe_released_weights(released):
    assert describe_released_weights(released) == {
        "num_class": 120, "size": "base", "num_point": 25, "num_person": 2, "virtual_joints": 3,
    }  # fmt: skip
    ucla = ref.build_reference("large", "ucla", virtual_joints=0).state_dict()
    assert describe_released_weights(ucla) == {
        "num_class": 10, "size": "large", "num_point": 20, "num_person": 1, "virtual_joints": 0,
    }  # fmt: skip


# ------------------------------------------------------------------------------------- model file (model.pt)
@pytest.fixture(scope="module")
def trained_ucla():
    """A small 'trained' model: UCLA base with a non-default config, statistics moved off their defaults."""
    torch.manual_seed(1)
    config = model_config("base", "ucla", num_class=7, virtual_joints=2, virtual_joint_init="identical")
    model = build_model("base", "ucla", num_class=7, virtual_joints=2, virtual_joint_init="identical")
    assert model.config == config
    with torch.no_grad():
        model(torch.randn(2, 3, 8, 20, 1))
    return model.eval()


METADATA = {"dataset": "ucla", "benchmark": "xview", "modality": "bone", "recipe": {"epochs": 2, "lr": 0.1}}


def test_model_file_round_trip(trained_ucla, tmp_path):
    path = tmp_path / "run" / "model.pt"
    save_model_file(path, trained_ucla.config, trained_ucla.state_dict(), METADATA)
    assert [p.name for p in path.parent.iterdir()] == ["model.pt"]  # no temporary file left behind
    contents = load_model_file(path)
    assert contents.config == trained_ucla.config
    assert contents.metadata == METADATA
    ours = trained_ucla.state_dict()
    assert contents.state_dict.keys() == ours.keys()
    assert all(torch.equal(contents.state_dict[key], ours[key]) for key in ours)
    model, again = build_from_model_file(str(path))
    assert again.config == trained_ucla.config and model.config == trained_ucla.config
    x = torch.randn(2, 3, 8, 20, 1)
    with torch.no_grad():
        assert torch.equal(model.eval()(x), trained_ucla(x))


def test_model_file_payload_is_plain_and_json_safe(trained_ucla, tmp_path):
    path = tmp_path / "model.pt"
    save_model_file(path, trained_ucla.config, trained_ucla.state_dict(), {"tags": ("a", "b")})
    payload = torch.load(path, map_location="cpu", weights_only=True)
    assert set(payload) == {"format", "model", "state_dict", "selections", "metadata"}
    assert payload["selections"] == {}
    assert payload["format"] == "hypergcn-model/2"
    assert json.loads(json.dumps(payload["model"])) == payload["model"] == trained_ucla.config.to_dict()
    assert payload["metadata"] == {"tags": ["a", "b"]}  # stored as its JSON form
    assert not any(key.endswith(".PA") for key in payload["state_dict"])


def test_save_model_file_refuses_repeated_facts_and_non_json(trained_ucla, tmp_path):
    path = tmp_path / "model.pt"
    state = trained_ucla.state_dict()
    with pytest.raises(ValueError, match=r"repeats \['num_class', 'size'\]"):
        save_model_file(path, trained_ucla.config, state, {"size": "base", "num_class": 7})
    with pytest.raises(ValueError, match=r"repeats \['format'\]"):
        save_model_file(path, trained_ucla.config, state, {"format": "x"})
    with pytest.raises(ValueError, match="JSON-safe"):
        save_model_file(path, trained_ucla.config, state, {"scores": torch.zeros(2)})
    with pytest.raises(ValueError, match="not tensors"):
        save_model_file(path, trained_ucla.config, {**state, "extra": 1.0}, {})
    with pytest.raises(ValueError, match=r"selection 'val' entries \['extra'\] are not tensors"):
        save_model_file(path, trained_ucla.config, state, {}, selections={"val": {**state, "extra": 1.0}})
    with pytest.raises(ValueError, match="not 'last'"):
        save_model_file(path, trained_ucla.config, state, {}, selections={"last": state})
    assert not path.exists()


def test_model_file_keeps_every_selection(trained_ucla, tmp_path):
    """A run's other model selections (best validation epoch, ...) ride along; the main weights are 'last'."""
    path = tmp_path / "model.pt"
    last = trained_ucla.state_dict()
    val = {name: value + 1 if value.is_floating_point() else value for name, value in last.items()}
    save_model_file(path, trained_ucla.config, last, METADATA, selections={"val": val})
    main = load_model_file(path)
    assert (main.selection, main.selections) == ("last", ("last", "val"))
    assert all(torch.equal(main.state_dict[k], v) for k, v in last.items())
    best = load_model_file(path, selection="val")
    assert best.selection == "val" and best.config == main.config and best.metadata == main.metadata
    assert all(torch.equal(best.state_dict[k], v) for k, v in val.items())
    model, _ = build_from_model_file(path, selection="val")
    assert torch.equal(model.fc.weight, val["fc.weight"])
    with pytest.raises(
        ValueError, match=r"model.pt: no 'test' selection in this model file; it holds \['last', 'val'\]"
    ):
        load_model_file(path, selection="test")


def test_save_model_file_is_atomic(trained_ucla, tmp_path, monkeypatch):
    path = tmp_path / "model.pt"
    path.write_bytes(b"previous")

    def broken_save(obj, f):
        with open(f, "wb") as handle:
            handle.write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        save_model_file(path, trained_ucla.config, trained_ucla.state_dict(), {})
    assert path.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]


def test_previous_format_still_loads(tmp_path):
    """``hypergcn-model/1`` as the trainer wrote it: the model's facts in the metadata, beside the dataset."""
    torch.manual_seed(2)
    model = build_model("base", "ntu60", virtual_joints=0)
    metadata = {
        "format": "hypergcn-model/1", "dataset": "ntu60", "benchmark": "xsub", "size": "base",
        "modality": "joint", "num_class": 60, "num_point": 25, "num_person": 2, "virtual_joints": 0,
        "virtual_joint_init": "independent", "recipe": {"epochs": 1}, "selected_epoch": 1,
    }  # fmt: skip
    path = tmp_path / "model.pt"
    torch.save({"state_dict": model.state_dict(), "metadata": metadata}, path)
    contents = load_model_file(path)
    assert contents.config == model_config("base", "ntu60", virtual_joints=0)
    assert contents.metadata == {
        "dataset": "ntu60", "benchmark": "xsub", "modality": "joint", "recipe": {"epochs": 1},
        "selected_epoch": 1,
    }  # fmt: skip
    rebuilt, _ = build_from_model_file(path)
    assert all(torch.equal(rebuilt.state_dict()[k], v) for k, v in model.state_dict().items())
    # its one state_dict is the selection the run was made with
    torch.save({"state_dict": model.state_dict(), "metadata": {**metadata, "model_selection": "val"}}, path)
    assert load_model_file(path, selection="val").selections == ("val",)
    with pytest.raises(ValueError, match=r"no 'last' selection in this model file; it holds \['val'\]"):
        load_model_file(path)


def test_previous_format_needs_its_facts(tmp_path):
    path = tmp_path / "model.pt"
    metadata = {"format": "hypergcn-model/1", "dataset": "ntu60", "size": "base"}
    torch.save({"state_dict": {}, "metadata": metadata}, path)
    with pytest.raises(ValueError, match=r"model.pt is not a hypergcn model file.*lacks \['num_class'"):
        load_model_file(path)


class _RunsCode:
    ran = False

    def __reduce__(self):
        return (setattr, (_RunsCode, "ran", True))


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"not a torch file at all", "torch.load failed"),
        ([torch.zeros(1)], "holds a list"),
        ({"fc.weight": torch.zeros(1)}, "bare state_dict.*load_official_weights"),
        ({"format": "hypergcn-model/9", "model": {}}, "unsupported format 'hypergcn-model/9'"),
        (
            {"format": "hypergcn-model/2", "model": {}, "state_dict": {}},
            r"missing keys \['metadata', 'selections'\]",
        ),
        (
            {
                "format": "hypergcn-model/2",
                "model": {"colour": 1},
                "state_dict": {},
                "selections": {},
                "metadata": {},
            },
            "'colour'",
        ),
        ({"state_dict": {}, "metadata": {"format": "other"}}, "names format 'other'"),
        ({"weights": torch.zeros(1), "epoch": 3}, "unexpected keys"),
        ({"format": "hypergcn-model/2", "payload": _RunsCode()}, "torch.load failed"),
    ],
)
def test_not_a_model_file(tmp_path, payload, message):
    path = tmp_path / "odd.pt"
    if isinstance(payload, bytes):
        path.write_bytes(payload)
    else:
        torch.save(payload, path)
    with pytest.raises(ValueError, match=rf"odd.pt is not a hypergcn model file.*{message}"):
        load_model_file(path)
    assert not _RunsCode.ran  # weights_only: loading never runs a pickled callable


def test_weights_that_do_not_fit_the_config(trained_ucla, tmp_path):
    path = tmp_path / "model.pt"
    other = ModelConfig.from_dict({**trained_ucla.config.to_dict(), "num_class": 9})
    save_model_file(path, other, trained_ucla.state_dict(), {})
    with pytest.raises(ValueError, match=r"(?s)model.pt: the weights do not fit.*fc.weight"):
        build_from_model_file(path)
