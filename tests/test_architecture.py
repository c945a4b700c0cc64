"""The package's layers import downward only (docs/architecture.md); no hidden imports."""

import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "src" / "backprop"
# Lowest first. A module may import its own layer and the layers below, never above.
LAYERS = [
    {"network", "activations", "costs", "blas", "initializers", "gradcheck", "checks", "errors", "tasks"},
    {"training", "data"},
    {"model", "model_file", "io", "plots", "metrics"},
    {"cli", "sklearn", "learn", "export"},
]
TOP = {"__init__", "__main__"}  # the package's front door re-exports from anywhere


def component(path):
    """The top-level name a module belongs to: network for network.py, training for training/loop.py."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def layer(name):
    return next(i for i, names in enumerate(LAYERS) if name in names)


def imported_components(path):
    """(line, component) for every import of backprop's own modules in the file at path."""
    tree = ast.parse(path.read_text())
    package = path.relative_to(PACKAGE).parent.parts
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package[: len(package) - node.level + 1])
                target = base + (node.module.split(".") if node.module else [])
                if not target:  # "from . import x" at the top: x is the component
                    for alias in node.names:
                        yield node.lineno, alias.name
                    continue
                yield node.lineno, target[0]
            elif node.module and node.module.split(".")[0] == "backprop" and "." in node.module:
                yield node.lineno, node.module.split(".")[1]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("backprop."):
                    yield node.lineno, alias.name.split(".")[1]


def test_every_component_is_in_a_layer():
    names = {component(p) for p in PACKAGE.rglob("*.py")} - TOP
    unplaced = {n for n in names if not any(n in layer_ for layer_ in LAYERS)}
    assert not unplaced, f"place these in a layer of docs/architecture.md and this test: {unplaced}"


def test_layers_import_downward_only():
    upward = []
    for path in PACKAGE.rglob("*.py"):
        own = component(path)
        if own in TOP:
            continue
        for line, other in imported_components(path):
            if other in TOP or other == own or other.startswith("__"):  # the package itself (__version__)
                continue
            if layer(other) > layer(own):
                upward.append(f"{path.relative_to(PACKAGE)}:{line} imports {other}")
    assert not upward, "\n".join(upward)


def test_the_engine_imports_only_the_engine():
    for path in PACKAGE.glob("*.py"):
        if component(path) in LAYERS[0]:
            for line, other in imported_components(path):
                assert other in LAYERS[0], f"{path.name}:{line} imports {other}"


def test_no_hidden_imports():
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        assert "__import__(" not in text and "import_module(" not in text, path


def test_the_architecture_page_shows_every_component_in_its_diagram_and_table():
    page = (PACKAGE.parents[1] / "docs" / "architecture.md").read_text()
    diagram = page.split("```")[1]
    for name in set().union(*LAYERS):
        shown = f"{name}/" if (PACKAGE / name).is_dir() else f"{name}.py"
        assert shown in diagram, f"docs/architecture.md: the diagram does not show {shown}"
        assert f"`{shown}`" in page, f"docs/architecture.md: the table does not say what {shown} holds"


def _parser_uses(path):
    """(line, what) for each import of argparse and each parser built (add_parser, add_argument) in a file."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "argparse" for a in node.names):
            yield node.lineno, "imports argparse"
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "argparse":
            yield node.lineno, "imports argparse"
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("add_parser", "add_argument", "add_subparsers"):
            yield node.lineno, f"calls {node.func.attr}"


def test_only_the_command_line_builds_argument_parsers():
    """The option specs say what a value may be; cli/ alone turns them into flags (cli/options.py)."""
    outside = [f"{path.relative_to(PACKAGE)}:{line} {what}" for path in PACKAGE.rglob("*.py")
               if component(path) != "cli" for line, what in _parser_uses(path)]
    assert not outside, "argparse belongs in cli/:\n" + "\n".join(outside)


LONGEST = {"cli": 40}  # lines a function may take in a component; 60 anywhere else (ast: end_lineno - lineno + 1)


def long_functions():
    """(where, lines, limit) for each function longer than its component allows, nested ones included."""
    for path in PACKAGE.rglob("*.py"):
        limit = LONGEST.get(component(path), 60)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > limit:
                    yield f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}", lines, limit


def test_functions_are_short_enough_to_take_in_at_once():
    """A function in cli/ fits in 40 lines, anywhere else in 60: a longer one hides its stages; name them."""
    found = [f"{where}: {lines} lines (at most {limit})" for where, lines, limit in long_functions()]
    assert not found, "\n".join(found)
