"""The ``hypergcn`` command: every pipeline stage, callable by hand as well as from the workflow.

Each subcommand lives in the module that does the work; that module defines ``add_arguments(parser)``
and ``run(args) -> int``. Modules are imported only when their subcommand runs, so ``hypergcn parse``
never imports torch.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from hypergcn import __version__
from hypergcn.log import configure_logging

# subcommand -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("hypergcn.data.demo", "write synthetic NTU-format .skeleton files"),
    "demo-clips": ("hypergcn.data.coco_demo", "write synthetic COCO-17 keypoint clips (.npz + manifest.csv)"),
    "parse": ("hypergcn.data.parse", "parse one shard of raw skeleton files into HDF5"),
    "denoise": ("hypergcn.data.denoise", "denoise one parsed NTU shard (SGN/CTR-GCN semantics)"),
    "build": ("hypergcn.data.build", "build a benchmark HDF5 (centring, padding, splits)"),
    "stats": ("hypergcn.data.statistics", "dataset statistics JSON from the shards"),
    "train": ("hypergcn.training.trainer", "train one modality stream (CPU, GPU or torchrun DDP)"),
    "evaluate": (
        "hypergcn.evaluation.evaluate",
        "test-set scores and metrics of a trained or released model",
    ),
    "ensemble": ("hypergcn.evaluation.ensemble", "fuse 2-4 stream score files"),
    "predict": (
        "hypergcn.evaluation.predict",
        "class predictions for raw clips with a trained model or an ensemble",
    ),
    "summarize": ("hypergcn.evaluation.summary", "paper-style results table"),
    "figure": (
        "hypergcn.evaluation.figures",
        "a figure or table of the report (curves, confusion, statistics)",
    ),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hypergcn", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"hypergcn {__version__}")
    parser.add_argument("--log", help="append log records to this file instead of stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (_module, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, description=help_text, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    known, _ = parser.parse_known_args(argv)
    module = importlib.import_module(COMMANDS[known.command][0])
    # Re-parse with the subcommand's own arguments attached.
    sub_parser = argparse.ArgumentParser(
        prog=f"hypergcn {known.command}", description=COMMANDS[known.command][1]
    )
    sub_parser.add_argument("--log", default=known.log, help="append log records to this file")
    module.add_arguments(sub_parser)
    rest = argv[argv.index(known.command) + 1 :]
    args = sub_parser.parse_args(rest)
    configure_logging(args.log)
    return int(module.run(args) or 0)
