"""The fixed skeleton graph of Hyper-GCN, labeling mode ``virtual_ensemble`` (method §1.5).

The authors build one binary adjacency over the real joints plus ``P`` virtual "hyper joints": the skeleton's
self-loops and bones in both directions, and every virtual joint linked to every real joint (both ways) with a
self-loop of its own. Virtual joints are not linked to each other. The matrix is repeated once per attention
head, giving the ``PA`` tensor of shape (8, V + P, V + P) that every HYPERGC layer multiplies with its learned
``edge_importance`` and row-normalises in the forward pass.
"""

from __future__ import annotations

import numpy as np

# Bones as 1-based (child, parent) pairs, the "inward" direction of the authors' graph files.
NTU_INWARD: tuple[tuple[int, int], ...] = (
    (1, 2), (2, 21), (3, 21), (4, 3), (5, 21), (6, 5), (7, 6), (8, 7),
    (9, 21), (10, 9), (11, 10), (12, 11),
    (13, 1), (14, 13), (15, 14), (16, 15), (17, 1), (18, 17), (19, 18), (20, 19),
    (22, 8), (23, 8), (24, 12), (25, 12),
)  # fmt: skip
UCLA_INWARD: tuple[tuple[int, int], ...] = (
    (1, 2), (2, 3), (4, 3), (5, 3), (6, 5), (7, 6), (8, 7),
    (9, 3), (10, 9), (11, 10), (12, 11),
    (13, 1), (14, 13), (15, 14), (16, 15), (17, 1), (18, 17), (19, 18), (20, 19),
)  # fmt: skip

LAYOUTS: dict[str, tuple[int, tuple[tuple[int, int], ...]]] = {
    "ntu": (25, NTU_INWARD),
    "ucla": (20, UCLA_INWARD),
}
NUM_HEADS = 8


def skeleton_adjacency(layout: str, virtual_joints: int = 3) -> np.ndarray:
    """Binary symmetric (V + P, V + P) adjacency: skeleton + self-loops + virtual joints linked to all real ones.

    Real rows have 1 + degree + P nonzeros, virtual rows V + 1. ``P = 0`` gives the plain skeleton graph
    used by the four configs the authors shipped without ``hyper_joints`` (method §7.3).
    """
    if layout not in LAYOUTS:
        raise ValueError(f"unknown skeleton layout {layout!r}; expected one of {sorted(LAYOUTS)}")
    if virtual_joints < 0:
        raise ValueError(f"virtual_joints must be >= 0, got {virtual_joints}")
    num_real, inward = LAYOUTS[layout]
    size = num_real + virtual_joints
    adjacency = np.eye(size, dtype=np.float32)
    for child, parent in inward:
        # the authors' helper sets A[j, i] for an edge (i, j); with both directions summed the result is symmetric
        adjacency[parent - 1, child - 1] = 1.0
        adjacency[child - 1, parent - 1] = 1.0
    adjacency[:num_real, num_real:] = 1.0
    adjacency[num_real:, :num_real] = 1.0
    return adjacency


def hypergcn_graph(layout: str, virtual_joints: int = 3, heads: int = NUM_HEADS) -> np.ndarray:
    """The ``PA`` tensor (heads, V + P, V + P): :func:`skeleton_adjacency` repeated once per head."""
    return np.repeat(skeleton_adjacency(layout, virtual_joints)[None], heads, axis=0)
