"""The fixed skeleton graph of Hyper-GCN, labeling mode ``virtual_ensemble`` (docs/method.md#skeleton-graph).

The authors build one binary adjacency over the real joints plus ``P`` virtual "hyper joints": the skeleton's
self-loops and bones in both directions, and every virtual joint linked to every real joint (both ways) with a
self-loop of its own. Virtual joints are not linked to each other. The matrix is repeated once per attention
head, giving the ``PA`` tensor of shape (heads, V + P, V + P) that every HYPERGC layer multiplies with its
learned ``edge_importance`` and row-normalises in the forward pass.

The bones are the config's ``edges``, which come from the dataset's layout (:mod:`hypergcn.layouts`); the
authors' literal tables are kept only in the parity oracle, ``tests/reference/authors_model.py``.
"""

from __future__ import annotations

import numpy as np

from hypergcn.models.config import ModelConfig


def skeleton_adjacency(config: ModelConfig) -> np.ndarray:
    """Binary symmetric (V + P, V + P) adjacency: skeleton + self-loops + virtual joints linked to all real
    ones.

    Real rows have 1 + degree + P nonzeros, virtual rows V + 1. ``P = 0`` gives the plain skeleton graph
    used by the four configs the authors shipped without ``hyper_joints``
    (docs/method.md#q3-runs-without-virtual-joints).
    """
    num_real = config.num_point
    adjacency = np.eye(num_real + config.virtual_joints, dtype=np.float32)
    for child, parent in config.edges:
        # the authors' helper sets A[j, i] for an edge (i, j); both directions summed make it symmetric
        adjacency[parent, child] = 1.0
        adjacency[child, parent] = 1.0
    adjacency[:num_real, num_real:] = 1.0
    adjacency[num_real:, :num_real] = 1.0
    return adjacency


def hypergcn_graph(config: ModelConfig) -> np.ndarray:
    """The ``PA`` tensor (heads, V + P, V + P): :func:`skeleton_adjacency` repeated once per head."""
    return np.repeat(skeleton_adjacency(config)[None], config.heads, axis=0)
