"""The inference path of Hyper-GCN: :func:`fold_for_inference` turns a trained :class:`HyperGCN` into an
eval-only copy that computes the same logits (float32, within rel 1e-5) at 2-3.7× the throughput of the
authors' structure (CPU, batch 16; 1.6-2.4× at batch 1).

PERFORMANCE PATH. Everything here exists because it was measured (CPU, batch 16, window 64, NTU-120 shapes,
2 threads; the "Inference" section of docs/benchmarks.md, ``python -m benchmarks.bench_inference``). The
readable model stays :mod:`hypergcn.models.hypergcn`, which trains; this file only re-arranges its eval-mode
arithmetic. What a fold does, nanoGPT style, trick by trick:

- **NCHW throughout.** The training path keeps activations channels-last for its temporal convs and batch
  norms, so every hypergraph convolution copies its input to NCHW and its output back (two transposing
  copies per layer, the largest item after the GEMMs). With every batch norm folded away, the 1×1 convs run
  as batched GEMMs ``W @ x[n]`` straight on NCHW (faster than the channels-last GEMM) and the one operator
  that is slow in NCHW, the 3×1 max-pool, is written as two element-wise maxima. No layout copy remains.
- **Batch norm folded** into the preceding conv or GEMM (scale the output rows, shift the bias); the max-pool
  branch's second batch norm is folded through the ReLU and the max when its scales are non-negative.
- **Time-constant terms precomputed**: the normalised skeleton graph, ReLU(α) and the virtual joints'
  ``conv_d`` outputs depend on parameters only.
- **Fused epilogues**: residual add + ReLU as one ``aten::_add_relu`` pass written straight into each branch's
  channel block of the output, so the MS-TCN concatenation costs nothing; a branch's bias and ReLU ride on
  the pass that reads it next (the replicate padding, written in one pass); the hypergraph conv's batch
  norm and time-constant term in one ``addcmul`` pass; the data batch norm as one per-(person, joint,
  channel) scale-and-shift pass.
- **Denormal adjacency weights flushed to zero** (see :meth:`FoldedGraphConv.adjacency`).
- **Kept bit-exact on purpose**: the hypergraph itself (temporal mean, ``to_V``/``to_W``, cdist, top-k,
  softmax), because its k-NN distances amplify any rounding difference (:class:`FoldedGraphConv`).

Parameter names are untouched: a fold reads a loaded model and returns a new module (all its tensors
frozen, nothing in it trains); the original keeps its weights and its train/eval mode.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hypergcn.models.hypergcn import (
    HyperGCN,
    HyperGraphConv,
    MultiScaleTemporalConv,
    Unit,
    hyper_norm,
    knn_hypergraph,
)


def _fused(a: Tensor) -> bool:
    """Whether aten's fused relu(a + b) (the kernel the JIT's add-relu fusion emits) takes ``a``: CPU, float32
    or float64 only; elsewhere (CUDA, autocast's half types) the add and the ReLU run as two passes."""
    return a.device.type == "cpu" and a.dtype in (torch.float32, torch.float64)


def add_relu_(a: Tensor, b: Tensor) -> Tensor:
    """``a = relu(a + b)`` in place, in one pass where :func:`_fused`."""
    return torch.ops.aten._add_relu_(a, b) if _fused(a) else a.add_(b).relu_()


def add_relu(a: Tensor, b: Tensor, out: Tensor) -> Tensor:
    """``out = relu(a + b)`` (``out`` may be a strided view, such as one channel block), one pass where
    :func:`_fused`."""
    if _fused(out) and a.dtype == b.dtype == out.dtype:
        return torch.ops.aten._add_relu(a, b, out=out)
    return torch.add(a, b, out=out).relu_()


def fold_for_inference(model: nn.Module) -> nn.Module:
    """An eval-only copy of ``model`` (a :class:`HyperGCN`, or one wrapped in DDP) whose ``forward`` returns
    the same logits as ``model.eval()``; the original is not modified.

    ``forward_features`` is kept too (logits and the pooled features). The copy refuses ``train()``: its
    batch norms are folded into the convolutions, so it cannot be trained or fine-tuned.
    """
    core = getattr(model, "module", model)
    if not isinstance(core, HyperGCN):
        raise TypeError(f"fold_for_inference expects a HyperGCN, got {type(core).__name__}")
    with torch.no_grad():
        return FoldedHyperGCN(core)


def _bn_affine(bn: nn.BatchNorm1d | nn.BatchNorm2d) -> tuple[Tensor, Tensor]:
    """(scale, shift) with ``bn(x) == x * scale + shift`` in eval mode."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    return scale, bn.bias - bn.running_mean * scale


def _fold_conv(conv: nn.Conv1d | nn.Conv2d, bn: nn.BatchNorm2d | None) -> tuple[Tensor, Tensor]:
    """(weight (C_out, C_in, *kernel), bias (C_out,)) of ``bn(conv(x))``."""
    weight, bias = conv.weight.detach().clone(), conv.bias.detach().clone()
    if bn is None:
        return weight, bias
    scale, shift = _bn_affine(bn)
    return weight * scale.view(-1, *([1] * (weight.dim() - 1))), bias * scale + shift


def gemm(weight: Tensor, x: Tensor) -> Tensor:
    """A bias-free 1×1 conv of NCHW ``x`` (N, C_in, T, V) as one batched GEMM ``weight @ x[n]`` → (N, C_out, T, V).

    Measured on l1 shapes (1 thread): 4.4 ms against 7.0 ms for the channels-last ``linear`` and 9-50 ms for
    oneDNN's NCHW 1×1 conv (which picks slow kernels for these shapes). Bias-free because every bias here
    can ride on a pass that follows anyway (a bias added by ``baddbmm`` costs a full extra write).
    """
    n, c, t, v = x.shape
    return torch.matmul(weight, x.reshape(n, c, t * v)).view(n, -1, t, v)


def max_pool_3x1(z: Tensor, stride: int) -> Tensor:
    """``F.max_pool2d(z, (3, 1), (stride, 1), (1, 0))`` of NCHW ``z`` as two element-wise maxima.

    PyTorch's NCHW max-pool takes 37 ms on an l1 branch (the channels-last one 3 ms); here 1 ms. Exact: a
    maximum rounds nothing. ``pair[t] = max(z[t], z[t+1])``; the window centred on frame c is
    ``max(pair[c-1], pair[c])``, clipped at either end.
    """
    frames = z.shape[2]
    out_frames = (frames - 1) // stride + 1
    if frames == 1:
        return z.clone()
    pair = torch.maximum(z[:, :, :-1], z[:, :, 1:])  # (N, C, T-1, V)
    out = torch.empty((*z.shape[:2], out_frames, z.shape[3]), dtype=z.dtype, device=z.device)
    out[:, :, 0] = pair[:, :, 0]
    inner = (frames - 2) // stride  # centres c = stride·k, 1 <= k, with c <= T-2
    if inner > 0:
        last = stride * inner
        torch.maximum(
            pair[:, :, stride - 1 : last : stride],
            pair[:, :, stride : last + 1 : stride],
            out=out[:, :, 1 : inner + 1],
        )
    if inner + 1 < out_frames:  # the last centre is the last frame T-1
        out[:, :, -1] = pair[:, :, -1]
    return out


# ------------------------------------------------------------------------------------------ folded layers
class FoldedGraphConv(nn.Module):
    """:class:`~hypergcn.models.hypergcn.HyperGraphConv` in eval mode, on NCHW activations."""

    def __init__(self, gcn: HyperGraphConv) -> None:
        super().__init__()
        heads = self.heads = gcn.heads
        self.num_real = num_real = gcn.PA.shape[-1] - gcn.hyper_joint.shape[0]
        virtual = gcn.hyper_joint.detach().t()  # (C_in, P)
        c_in = virtual.shape[0]
        graph = gcn.edge_importance * gcn.PA
        graph = graph / (graph.abs().sum(dim=-1, keepdim=True) + 1e-8)
        self.register_buffer("graph", graph[:, :num_real].clone())  # (heads, V, V'): rows of real joints
        self.register_buffer("alpha", F.relu(gcn.alpha.detach()).clone())
        # the hypergraph exactly as trained (same calls on the same inputs, so the same bits): the k-NN
        # distances cancel (cdist's |a|² + |b|² - 2ab) and top-k must break ties alike (a missing second
        # actor gives every joint the same features), so no rearrangement of it is within rel 1e-5
        self.to_V = copy.deepcopy(gcn.to_V).requires_grad_(False)
        self.to_W = copy.deepcopy(gcn.to_W).requires_grad_(False)
        self.register_buffer("virtual", virtual.clone())
        columns = virtual.reshape(heads, c_in // heads, -1)  # (heads, C_in/heads, P)
        # conv_d as head-wise matmuls; its outputs on the virtual joints are constants. The batch norm's scale
        # is applied after the aggregation, not folded into conv_d: it starts at 1e-6 (the branch starts
        # switched off), and scaled conv_d outputs times small adjacency weights underflow to denormals,
        # which made the aggregation GEMMs up to 70× slower
        scale, shift = _bn_affine(gcn.bn)
        weight = gcn.conv_d.weight.detach().view(heads, -1, c_in // heads)  # (heads, C_out/h, C_in/h)
        self.register_buffer("conv_weight", weight.clone())
        self.register_buffer("conv_bias", gcn.conv_d.bias.detach().view(heads, -1, 1).clone())
        self.register_buffer("virtual_d", weight @ columns)  # (heads, C_out/heads, P)
        self.register_buffer("scale", scale.view(heads, -1, 1, 1))
        if isinstance(gcn.down, nn.Identity):
            self.register_buffer("down_weight", None)
        else:  # the down projection as a bias-free GEMM: its bias joins the batch norm's shift
            down_weight, down_bias = _fold_conv(gcn.down[0], gcn.down[1])
            self.register_buffer("down_weight", down_weight.flatten(1))
            shift = shift + down_bias
        self.register_buffer("shift", shift.view(heads, -1, 1))

    def adjacency(self, x: Tensor) -> Tensor:
        """A (N', heads, V, V'): the fixed graph plus ReLU(α)·G, the real joints' rows.

        G is ``HyperGraphConv._hypergraph`` call for call (float32 under autocast too, as trained).
        """
        n, v = x.shape[0], x.shape[3]
        dtype = self.to_V.weight.dtype
        with torch.autocast(x.device.type, enabled=False):
            mean = torch.cat([x.to(dtype).mean(2), self.virtual.expand(n, -1, -1)], dim=2)  # (N', C_in, V')
            H = knn_hypergraph(self.to_V(mean).view(n, self.heads, -1, mean.shape[-1]).mT)
            G = hyper_norm(H, self.to_W(mean))
        A = self.graph + self.alpha * G[:, :, :v]
        # far k-NN neighbours get softmax weights that underflow to denormals (9 % of A in l7 of a fresh
        # model); each product with one takes a microcode assist, which made the aggregation GEMM of l7 50×
        # slower. Flushed to zero they change y by under 1e-38 · |conv_d(x)|.
        return A.masked_fill_(A.abs() < torch.finfo(A.dtype).tiny, 0.0)

    def forward(self, x: Tensor) -> Tensor:
        n, c, t, v = x.shape
        heads = self.heads
        A = self.adjacency(x)
        d = torch.matmul(self.conv_weight, x.view(n, heads, c // heads, t * v))  # (N', heads, C_out/h, T·V)
        y = torch.matmul(d.view(n, heads, -1, v), A[..., :v].mT).view(n, heads, -1, t, v)
        # the bias and the virtual joints aggregate to a per-(sample, channel, joint) constant; batch norm
        # and the constant in one pass: y <- constant + scale · y
        constant = self.virtual_d @ A[..., v:].mT + self.conv_bias * A.sum(-1, keepdim=True).mT
        constant = torch.addcmul(self.shift, constant, self.scale[..., 0])
        y = torch.addcmul(constant.unsqueeze(3), y, self.scale, out=y).view(n, -1, t, v)
        down = x if self.down_weight is None else gemm(self.down_weight, x)
        return add_relu_(y, down)


class FoldedTemporalConv(nn.Module):
    """A 5×1 temporal conv with replicate padding and its batch norm folded in (oneDNN conv on NCHW)."""

    def __init__(self, conv: nn.Conv2d, bn: nn.BatchNorm2d, pad: int, extra_bias: Tensor) -> None:
        super().__init__()
        weight, bias = _fold_conv(conv, bn)
        self.register_buffer("weight", weight)
        self.register_buffer("bias", bias + extra_bias)
        self.pad, self.stride, self.dilation = pad, conv.stride, conv.dilation

    def forward(self, z: Tensor, bias: Tensor) -> Tensor:
        """The conv of ReLU(z + bias), z: the branch's 1×1-conv output (a channel block of the shared GEMM)."""
        return F.conv2d(
            padded_relu(z, bias, self.pad), self.weight, self.bias, self.stride, dilation=self.dilation
        )


def padded_relu(z: Tensor, bias: Tensor, pad: int) -> Tensor:
    """ReLU(z + bias) with ``pad`` replicated frames at either end, in one pass over ``z``.

    ``F.pad`` of a channel block first copies it contiguous and then pads: two passes; the branch's bias and
    ReLU were a third.
    """
    n, c, frames, v = z.shape
    out = torch.empty((n, c, frames + 2 * pad, v), dtype=z.dtype, device=z.device)
    middle = add_relu(z, bias, out=out[:, :, pad : pad + frames])
    out[:, :, :pad] = middle[:, :, :1]
    out[:, :, pad + frames :] = middle[:, :, -1:]
    return out


class FoldedUnit(nn.Module):
    """:class:`~hypergcn.models.hypergcn.Unit` (HYPERGC, MS-TCN, residual) in eval mode, on NCHW.

    The MS-TCN's four 1×1 convs are one bias-free GEMM (batch norms folded); each branch's bias (and ReLU)
    rides on the pass that reads its block next (the replicate padding, the pooled frames, the strided
    branch's every ``stride``-th frame). Each branch ends in
    ``relu(branch + residual)`` written straight into its channel block of the output: the concatenation,
    the residual add and the unit's ReLU in one pass. Constant terms ride along for free: the residual
    conv's bias goes into the branches' biases, so the residual is a bias-free GEMM too.
    """

    def __init__(self, unit: Unit) -> None:
        super().__init__()
        self.gcn = FoldedGraphConv(unit.gcn1)
        tcn: MultiScaleTemporalConv = unit.tcn1
        self.stride = tcn.stride
        temporal, pool, strided = tcn.branches[:2], tcn.branches[2], tcn.branches[3]
        bc = self.branch = temporal[0][0].out_channels
        if isinstance(unit.residual, nn.Identity):
            self.register_buffer("residual_weight", None)
            extra = torch.zeros(4 * bc, dtype=pool[0].weight.dtype, device=pool[0].weight.device)
        else:
            weight, extra = _fold_conv(unit.residual.conv, unit.residual.bn)
            self.register_buffer("residual_weight", weight.flatten(1))
        entries = [_fold_conv(b[0], b[1]) for b in temporal]
        pool_w, pool_b = _fold_conv(pool[0], pool[1])
        scale, shift = _bn_affine(pool[4])
        if bool((scale >= 0).all()):  # s·max(ReLU(a)) = max(ReLU(s·a)) for s >= 0: into the GEMM
            pool_w, pool_b = pool_w * scale.view(-1, 1, 1, 1), pool_b * scale
            self.register_buffer("pool_scale", None)
        else:
            self.register_buffer("pool_scale", scale.view(-1, 1, 1).clone())
        self.register_buffer("pool_shift", (shift + extra[2 * bc : 3 * bc]).view(-1, 1, 1))
        strided_w, strided_b = _fold_conv(strided[0], strided[1])
        entries += [(pool_w, pool_b), (strided_w, strided_b + extra[3 * bc :])]
        self.register_buffer("in_weight", torch.cat([w.flatten(1) for w, _ in entries]))
        self.register_buffer("in_bias", torch.cat([b for _, b in entries]).view(-1, 1, 1))
        self.temporal = nn.ModuleList(
            FoldedTemporalConv(b[3].conv, b[3].bn, b[3].pad, extra[i * bc : (i + 1) * bc])
            for i, b in enumerate(temporal)
        )

    def forward(self, x: Tensor) -> Tensor:
        y = self.gcn(x)
        bc, stride = self.branch, self.stride
        z = gemm(self.in_weight, y)  # (N', 4·bc, T, V): the four branches' 1×1 convs, bias not yet added
        bias = self.in_bias
        if self.residual_weight is None:
            residual = x
        else:
            residual = gemm(self.residual_weight, x if stride == 1 else x[:, :, ::stride].contiguous())
        blocks = [slice(i * bc, (i + 1) * bc) for i in range(4)]
        outs = [conv(z[:, b], bias[b]) for b, conv in zip(blocks[:2], self.temporal, strict=True)]
        # max(ReLU(z + b)) = ReLU(max(z) + b) for a per-channel b: bias and ReLU after the (strided) pool
        pooled = add_relu_(max_pool_3x1(z[:, blocks[2]], stride), bias[blocks[2]])
        if self.pool_scale is not None:
            pooled = pooled.mul_(self.pool_scale)
        outs += [pooled.add_(self.pool_shift), z[:, blocks[3], ::stride].add_(bias[blocks[3]])]
        # the output reuses the hypergraph conv's output buffer when the shape allows (fewer page faults)
        out = y if stride == 1 else torch.empty(residual.shape, dtype=z.dtype, device=z.device)
        for block, branch in zip(blocks, outs, strict=True):
            add_relu(branch, residual[:, block], out=out[:, block])
        return out


# -------------------------------------------------------------------------------------------------- model
class FoldedHyperGCN(nn.Module):
    """An eval-only Hyper-GCN built by :func:`fold_for_inference`: ``forward`` returns logits (N, classes),
    ``forward_features`` logits and pooled features, as :class:`~hypergcn.models.hypergcn.HyperGCN` does.

    Activations are NCHW (N·M, C, T, V) from the embedding on. ``train(True)`` raises.
    """

    def __init__(self, model: HyperGCN) -> None:
        super().__init__()
        self.config = model.config
        embed = model.to_joint_embedding
        m, v = model.config.num_person, model.config.num_point
        self.register_buffer("embed_weight", embed.weight.detach().clone())  # (128, C_in)
        # bias + positional embedding as one (128, 1, V) term
        self.register_buffer("embed_bias", (embed.bias.view(-1, 1) + model.pos_embedding[0].t()).unsqueeze(1))
        scale, shift = _bn_affine(model.data_bn)  # channels ordered (M, V, C)
        self.register_buffer("data_scale", scale.view(m, v, -1).permute(0, 2, 1).unsqueeze(2).contiguous())
        self.register_buffer("data_shift", shift.view(m, v, -1).permute(0, 2, 1).unsqueeze(2).contiguous())
        self.units = nn.ModuleList(FoldedUnit(unit) for unit in model.children() if isinstance(unit, Unit))
        self.register_buffer("fc_weight", model.fc.weight.detach().clone())
        self.register_buffer("fc_bias", model.fc.bias.detach().clone())
        super().train(False)

    def train(self, mode: bool = True) -> FoldedHyperGCN:
        if mode:
            raise RuntimeError("a folded model is eval-only (its batch norms are folded); train the original")
        return super().train(False)

    def embed(self, x: Tensor) -> Tensor:
        """(N, C, T, V, M) → (N·M, 128, T, V) NCHW: linear + position, tanh, data batch norm (scale, shift)."""
        n, c, t, v, m = x.shape
        rows = x.permute(0, 4, 1, 2, 3).reshape(n * m, c, t * v)
        e = torch.matmul(self.embed_weight, rows).view(n * m, -1, t, v)
        e = e.add_(self.embed_bias).tanh_().view(n, m, -1, t, v)
        return torch.addcmul(self.data_shift, e, self.data_scale, out=e).view(n * m, -1, t, v)

    def forward(self, x: Tensor) -> Tensor:
        return self.forward_features(x)[0]

    def forward_features(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(logits (N, num_class), pooled l9 features (N, C_final)): see ``HyperGCN.forward_features``."""
        n, m = x.shape[0], x.shape[-1]
        l1, l2, l3, l4, l5, l6, l7, l8, l9 = self.units
        a1 = l1(self.embed(x))
        a2 = l2(a1)
        a3 = l3(a2.add_(a1))
        a4 = l4(a3)
        a5 = l5(a4)
        a6 = l6(a5.add_(a4))
        a7 = l7(a6)
        a8 = l8(a7)
        a9 = l9(a8.add_(a7))
        features = a9.reshape(n, m, a9.shape[1], -1).mean(3).mean(1)
        return F.linear(features, self.fc_weight, self.fc_bias), features
