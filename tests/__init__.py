"""Tests of hypergcn-pipeline (a package, so tests and benchmarks import its references normally)."""
