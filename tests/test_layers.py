"""The house: subpackages by layer, imports one way, no circles, small modules.

The walk reads every import statement of the package (top level and inside
functions, but not the annotations-only ``if TYPE_CHECKING:`` blocks) and
checks the layer order of the README's "How it works".
"""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "symgrad"
# lowest first: a module may import its own layer and the layers before it
LAYERS = ["base", "model", "specs", "maths", "proofs", "dynamics", ("tensor", "interop"), "present", "report",
          ("testing", "pytest_plugin", "cli", "commands", "__main__")]
RANK = {name: rank for rank, layer in enumerate(LAYERS) for name in ((layer,) if isinstance(layer, str) else layer)}
OPTIONAL = ("torch", "matplotlib")   # optional dependencies: imported where they are used
DEFERRING = {"cli", "commands", "pytest_plugin"}  # --help and an unrelated test suite stay fast
MAX_LINES = 400


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = modules()


def _runtime_nodes(tree):
    """Every node, except inside ``if TYPE_CHECKING:`` (annotations only)."""
    stack = [(tree, False)]
    while stack:
        node, in_function = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and ast.unparse(child.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
                continue
            yield child, in_function
            stack.append((child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))))


def imports(name: str) -> list[tuple[str, bool, int]]:
    """(imported module, inside a function, line) for each import of module ``name``."""
    path = MODULES[name]
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = []
    for node, in_function in _runtime_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(a.name, in_function, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else []))
            for a in node.names:
                full = f"{base}.{a.name}"
                found.append((full if full in MODULES else base, in_function, node.lineno))
    return found


def layer(name: str) -> str:
    """The layer of a module: its subpackage, or the top-level module itself."""
    return name.split(".")[1] if "." in name else "(root)"


def inner_imports():
    return {name: sorted({t for t, _, _ in imports(name) if t.startswith("symgrad.") and t != name})
            for name in MODULES}


def test_every_module_has_a_layer():
    assert {layer(m) for m in MODULES} - {"(root)"} <= set(RANK), "a subpackage missing from LAYERS"


def test_no_module_imports_a_higher_layer():
    wrong = []
    for name, targets in inner_imports().items():
        for target in targets:
            if target == "symgrad":
                continue   # the lazy public face: importing it loads nothing (see symgrad.base.printable)
            mine, theirs = RANK.get(layer(name)), RANK[layer(target)]
            if mine is not None and theirs > mine or {layer(name), layer(target)} == {"tensor", "interop"}:
                wrong.append(f"{name} imports {target}")
    assert not wrong, "\n".join(wrong)


def test_the_root_package_imports_nothing_eagerly():
    assert inner_imports()["symgrad"] == []


def test_no_import_circle():
    graph = {name: [t for t in targets if t in MODULES and t != "symgrad"] for name, targets in inner_imports().items()}
    state: dict[str, int] = {}

    def visit(name, path):
        state[name] = 1
        for target in graph[name]:
            if state.get(target) == 1:
                pytest.fail("import circle: " + " -> ".join(path[path.index(target):] + [target]))
            if target not in state:
                visit(target, path + [target])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


def test_imports_inside_functions_only_for_optional_dependencies():
    wrong = [f"{name}:{line} imports {target}" for name in MODULES for target, inside, line in imports(name)
             if inside and target.split(".")[0] not in OPTIONAL and name.split(".")[-1] not in DEFERRING]
    assert not wrong, "\n".join(wrong)


def test_only_tensor_and_interop_import_torch():
    wrong = [name for name in MODULES for target, _, _ in imports(name)
             if target.split(".")[0] == "torch" and layer(name) not in ("tensor", "interop", "commands")]
    assert not wrong


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_is_small(name):
    lines = len(MODULES[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines"


@pytest.mark.parametrize("package", sorted(n for n, p in MODULES.items() if p.name == "__init__.py" and n != "symgrad"))
def test_each_subpackage_says_what_lives_there(package):
    doc = ast.get_docstring(ast.parse(MODULES[package].read_text()), clean=False)
    assert doc, f"{package} has no docstring"
    summary = doc.split("\n\n")[0]
    assert len(summary.splitlines()) <= 2 and len(summary) > 40, summary


def test_no_public_function_shares_a_name_with_its_module():
    import symgrad

    clashes = []
    for public, where in symgrad._PUBLIC.items():
        parts = where.split(".")
        if public in parts or public in {layer(m) for m in MODULES} or f"symgrad.{public}" in MODULES:
            clashes.append(f"sg.{public} lives in symgrad.{where}")
    assert not clashes, clashes
