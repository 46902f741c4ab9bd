"""CPU-specific fast paths of the Hyper-GCN layers: the same maths as the plain PyTorch calls, arranged so
PyTorch's CPU kernels run fast. Private to :mod:`hypergcn.models.hypergcn`; the parity tests against the
literal reference (``tests/reference/authors_model.py``) cover every one of them, forward and backward.

Activations are kept channels-last ((N, T, V, C) in memory): the 1×1 convs become single GEMMs over all
positions, and the 5×1 convs, batch norms and max-pool run several times faster on CPU than in NCHW (per
l1-size layer, channels-last against NCHW: 1×1 GEMM forward + backward 8 against 15 ms, batch norm 2.8
against 4.0 ms, max-pool 1.0 against 6.5 ms). Each helper below exists because of a measured cost (one base
batch-4 training step on one thread; the whole log is the "Optimisation log" of docs/benchmarks.md):

- :func:`conv1x1`: a 1×1 conv as one ``linear`` over the channels-last rows. oneDNN picks slow kernels for
  1×1 convs with C_out = C/4: NCHW 1×1 forward + backward took 12-100 ms against 4 ms as a GEMM; the step
  went from 1,394 to 1,282 ms wall time.
- :class:`Relayout` / :func:`relayout`: a layout change whose gradient comes back in the input's layout. A
  plain ``.contiguous()`` left mixed-layout gradient additions costing 2-10 ms each; the step went from
  860 to 803 ms CPU time.
- :class:`SharedInputConv1x1`: the four 1×1 convs entering the MS-TCN branches in one pass over the input,
  each output its own contiguous tensor, the input gradient accumulated inside the GEMMs. A batch norm on a
  channel slice of one fused output cost 8 ms instead of 0.7 ms; the step went from 803 to 790 ms.
- :func:`batch_norm`: the branches' final batch norms as one call over their concatenation, with the running
  statistics written back to each module so the parameter names stay the authors'.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

CHANNELS_LAST = torch.channels_last


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
