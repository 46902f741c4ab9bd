"""The fixed ``virtual_ensemble`` graph (method §1.5): shape, symmetry, degrees and the virtual-joint links."""

from __future__ import annotations

import numpy as np
import pytest
import reference_hypergcn as ref

from hypergcn.models.graph import NTU_INWARD, UCLA_INWARD, hypergcn_graph, skeleton_adjacency


def _degrees(inward, num_joints):
    degree = np.zeros(num_joints, dtype=int)
    for child, parent in inward:
        degree[child - 1] += 1
        degree[parent - 1] += 1
    return degree


@pytest.mark.parametrize(
    ("layout", "inward", "joints", "nonzeros"),
    [("ntu", NTU_INWARD, 25, 226), ("ucla", UCLA_INWARD, 20, 181)],
)
def test_graph_structure(layout, inward, joints, nonzeros):
    graph = hypergcn_graph(layout, 3)
    size = joints + 3
    assert graph.shape == (8, size, size)
    assert graph.dtype == np.float32
    assert all(np.array_equal(graph[0], graph[k]) for k in range(8))
    a = graph[0]
    assert set(np.unique(a)) == {0.0, 1.0}
    assert np.array_equal(a, a.T)
    assert int(a.sum()) == nonzeros
    row_nonzeros = (a != 0).sum(axis=1)
    assert np.array_equal(row_nonzeros[:joints], 1 + _degrees(inward, joints) + 3)
    assert np.all(row_nonzeros[joints:] == joints + 1)
    assert np.array_equal(a[joints:, joints:], np.eye(3))  # virtual joints: self-loops only among themselves
    assert np.all(a[:joints, joints:] == 1) and np.all(a[joints:, :joints] == 1)


def test_ntu_examples_and_bone_count():
    assert len(NTU_INWARD) == 24 and len(UCLA_INWARD) == 19
    a = skeleton_adjacency("ntu", 3)
    assert (a[0] != 0).sum() == 7  # joint 1: itself, joints 2, 13, 17, and the three virtual joints
    assert a[21, 7] == 1 and a[7, 21] == 1  # 22 -> 8 (not 22 -> 23 as in CTR-GCN)


def test_without_virtual_joints_is_the_skeleton():
    a = skeleton_adjacency("ntu", 0)
    assert a.shape == (25, 25)
    assert int(a.sum()) == 25 + 2 * 24
    assert hypergcn_graph("ucla", 0).shape == (8, 20, 20)


@pytest.mark.parametrize(
    ("layout", "inward", "joints"), [("ntu", ref.NTU_INWARD, 25), ("ucla", ref.UCLA_INWARD, 20)]
)
@pytest.mark.parametrize("virtual", [0, 3])
def test_matches_the_literal_construction(layout, inward, joints, virtual):
    """Padding self-loop/inward/outward matrices and linking virtual rows/columns, as the authors do."""
    expected = ref.virtual_ensemble_graph(joints, inward, virtual)
    assert np.array_equal(hypergcn_graph(layout, virtual), expected)


def test_rejects_bad_arguments():
    with pytest.raises(ValueError, match="layout"):
        skeleton_adjacency("kinetics")
    with pytest.raises(ValueError, match="virtual_joints"):
        skeleton_adjacency("ntu", -1)
