"""The structure later work must not regress: a DAG of imports, short functions, no branch on a dataset's
name, no reference to documents the repository does not hold, overlays that select instead of restating,
workflow vocabularies equal to the package's, and environment files that agree with pyproject."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "hypergcn"
MAX_FUNCTION_LINES = 80


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_modules(path: Path, modules: set[str]) -> set[str]:
    """Every hypergcn module ``path`` imports, at any level (function-level and TYPE_CHECKING included)."""
    current = _module_name(path)
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = current.split(".")
            if node.level:
                base = base[: len(base) - node.level + (path.name == "__init__.py")]
            prefix = (
                ".".join([*base, node.module] if node.level and node.module else base)
                if node.level
                else node.module
            )
            names = [f"{prefix}.{alias.name}" for alias in node.names]
            # `from package import module` imports the module; `from module import name`, the module.
            targets = [n for n in names if n in modules] + (
                [prefix] if any(n not in modules for n in names) else []
            )
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target not in (current, "hypergcn"):
                found.add(target)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return components


def test_no_import_cycle_in_the_package():
    files = sorted(PACKAGE.rglob("*.py"))
    modules = {_module_name(f) for f in files}
    graph = {_module_name(f): _imported_modules(f, modules) for f in files}
    assert _cycles(graph) == []


def test_the_cycle_finder_sees_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


def test_no_function_longer_than_a_screen():
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name} ({lines} lines)")
    assert long == []


DATASET_NAMES = "ucla|ntu60|ntu120|demo"
NAME_BRANCH = re.compile(
    rf"""(==|!=|\bin\b)\s*[\(\[\{{]?\s*["']({DATASET_NAMES})["']|["']({DATASET_NAMES})["']\s*(==|!=)|\bis_ucla\b"""
)


def _code_files() -> list[Path]:
    return [*PACKAGE.rglob("*.py"), *(REPO / "workflow").rglob("*.smk"), *(REPO / "workflow").rglob("*.py")]


def test_no_branch_on_a_dataset_name():
    branches = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in _code_files()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if NAME_BRANCH.search(line) and not line.lstrip().startswith("#")
    ]
    assert branches == []


@pytest.mark.parametrize(
    "line", ['if dataset == "ntu120":', "x = 1 if name in ('ntu60', 'ntu120') else 2", "self.is_ucla = True"]
)
def test_the_branch_pattern_catches(line):
    assert NAME_BRANCH.search(line)


# Section signs with numbers, the reference documents' names, their folder, and the old issue number; written
# in pieces so this file does not match itself.
_SECTION = "\u00a7"
OUTSIDE_REFERENCE = re.compile(
    rf"{_SECTION}\s*\d|(method|pipeline-design|snakemake-conventions) {_SECTION}|contract\s+table"
    r"|\.\./shared|shared/(spec|bench)|\bissue\s+4\b"
)


def test_no_reference_to_documents_outside_the_repository():
    suffixes = {".py", ".smk", ".md", ".yaml", ".yml", ".rst", ".toml", ".sh", ""}
    skipped = {".git", ".snakemake", "results", "__pycache__", ".pytest_cache"}
    found = []
    for path in REPO.rglob("*"):
        if not path.is_file() or path.suffix not in suffixes or skipped & set(path.relative_to(REPO).parts):
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if OUTSIDE_REFERENCE.search(line):
                found.append(f"{path.relative_to(REPO)}:{number}")
    assert found == []


def test_docs_links_resolve():
    """Every `docs/<file>.md#anchor` cited anywhere names a heading that exists."""

    def slug(heading: str) -> str:
        text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
        return text.replace(" ", "-")

    anchors = {
        path.relative_to(REPO).as_posix(): {
            slug(line.lstrip("#")) for line in path.read_text().splitlines() if line.startswith("#")
        }
        for path in (REPO / "docs").glob("*.md")
    }
    broken = []
    for path in [
        *_code_files(),
        *(REPO / "docs").glob("*.md"),
        *(REPO / "config").glob("*"),
        REPO / "README.md",
    ]:
        for target, anchor in re.findall(r"(docs/[\w-]+\.md)#([\w-]+)", path.read_text()):
            if anchor not in anchors.get(target, set()):
                broken.append(f"{path.relative_to(REPO)}: {target}#{anchor}")
    assert broken == []


def test_overlays_select_and_do_not_restate_experiments():
    for overlay in sorted((REPO / "config").glob("*.yaml")):
        if overlay.name != "config.yaml":
            assert "experiments" not in (yaml.safe_load(overlay.read_text()) or {}), overlay.name


def test_schema_vocabularies_equal_the_package_tables():
    from hypergcn.config import DEFAULT_DEVIATIONS, PARITY_DEVIATIONS, RECIPE_DEFAULTS
    from hypergcn.datasets import BENCHMARKS, DATASETS, MODALITIES, SIZES, STREAM_SETS

    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    definitions, properties = schema["definitions"], schema["properties"]
    assert sorted(definitions["dataset_name"]["enum"]) == sorted(DATASETS)
    assert definitions["modality"]["enum"] == list(MODALITIES)
    experiment = definitions["experiment"]["properties"]
    assert sorted(experiment["benchmarks"]["items"]["enum"]) == sorted(BENCHMARKS)
    assert experiment["sizes"]["items"]["enum"] == list(SIZES)
    assert experiment["ensembles"]["items"]["enum"] == list(STREAM_SETS)
    assert set(definitions["recipe"]["properties"]) == set(RECIPE_DEFAULTS)
    for section in ("datasets", "experiments"):
        assert sorted(properties[section]["properties"]) == sorted(DATASETS), section
    switches = properties["deviations"]["properties"]
    assert set(switches) == set(DEFAULT_DEVIATIONS) == set(PARITY_DEVIATIONS)
    for name, switch in switches.items():
        assert "default" not in switch, name  # only what a user wrote is explicit
        assert {DEFAULT_DEVIATIONS[name], PARITY_DEVIATIONS[name]} <= set(switch["enum"]), name
    pattern = next(iter(properties["recipe_overrides"]["patternProperties"]))
    for dataset in DATASETS:
        assert re.match(pattern, f"{dataset}/{DATASETS[dataset].benchmarks[0]}/{SIZES[-1]}/{MODALITIES[-1]}")


def _requirement(spec: str) -> tuple[str, str]:
    name = re.match(r"[A-Za-z0-9_.\-]+", spec).group(0).lower().replace("_", "-")
    return name, spec[len(name) :].split(";")[0].strip()


CONDA_NAMES = {"pytorch": "torch", "snakemake-minimal": "snakemake"}


def test_environment_files_agree_with_pyproject():
    """Each env that runs package code lists every runtime dependency, pins inside pyproject's ranges,
    and pins nothing the package does not declare."""
    from packaging.specifiers import SpecifierSet

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    runtime = dict(_requirement(spec) for spec in project["dependencies"])
    declared = set(runtime) | {
        _requirement(spec)[0] for extra in project["optional-dependencies"].values() for spec in extra
    }
    for env_file in sorted((REPO / "envs").glob("*.yaml")):
        pins = {}
        for entry in yaml.safe_load(env_file.read_text())["dependencies"]:
            if isinstance(entry, str) and not entry.startswith(("python=", "pip=", "pytorch-cuda")):
                name, _, version = entry.partition("=")
                pins[CONDA_NAMES.get(name, name)] = version.rstrip(".*")
        assert set(pins) <= declared, f"{env_file.name} pins undeclared {sorted(set(pins) - declared)}"
        assert set(runtime) - {"snakemake", "snakemake-executor-plugin-slurm"} <= set(pins), env_file.name
        for name, version in pins.items():
            if name in runtime and runtime[name]:
                assert version in SpecifierSet(runtime[name]) or f"{version}.0" in SpecifierSet(
                    runtime[name]
                ), f"{env_file.name}: {name} {version} outside pyproject's {runtime[name]}"
