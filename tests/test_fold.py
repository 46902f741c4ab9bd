"""The folded inference copy (``hypergcn.models.fold_for_inference``): the same logits as the eval-mode model
for both sizes on the NTU layout and on a 2-D layout with confidence, the original left untouched, an
eval-only result, and evaluation running it."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from hypergcn.evaluation.inference import inference_model, predict
from hypergcn.models import HyperGCN, ModelConfig, build_model, fold_for_inference
from hypergcn.models.hypergcn import Unit
from hypergcn.models.inference_fold import FoldedHyperGCN, max_pool_3x1

pytestmark = pytest.mark.usefixtures("one_thread")

# COCO-17 keypoints: nose, eyes, ears, shoulders, elbows, wrists, hips, knees, ankles (parent per joint)
COCO_PARENTS = (0, 0, 0, 1, 2, 0, 0, 5, 6, 7, 8, 5, 6, 11, 12, 13, 14)
COCO_EDGES = tuple((child, parent) for child, parent in enumerate(COCO_PARENTS) if child != parent)


def _trained_like(model: nn.Module, seed: int, graph_scale: float = 1e-6) -> nn.Module:
    """Random batch-norm statistics and affine terms everywhere, so every fold is exercised; the hypergraph
    branch's scale stays ``graph_scale`` (its init, 1e-6, unless a test asks otherwise), and one max-pool
    branch gets negative scales (the path that cannot fold the scale into the GEMM)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, module in model.named_modules():
            if isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d):
                n = module.num_features
                module.running_mean.copy_(0.2 * torch.randn(n, generator=generator))
                module.running_var.copy_(0.5 + torch.rand(n, generator=generator))
                module.weight.copy_(1.0 + 0.3 * torch.randn(n, generator=generator))
                module.bias.copy_(0.1 * torch.randn(n, generator=generator))
                if name.endswith("gcn1.bn"):
                    module.weight.mul_(graph_scale)
        model.l2.tcn1.branches[2][4].weight.mul_(-1.0)
    return model.eval()


def _rel(expected: torch.Tensor, actual: torch.Tensor) -> float:
    return ((expected - actual).abs().max() / expected.abs().max()).item()


def _coco_model(size: str, persons: int) -> nn.Module:
    """A 2-D layout with confidence: 17 joints, in_channels 3 = (x, y, confidence)."""
    config = ModelConfig(size=size, num_class=5, num_point=17, num_person=persons, edges=COCO_EDGES)
    return HyperGCN(config)


CASES = {
    "ntu base": (lambda: build_model("base", "ntu120"), (2, 3, 16, 25, 2)),
    "ntu large": (lambda: build_model("large", "ntu120"), (2, 3, 16, 25, 2)),
    "coco base, 1 person": (lambda: _coco_model("base", 1), (2, 3, 16, 17, 1)),
    "coco large, 2 persons": (lambda: _coco_model("large", 2), (2, 3, 16, 17, 2)),
}


def _input(shape: tuple[int, ...], confidence: bool) -> torch.Tensor:
    x = torch.randn(shape, generator=torch.Generator().manual_seed(1))
    if confidence:  # (x, y, confidence): confidences in [0, 1], a missing joint and a missing second person
        x[:, 2] = torch.rand(x[:, 2].shape, generator=torch.Generator().manual_seed(2))
        x[:, :, :, 3] = 0.0
        if shape[-1] > 1:
            x[1, ..., 1] = 0.0  # every joint of the absent person alike: the k-NN ties must break as trained
    return x


@pytest.mark.parametrize("case", list(CASES))
def test_folded_logits_equal_the_eval_model(case):
    build, shape = CASES[case]
    torch.manual_seed(0)
    model = _trained_like(build(), seed=3)
    x = _input(shape, confidence=case.startswith("coco"))
    folded = fold_for_inference(model)
    with torch.inference_mode():
        expected_logits, expected_features = model.forward_features(x)
        logits = folded(x)
        folded_logits, features = folded.forward_features(x)
    assert logits.shape == expected_logits.shape
    assert _rel(expected_logits, logits) < 1e-5
    assert torch.equal(logits, folded_logits)
    assert _rel(expected_features, features) < 1e-5


@pytest.mark.parametrize("size", ["base", "large"])
def test_every_folded_unit_equals_its_unit_with_the_hypergraph_switched_on(size):
    """Unit by unit (the same input to both), with the hypergraph branch at full scale. End to end such a
    model is not comparable at 1e-5: its k-NN distances (cdist's |a|² + |b|² - 2ab) amplify any rounding
    difference, so a 1e-7 relative change of the input alone moves its logits by 1e-5 to 1e-4."""
    torch.manual_seed(0)
    model = _trained_like(build_model(size, "ntu120"), seed=4, graph_scale=1.0)
    folded = fold_for_inference(model)
    units = [unit for unit in model.children() if isinstance(unit, Unit)]
    x = torch.randn(2, 3, 16, 25, 2, generator=torch.Generator().manual_seed(5))
    with torch.inference_mode():
        h = model.embed(x)
        assert _rel(h, folded.embed(x)) < 1e-5
        for unit, folded_unit in zip(units, folded.units, strict=True):
            expected = unit(h)
            assert _rel(expected, folded_unit(h.contiguous())) < 1e-5
            h = expected


def test_folding_leaves_the_model_untouched_and_the_copy_is_eval_only():
    torch.manual_seed(0)
    model = _trained_like(build_model("base", "ntu120"), seed=6).train()
    before = {key: value.clone() for key, value in model.state_dict().items()}
    folded = fold_for_inference(model)
    assert model.training
    after = model.state_dict()
    assert before.keys() == after.keys()
    assert all(torch.equal(before[key], after[key]) for key in before)
    assert isinstance(folded, FoldedHyperGCN) and not folded.training
    assert not any(p.requires_grad for p in folded.parameters())
    with pytest.raises(RuntimeError, match="eval-only"):
        folded.train()
    folded.eval()  # eval stays allowed
    with pytest.raises(TypeError, match="HyperGCN"):
        fold_for_inference(nn.Linear(3, 3))


def test_a_ddp_style_wrapper_is_unwrapped():
    torch.manual_seed(0)
    model = build_model("base", "ntu120").eval()
    wrapper = nn.Module()
    wrapper.module = model
    x = torch.randn(1, 3, 8, 25, 2, generator=torch.Generator().manual_seed(7))
    with torch.inference_mode():
        assert _rel(model(x), fold_for_inference(wrapper)(x)) < 1e-5


@pytest.mark.parametrize("frames", range(1, 8))
@pytest.mark.parametrize("stride", [1, 2, 3])
def test_max_pool_is_exact(frames, stride):
    z = torch.randn(2, 3, frames, 4, generator=torch.Generator().manual_seed(frames))
    assert torch.equal(max_pool_3x1(z, stride), F.max_pool2d(z, (3, 1), (stride, 1), (1, 0)))


def test_evaluation_runs_the_folded_copy_and_restores_the_model():
    torch.manual_seed(0)
    model = _trained_like(build_model("base", "ntu120"), seed=8).train()
    before = {key: value.clone() for key, value in model.state_dict().items()}
    batches = [
        (
            torch.randn(2, 3, 16, 25, 2, generator=torch.Generator().manual_seed(i)),
            torch.tensor([i, 1]),
            ["a", "b"],
        )
        for i in range(2)
    ]
    assert isinstance(inference_model(model), FoldedHyperGCN)
    scores = predict(model, batches, torch.device("cpu"), features=True)
    assert model.training
    assert all(torch.equal(before[key], value) for key, value in model.state_dict().items())
    model.eval()
    with torch.inference_mode():
        expected = torch.cat([model.forward_features(x)[0] for x, _, _ in batches])
        features = torch.cat([model.forward_features(x)[1] for x, _, _ in batches])
    assert _rel(expected, torch.from_numpy(scores.logits)) < 1e-5
    assert _rel(features, torch.from_numpy(scores.features)) < 1e-5
    assert scores.names == ["a", "b", "a", "b"]


def test_folded_model_runs_under_autocast():
    """Half-precision autocast (the GPU evaluation path; bf16 on CPU here): the fused add-ReLU kernel takes
    float32 only, so the folded copy falls back to two passes and keeps the unfolded model's accuracy."""
    torch.manual_seed(0)
    model = _trained_like(build_model("base", "ntu120"), seed=9)
    folded = fold_for_inference(model)
    x = torch.randn(2, 3, 16, 25, 2, generator=torch.Generator().manual_seed(10))
    with torch.inference_mode():
        expected = model(x)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            unfolded, logits = model(x).float(), folded(x).float()
    assert _rel(expected, logits) < 3 * max(_rel(expected, unfolded), 1e-3)


@pytest.mark.parametrize(
    "overrides",
    [
        {"virtual_joints": 0},
        {"heads": 4, "virtual_joint_init": "identical"},
        {"in_channels": 2, "num_person": 1},
    ],
)
def test_fold_follows_the_config(overrides):
    """Configs beside the default: no virtual joints, other head counts, the authors' identical virtual joints
    (exact k-NN ties among them), 2-D input without confidence."""
    values = {"size": "base", "num_class": 7, "num_point": 17, "num_person": 2, "edges": COCO_EDGES}
    torch.manual_seed(0)
    model = _trained_like(HyperGCN(ModelConfig(**{**values, **overrides})), seed=11)
    x = torch.randn(2, model.config.in_channels, 8, 17, model.config.num_person)
    with torch.inference_mode():
        assert _rel(model(x), fold_for_inference(model)(x)) < 1e-5
