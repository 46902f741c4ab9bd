"""Hyper-GCN (ICCV 2025) for skeleton-based action recognition, packaged for a reproducible pipeline."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hypergcn-pipeline")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"
