"""Hyper-GCN (ICCV 2025): a skeleton action classifier whose graph layers add an adaptive hypergraph and
learnable virtual "hyper joints" to the fixed skeleton graph (docs/method.md#architecture).

One readable file in the spirit of nanoGPT, top-down: the hypergraph construction, the hypergraph
convolution, the temporal convolutions, the unit, the model. ``HyperGCN(config)`` builds everything from a
:class:`~hypergcn.models.config.ModelConfig`. ``HyperGCN.forward`` reads like the paper; the layers compute
the same function as the authors' code (parity is tested against ``tests/reference/authors_model.py``) but
skip the work whose result is thrown away or constant:

- the virtual joints are the same vectors in every sample and frame, so their projections are computed once
  per layer instead of being appended to every frame of every sample;
- the aggregation rows of the virtual joints are discarded by the authors after the layer, so only the real
  joints' rows are computed.

The CPU-specific arrangement of the convolutions and batch norms (channels-last activations, 1×1 convs as
GEMMs, fused branch batch norms) lives in :mod:`hypergcn.models._fast_ops`, with the measurements behind it.

Module and parameter names are the authors' (docs/method.md#released-weights), so their released weights
load unchanged (see :mod:`hypergcn.models.released_weights`). The fixed graph ``PA`` is a non-persistent
buffer: it is not a parameter (so it is neither trained nor counted) and not saved, because it is rebuilt
from the config's bones.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hypergcn.models._fast_ops import CHANNELS_LAST, SharedInputConv1x1, batch_norm, conv1x1, relayout
from hypergcn.models.config import EMBED, NEIGHBOURS, ModelConfig, unit_widths
from hypergcn.models.graph import hypergcn_graph


def kaiming_fan_out_(conv: nn.Conv1d | nn.Conv2d) -> None:
    """Normal(0, sqrt(2 / (C_out · kernel elements))), bias 0 (docs/method.md#initialisation; groups do not
    enter the fan)."""
    nn.init.kaiming_normal_(conv.weight, mode="fan_out")
    nn.init.zeros_(conv.bias)


# ------------------------------------------------------------------------------------------------- hypergraph
def knn_hypergraph(v: Tensor, k: int = NEIGHBOURS) -> Tensor:
    """Incidence H (N', heads, V', V'): row u holds softmax(-distance) over u's k nearest vertices.

    Column e is the hyperedge "every vertex with e among its k nearest neighbours", so hyperedges have
    varying sizes. ``torch.cdist`` and ``topk`` are called exactly as the authors do, so ties resolve alike.
    """
    dist = torch.cdist(v, v)
    nearest, index = dist.topk(k, dim=-1, largest=False)
    return torch.zeros_like(dist).scatter(-1, index, torch.softmax(-nearest, dim=-1))


def hyper_norm(H: Tensor, W: Tensor) -> Tensor:
    """G = Dv⁻¹ H diag(W)² De⁻¹ Hᵀ with De the hyperedge sizes and Dv = Σ_e |H W| (the authors' form).

    W enters squared, so only |W| matters; this is not the symmetric HGNN normalisation
    (docs/method.md#q10-hypergraph-normalisation).
    """
    edge_degree = H.sum(dim=-2) + 1e-8  # (N', heads, V') column sums
    vertex_degree = (H * W.unsqueeze(-2)).abs().sum(dim=-1) + 1e-8
    return (H * (W.square() / edge_degree).unsqueeze(-2)) @ H.mT / vertex_degree.unsqueeze(-1)


class Hypergraph(NamedTuple):
    """One layer's adaptive hypergraph per sample and head, over the V real and P virtual joints.

    Vertices are ordered real joints first (0..V-1, the layout's order), then the P virtual joints
    (V..V+P-1). Column e of the incidence is the hyperedge centred on vertex e: every vertex that has e among
    its k nearest vertices.
    """

    incidence: Tensor  # H (N', heads, V', V'): row u holds u's weights on its k nearest vertices
    weights: Tensor  # W (N', heads, V'): one weight per hyperedge, in (-1, 1)
    normalised: Tensor  # G (N', heads, V', V') = hyper_norm(H, W), added to the skeleton graph

    def virtual_links(self, num_real: int) -> Tensor:
        """(N', heads, P, V): how strongly each virtual joint p is linked to each real joint u.

        The incidence entries that join p and u in either direction: u's weight on p (p among u's k nearest
        vertices, column V+p) plus p's weight on u (u among p's, row V+p). Both are k-NN softmax weights, so
        a link is in [0, 2]. A softmax weight of a far neighbour can underflow to 0, so a virtual joint far
        from every real joint in feature space has no link at all.
        """
        incidence = self.incidence
        return incidence[..., :num_real, num_real:].mT + incidence[..., num_real:, :num_real]


# ------------------------------------------------------------------------------------------------- layers
class HyperGraphConv(nn.Module):
    """HYPERGC (docs/method.md#hypergraph-convolution): per head, aggregate joints over the skeleton graph
    plus a k-NN hypergraph built from the sequence's mean features; ``P`` learnable virtual joints take part
    as extra vertices. ``graph`` is the fixed ``PA`` of :func:`~hypergcn.models.graph.hypergcn_graph`."""

    def __init__(self, in_channels: int, out_channels: int, graph: Tensor, config: ModelConfig) -> None:
        super().__init__()
        self.heads = heads = config.heads
        virtual = config.virtual_joints
        hidden = in_channels // heads // 4
        if config.virtual_joint_init == "identical":  # the authors' init: one vector repeated
            joint = torch.randn(1, in_channels).repeat(virtual, 1)
        else:
            joint = torch.randn(virtual, in_channels)
        self.hyper_joint = nn.Parameter(joint)
        self.alpha = nn.Parameter(torch.ones(1))
        self.register_buffer("PA", graph.clone(), persistent=False)
        self.edge_importance = nn.Parameter(torch.ones_like(graph))
        self.to_V = nn.Conv1d(in_channels, heads * hidden, 1, groups=heads)
        self.to_W = nn.Sequential(
            nn.Conv1d(in_channels, heads * hidden, 1, groups=heads),
            nn.LeakyReLU(0.01),
            nn.Conv1d(heads * hidden, heads, 1),
            nn.Tanh(),
        )
        self.conv_d = nn.Conv2d(in_channels, out_channels, 1, groups=heads)
        if in_channels != out_channels:
            self.down = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1), nn.BatchNorm2d(out_channels))
        else:
            self.down = nn.Identity()
        self.bn = nn.BatchNorm2d(out_channels)
        for module in self.modules():
            if isinstance(module, nn.Conv1d | nn.Conv2d):
                kaiming_fan_out_(module)
        nn.init.constant_(self.bn.weight, 1e-6)  # the graph branch starts switched off

    def hypergraph(self, x: Tensor) -> Hypergraph:
        """The adaptive hypergraph of input x (N', C, T, V): incidence, hyperedge weights, normalised G.

        In the parameters' precision (float32) under autocast too: from the temporal means through the
        projections, distances, top-k, softmax and normalisation, so bf16 rounding never changes which joints a
        hyperedge links (the authors train in float32). Without autocast the cast is a no-op, so the result is
        the authors' bit for bit.
        """
        return self._hypergraph(x, self.hyper_joint.t())

    def _hypergraph(self, x: Tensor, virtual: Tensor) -> Hypergraph:
        """:meth:`hypergraph` given the transposed virtual joints (C_in, P); forward passes the one tensor it
        also aggregates, so their gradients accumulate in the authors' order (bit-identical training)."""
        dtype = self.to_V.weight.dtype  # the parameters' precision: float32 under autocast, else the model's
        with torch.autocast(x.device.type, enabled=False):
            n = x.shape[0]
            mean = torch.cat([x.to(dtype).mean(2), virtual.expand(n, -1, -1)], dim=2)  # (N', C_in, V')
            H = knn_hypergraph(self.to_V(mean).view(n, self.heads, -1, mean.shape[-1]).mT)
            W = self.to_W(mean)
            return Hypergraph(H, W, hyper_norm(H, W))

    def forward(self, x: Tensor) -> Tensor:
        n, _, t, v = x.shape
        heads = self.heads
        x_nchw = relayout(x, torch.contiguous_format)  # the head-wise matmuls below want (C, T, V) per sample
        virtual = self.hyper_joint.t()  # (C_in, P): constant over samples and frames
        # 1. hypergraph and hyperedge weights from every vertex's temporal mean
        G = self._hypergraph(x_nchw, virtual).normalised
        # 2. per-head adjacency; only the rows of real joints survive the layer
        graph = self.edge_importance * self.PA
        graph = graph / (graph.abs().sum(dim=-1, keepdim=True) + 1e-8)
        A = (graph + F.relu(self.alpha) * G)[:, :, :v]  # (N', heads, V, V')
        # 3. y_u = Σ_v A[u, v] conv_d(x̃)_v, with conv_d(z) = W z + b split by the kind of v:
        #    real joints vary in time, virtual joints are constant, and the bias aggregates to b · Σ_v A[u, v]
        # conv_d as head-wise matmuls: weight (heads, C_out/heads, C_in/heads)
        weight = self.conv_d.weight.view(heads, -1, self.conv_d.in_channels // heads)
        d = weight @ x_nchw.view(n, heads, -1, t * v)  # (N', heads, C_out/heads, T·V)
        y = (d.view(n, heads, -1, v) @ A[..., :v].mT).view(n, heads, -1, t, v)
        d_virtual = weight @ virtual.reshape(heads, weight.shape[-1], -1)  # (heads, C_out/heads, P)
        bias = self.conv_d.bias.view(heads, -1, 1)
        constant = (
            d_virtual @ A[..., v:].mT + bias * A.sum(-1, keepdim=True).mT
        )  # (N', heads, C_out/heads, V)
        y = relayout((y + constant.unsqueeze(3)).view(n, -1, t, v), CHANNELS_LAST)
        if isinstance(self.down, nn.Identity):
            down = x
        else:
            down = self.down[1](conv1x1(x, self.down[0].weight, self.down[0].bias))
        return F.relu(self.bn(y) + down, inplace=True)


class MultiScaleTemporalConv(nn.Module):
    """MS-TCN (docs/method.md#multi-scale-temporal-convolution): four branches of C/4 channels, 5×1 convs
    with dilation 1 and 2 (replicate padding), a 3×1 max-pool, and a strided 1×1 conv; no internal
    residual."""

    def __init__(
        self, channels: int, stride: int = 1, kernel_size: int = 5, dilations: Sequence[int] = (1, 2)
    ):
        super().__init__()
        branch = channels // (len(dilations) + 2)
        self.stride = stride
        self.branches = nn.ModuleList()
        for dilation in dilations:
            self.branches.append(
                nn.Sequential(
                    nn.Conv2d(channels, branch, 1),
                    nn.BatchNorm2d(branch),
                    nn.ReLU(),
                    TemporalConv(branch, branch, kernel_size, stride, dilation),
                )
            )
        self.branches.append(
            nn.Sequential(
                nn.Conv2d(channels, branch, 1),
                nn.BatchNorm2d(branch),
                nn.ReLU(),
                nn.MaxPool2d((3, 1), stride=(stride, 1), padding=(1, 0)),
                nn.BatchNorm2d(branch),
            )
        )
        self.branches.append(
            nn.Sequential(nn.Conv2d(channels, branch, 1, stride=(stride, 1)), nn.BatchNorm2d(branch))
        )
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                kaiming_fan_out_(module)
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.normal_(module.weight, 1.0, 0.02)
                nn.init.zeros_(module.bias)

    def forward(self, x: Tensor) -> Tensor:
        *temporal, pool, strided = self.branches
        # the branches' 1×1 convs in one pass over x; with stride 2 the last one only needs every other frame
        shared = self.branches if self.stride == 1 else self.branches[:3]
        z = SharedInputConv1x1.apply(x, *(p for branch in shared for p in (branch[0].weight, branch[0].bias)))
        outs = [b[3](F.relu(b[1](zi), inplace=True)) for b, zi in zip(temporal, z[:2], strict=True)]
        outs.append(F.max_pool2d(F.relu(pool[1](z[2]), inplace=True), (3, 1), (self.stride, 1), (1, 0)))
        outs.append(z[3] if self.stride == 1 else conv1x1(x, strided[0].weight, strided[0].bias, self.stride))
        # the last BN of every branch, as one BN over the concatenation
        return batch_norm(torch.cat(outs, dim=1), [*(b[3].bn for b in temporal), pool[4], strided[1]])


class TemporalConv(nn.Module):
    """A k×1 temporal conv with replicate padding, and its BN (the authors' ``TemporalConv``).

    ``forward`` returns the conv output only: :class:`MultiScaleTemporalConv` applies this BN together with
    the other branches' final BNs, in one call over their concatenation.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int, dilation: int):
        super().__init__()
        self.pad = (kernel_size + (kernel_size - 1) * (dilation - 1) - 1) // 2
        self.conv = nn.Conv2d(
            in_channels, out_channels, (kernel_size, 1), stride=(stride, 1), dilation=(dilation, 1)
        )
        self.bn = nn.BatchNorm2d(out_channels)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(F.pad(x, (0, 0, self.pad, self.pad), mode="replicate"))


class Residual(nn.Module):
    """The strided 1×1 conv + BN on the skip path of units that change width or length (``unit_tcn``)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 1, stride=(stride, 1))
        self.bn = nn.BatchNorm2d(out_channels)
        kaiming_fan_out_(self.conv)

    def forward(self, x: Tensor) -> Tensor:
        return self.bn(conv1x1(x, self.conv.weight, self.conv.bias, self.conv.stride[0]))


class Unit(nn.Module):
    """TCN-GCN unit (docs/method.md#unit): ReLU(MS-TCN(HYPERGC(x)) + R(x))."""

    def __init__(
        self, in_channels: int, out_channels: int, stride: int, graph: Tensor, config: ModelConfig
    ) -> None:
        super().__init__()
        self.gcn1 = HyperGraphConv(in_channels, out_channels, graph, config)
        self.tcn1 = MultiScaleTemporalConv(out_channels, stride)
        if in_channels == out_channels and stride == 1:
            self.residual: nn.Module = nn.Identity()
        else:
            self.residual = Residual(in_channels, out_channels, stride)

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(self.tcn1(self.gcn1(x)) + self.residual(x), inplace=True)


# -------------------------------------------------------------------------------------------------- model
class HyperGCN(nn.Module):
    """The full classifier: joint embedding stem, nine TCN-GCN units with cross-layer skips, pooled linear
    head.

    Built from a :class:`~hypergcn.models.config.ModelConfig`, kept as ``self.config``. ``forward`` takes
    (N, C, T, V, M) and returns logits (N, num_class) in train and eval mode alike; :meth:`divergence_loss`
    gives the regulariser on the virtual joints (docs/method.md#divergence-loss) that training adds to the
    cross-entropy.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        graph = torch.from_numpy(hypergcn_graph(config))
        widths = unit_widths(config.size)
        self.to_joint_embedding = nn.Linear(config.in_channels, EMBED)
        self.pos_embedding = nn.Parameter(torch.randn(1, config.num_point, EMBED))
        self.data_bn = nn.BatchNorm1d(config.num_person * config.num_point * EMBED)
        for i, (cin, cout, stride) in enumerate(widths, start=1):
            self.add_module(f"l{i}", Unit(cin, cout, stride, graph, config))
        self.fc = nn.Linear(widths[-1][1], config.num_class)
        nn.init.normal_(self.fc.weight, 0.0, math.sqrt(2.0 / config.num_class))

    def embed(self, x: Tensor) -> Tensor:
        """(N, C, T, V, M) → (N·M, 128, T, V): per-joint Linear + positional embedding, tanh, data BN
        (docs/method.md#input-stem)."""
        n, _, t, v, m = x.shape
        x = self.to_joint_embedding(x.permute(0, 4, 2, 3, 1))  # (N, M, T, V, 128)
        x = torch.tanh(x + self.pos_embedding)
        x = self.data_bn(x.permute(0, 1, 3, 4, 2).reshape(n, m * v * EMBED, t))  # channels ordered (M, V, C)
        x = x.view(n, m, v, EMBED, t).permute(0, 1, 3, 4, 2).reshape(n * m, EMBED, t, v)
        return x.contiguous(memory_format=CHANNELS_LAST)

    def forward(self, x: Tensor) -> Tensor:
        return self.forward_features(x)[0]

    def forward_features(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(logits (N, num_class), features (N, C_final)) of one forward pass.

        The features are the pooled output of l9 (mean over frames and joints, then persons) that ``fc``
        classifies: evaluation stores them beside the logits for embedding plots without a second pass.
        """
        n, m = x.shape[0], x.shape[-1]
        x = self.embed(x)
        a1 = self.l1(x)
        a2 = self.l2(a1)
        a3 = self.l3(a2 + a1)
        a4 = self.l4(a3)
        a5 = self.l5(a4)
        a6 = self.l6(a5 + a4)
        a7 = self.l7(a6)
        a8 = self.l8(a7)
        a9 = self.l9(a8 + a7)
        features = a9.reshape(n, m, a9.shape[1], -1).mean(3).mean(1)  # pool over T·V, then persons
        return self.fc(features), features

    def hypergraphs(self, x: Tensor, layers: Sequence[str] | None = None) -> dict[str, Hypergraph]:
        """The adaptive hypergraph every unit builds for input x (N, C, T, V, M), by layer name (l1..l9).

        Computed during one ordinary forward pass (no gradients, the model's current train/eval mode):
        a hook on each unit's hypergraph convolution passes the input it receives to
        :meth:`HyperGraphConv.hypergraph`, the method its forward uses, so these are the graphs the
        prediction was made with. Each is (N·M, heads, V+P, V+P), sample n's person m at index n·M + m; the
        last P vertices are the virtual joints (:meth:`Hypergraph.virtual_links`). ``layers`` limits the
        layers computed (default: all nine).
        """
        return self.trace_hypergraphs(x, layers)[1]

    def trace_hypergraphs(
        self, x: Tensor, layers: Sequence[str] | None = None
    ) -> tuple[Tensor, dict[str, Hypergraph]]:
        """:meth:`hypergraphs` together with the logits (N, num_class) of the same forward pass."""
        units = {name: unit for name, unit in self.named_children() if isinstance(unit, Unit)}
        wanted = list(units) if layers is None else list(layers)
        unknown = [name for name in wanted if name not in units]
        if unknown:
            raise ValueError(f"unknown layers {unknown}; the units are {list(units)}")
        found: dict[str, Hypergraph] = {}

        def capture(name: str):
            def hook(module: HyperGraphConv, inputs: tuple[Tensor, ...]) -> None:
                # the layout forward hands to hypergraph(), so every reduction runs in the same order
                found[name] = module.hypergraph(relayout(inputs[0], torch.contiguous_format))

            return hook

        handles = [units[name].gcn1.register_forward_pre_hook(capture(name)) for name in wanted]
        try:
            with torch.no_grad():
                logits = self(x)
        finally:
            for handle in handles:
                handle.remove()
        return logits, {name: found[name] for name in wanted}

    def hyper_joints(self) -> list[Tensor]:
        """The virtual joints of l1..l9, each (P, C_in): what the authors' forward returns beside the
        logits."""
        return [unit.gcn1.hyper_joint for unit in self.children() if isinstance(unit, Unit)]

    def divergence_loss(self) -> Tensor:
        """Mean over layers of the mean ReLU(cosine) between distinct virtual joints
        (docs/method.md#divergence-loss).

        Pushes each layer's virtual joints apart. Computed from this model's own parameters, so it is exact
        per rank under DDP (docs/method.md#q8-code-bugs). Layers with fewer than two virtual joints contribute
        0 (the authors' formula is 0/0 there, docs/method.md#q3-runs-without-virtual-joints).
        """
        return torch.stack([divergence(p) for p in self.hyper_joints()]).mean()


def divergence(joints: Tensor) -> Tensor:
    """(Σ_ab ReLU(cos(p_a, p_b)) − P) / (P (P − 1)) for one layer's (P, C) virtual joints; 0 when P < 2."""
    count = joints.shape[0]
    if count < 2:
        return joints.sum() * 0.0
    norm = joints.norm(dim=1, keepdim=True)
    cosine = joints @ joints.t() / (norm @ norm.t() + 1e-8)
    return (F.relu(cosine).sum() - count) / (count * (count - 1))
