"""A literal, unoptimised Hyper-GCN written step by step from docs/method.md#architecture and
docs/method.md#parity-details: the parity oracle and the "authors' implementation" speed baseline.

The authors' code is not available here, so this file re-creates their *computational structure* as the spec
describes it, deliberately without the shortcuts of ``hypergcn.models``:

- virtual joints are appended to every sample and frame (N', C, T, V + P) before anything else;
- the graph ``PA`` is a frozen ``nn.Parameter`` (so ``parameters()`` counts it, as in the authors' model);
- the hypergraph uses ``torch.cdist`` on (N', 8, V', h), ``topk(9, largest=False)``, ``softmax(-d)``, a scatter
  into H, and ``hyper_norm`` with explicit diagonal matrices (W twice);
- ``conv_d`` runs on all V' joints, the head-wise aggregation is one einsum over all V' rows, and the virtual
  rows are sliced off afterwards;
- the multi-scale temporal conv runs its four branches separately, each with its own 1×1 conv, and the
  temporal and residual convs use ``padding_mode='replicate'``;
- ``forward`` returns ``(logits, [hyper_joint of l1..l9])`` and the divergence loss is computed from that list.

Module and parameter names follow docs/method.md#released-weights, so ``state_dict()`` has the key names of
the released weights. Only the device handling differs from the authors' (they call ``PA.cuda(...)``, which
fails on CPU, docs/method.md#q2-device-handling). The skeleton graph keeps its own literal copy of the
authors' bone tables (1-based, as in their graph files), independent of ``hypergcn.layouts``.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# -------------------------------------------------------------------- graph (docs/method.md#skeleton-graph)
NTU_INWARD = [
    (1, 2), (2, 21), (3, 21), (4, 3), (5, 21), (6, 5), (7, 6), (8, 7), (9, 21), (10, 9), (11, 10), (12, 11),
    (13, 1), (14, 13), (15, 14), (16, 15), (17, 1), (18, 17), (19, 18), (20, 19), (22, 8), (23, 8), (24, 12),
    (25, 12),
]  # fmt: skip
UCLA_INWARD = [
    (1, 2), (2, 3), (4, 3), (5, 3), (6, 5), (7, 6), (8, 7), (9, 3), (10, 9), (11, 10), (12, 11), (13, 1),
    (14, 13), (15, 14), (16, 15), (17, 1), (18, 17), (19, 18), (20, 19),
]  # fmt: skip
INWARD = {"ntu": NTU_INWARD, "nw-ucla": UCLA_INWARD}  # by hypergcn.layouts name


def edge2mat(edges, num_node):
    A = np.zeros((num_node, num_node), dtype=np.float32)
    for i, j in edges:
        A[j, i] = 1
    return A


def virtual_ensemble_graph(num_node, inward_1based, num_virtual, heads=8):
    """Self-loop + inward + outward, padded to V' and linked to the virtual joints; repeated per head."""
    inward = [(i - 1, j - 1) for i, j in inward_1based]
    outward = [(j, i) for i, j in inward]
    size = num_node + num_virtual
    self_link = np.zeros((size, size), dtype=np.float32)
    self_link[:num_node, :num_node] = edge2mat([(i, i) for i in range(num_node)], num_node)
    inward_m = np.zeros((size, size), dtype=np.float32)
    inward_m[:num_node, :num_node] = edge2mat(inward, num_node)
    outward_m = np.zeros((size, size), dtype=np.float32)
    outward_m[:num_node, :num_node] = edge2mat(outward, num_node)
    for p in range(num_node, size):
        self_link[p, p] = 1
        inward_m[:num_node, p] = 1
        outward_m[p, :num_node] = 1
    A = self_link + inward_m + outward_m
    return np.stack([A] * heads)


# -------------------------------------------------------------------- inits (docs/method.md#initialisation)
def conv_init(conv):
    nn.init.kaiming_normal_(conv.weight, mode="fan_out")
    nn.init.constant_(conv.bias, 0)


def bn_init(bn, scale):
    nn.init.constant_(bn.weight, scale)
    nn.init.constant_(bn.bias, 0)


def weights_init(m):
    name = m.__class__.__name__
    if name.find("Conv") != -1 and hasattr(m, "weight"):
        nn.init.kaiming_normal_(m.weight, mode="fan_out")
        nn.init.constant_(m.bias, 0)
    elif name.find("BatchNorm") != -1:
        m.weight.data.normal_(1.0, 0.02)
        m.bias.data.fill_(0)


# -------------------------------------------------- temporal (docs/method.md#multi-scale-temporal-convolution)
class TemporalConv(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, dilation=1):
        super().__init__()
        pad = (kernel_size + (kernel_size - 1) * (dilation - 1) - 1) // 2
        self.conv = nn.Conv2d(
            in_channels, out_channels, (kernel_size, 1), padding=(pad, 0), stride=(stride, 1),
            dilation=(dilation, 1), padding_mode="replicate",
        )  # fmt: skip
        self.bn = nn.BatchNorm2d(out_channels)

    def forward(self, x):
        return self.bn(self.conv(x))


class MultiScale_TemporalConv(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size=5, stride=1, dilations=(1, 2)):
        super().__init__()
        num_branches = len(dilations) + 2
        bc = out_channels // num_branches
        branches = [
            nn.Sequential(
                nn.Conv2d(in_channels, bc, 1),
                nn.BatchNorm2d(bc),
                nn.ReLU(inplace=True),
                TemporalConv(bc, bc, kernel_size, stride=stride, dilation=d),
            )
            for d in dilations
        ]
        branches.append(
            nn.Sequential(
                nn.Conv2d(in_channels, bc, 1),
                nn.BatchNorm2d(bc),
                nn.ReLU(inplace=True),
                nn.MaxPool2d((3, 1), stride=(stride, 1), padding=(1, 0)),
                nn.BatchNorm2d(bc),
            )
        )
        branches.append(nn.Sequential(nn.Conv2d(in_channels, bc, 1, stride=(stride, 1)), nn.BatchNorm2d(bc)))
        self.branches = nn.ModuleList(branches)
        self.apply(weights_init)

    def forward(self, x):
        outs = [branch(x) for branch in self.branches]
        return torch.cat(outs, dim=1)


class unit_tcn(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size=1, stride=1):
        super().__init__()
        pad = (kernel_size - 1) // 2
        self.conv = nn.Conv2d(
            in_channels, out_channels, (kernel_size, 1), padding=(pad, 0), stride=(stride, 1),
            padding_mode="replicate",
        )  # fmt: skip
        self.bn = nn.BatchNorm2d(out_channels)
        conv_init(self.conv)
        bn_init(self.bn, 1)

    def forward(self, x):
        return self.bn(self.conv(x))


# ------------------------------------------------------- hypergraph (docs/method.md#hypergraph-convolution)
def build_hypergraph(v, k=9):
    """H (N', 8, V', V') from the per-head joint embeddings v (N', 8, V', h); module-level so tests can hook it."""
    dist = torch.cdist(v, v)
    values, index = dist.topk(k, dim=-1, largest=False)
    weights = torch.softmax(-values, dim=-1)
    return torch.zeros_like(dist).scatter(-1, index, weights)


def hyper_norm(H, W):
    """G = Dv^-1 H diag(W) diag(W) De^-1 H^T with explicit diagonal matrices for W (three matmuls, which is
    what FlopCounterMode counts for the authors' code, docs/method.md#size-and-cost)."""
    De = H.sum(dim=-2) + 1e-8
    Dv = (H * W.unsqueeze(-2)).abs().sum(dim=-1) + 1e-8
    Wd = torch.diag_embed(W)
    return (H / Dv.unsqueeze(-1)) @ Wd @ (Wd / De.unsqueeze(-2)) @ H.transpose(-1, -2)


class HYPERGC(nn.Module):
    def __init__(self, in_channels, out_channels, A, num_point=25, hyper_joints=3, identical_init=True):
        super().__init__()
        self.num_subset = 8
        self.num_point = num_point
        self.hyper_joints = hyper_joints
        hidden = in_channels // 8 // 4
        if identical_init:
            self.hyper_joint = nn.Parameter(torch.randn(1, in_channels).repeat(hyper_joints, 1))
        else:
            self.hyper_joint = nn.Parameter(torch.randn(hyper_joints, in_channels))
        self.alpha = nn.Parameter(torch.ones(1))
        self.PA = nn.Parameter(torch.from_numpy(A.astype(np.float32)), requires_grad=False)
        self.edge_importance = nn.Parameter(torch.ones_like(self.PA))
        self.to_V = nn.Conv1d(in_channels, hidden * 8, 1, groups=8)
        self.to_W = nn.Sequential(
            nn.Conv1d(in_channels, hidden * 8, 1, groups=8),
            nn.LeakyReLU(0.01),
            nn.Conv1d(hidden * 8, 8, 1),
            nn.Tanh(),
        )
        self.conv_d = nn.Conv2d(in_channels, out_channels, 1, groups=8)
        if in_channels != out_channels:
            self.down = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1), nn.BatchNorm2d(out_channels))
        else:
            self.down = lambda x: x
        self.bn = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        for m in self.modules():
            if isinstance(m, nn.Conv2d | nn.Conv1d):
                conv_init(m)
            elif isinstance(m, nn.BatchNorm2d):
                bn_init(m, 1)
        bn_init(self.bn, 1e-6)

    def forward(self, x):
        N, C, T, V = x.shape
        # 1. append the virtual joints to every sample and frame
        hj = self.hyper_joint.transpose(0, 1).unsqueeze(0).unsqueeze(2).expand(N, C, T, self.hyper_joints)
        x = torch.cat([x, hj], dim=-1)
        Vp = V + self.hyper_joints
        # 2. physical graph
        A = self.edge_importance * self.PA
        A = A / (A.abs().sum(dim=-1, keepdim=True) + 1e-8)
        # 3. adaptive hypergraph from the temporal mean
        t = x.mean(2)
        v = self.to_V(t).view(N, self.num_subset, -1, Vp).transpose(-1, -2)
        H = build_hypergraph(v)
        # 4-5. hyperedge weights and normalisation
        W = self.to_W(t)
        G = hyper_norm(H, W)
        # 6. combine
        A = A.unsqueeze(0) + F.relu(self.alpha) * G
        # 7. aggregate over all V' joints, head by head
        d = self.conv_d(x).view(N, self.num_subset, -1, T, Vp)
        y = torch.einsum("nkuv,nkctv->nkctu", A, d).reshape(N, -1, T, Vp)
        # 8. drop the virtual joints
        y = y[..., : self.num_point]
        x = x[..., : self.num_point]
        # 9. output
        y = self.relu(self.bn(y) + self.down(x))
        return y, self.hyper_joint


class TCN_GCN_unit(nn.Module):
    def __init__(
        self, in_channels, out_channels, A, stride=1, num_point=25, hyper_joints=3, identical_init=True
    ):
        super().__init__()
        self.gcn1 = HYPERGC(in_channels, out_channels, A, num_point, hyper_joints, identical_init)
        self.tcn1 = MultiScale_TemporalConv(out_channels, out_channels, kernel_size=5, stride=stride)
        self.relu = nn.ReLU(inplace=True)
        if in_channels == out_channels and stride == 1:
            self.residual = lambda x: x
        else:
            self.residual = unit_tcn(in_channels, out_channels, kernel_size=1, stride=stride)

    def forward(self, x):
        y, hyper_joint = self.gcn1(x)
        return self.relu(self.tcn1(y) + self.residual(x)), hyper_joint


class Model(nn.Module):
    def __init__(
        self, num_class=120, num_point=25, num_person=2, layout="ntu", size="base", hyper_joints=3,
        identical_init=True, in_channels=3,
    ):  # fmt: skip
        super().__init__()
        inward = INWARD[layout]
        A = virtual_ensemble_graph(num_point, inward, hyper_joints)
        self.num_class = num_class
        self.num_point = num_point
        self.data_bn = nn.BatchNorm1d(num_person * 128 * num_point)
        base = 128
        wide = 256 if size == "base" else 512
        widths = [
            (base, base, 1), (base, base, 1), (base, base, 1),
            (base, base * 2, 2), (base * 2, base * 2, 1), (base * 2, base * 2, 1),
            (base * 2, wide, 2), (wide, wide, 1), (wide, wide, 1),
        ]  # fmt: skip
        for i, (cin, cout, stride) in enumerate(widths, start=1):
            unit = TCN_GCN_unit(cin, cout, A, stride, num_point, hyper_joints, identical_init)
            setattr(self, f"l{i}", unit)
        self.to_joint_embedding = nn.Linear(in_channels, base)
        self.pos_embedding = nn.Parameter(torch.randn(1, num_point, base))
        self.fc = nn.Linear(wide, num_class)
        nn.init.normal_(self.fc.weight, 0, math.sqrt(2.0 / num_class))
        bn_init(self.data_bn, 1)
        self.drop_out = lambda x: x

    def forward(self, x):
        N, C, T, V, M = x.shape
        x = x.permute(0, 4, 2, 3, 1).contiguous()  # N M T V C
        x = self.to_joint_embedding(x)
        x = x + self.pos_embedding[:, : self.num_point]
        x = torch.tanh(x)
        x = x.permute(0, 1, 3, 4, 2).contiguous().view(N, M * V * 128, T)
        x = self.data_bn(x)
        x = x.view(N, M, V, 128, T).permute(0, 1, 3, 4, 2).contiguous().view(N * M, 128, T, V)
        hyper_joints = []
        a1, p = self.l1(x)
        hyper_joints.append(p)
        a2, p = self.l2(a1)
        hyper_joints.append(p)
        a3, p = self.l3(a2 + a1)
        hyper_joints.append(p)
        a4, p = self.l4(a3)
        hyper_joints.append(p)
        a5, p = self.l5(a4)
        hyper_joints.append(p)
        a6, p = self.l6(a5 + a4)
        hyper_joints.append(p)
        a7, p = self.l7(a6)
        hyper_joints.append(p)
        a8, p = self.l8(a7)
        hyper_joints.append(p)
        x, p = self.l9(a8 + a7)
        hyper_joints.append(p)
        c_new = x.size(1)
        x = x.view(N, M, c_new, -1).mean(3).mean(1)
        x = self.drop_out(x)
        return self.fc(x), hyper_joints


def divergence_loss(hyper_joints):
    """docs/method.md#divergence-loss, literally: mean over layers of (sum ReLU(cos) - P) / (P (P - 1)).

    NaN for P = 0, as shipped."""
    losses = []
    for p in hyper_joints:
        P = p.shape[0]
        norm = p.norm(dim=1, keepdim=True)
        S = p @ p.t() / (norm @ norm.t() + 1e-8)
        losses.append((F.relu(S).sum() - P) / (P * (P - 1)))
    return sum(losses) / len(losses)


def build_reference(size="base", dataset="ntu120", virtual_joints=3, identical_init=True, num_class=None):
    """The reference model for a dataset of ``hypergcn.datasets`` (its layout picks the bone table)."""
    from hypergcn.datasets import DATASETS

    info = DATASETS[dataset]
    return Model(
        num_class=num_class if num_class is not None else info.num_class, num_point=info.num_point,
        num_person=info.num_person, layout=info.layout.name, size=size, hyper_joints=virtual_joints,
        identical_init=identical_init,
    )  # fmt: skip
