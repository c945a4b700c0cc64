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


# What only network.py may assign: a network's parameter buffer and its views (Network.set_parameters
# is the one way in for everyone else). A static check sees names, not types: any attribute so named counts.
PARAMETER_ATTRIBUTES = {"weights", "biases", "parameters", "_weights", "_biases", "_parameters"}


def assigned(target):
    """The expressions an assignment target writes: the elements of a tuple or list target, else the target."""
    if isinstance(target, (ast.Tuple, ast.List)):
        return [x for element in target.elts for x in assigned(element)]
    return assigned(target.value) if isinstance(target, ast.Starred) else [target]


def parameter_assignments(path):
    """(line, text) for each statement of the file at path that assigns X.weights, X.biases or X.parameters, or
    anything inside them (X.weights[l] = ..., X.biases[:] = ..., X.weights[l][i, j] += ...), or setattrs them."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.Assign, ast.Delete)):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor, ast.NamedExpr)):
            targets = [node.target]
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            targets = [node.optional_vars]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr":
            if len(node.args) >= 2 and getattr(node.args[1], "value", None) in PARAMETER_ATTRIBUTES:
                yield node.lineno, ast.unparse(node)
            continue
        else:
            continue
        for target in (x for t in targets for x in assigned(t)):
            inside = target
            while isinstance(inside, ast.Subscript):  # X.weights[l][i, j]: inside X.weights
                inside = inside.value
            if isinstance(inside, ast.Attribute) and inside.attr in PARAMETER_ATTRIBUTES:
                yield target.lineno, ast.unparse(target)


def test_only_the_engine_assigns_a_networks_parameters():
    found = [f"{path.relative_to(PACKAGE)}:{line}: {text}" for path in sorted(PACKAGE.rglob("*.py"))
             if path.relative_to(PACKAGE) != pathlib.Path("network.py") for line, text in parameter_assignments(path)]
    assert not found, "set a network's parameters with Network.set_parameters:\n" + "\n".join(found)


def test_the_parameter_check_sees_every_way_of_assigning(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("""
net.weights = [W]
net.biases[0] = b
a, (net.weights[1], c) = x
net.weights[0][1, 2] += 1.0
self.parameters[:] = theta
setattr(net, "biases", [b])
del net._weights
for net.biases[0] in values:
    pass
W = net.weights[0]
net.weights[0].fill(0.0)
x.weights_seen = 1
grad_w[0] = net.weights[0]
""")
    found = sorted(line for line, _ in parameter_assignments(module))
    assert found == [2, 3, 4, 5, 6, 7, 8, 9]


def module_constants(path):
    """The upper-case names a module assigns at its top level (its registries, limits and choices)."""
    for node in ast.parse(path.read_text()).body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) \
            else []
        for target in targets:
            yield from (x.id for x in ast.walk(target) if isinstance(x, ast.Name) and x.id.isupper())


def test_each_constant_is_defined_in_one_module():
    """TASKS, DTYPES, OPTIMIZERS, limits: one definition each, imported where needed (two copies drift)."""
    where = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for name in set(module_constants(path)):
            where.setdefault(name, []).append(str(path.relative_to(PACKAGE)))
    twice = {name: paths for name, paths in where.items() if len(paths) > 1}
    assert not twice, f"defined in more than one module (import it, or name each for what it is): {twice}"


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
