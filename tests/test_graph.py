"""The fixed ``virtual_ensemble`` graph (docs/method.md#skeleton-graph): shape, symmetry, degrees, the
virtual-joint links, and bit-identity with the authors' literal construction from their own bone tables."""

from __future__ import annotations

import numpy as np
import pytest

from hypergcn.layouts import NTU, UCLA
from hypergcn.models import ModelConfig, model_config
from hypergcn.models.graph import hypergcn_graph, skeleton_adjacency
from tests.reference import authors_model as ref


def _config(layout, virtual_joints=3, heads=8):
    return ModelConfig(
        size="base", num_class=10, num_point=layout.num_joints, num_person=layout.persons, edges=layout.edges,
        virtual_joints=virtual_joints, heads=heads,
    )  # fmt: skip


def _degrees(edges, num_joints):
    degree = np.zeros(num_joints, dtype=int)
    for child, parent in edges:
        degree[child] += 1
        degree[parent] += 1
    return degree


@pytest.mark.parametrize(("layout", "joints", "nonzeros"), [(NTU, 25, 226), (UCLA, 20, 181)])
def test_graph_structure(layout, joints, nonzeros):
    graph = hypergcn_graph(_config(layout))
    size = joints + 3
    assert graph.shape == (8, size, size)
    assert graph.dtype == np.float32
    assert all(np.array_equal(graph[0], graph[k]) for k in range(8))
    a = graph[0]
    assert set(np.unique(a)) == {0.0, 1.0}
    assert np.array_equal(a, a.T)
    assert int(a.sum()) == nonzeros
    row_nonzeros = (a != 0).sum(axis=1)
    assert np.array_equal(row_nonzeros[:joints], 1 + _degrees(layout.edges, joints) + 3)
    assert np.all(row_nonzeros[joints:] == joints + 1)
    assert np.array_equal(a[joints:, joints:], np.eye(3))  # virtual joints: self-loops only among themselves
    assert np.all(a[:joints, joints:] == 1) and np.all(a[joints:, :joints] == 1)


def test_ntu_examples_and_bone_count():
    assert len(NTU.edges) == 24 and len(UCLA.edges) == 19
    a = skeleton_adjacency(_config(NTU))
    assert (a[0] != 0).sum() == 7  # joint 1: itself, joints 2, 13, 17, and the three virtual joints
    assert a[21, 7] == 1 and a[7, 21] == 1  # 22 -> 8 (not 22 -> 23 as in CTR-GCN)


def test_without_virtual_joints_is_the_skeleton():
    a = skeleton_adjacency(_config(NTU, 0))
    assert a.shape == (25, 25)
    assert int(a.sum()) == 25 + 2 * 24
    assert hypergcn_graph(_config(UCLA, 0)).shape == (8, 20, 20)


def test_one_slice_per_head():
    graph = hypergcn_graph(_config(NTU, heads=4))
    assert graph.shape == (4, 28, 28)
    assert np.array_equal(graph[3], hypergcn_graph(_config(NTU))[0])


@pytest.mark.parametrize(
    ("dataset", "inward", "joints"), [("ntu120", ref.NTU_INWARD, 25), ("ucla", ref.UCLA_INWARD, 20)]
)
@pytest.mark.parametrize("virtual", [0, 3])
def test_matches_the_literal_construction(dataset, inward, joints, virtual):
    """Padding self-loop/inward/outward matrices and linking virtual rows/columns, as the authors do, from the
    authors' own 1-based bone tables: the layouts' parents give the identical graph."""
    expected = ref.virtual_ensemble_graph(joints, inward, virtual)
    got = hypergcn_graph(model_config("base", dataset, virtual_joints=virtual))
    assert got.dtype == expected.dtype and np.array_equal(got, expected)


def test_layout_bones_are_the_authors():
    assert sorted((c + 1, p + 1) for c, p in NTU.edges) == sorted(ref.NTU_INWARD)
    assert sorted((c + 1, p + 1) for c, p in UCLA.edges) == sorted(ref.UCLA_INWARD)
