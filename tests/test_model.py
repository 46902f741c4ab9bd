"""Hyper-GCN model: its config, hypergraph maths on hand-computed cases, sizes, inits, output contract, and
parity with the literal reference implementation (``tests/reference/authors_model.py``)."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from hypergcn.datasets import DATASETS, SIZES
from hypergcn.layouts import NTU, UCLA
from hypergcn.models import (
    DEFAULT_VIRTUAL_JOINTS,
    HyperGCN,
    ModelConfig,
    build_model,
    divergence,
    load_official_weights,
    model_config,
)
from hypergcn.models.config import FINAL_WIDTH
from hypergcn.models.hypergcn import Hypergraph, hyper_norm, knn_hypergraph
from tests.reference import authors_model as ref

pytestmark = pytest.mark.usefixtures("one_thread")


def _input(dataset: str, batch: int = 2, frames: int = 16, seed: int = 0) -> torch.Tensor:
    info = DATASETS[dataset]
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(batch, 3, frames, info.num_point, info.num_person, generator=generator)


def _trainable(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# ------------------------------------------------------------------------------------- model config
def test_model_config_of_a_dataset():
    config = model_config("base", "ntu120")
    assert config == ModelConfig(size="base", num_class=120, num_point=25, num_person=2, edges=NTU.edges)
    assert (config.in_channels, config.virtual_joints, config.virtual_joint_init, config.heads) == (
        3, DEFAULT_VIRTUAL_JOINTS, "independent", 8,
    )  # fmt: skip
    assert DEFAULT_VIRTUAL_JOINTS == 3
    ucla = model_config("large", "ucla", num_class=5, virtual_joints=0, virtual_joint_init="identical")
    assert (ucla.size, ucla.num_class, ucla.num_point, ucla.num_person, ucla.edges) == (
        "large",
        5,
        20,
        1,
        UCLA.edges,
    )
    assert (ucla.virtual_joints, ucla.virtual_joint_init) == (0, "identical")
    assert set(FINAL_WIDTH) == set(SIZES)  # the sizes the config accepts are the pipeline's


@pytest.mark.parametrize(
    "config",
    [
        model_config("base", "ntu120"),
        model_config("large", "ucla", virtual_joints=0, virtual_joint_init="identical"),
        ModelConfig(size="base", num_class=2, num_point=9, num_person=3, edges=(), in_channels=6, heads=4),
    ],
)
def test_model_config_round_trip(config):
    values = config.to_dict()
    assert json.loads(json.dumps(values)) == values  # JSON-safe: edges as lists of pairs
    assert ModelConfig.from_dict(json.loads(json.dumps(values))) == config
    assert ModelConfig.from_dict(values).to_dict() == values


def test_model_config_normalises_numbers_and_edges():
    """HDF5 attributes arrive as numpy integers and JSON edges as lists; the config is the same either way."""
    config = ModelConfig(
        size="base", num_class=np.int64(120), num_point=np.int32(25), num_person=2,
        edges=[list(edge) for edge in NTU.edges], virtual_joints=np.int64(3),
    )  # fmt: skip
    assert config == model_config("base", "ntu120")
    assert hash(config) == hash(model_config("base", "ntu120"))
    assert type(config.num_class) is int and isinstance(config.edges, tuple)
    assert json.dumps(config.to_dict())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"size": "huge"}, "unknown model size 'huge'"),
        ({"num_class": 0}, "num_class must be >= 1"),
        ({"num_class": "10"}, "num_class must be an integer"),
        ({"num_person": 1.5}, "num_person must be an integer"),
        ({"virtual_joints": -1}, "virtual_joints must be >= 0"),
        ({"virtual_joints": True}, "virtual_joints must be an integer"),
        ({"virtual_joint_init": "random"}, "virtual_joint_init must be one of"),
        ({"heads": 3}, "heads must divide 32"),
        ({"heads": 0}, "heads must be >= 1"),
        ({"edges": ((0, 1), (25, 1))}, r"bone \(25, 1\) names a joint outside 0..24"),
        ({"edges": ((0, -1),)}, "edges must be >= 0"),
        ({"edges": ((0, 1, 2),)}, "not a .child, parent. pair"),
        ({"edges": 5}, "sequence of .child, parent. pairs"),
        ({"num_point": 5, "virtual_joints": 3, "edges": ()}, "must be at least 9"),
    ],
)
def test_model_config_validation(change, message):
    values = {**model_config("base", "ntu120").to_dict(), **change}
    with pytest.raises(ValueError, match=message):
        ModelConfig(**values)


def test_model_config_from_dict_names_bad_keys():
    values = model_config("base", "ucla").to_dict()
    with pytest.raises(ValueError, match=r"unknown model config keys \['dataset'\]"):
        ModelConfig.from_dict({**values, "dataset": "ucla"})
    with pytest.raises(ValueError, match=r"lacks the keys \['num_point', 'edges'\]"):
        ModelConfig.from_dict({k: v for k, v in values.items() if k not in ("num_point", "edges")})
    defaults = {k: v for k, v in values.items() if k not in ("heads", "in_channels")}
    assert ModelConfig.from_dict(defaults) == model_config("base", "ucla")  # defaulted keys may be omitted
    with pytest.raises(ValueError, match="must be a mapping"):
        ModelConfig.from_dict([("size", "base")])


def test_model_keeps_its_config_and_honours_it():
    config = model_config("base", "ntu60", in_channels=6)
    model = HyperGCN(config)
    assert model.config is config and build_model("base", "ntu60", in_channels=6).config == config
    x = torch.randn(2, 6, 8, 25, 2)
    assert model(x).shape == (2, 60)
    four = HyperGCN(dataclasses.replace(config, heads=4, virtual_joints=5))
    assert four.l1.gcn1.PA.shape == (4, 30, 30) and four.l9.gcn1.hyper_joint.shape == (5, 256)
    assert four(x).shape == (2, 60)
    # the architecture's choices never rename parameters: the state_dict keys stay the authors'
    assert four.state_dict().keys() == model.state_dict().keys()


# ------------------------------------------------------------------------------------- hypergraph maths
def test_knn_hypergraph_hand_computed():
    """Four vertices on a line at 0, 1, 3, 7 (one head, h = 1), k = 2: self plus the nearest other vertex."""
    v = torch.tensor([0.0, 1.0, 3.0, 7.0]).view(1, 1, 4, 1)
    H = knn_hypergraph(v, k=2)[0, 0]

    def sigmoid(x):
        return 1.0 / (1.0 + math.exp(-x))

    # softmax(-[0, d]) = [sigmoid(d), 1 - sigmoid(d)]
    expected = torch.tensor(
        [
            [sigmoid(1), 1 - sigmoid(1), 0.0, 0.0],
            [1 - sigmoid(1), sigmoid(1), 0.0, 0.0],
            [0.0, 1 - sigmoid(2), sigmoid(2), 0.0],
            [0.0, 0.0, 1 - sigmoid(4), sigmoid(4)],
        ]
    )
    torch.testing.assert_close(H, expected, rtol=1e-6, atol=1e-7)
    # hyperedge sizes vary: column 1 groups vertices 0, 1 and 2
    assert (H > 0).sum(0).tolist() == [2, 3, 2, 1]


def test_hyper_norm_hand_computed():
    """G = Dv⁻¹ H W² De⁻¹ Hᵀ; the expected fractions were worked out by hand."""
    H = torch.tensor(
        [
            [0.50, 0.50, 0.00, 0.00],
            [0.25, 0.75, 0.00, 0.00],
            [0.00, 0.50, 0.50, 0.00],
            [0.00, 0.00, 0.50, 0.50],
        ]
    )
    W = torch.tensor([1.0, -0.5, 0.5, 1.0])  # sign is irrelevant: W enters squared
    # De = [0.75, 1.75, 1, 0.5]; Dv = [0.75, 0.625, 0.5, 0.75]
    expected = torch.tensor(
        [
            [31 / 63, 37 / 126, 1 / 21, 0.0],
            [37 / 105, 11 / 42, 3 / 35, 0.0],
            [1 / 14, 3 / 28, 11 / 56, 1 / 8],
            [0.0, 0.0, 1 / 12, 3 / 4],
        ]
    )
    G = hyper_norm(H.view(1, 1, 4, 4), W.view(1, 1, 4))[0, 0]
    torch.testing.assert_close(G, expected, rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(G.sum(1), torch.tensor([5 / 6, 0.7, 0.5, 5 / 6]))
    torch.testing.assert_close(G, ref.hyper_norm(H, W), rtol=1e-6, atol=1e-7)


def test_hyper_norm_row_sums():
    """Row u of G sums to Σ_e H W² / Σ_e H |W|, which is at most max |W| < 1
    (docs/method.md#hypergraph-convolution)."""
    generator = torch.Generator().manual_seed(1)
    v = torch.randn(3, 8, 28, 4, generator=generator)
    H = knn_hypergraph(v)
    W = torch.tanh(torch.randn(3, 8, 28, generator=generator))
    G = hyper_norm(H, W)
    expected = (H * W.unsqueeze(-2) ** 2).sum(-1) / (H * W.abs().unsqueeze(-2)).sum(-1)
    torch.testing.assert_close(G.sum(-1), expected)
    assert torch.all(G.sum(-1) <= W.abs().amax(-1, keepdim=True) + 1e-6)
    assert torch.all((H > 0).sum(-1) == 9)
    torch.testing.assert_close(H.sum(-1), torch.ones(3, 8, 28))


def test_knn_hypergraph_is_the_authors_construction():
    """Same cdist/topk/softmax/scatter calls as the reference, so ties and the mm-based distances agree bitwise."""
    generator = torch.Generator().manual_seed(2)
    v = torch.randn(2, 8, 28, 8, generator=generator)
    v[:, :, 26:] = v[:, :, 25:26]  # three identical virtual joints: ties in the top-k
    assert torch.equal(knn_hypergraph(v), ref.build_hypergraph(v))


# ------------------------------------------------------------------------------------- divergence loss
def test_divergence_hand_computed():
    cos45 = divergence(torch.tensor([[1.0, 0.0], [1.0, 1.0]]))
    assert cos45.item() == pytest.approx(1 / math.sqrt(2), rel=1e-6)
    orthogonal = divergence(torch.tensor([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 3.0]]))
    assert orthogonal.item() == pytest.approx(0.0)
    opposite = divergence(torch.tensor([[1.0, 2.0], [-1.0, -2.0]]))  # cos = -1, cut by the ReLU
    assert opposite.item() == pytest.approx(0.0, abs=1e-7)


def test_divergence_identical_rows_is_one_with_no_gradient():
    joints = torch.randn(1, 128).repeat(3, 1).requires_grad_()
    loss = divergence(joints)
    loss.backward()
    assert loss.item() == pytest.approx(1.0, abs=1e-6)
    assert joints.grad.norm() < 1e-6


@pytest.mark.parametrize("count", [0, 1])
def test_divergence_without_pairs_is_zero(count):
    joints = torch.randn(count, 16, requires_grad=True)
    loss = divergence(joints)
    loss.backward()
    assert loss.item() == 0.0 and not torch.isnan(loss)


def test_model_divergence_loss():
    model = build_model("base", "ntu120", virtual_joint_init="identical")
    assert model.divergence_loss().item() == pytest.approx(
        1.0, abs=1e-6
    )  # the authors' init (docs/method.md#q1-identical-virtual-joints)
    model = build_model("base", "ntu120")
    expected = torch.stack([divergence(p) for p in model.hyper_joints()]).mean()
    assert model.divergence_loss().item() == pytest.approx(expected.item())
    assert 0.0 <= model.divergence_loss().item() < 0.5  # independent rows start far from identical
    assert build_model("base", "ntu120", virtual_joints=0).divergence_loss().item() == 0.0


# ------------------------------------------------------------------------------------- sizes and inits
@pytest.mark.parametrize(
    ("size", "dataset", "overrides", "expected"),
    [
        ("base", "ntu120", {}, 1_057_097),
        ("large", "ntu120", {}, 2_336_073),
        ("base", "ntu60", {}, 1_041_677),
        ("large", "ntu60", {}, 2_305_293),
        ("base", "ucla", {}, 1_002_147),
        ("large", "ucla", {}, 2_252_963),
        ("base", "ntu120", {"virtual_joints": 0}, 1_040_273),
    ],
)
def test_parameter_counts(size, dataset, overrides, expected):
    model = build_model(size, dataset, **overrides)
    assert _trainable(model) == expected
    assert sum(p.numel() for p in model.parameters()) == expected  # PA is a buffer, not a parameter


def test_per_module_counts():
    model = build_model("base", "ntu120")
    counts = {name: _trainable(child) for name, child in model.named_children()}
    counts["pos_embedding"] = model.pos_embedding.numel()
    assert counts == {
        "to_joint_embedding": 512, "pos_embedding": 3_200, "data_bn": 12_800,
        "l1": 37_705, "l2": 37_705, "l3": 37_705, "l4": 187_721, "l5": 128_521, "l6": 128_521,
        "l7": 194_825, "l8": 128_521, "l9": 128_521, "fc": 30_840,
    }  # fmt: skip
    large = {name: _trainable(child) for name, child in build_model("large", "ntu120").named_children()}
    assert (large["l7"], large["l8"], large["l9"], large["fc"]) == (723_465, 488_329, 488_329, 61_560)
    shapes = [tuple(p.shape) for p in build_model("large", "ntu120").hyper_joints()]
    assert shapes == [(3, 128)] * 4 + [(3, 256)] * 3 + [(3, 512)] * 2


def test_state_dict_keys_are_the_authors_without_the_graph():
    ours = set(build_model("large", "ntu120").state_dict())
    theirs = set(ref.build_reference("large", "ntu120").state_dict())
    assert ours == {key for key in theirs if not key.endswith(".PA")}


def test_inits():
    torch.manual_seed(0)
    model = build_model("base", "ntu120")
    gcn, tcn = model.l9.gcn1, model.l9.tcn1
    assert torch.all(gcn.bn.weight == 1e-6) and torch.all(gcn.bn.bias == 0)
    assert gcn.alpha.item() == 1.0 and torch.all(gcn.edge_importance == 1)
    # kaiming fan_out counts all output channels, also for grouped convs: std sqrt(2 / (C_out · k))
    for conv, fan_out in [
        (gcn.conv_d, 256),
        (tcn.branches[0][3].conv, 64 * 5),
        (model.l7.residual.conv, 256),
    ]:
        assert conv.weight.std().item() == pytest.approx(math.sqrt(2 / fan_out), rel=0.1)
        assert torch.all(conv.bias == 0)
    assert gcn.to_W[2].weight.std().item() == pytest.approx(0.5, rel=0.2)  # 8h -> 8, k 1: sqrt(2/8)
    bn_weights = torch.cat([m.weight for m in tcn.modules() if isinstance(m, torch.nn.BatchNorm2d)])
    assert bn_weights.mean().item() == pytest.approx(1.0, abs=0.01)
    assert bn_weights.std().item() == pytest.approx(0.02, rel=0.2)
    assert torch.all(model.l7.residual.bn.weight == 1) and torch.all(model.data_bn.weight == 1)
    assert model.fc.weight.std().item() == pytest.approx(math.sqrt(2 / 120), rel=0.05)
    assert model.fc.bias.abs().max().item() <= 1 / math.sqrt(256)
    assert model.pos_embedding.std().item() == pytest.approx(1.0, rel=0.1)
    assert model.to_joint_embedding.weight.abs().max().item() <= 1 / math.sqrt(3)
    joints = model.l1.gcn1.hyper_joint
    assert not torch.equal(joints[0], joints[1])
    assert joints.std().item() == pytest.approx(1.0, rel=0.25)
    identical = build_model("base", "ntu120", virtual_joint_init="identical").l1.gcn1.hyper_joint
    assert torch.equal(identical[0], identical[1]) and torch.equal(identical[0], identical[2])


def test_build_model_rejects_bad_arguments():
    with pytest.raises(ValueError, match="size"):
        build_model("huge", "ntu120")
    with pytest.raises(ValueError, match="dataset"):
        build_model("base", "kinetics")
    with pytest.raises(TypeError, match="overrides"):
        build_model("base", "ntu120", num_classes=10)
    with pytest.raises(ValueError, match="virtual_joint_init"):
        build_model("base", "ntu120", virtual_joint_init="random")
    with pytest.raises(ValueError, match="num_point"):
        build_model("base", "ucla", num_point=25)


# ------------------------------------------------------------------------------------- forward contract
@pytest.mark.parametrize(("dataset", "classes"), [("ntu120", 120), ("ucla", 10), ("demo", 8)])
def test_output_shapes_train_and_eval(dataset, classes):
    model = build_model("base", dataset)
    x = _input(dataset, batch=3, frames=8)
    for train in (True, False):
        model.train(train)
        out = model(x)
        assert isinstance(out, torch.Tensor) and out.shape == (3, classes)
        assert torch.isfinite(out).all()
    if dataset == "demo":
        assert build_model("base", "demo", num_class=5)(x).shape == (3, 5)


@pytest.mark.parametrize("virtual_joints", [3, 0])
def test_every_parameter_gets_a_gradient(virtual_joints):
    """DDP needs every parameter in the graph of every step (no find_unused_parameters)."""
    model = build_model("base", "ntu60", virtual_joints=virtual_joints)
    loss = F.cross_entropy(model(_input("ntu60", frames=8)), torch.tensor([1, 2]), label_smoothing=0.1)
    (loss + model.divergence_loss()).backward()
    missing = [name for name, p in model.named_parameters() if p.grad is None]
    assert not missing
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())


def test_cpu_model_has_no_device_assumptions():
    model = build_model("base", "ucla").to(torch.float64)
    out = model(_input("ucla", frames=8).double())
    assert out.dtype == torch.float64 and model.l1.gcn1.PA.dtype == torch.float64


def test_autocast_training_step():
    """Mixed precision (bfloat16 on CPU here; the trainer uses fp16/bf16 on GPUs) through the custom Functions."""
    model = build_model("base", "ntu60")
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = model(_input("ntu60", frames=8))
        loss = (
            F.cross_entropy(logits.float(), torch.tensor([0, 1]), label_smoothing=0.1)
            + model.divergence_loss()
        )
    loss.backward()
    assert logits.dtype == torch.bfloat16
    for p in model.parameters():
        assert p.grad is not None and p.grad.dtype == p.dtype and torch.isfinite(p.grad).all()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu():
    torch.manual_seed(0)
    model = build_model("base", "ntu120").eval()
    x = _input("ntu120", frames=16)
    with torch.no_grad():
        expected = model(x)
        got = model.cuda()(x.cuda()).cpu()
    torch.testing.assert_close(got, expected, rtol=1e-3, atol=1e-3)


# ------------------------------------------------------------------------------------- parity
@pytest.fixture
def exact_cdist(monkeypatch):
    """Exact-difference distances in both models.

    With more than 25 points PyTorch's default cdist computes sqrt(|a|² + |b|² − 2ab): the self-distance is
    cancellation noise (~1e-3, docs/method.md#hypergraph-ties), so any two implementations whose layer inputs
    differ in the last
    bit pick different hypergraph weights and drift apart once the graph branch is switched on. Parity with
    trained-like weights is therefore checked with exact distances (mathematically the same function);
    ``test_knn_hypergraph_is_the_authors_construction`` covers the default path bit for bit.
    """
    cdist = torch.cdist
    monkeypatch.setattr(torch, "cdist", lambda a, b: cdist(a, b, compute_mode="donot_use_mm_for_euclid_dist"))


def _trained_like(model: torch.nn.Module, seed: int) -> None:
    """Switch the graph branch on: random BN affines and statistics, edge importances and alphas."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm1d | torch.nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5, generator=generator)
                module.bias.normal_(0.0, 0.1, generator=generator)
                module.running_mean.normal_(0.0, 0.1, generator=generator)
                module.running_var.uniform_(0.8, 1.2, generator=generator)
        for name, p in model.named_parameters():
            if name.endswith("edge_importance"):
                p.normal_(1.0, 0.5, generator=generator)
            elif name.endswith("alpha"):
                p.uniform_(0.5, 1.5, generator=generator)


def _pair(size, dataset, virtual_joints=3, init="independent", seed=0, trained=True):
    torch.manual_seed(seed)
    reference = ref.build_reference(size, dataset, virtual_joints, identical_init=init == "identical")
    if trained:
        _trained_like(reference, seed)
    ours = build_model(size, dataset, virtual_joints=virtual_joints, virtual_joint_init=init)
    load_official_weights(ours, reference.state_dict())
    return reference, ours


def _assert_same(expected, got, rtol=1e-5):
    relative = (expected - got).abs().max() / expected.abs().max()
    assert relative <= rtol, f"max relative difference {relative:.2e}"


def _assert_same_logits_in_both_modes(reference, ours, x):
    """Eval mode (running BN statistics) and train mode (batch statistics) must both agree."""
    for train in (False, True):
        reference.train(train)
        ours.train(train)
        with torch.no_grad():
            _assert_same(reference(x)[0], ours(x))


@pytest.mark.parametrize(
    ("size", "dataset", "virtual_joints", "init"),
    [
        ("base", "ntu120", 3, "independent"),
        ("base", "ntu120", 3, "identical"),
        ("base", "ntu120", 0, "independent"),
        ("large", "ntu60", 3, "independent"),
        ("base", "ucla", 3, "identical"),
        ("large", "ucla", 3, "independent"),
        ("large", "ucla", 0, "independent"),
    ],
)
def test_parity_with_reference(exact_cdist, size, dataset, virtual_joints, init):
    reference, ours = _pair(size, dataset, virtual_joints, init)
    x = _input(dataset)
    _assert_same_logits_in_both_modes(reference, ours, x)
    # the single BN calls over several modules update every module's running statistics
    theirs = reference.state_dict()
    for name, value in ours.state_dict().items():
        if "running" in name or "num_batches" in name:
            torch.testing.assert_close(value, theirs[name], rtol=1e-5, atol=1e-6, msg=name)


@pytest.mark.parametrize("dataset", ["ntu120", "ucla"])
def test_gradient_parity(exact_cdist, dataset):
    """All parameter gradients of CE + divergence agree; in float64, because in float32 last-bit differences
    flip a few ReLU masks and top-k picks, which changes single gradient entries by far more than rounding."""
    reference, ours = _pair("base", dataset, seed=1)
    reference.double()
    ours.double()
    x, labels = _input(dataset, seed=1).double(), torch.tensor([3, 7])
    logits, joints = reference(x)
    (F.cross_entropy(logits, labels, label_smoothing=0.1) + ref.divergence_loss(joints)).backward()
    (F.cross_entropy(ours(x), labels, label_smoothing=0.1) + ours.divergence_loss()).backward()
    theirs = dict(reference.named_parameters())
    for name, p in ours.named_parameters():
        torch.testing.assert_close(p.grad, theirs[name].grad, rtol=1e-7, atol=1e-9, msg=name)


@pytest.mark.parametrize("dataset", ["ntu120", "ucla"])
def test_parity_at_the_authors_init_with_default_cdist(dataset):
    reference, ours = _pair("base", dataset, init="identical", trained=False)
    x = _input(dataset)
    _assert_same_logits_in_both_modes(reference, ours, x)


def _near_tie_input(channels: int = 128, joints: int = 25) -> torch.Tensor:
    """Layer input whose joints differ by about 1e-3 relative: distances that bf16 (8-bit mantissa) rounds
    into ties and swaps, while float32 keeps them apart."""
    generator = torch.Generator().manual_seed(0)
    base = torch.randn(2, channels, 4, 1, generator=generator)
    return base + 1e-3 * torch.randn(2, channels, 4, joints, generator=generator)


def test_hypergraph_is_float32_under_autocast_so_rounding_never_changes_the_links():
    from hypergcn.models.hypergcn import knn_hypergraph

    torch.manual_seed(0)
    layer = build_model("base", "ntu60").l1.gcn1.eval()
    x = _near_tie_input()
    with torch.no_grad():
        exact = layer.hypergraph(x)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            mixed = layer.hypergraph(x)
            # control: the same projections left to autocast pick other neighbours on these inputs
            mean = torch.cat([x.mean(2), layer.hyper_joint.t().expand(2, -1, -1)], dim=2)
            rounded = layer.to_V(mean)
    assert rounded.dtype == torch.bfloat16
    rounded_incidence = knn_hypergraph(rounded.float().view(2, layer.heads, -1, mean.shape[-1]).mT)
    assert not torch.equal(rounded_incidence != 0, exact.incidence != 0)
    for name in ("incidence", "weights", "normalised"):
        value = getattr(mixed, name)
        assert value.dtype == torch.float32, name
        assert torch.equal(value, getattr(exact, name)), name


def test_precision_switch_resolves_per_device():
    from hypergcn.training.amp import resolve_amp

    assert not resolve_amp("amp", torch.device("cpu")).enabled  # float32 on a CPU either way
    assert not resolve_amp("fp32", torch.device("cpu")).enabled
    with pytest.raises(ValueError, match="deviations.precision"):
        resolve_amp("bf16", torch.device("cpu"))


# ------------------------------------------------------------------------------------- what the model built
def _layer_from_hypergraph(conv, x: torch.Tensor, graph) -> torch.Tensor:
    """A hypergraph convolution written out the authors' way, from a given hypergraph: the virtual joints
    appended to every frame, conv_d over all V + P vertices, aggregation with A = PA' + ReLU(alpha) G, only
    the real joints' rows kept, then BN, the down path and ReLU."""
    n, _, t, v = x.shape
    virtual = conv.hyper_joint.t()[None, :, None, :].expand(n, -1, t, -1)
    d = conv.conv_d(torch.cat([x, virtual], dim=3))  # (N', C_out, T, V')
    fixed = conv.edge_importance * conv.PA
    fixed = fixed / (fixed.abs().sum(dim=-1, keepdim=True) + 1e-8)
    A = fixed + F.relu(conv.alpha) * graph.normalised  # (N', heads, V', V')
    d = d.view(n, conv.heads, -1, t, d.shape[-1])
    y = torch.einsum("nhctw,nhuw->nhctu", d, A)[..., :v].reshape(n, -1, t, v)
    return F.relu(conv.bn(y) + conv.down(x))


@pytest.mark.parametrize(("dataset", "virtual_joints"), [("ntu60", 3), ("ucla", 0)])
def test_the_hypergraph_accessor_returns_the_graphs_the_forward_pass_used(
    exact_cdist, dataset, virtual_joints
):
    torch.manual_seed(0)
    model = build_model("base", dataset, virtual_joints=virtual_joints)
    _trained_like(model, 0)
    model.eval()
    x = _input(dataset, batch=2, frames=12)
    units = [name for name, _ in model.named_children() if name.startswith("l")]
    seen: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
    handles = [
        getattr(model, name).gcn1.register_forward_hook(
            lambda module, inputs, output, name=name: seen.__setitem__(name, (inputs[0], output))
        )
        for name in units
    ]
    with torch.no_grad():
        logits = model(x)
    for handle in handles:
        handle.remove()

    traced, graphs = model.trace_hypergraphs(x)
    assert list(graphs) == units == [f"l{i}" for i in range(1, 10)]
    torch.testing.assert_close(traced, logits, rtol=0, atol=0)
    real = DATASETS[dataset].num_point
    for name, graph in graphs.items():
        conv = getattr(model, name).gcn1
        layer_input, layer_output = seen[name]
        vertices = real + virtual_joints
        assert graph.incidence.shape == (2 * DATASETS[dataset].num_person, 8, vertices, vertices)
        assert graph.weights.shape == graph.incidence.shape[:3]
        # each row: softmax weights on its k = 9 nearest vertices (far ones may underflow to 0), summing to 1;
        # G is the authors' normalisation of H and W
        assert ((graph.incidence > 0).sum(-1) <= 9).all()
        torch.testing.assert_close(graph.incidence.sum(-1), torch.ones(graph.incidence.shape[:3]))
        torch.testing.assert_close(graph.normalised, hyper_norm(graph.incidence, graph.weights))
        # the layer's output, recomputed from the returned hypergraph, is what the forward pass produced
        with torch.no_grad():
            rebuilt = _layer_from_hypergraph(conv, layer_input.contiguous(), graph)
        _assert_same(layer_output, rebuilt)
        links = graph.virtual_links(real)
        assert links.shape == (graph.incidence.shape[0], 8, virtual_joints, real)
        if virtual_joints:
            torch.testing.assert_close(
                links[:, :, 1, 4], graph.incidence[:, :, 4, real + 1] + graph.incidence[:, :, real + 1, 4]
            )
    assert list(model.hypergraphs(x, ["l9", "l1"])) == ["l9", "l1"]
    with pytest.raises(ValueError, match="unknown layers"):
        model.hypergraphs(x, ["l10"])


def test_hypergraphs_equal_the_ones_built_inside_forward(monkeypatch):
    """Bit for bit, with torch's default distances: the accessor hands hypergraph() the very input (and
    memory layout) that forward does."""
    from hypergcn.models.hypergcn import HyperGraphConv

    torch.manual_seed(1)
    model = build_model("base", "ntu60").eval()
    x = _input("ntu60", batch=1, frames=8)
    inside: list = []
    original = HyperGraphConv._hypergraph  # what forward calls, with the virtual joints it aggregates
    monkeypatch.setattr(
        HyperGraphConv, "_hypergraph", lambda self, z, v: inside.append(original(self, z, v)) or inside[-1]
    )
    with torch.no_grad():
        model(x)
    monkeypatch.setattr(HyperGraphConv, "_hypergraph", original)
    graphs = model.hypergraphs(x)
    assert len(inside) == len(graphs) == 9
    for built, returned in zip(inside, graphs.values(), strict=True):
        for field in Hypergraph._fields:
            assert torch.equal(getattr(built, field), getattr(returned, field)), field


def test_forward_features_are_what_fc_classifies():
    torch.manual_seed(0)
    model = build_model("large", "ucla").eval()
    x = _input("ucla", batch=3, frames=8)
    with torch.no_grad():
        logits, features = model.forward_features(x)
        assert features.shape == (3, FINAL_WIDTH["large"])
        torch.testing.assert_close(model.fc(features), logits, rtol=0, atol=0)
        torch.testing.assert_close(model(x), logits, rtol=0, atol=0)
