"""Hyper-GCN (ICCV 2025): a skeleton action classifier whose graph layers add an adaptive hypergraph and
learnable virtual "hyper joints" to the fixed skeleton graph (method §1).

One readable file in the spirit of nanoGPT. ``HyperGCN.forward`` reads like the paper; the layers compute the
same function as the authors' code (parity is tested against ``tests/reference_hypergcn.py``) but skip the
work whose result is thrown away or constant:

- the virtual joints are the same vectors in every sample and frame, so their projections are computed once
  per layer instead of being appended to every frame of every sample;
- the aggregation rows of the virtual joints are discarded by the authors after the layer, so only the real
  joints' rows are computed;
- activations are kept channels-last ((N, T, V, C) in memory): the 1×1 convs become single GEMMs over all
  positions and the 5×1 convs, batch norms and max-pool run several times faster on CPU than in NCHW; only
  the grouped ``conv_d`` and the head-wise aggregation, which are batched matmuls over (C, T, V) blocks,
  work on an NCHW copy;
- the 1×1 convs entering the temporal block's branches share one pass over the input and accumulate its
  gradient inside the GEMMs, and the branches' final batch norms run as one call over their concatenation.

Module and parameter names are the authors' (method §9.6), so their released checkpoints load unchanged
(see :mod:`hypergcn.models.checkpoint`). The fixed graph ``PA`` is a non-persistent buffer: it is not a
parameter (so it is neither trained nor counted) and not saved, because it is rebuilt from the dataset layout.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

HEADS = 8  # hypergraph heads / channel groups of every HYPERGC layer
NEIGHBOURS = 9  # k of the k-nearest-neighbour hyperedges
EMBED = 128  # width of the joint embedding and of l1-l3
CHANNELS_LAST = torch.channels_last


# ------------------------------------------------------------------------------------------------- helpers
def kaiming_fan_out_(conv: nn.Conv1d | nn.Conv2d) -> None:
    """Normal(0, sqrt(2 / (C_out · kernel elements))), bias 0 (method §9.1; groups do not enter the fan)."""
    nn.init.kaiming_normal_(conv.weight, mode="fan_out")
    nn.init.zeros_(conv.bias)


def conv1x1(x: Tensor, weight: Tensor, bias: Tensor | None, stride: int = 1) -> Tensor:
    """A 1×1 conv (temporal stride ``stride``) of a channels-last (N, C, T, V) tensor as one GEMM.

    Channels-last means (N, T, V, C) in memory, so all N·T·V positions form one matrix and the conv is a
    single ``linear``; PyTorch's CPU conv kernels are several times slower for these shapes.
    """
    rows = x.permute(0, 2, 3, 1)[:, ::stride]
    return F.linear(rows, weight.flatten(1), bias).permute(0, 3, 1, 2)


class Relayout(torch.autograd.Function):
    """Copy a tensor into another memory format; its gradient is copied back into the input's format.

    Plain ``x.contiguous(memory_format=...)`` passes the gradient through in the *output's* layout, so it
    would then be summed with the input's other gradients in a mixed-layout add, which is several times
    slower on CPU than the copy itself.
    """

    @staticmethod
    def forward(ctx, x: Tensor, memory_format: torch.memory_format) -> Tensor:  # type: ignore[override]
        ctx.input_format = (
            CHANNELS_LAST if x.is_contiguous(memory_format=CHANNELS_LAST) else torch.contiguous_format
        )
        return x.contiguous(memory_format=memory_format)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None]:  # type: ignore[override]
        return grad.contiguous(memory_format=ctx.input_format), None


def relayout(x: Tensor, memory_format: torch.memory_format) -> Tensor:
    """``x`` in ``memory_format`` (NCHW: ``torch.contiguous_format``), with the gradient in ``x``'s format."""
    return Relayout.apply(x, memory_format)


class SharedInputConv1x1(torch.autograd.Function):
    """Several 1×1 convs of one channels-last input, each output a separate contiguous tensor.

    Equivalent to one conv with the weights concatenated, but each branch gets its own contiguous output
    (PyTorch's CPU batch norm is many times slower on a channel slice), and the input gradient accumulates
    inside the GEMMs instead of in separate full-size additions.
    """

    @staticmethod
    def forward(ctx, x: Tensor, *weights_and_biases: Tensor) -> tuple[Tensor, ...]:  # type: ignore[override]
        n, _, t, v = x.shape
        rows = x.permute(0, 2, 3, 1).reshape(n * t * v, -1)  # a view for channels-last x
        weights, biases = weights_and_biases[0::2], weights_and_biases[1::2]
        ctx.save_for_backward(rows, *weights)
        ctx.shape = (n, t, v)
        outs = [torch.addmm(b, rows, w.flatten(1).t()) for w, b in zip(weights, biases, strict=True)]
        return tuple(out.view(n, t, v, -1).permute(0, 3, 1, 2) for out in outs)

    @staticmethod
    def backward(ctx, *grads: Tensor) -> tuple[Tensor | None, ...]:  # type: ignore[override]
        rows, *weights = ctx.saved_tensors
        n, t, v = ctx.shape
        grads = [g.permute(0, 2, 3, 1).reshape(n * t * v, -1) for g in grads]
        dtype = grads[0].dtype  # the outputs' dtype, which differs from the inputs' under autocast
        grad_x = None
        if ctx.needs_input_grad[0]:
            grad_rows = grads[0] @ weights[0].flatten(1).to(dtype)
            for g, w in zip(grads[1:], weights[1:], strict=True):
                grad_rows.addmm_(g, w.flatten(1).to(dtype))
            grad_x = grad_rows.to(rows.dtype).view(n, t, v, -1).permute(0, 3, 1, 2)
        params: list[Tensor] = []
        for g, w in zip(grads, weights, strict=True):
            params += [(g.t() @ rows.to(dtype)).view_as(w).to(w.dtype), g.sum(0).to(w.dtype)]
        return grad_x, *params


def batch_norm(x: Tensor, norms: Sequence[nn.BatchNorm2d]) -> Tensor:
    """Apply several BatchNorm2d modules, which own consecutive channel groups of ``x``, in one call.

    BatchNorm is per channel, so normalising the concatenation equals concatenating the normalisations. The
    running statistics are updated on a concatenated copy and written back to each module, which keeps the
    modules (and so the checkpoint keys) of the authors' layout.
    """
    if len(norms) == 1:
        return norms[0](x)
    first = norms[0]
    training = first.training or first.running_mean is None
    running_mean = torch.cat([bn.running_mean for bn in norms])
    running_var = torch.cat([bn.running_var for bn in norms])
    weight = torch.cat([bn.weight for bn in norms])
    bias = torch.cat([bn.bias for bn in norms])
    y = F.batch_norm(x, running_mean, running_var, weight, bias, training, first.momentum, first.eps)
    if first.training:
        with torch.no_grad():
            sizes = [bn.num_features for bn in norms]
            for bn, mean, var in zip(norms, running_mean.split(sizes), running_var.split(sizes), strict=True):
                bn.running_mean.copy_(mean)
                bn.running_var.copy_(var)
                bn.num_batches_tracked.add_(1)
    return y


def knn_hypergraph(v: Tensor, k: int = NEIGHBOURS) -> Tensor:
    """Incidence H (N', heads, V', V'): row u holds softmax(-distance) over u's k nearest vertices (§1.4.3).

    Column e is the hyperedge "every vertex with e among its k nearest neighbours", so hyperedges have
    varying sizes. ``torch.cdist`` and ``topk`` are called exactly as the authors do, so ties resolve alike.
    """
    dist = torch.cdist(v, v)
    nearest, index = dist.topk(k, dim=-1, largest=False)
    return torch.zeros_like(dist).scatter(-1, index, torch.softmax(-nearest, dim=-1))


def hyper_norm(H: Tensor, W: Tensor) -> Tensor:
    """G = Dv⁻¹ H diag(W)² De⁻¹ Hᵀ with De the hyperedge sizes and Dv = Σ_e |H W| (the authors' form, §1.4.5).

    W enters squared, so only |W| matters; this is not the symmetric HGNN normalisation (§7.10).
    """
    edge_degree = H.sum(dim=-2) + 1e-8  # (N', heads, V') column sums
    vertex_degree = (H * W.unsqueeze(-2)).abs().sum(dim=-1) + 1e-8
    return (H * (W.square() / edge_degree).unsqueeze(-2)) @ H.mT / vertex_degree.unsqueeze(-1)


# ------------------------------------------------------------------------------------------------- layers
class HyperGraphConv(nn.Module):
    """HYPERGC (§1.4): per head, aggregate joints over the skeleton graph plus a k-NN hypergraph built from
    the sequence's mean features; ``P`` learnable virtual joints take part as extra vertices."""

    def __init__(
        self, in_channels: int, out_channels: int, graph: Tensor, num_point: int, virtual_joint_init: str
    ) -> None:
        super().__init__()
        if graph.shape[0] != HEADS:
            raise ValueError(
                f"the graph must have one slice per head ({HEADS}), got shape {tuple(graph.shape)}"
            )
        virtual = graph.shape[-1] - num_point
        hidden = in_channels // HEADS // 4
        if virtual_joint_init == "identical":  # the authors' init: one vector repeated (§7.1)
            joint = torch.randn(1, in_channels).repeat(virtual, 1)
        elif virtual_joint_init == "independent":
            joint = torch.randn(virtual, in_channels)
        else:
            raise ValueError(
                f"virtual_joint_init must be 'independent' or 'identical', got {virtual_joint_init!r}"
            )
        self.hyper_joint = nn.Parameter(joint)
        self.alpha = nn.Parameter(torch.ones(1))
        self.register_buffer("PA", graph.clone(), persistent=False)
        self.edge_importance = nn.Parameter(torch.ones_like(graph))
        self.to_V = nn.Conv1d(in_channels, HEADS * hidden, 1, groups=HEADS)
        self.to_W = nn.Sequential(
            nn.Conv1d(in_channels, HEADS * hidden, 1, groups=HEADS),
            nn.LeakyReLU(0.01),
            nn.Conv1d(HEADS * hidden, HEADS, 1),
            nn.Tanh(),
        )
        self.conv_d = nn.Conv2d(in_channels, out_channels, 1, groups=HEADS)
        if in_channels != out_channels:
            self.down = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1), nn.BatchNorm2d(out_channels))
        else:
            self.down = nn.Identity()
        self.bn = nn.BatchNorm2d(out_channels)
        for module in self.modules():
            if isinstance(module, nn.Conv1d | nn.Conv2d):
                kaiming_fan_out_(module)
        nn.init.constant_(self.bn.weight, 1e-6)  # the graph branch starts switched off

    def forward(self, x: Tensor) -> Tensor:
        n, _, t, v = x.shape
        x_nchw = relayout(x, torch.contiguous_format)  # the head-wise matmuls below want (C, T, V) per sample
        virtual = self.hyper_joint.t()  # (C_in, P): constant over samples and frames
        # 1. hypergraph and hyperedge weights from every vertex's temporal mean (§1.4.3-5)
        mean = torch.cat([x_nchw.mean(2), virtual.expand(n, -1, -1)], dim=2)  # (N', C_in, V')
        H = knn_hypergraph(self.to_V(mean).view(n, HEADS, -1, mean.shape[-1]).mT)
        G = hyper_norm(H, self.to_W(mean))
        # 2. per-head adjacency; only the rows of real joints survive the layer (§1.4.2, §1.4.6, §1.4.8)
        graph = self.edge_importance * self.PA
        graph = graph / (graph.abs().sum(dim=-1, keepdim=True) + 1e-8)
        A = (graph + F.relu(self.alpha) * G)[:, :, :v]  # (N', heads, V, V')
        # 3. y_u = Σ_v A[u, v] conv_d(x̃)_v (§1.4.7), with conv_d(z) = W z + b split by the kind of v:
        #    real joints vary in time, virtual joints are constant, and the bias aggregates to b · Σ_v A[u, v]
        # conv_d as head-wise matmuls: weight (heads, C_out/8, C_in/8)
        weight = self.conv_d.weight.view(HEADS, -1, self.conv_d.in_channels // HEADS)
        d = weight @ x_nchw.view(n, HEADS, -1, t * v)  # (N', heads, C_out/8, T·V)
        y = (d.view(n, HEADS, -1, v) @ A[..., :v].mT).view(n, HEADS, -1, t, v)
        d_virtual = weight @ virtual.reshape(HEADS, weight.shape[-1], -1)  # (heads, C_out/8, P)
        bias = self.conv_d.bias.view(HEADS, -1, 1)
        constant = d_virtual @ A[..., v:].mT + bias * A.sum(-1, keepdim=True).mT  # (N', heads, C_out/8, V)
        y = relayout((y + constant.unsqueeze(3)).view(n, -1, t, v), CHANNELS_LAST)
        if isinstance(self.down, nn.Identity):
            down = x
        else:
            down = self.down[1](conv1x1(x, self.down[0].weight, self.down[0].bias))
        return F.relu(self.bn(y) + down, inplace=True)


class MultiScaleTemporalConv(nn.Module):
    """MS-TCN (§1.6): four branches of C/4 channels, 5×1 convs with dilation 1 and 2 (replicate padding),
    a 3×1 max-pool, and a strided 1×1 conv; no internal residual."""

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
    """TCN-GCN unit (§1.3): ReLU(MS-TCN(HYPERGC(x)) + R(x))."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        graph: Tensor,
        num_point: int,
        stride: int,
        virtual_joint_init: str,
    ) -> None:
        super().__init__()
        self.gcn1 = HyperGraphConv(in_channels, out_channels, graph, num_point, virtual_joint_init)
        self.tcn1 = MultiScaleTemporalConv(out_channels, stride)
        if in_channels == out_channels and stride == 1:
            self.residual: nn.Module = nn.Identity()
        else:
            self.residual = Residual(in_channels, out_channels, stride)

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(self.tcn1(self.gcn1(x)) + self.residual(x), inplace=True)


# -------------------------------------------------------------------------------------------------- model
class HyperGCN(nn.Module):
    """The full classifier: joint embedding stem, nine TCN-GCN units with cross-layer skips, pooled linear head.

    ``forward`` takes (N, 3, T, V, M) and returns logits (N, num_class) in train and eval mode alike;
    :meth:`divergence_loss` gives the regulariser on the virtual joints (§1.7) that training adds to the
    cross-entropy.
    """

    def __init__(
        self,
        num_class: int,
        num_point: int,
        num_person: int,
        graph: Tensor,
        widths: Sequence[tuple[int, int, int]],
        virtual_joint_init: str = "independent",
        in_channels: int = 3,
    ) -> None:
        super().__init__()
        self.num_class, self.num_point, self.num_person = num_class, num_point, num_person
        self.to_joint_embedding = nn.Linear(in_channels, EMBED)
        self.pos_embedding = nn.Parameter(torch.randn(1, num_point, EMBED))
        self.data_bn = nn.BatchNorm1d(num_person * num_point * EMBED)
        for i, (cin, cout, stride) in enumerate(widths, start=1):
            self.add_module(f"l{i}", Unit(cin, cout, graph, num_point, stride, virtual_joint_init))
        self.fc = nn.Linear(widths[-1][1], num_class)
        nn.init.normal_(self.fc.weight, 0.0, math.sqrt(2.0 / num_class))

    def embed(self, x: Tensor) -> Tensor:
        """(N, 3, T, V, M) → (N·M, 128, T, V): per-joint Linear + positional embedding, tanh, data BN."""
        n, _, t, v, m = x.shape
        x = self.to_joint_embedding(x.permute(0, 4, 2, 3, 1))  # (N, M, T, V, 128)
        x = torch.tanh(x + self.pos_embedding)
        x = self.data_bn(x.permute(0, 1, 3, 4, 2).reshape(n, m * v * EMBED, t))  # channels ordered (M, V, C)
        x = x.view(n, m, v, EMBED, t).permute(0, 1, 3, 4, 2).reshape(n * m, EMBED, t, v)
        return x.contiguous(memory_format=CHANNELS_LAST)

    def forward(self, x: Tensor) -> Tensor:
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
        return self.fc(features)

    def hyper_joints(self) -> list[Tensor]:
        """The virtual joints of l1..l9, each (P, C_in) — what the authors' forward returns beside the logits."""
        return [unit.gcn1.hyper_joint for unit in self.children() if isinstance(unit, Unit)]

    def divergence_loss(self) -> Tensor:
        """Mean over layers of the mean ReLU(cosine) between distinct virtual joints (§1.7).

        Pushes each layer's virtual joints apart. Computed from this model's own parameters, so it is exact
        per rank under DDP (§7.8). Layers with fewer than two virtual joints contribute 0 (the authors' formula
        is 0/0 there, §7.3).
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
