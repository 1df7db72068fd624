"""The package's shape: imports run one way (no cycles, counting imports inside functions), the
config loads no device library, the counter stays small, and no module takes another's private
names."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "device" / "madoguchi"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, ast.Module]:
    return {
        module_name(path): ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for path in sorted(PACKAGE.rglob("*.py"))
        if "models" not in path.relative_to(PACKAGE).parts[:1]
    }


def imports(tree: ast.Module, name: str, known: set[str]) -> set[tuple[str, tuple[str, ...]]]:
    """Every module ``tree`` imports, anywhere in it (functions included), with the names it takes."""
    package = (
        name
        if name in known and (PACKAGE.parent / name.replace(".", "/") / "__init__.py").exists()
        else (name.rpartition(".")[0])
    )
    found: set[tuple[str, tuple[str, ...]]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {(alias.name, ()) for alias in node.names if alias.name.startswith("madoguchi")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base]).strip(".")
            if not base.startswith("madoguchi"):
                continue
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add((submodule, ()) if submodule in known else (base, (alias.name,)))
    return found


def graph() -> dict[str, set[str]]:
    trees = modules()
    known = set(trees)
    return {
        name: {target for target, _ in imports(tree, name, known) if target in known}
        for name, tree in trees.items()
    }


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycles_among_the_package_modules():
    cycle = find_cycle(graph())
    assert cycle is None, " -> ".join(cycle or [])


def test_the_cycle_check_would_see_one():
    """The check itself: a cycle through an import hidden in a function is found."""
    edges = graph()
    edges["madoguchi.errors"] = edges["madoguchi.errors"] | {"madoguchi.counter.counter"}
    assert find_cycle(edges) is not None


def test_no_module_takes_another_modules_private_names():
    trees = modules()
    known = set(trees)
    taken = [
        f"{name} takes {target}.{item}"
        for name, tree in trees.items()
        for target, items in imports(tree, name, known)
        for item in items
        if item.startswith("_") and not item.startswith("__") and target != name
    ]
    assert taken == []


@pytest.mark.parametrize("library", ["cv2", "gpiozero", "escpos", "luma", "ai_edge_litert", "tflite_runtime"])
def test_reading_the_config_loads_no_device_library(library):
    """`python -X importtime -c "import madoguchi.config"`: none of the device or model libraries."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import madoguchi.config"],
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert not {module for module in loaded if module == library or module.startswith(f"{library}.")}
    assert "madoguchi.config" in loaded  # the measurement saw the import it is about


def test_the_counter_class_stays_small():
    tree = modules()["madoguchi.counter.counter"]
    (counter,) = (node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "Counter")
    assert counter.end_lineno - counter.lineno + 1 <= 200
