"""Python to graph: a script in the style of the book's buy_apple.py, parsed with ``ast``, never run.

    apple = 100
    apple_num = 2
    tax = 1.1
    mul_apple_layer = MulLayer()
    mul_tax_layer = MulLayer()
    apple_price = mul_apple_layer.forward(apple, apple_num)
    price = mul_tax_layer.forward(apple_price, tax)
    dprice = 1
    dapple_price, dtax = mul_tax_layer.backward(dprice)
    dapple, dapple_num = mul_apple_layer.backward(dapple_price)

A number assigned to a name is an input node; ``X = MulLayer()`` (any layer
class of the registry: ``OpSpec.layer.__name__``) is a layer object, which one
``.forward(...)`` call makes into an op node named after the variable it is
assigned to. The backward calls are optional; when present, each is checked
against the graph: the first passes a name holding 1 (the output's gradient,
which makes its layer the output), and every later one the gradient of its
layer's output, which earlier backward calls returned; a node used several
times gets its gradient as the sum of the parts (``dx = dx_1 + dx_2``).

Also accepted, and skipped: a docstring (the title), ``print(...)`` calls,
``import math``, ``from layer_naive import ...`` of layer classes, definitions
of the registry's layer classes (the registry's layers are what the graph
computes), and the Python export's runner (``forward(layer, ...)``,
``backward(layer, dout)`` and their definitions; engine/standalone.py).
Anything else is refused with its line, column and reason, and no graph is made.
docs/python.md describes the subset.
"""
from __future__ import annotations

import ast
import math
from dataclasses import dataclass, field

from ..engine.document import FORMAT, VERSION, GraphError, GraphTooLarge, Limits, validate
from ..engine.registry import OPS
from ..engine.text import text_problem
from .layout import layout
from .source import parse_source

MAX_NAME = 200            # a node id's limit (engine/document.py)
BOOK_MODULES = ("layer_naive",)  # the book's module of layers: `from layer_naive import *`
PRINT_HELPERS = ("int", "float", "str", "round", "abs", "repr", "format")


class PythonImportError(GraphError):
    pass


def _where(node) -> str:
    return f"line {getattr(node, 'lineno', '?')}, column {getattr(node, 'col_offset', -1) + 1}"


def layer_classes() -> dict[str, str]:
    """Layer class name → op: MulLayer → mul, for every op with inputs."""
    return {spec.layer.__name__: name for name, spec in OPS.items() if spec.arity}


@dataclass
class _Layer:
    op: str
    params: dict
    line: ast.AST
    node: str | None = None       # the op node its forward made
    backward_done: bool = False


@dataclass
class _Grad:
    node: str                       # whose gradient (a part of it when edge is not None)
    edge: tuple | None = None       # (consumer, port): the one use this part comes from


@dataclass
class _Number:
    value: float
    stmt: ast.AST
    use: str = ""                   # "" | "input" | "seed"


@dataclass
class _Graph:
    nodes: dict[str, dict] = field(default_factory=dict)   # op nodes, in forward order
    edges: list[dict] = field(default_factory=list)


class _Importer:
    def __init__(self, limits: Limits):
        from ..engine.standalone import RUNNER_NAMES, helper_names
        self.limits = limits
        self.classes = layer_classes()
        self.runner = set(RUNNER_NAMES)
        self.helpers = helper_names()
        self.bound: dict[str, ast.AST] = {}        # every name the script assigns → where
        self.numbers: dict[str, _Number] = {}
        self.layers: dict[str, _Layer] = {}
        self.grads: dict[str, _Grad] = {}
        self.graph = _Graph()
        self.last_forward: str | None = None
        self.output: str | None = None             # set by the seed
        self.uses: dict[str, list[tuple]] = {}     # node → its uses on a path to the output
        self.title = ""

    # -- helpers -------------------------------------------------------------
    def fail(self, node, reason: str):
        raise PythonImportError(f"{_where(node)}: {reason}")

    def number(self, node) -> float | None:
        """A numeric literal, possibly signed (-3, +2.5); None if it is not one."""
        sign = 1.0
        while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            sign *= -1.0 if isinstance(node.op, ast.USub) else 1.0
            node = node.operand
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            try:
                value = sign * float(node.value)
            except OverflowError:
                value = math.inf
            if not math.isfinite(value):
                self.fail(node, "the number is too large for a float")
            return value
        return None

    def bind(self, target, what: str):
        name = target.id
        if name in self.bound:
            first = self.bound[name]
            self.fail(target, f"{name!r} is assigned twice (first on line {first.lineno}): each name is "
                              f"one number, layer, node or gradient, so use a new name")
        if name in self.classes or name in self.runner or name in ("print", "math"):
            what = "a layer class" if name in self.classes else "a function the script uses"
            self.fail(target, f"{name!r} is the name of {what}; use another name")
        if len(name) > MAX_NAME:
            self.fail(target, f"the name is {len(name)} characters long; a node's name may have {MAX_NAME}")
        self.bound[name] = target

    def name_of(self, node, what: str) -> str:
        if not isinstance(node, ast.Name):
            self.fail(node, f"{what} must be a plain name, not {_kind(node)}")
        return node.id

    # -- statements ----------------------------------------------------------
    def statement(self, stmt, first: bool):
        if isinstance(stmt, ast.Expr):
            return self.expression_statement(stmt, first)
        if isinstance(stmt, ast.Import):
            if [(a.name, a.asname) for a in stmt.names] != [("math", None)]:
                self.fail(stmt, "imports are not allowed: only `import math` (which the layers use) and "
                                f"`from {BOOK_MODULES[0]} import ...` of the book's layer classes")
            return
        if isinstance(stmt, ast.ImportFrom):
            if stmt.level or stmt.module not in BOOK_MODULES:
                self.fail(stmt, f"only the book's layers may be imported: `from {BOOK_MODULES[0]} import *` "
                                f"or `from {BOOK_MODULES[0]} import MulLayer, AddLayer`")
            for alias in stmt.names:
                if alias.name != "*" and (alias.name not in self.classes or alias.asname):
                    self.fail(alias if hasattr(alias, "lineno") else stmt,
                              f"{alias.name!r} is not a layer class; layers: {', '.join(self.classes)}")
            return
        if isinstance(stmt, ast.ClassDef):
            return self.class_definition(stmt)
        if isinstance(stmt, ast.FunctionDef):
            if stmt.name in self.runner or stmt.name in self.helpers:
                return  # the export's runner, or a helper of the registry's layers: never run here
            self.fail(stmt, f"function definitions are not allowed (def {stmt.name}); only the book's "
                            "layer classes and the Python export's forward() and backward() may be defined")
        if isinstance(stmt, ast.Assign):
            return self.assignment(stmt)
        self.fail(stmt, f"{_statement_kind(stmt)} are not allowed in a layer script")

    def expression_statement(self, stmt, first: bool):
        value = stmt.value
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            if first:  # the module docstring: its first paragraph is the title
                self.title = value.value.strip().split("\n\n")[0].strip()
            return
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "print":
            for arg in value.args:
                self.printable(arg.value if isinstance(arg, ast.Starred) else arg)
            for kw in value.keywords:
                if kw.arg not in ("sep", "end") or not isinstance(kw.value, ast.Constant) \
                        or not isinstance(kw.value.value, str):
                    self.fail(kw.value, "print() may only take sep= and end= with text")
            return
        if isinstance(value, ast.Call) and self.call_kind(value):
            self.fail(stmt, "assign the result of forward or backward to a name: it names the node or gradient")
        self.fail(stmt, f"{_kind(value)} on its own is not allowed; only print(...) calls and a docstring")

    def printable(self, node):
        """What print() may show: text, numbers, names, f-strings and int(x), round(x, 2) …"""
        if isinstance(node, ast.Constant) and type(node.value) in (str, int, float):
            return
        if isinstance(node, ast.Name):
            if node.id not in self.bound:
                self.fail(node, f"name {node.id!r} is not defined (assign it on an earlier line)")
            return
        if isinstance(node, ast.JoinedStr):
            for part in node.values:
                if isinstance(part, ast.FormattedValue):
                    self.printable(part.value)
                    if part.format_spec is not None:
                        self.printable(part.format_spec)
            return
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in PRINT_HELPERS \
                and not node.keywords:
            for arg in node.args:
                self.printable(arg)
            return
        self.fail(node, f"print() may show names, numbers, text, f-strings and "
                        f"{', '.join(f + '()' for f in PRINT_HELPERS)}; not {_kind(node)}")

    def class_definition(self, stmt):
        if stmt.name not in self.classes:
            self.fail(stmt, f"class {stmt.name} is not one of the layers ({', '.join(self.classes)}); "
                            "only the book's layer classes may be defined")
        if stmt.decorator_list or stmt.keywords or any(not (isinstance(b, ast.Name) and b.id == "object")
                                                       for b in stmt.bases):
            self.fail(stmt, f"class {stmt.name}: a layer class has no decorators and no base class")
        methods = {s.name for s in stmt.body if isinstance(s, ast.FunctionDef)}
        missing = [m for m in ("forward", "backward") if m not in methods]
        if missing:
            self.fail(stmt, f"class {stmt.name} has no {' and no '.join(missing)} method")
        # The graph computes with the registry's layer of this name, not this text.

    def call_kind(self, call) -> str | None:
        """'forward'/'backward' for layer.forward(...), forward(layer, ...) and the same for backward."""
        f = call.func
        if isinstance(f, ast.Attribute) and f.attr in ("forward", "backward") and isinstance(f.value, ast.Name):
            return f.attr
        if isinstance(f, ast.Name) and f.id in ("forward", "backward"):
            return f.id
        return None

    def layer_and_args(self, call) -> tuple[str, list]:
        """The layer variable and the remaining arguments of a forward or backward call."""
        if call.keywords or any(isinstance(a, ast.Starred) for a in call.args):
            self.fail(call, "pass the inputs as plain names, without keywords or *")
        if isinstance(call.func, ast.Attribute):
            layer, args = call.func.value, list(call.args)
        else:
            if not call.args:
                self.fail(call, f"{call.func.id}() takes the layer first: {call.func.id}(mul_layer, ...)")
            layer, args = call.args[0], list(call.args[1:])
        name = self.name_of(layer, "the layer")
        if name not in self.layers:
            what = "is not defined" if name not in self.bound else "is not a layer"
            self.fail(layer, f"{name!r} {what}; make layers with X = MulLayer() first")
        return name, args

    def assignment(self, stmt):
        if len(stmt.targets) != 1:
            self.fail(stmt, "assign to one name at a time")
        target, value = stmt.targets[0], stmt.value
        if isinstance(target, ast.Tuple):
            if not (isinstance(value, ast.Call) and self.call_kind(value) == "backward"):
                self.fail(stmt, "only a backward call may be unpacked: dx, dy = mul_layer.backward(dout)")
            return self.backward(stmt, target.elts, value)
        if not isinstance(target, ast.Name):
            self.fail(target, f"assign to a plain name, not {_kind(target)}")
        if target.id in self.helpers and target.id not in self.bound:
            self.bound[target.id] = target
            return  # a constant the registry's layers use, written by the export
        if target.id in self.runner and isinstance(value, ast.Dict) and not value.keys:
            self.bound[target.id] = target
            return  # the export's runner keeps `ran = {}`
        number = self.number(value)
        if number is not None:
            self.bind(target, "")
            self.numbers[target.id] = _Number(number, stmt)
            return
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in self.classes:
            return self.new_layer(target, value)
        if isinstance(value, ast.Call) and self.call_kind(value) == "forward":
            return self.forward(target, value)
        if isinstance(value, ast.Call) and self.call_kind(value) == "backward":
            return self.backward(stmt, [target], value)
        if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):
            return self.gradient_sum(target, value)
        self.fail(value, f"{_kind(value)} cannot be assigned here: assign a number, a layer (MulLayer()), "
                         "a layer's forward(...) or backward(...), or a sum of gradient parts")

    def new_layer(self, target, call):
        op = self.classes[call.func.id]
        spec = OPS[op]
        params = dict(spec.params)
        if len(call.args) > len(spec.params):
            self.fail(call, f"{call.func.id}() takes {len(spec.params) or 'no'} argument"
                            f"{'s' * (len(spec.params) != 1)}{': ' + ', '.join(spec.params) if spec.params else ''}")
        for key, arg in [*zip(spec.params, call.args), *((kw.arg, kw.value) for kw in call.keywords)]:
            if key not in spec.params:
                self.fail(arg, f"{call.func.id}() has no parameter {key!r}")
            number = self.number(arg)
            if number is None:
                self.fail(arg, f"the {key} of {call.func.id}() must be a number")
            params[key] = number
        self.bind(target, "")
        self.layers[target.id] = _Layer(op, params if spec.params else {}, call)

    def forward(self, target, call):
        if self.output is not None:
            self.fail(call, "forward calls come before the backward pass")
        layer_name, args = self.layer_and_args(call)
        layer = self.layers[layer_name]
        spec = OPS[layer.op]
        if layer.node is not None:
            self.fail(call, f"{layer_name} already ran forward (to make {layer.node!r}): a layer object is "
                            f"one node, so make another layer for another {spec.title.lower()}")
        if len(args) != spec.arity:
            self.fail(call, f"{spec.layer.__name__}.forward takes {spec.arity} input"
                            f"{'s' * (spec.arity != 1)} ({', '.join(spec.ports)}), not {len(args)}")
        sources = []
        for arg in args:
            if self.number(arg) is not None:
                self.fail(arg, "pass a name, not a number: assign the number to a name first (apple = 100)")
            name = self.name_of(arg, "an input")
            if name in self.numbers:
                if self.numbers[name].use == "seed":
                    self.fail(arg, f"{name!r} is the output's gradient, not an input")
                self.numbers[name].use = "input"
            elif name not in self.graph.nodes:
                what = "is not defined" if name not in self.bound else (
                    "is a layer, not a value" if name in self.layers else "is a gradient, not a value")
                self.fail(arg, f"{name!r} {what}")
            sources.append(name)
        if self.limits.too_many_nodes(len(self.numbers) + len(self.graph.nodes) + 1):
            self.fail(call, f"the script makes more than {self.limits.max_nodes:,} nodes")
        self.bind(target, "")
        nid = target.id
        node = {"id": nid, "op": layer.op, "label": nid}
        if layer.params:
            node["params"] = dict(layer.params)
        self.graph.nodes[nid] = node
        for port, source in enumerate(sources):
            self.graph.edges.append({"source": source, "target": nid, "port": port})
        layer.node = nid
        self.last_forward = nid

    def seed(self, arg, node: str):
        """The first backward call: its argument holds 1, the gradient of the output."""
        self.output = node
        on_path = {node}
        for e in reversed(self.graph.edges):  # edges are in forward order: a consumer's come after
            if e["target"] in on_path:
                on_path.add(e["source"])
        for e in self.graph.edges:
            if e["target"] in on_path:
                self.uses.setdefault(e["source"], []).append((e["target"], e["port"]))

    def backward(self, stmt, targets, call):
        layer_name, args = self.layer_and_args(call)
        layer = self.layers[layer_name]
        spec = OPS[layer.op]
        if layer.node is None:
            self.fail(call, f"{layer_name}.backward comes before its forward")
        if layer.backward_done:
            self.fail(call, f"{layer_name}.backward is called twice")
        if len(args) != 1:
            self.fail(call, "backward takes one gradient: the gradient of the layer's output (dout)")
        dout = self.name_of(args[0], "the gradient")
        node = layer.node
        if self.output is None:
            number = self.numbers.get(dout)
            if number is None:
                self.fail(args[0], f"the backward pass starts at the output with its gradient 1: "
                                   f"d{node} = 1, then {layer_name}.backward(d{node})")
            if number.use == "input":
                self.fail(args[0], f"{dout!r} is an input of the graph; pass the output's gradient, 1")
            if number.value != 1:
                self.fail(args[0], f"{dout!r} is {number.value!r}: the output's gradient starts at 1")
            number.use = "seed"
            self.seed(args[0], node)
        else:
            grad = self.grads.get(dout)
            if grad is None:
                what = "is not defined" if dout not in self.bound else "is not a gradient"
                self.fail(args[0], f"{dout!r} {what}: pass the gradient of {node!r}, which the backward "
                                   f"call of the layer using {node!r} returned")
            if grad.node != node:
                self.fail(args[0], f"{dout!r} is the gradient of {grad.node!r}, but {layer_name} "
                                   f"made {node!r}: pass the gradient of {node!r}")
            if grad.edge is not None and len(self.uses.get(node, ())) > 1:
                parts = [n for n, g in self.grads.items() if g.node == node and g.edge is not None]
                self.fail(args[0], f"{dout!r} is one part of the gradient of {node!r}, which is used "
                                   f"{len(self.uses[node])} times: add up the parts first "
                                   f"(d{node} = {' + '.join(parts) or '...'})")
        if len(targets) != spec.arity:
            self.fail(stmt, f"{spec.layer.__name__}.backward returns {spec.arity} gradient"
                            f"{'s' * (spec.arity != 1)} (d{', d'.join(spec.ports)}), one for each input")
        sources = [e["source"] for e in self.graph.edges if e["target"] == node]
        for port, (t, source) in enumerate(zip(targets, sources)):
            if not isinstance(t, ast.Name):
                self.fail(t, f"unpack the gradients into plain names, not {_kind(t)}")
            if t.id == "_":
                continue
            self.bind(t, "")
            edge = (node, port)
            self.grads[t.id] = _Grad(source, None if self.uses.get(source) == [edge] else edge)
        layer.backward_done = True

    def gradient_sum(self, target, value):
        """d = d_1 + d_2 + …: the parts of one node's gradient, one per use, make its gradient."""
        terms, stack = [], [value]
        while stack:
            node = stack.pop()
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
                stack += [node.right, node.left]
            else:
                terms.append(node)
        parts = []
        for term in terms:
            name = self.name_of(term, "a part of a gradient")
            grad = self.grads.get(name)
            if grad is None or grad.edge is None:
                self.fail(term, f"{name!r} is not a part of a gradient; the only sum allowed is "
                                "the parts of one node's gradient: dx = dx_1 + dx_2")
            parts.append((term, grad))
        node = parts[0][1].node
        for term, grad in parts:
            if grad.node != node:
                self.fail(term, f"{term.id!r} is a part of the gradient of {grad.node!r}, not {node!r}")
        edges = [g.edge for _, g in parts]
        if sorted(edges) != sorted(self.uses.get(node, [])):
            self.fail(value, f"{node!r} is used {len(self.uses.get(node, []))} times on the way to the output: "
                             "its gradient is the sum of one part from each use, each once")
        self.bind(target, "")
        self.grads[target.id] = _Grad(node)

    # -- the document --------------------------------------------------------
    def document(self, title: str) -> dict:
        inputs = [{"id": name, "op": "input", "value": n.value, "label": name}
                  for name, n in self.numbers.items() if n.use != "seed"]
        nodes = inputs + list(self.graph.nodes.values())
        if self.limits.too_many_nodes(len(nodes)):
            raise GraphTooLarge(f"the script makes {len(nodes):,} nodes; the limit is {self.limits.max_nodes:,}")
        output = self.output or self.last_forward
        title = self.title or title or "Python layers"
        if len(title) > 500 or text_problem(title):
            title = "Python layers"
        doc = {"format": FORMAT, "version": VERSION, "title": title,
               "nodes": nodes, "edges": self.graph.edges, "output": output}
        return layout(doc)


def _kind(node) -> str:
    return {ast.Attribute: "an attribute", ast.Subscript: "a subscript", ast.Lambda: "a lambda",
            ast.Call: "a call", ast.BinOp: "an operator", ast.UnaryOp: "an operator", ast.Compare: "a comparison",
            ast.BoolOp: "a boolean operator", ast.IfExp: "a conditional", ast.List: "a list",
            ast.Tuple: "a tuple", ast.Dict: "a dict", ast.Set: "a set", ast.JoinedStr: "an f-string",
            ast.NamedExpr: "an ':=' assignment", ast.Name: "a name", ast.Constant: "a constant",
            ast.Starred: "a starred expression", ast.Await: "await", ast.Yield: "yield",
            ast.ListComp: "a comprehension", ast.GeneratorExp: "a generator"}.get(type(node), type(node).__name__)


def _statement_kind(stmt) -> str:
    return {ast.For: "loops", ast.While: "loops", ast.AsyncFor: "loops", ast.If: "if statements",
            ast.AugAssign: "augmented assignments (+=)", ast.AnnAssign: "annotated assignments",
            ast.Delete: "del statements", ast.With: "with blocks", ast.AsyncWith: "with blocks",
            ast.Return: "return statements", ast.Try: "try blocks", ast.Raise: "raise statements",
            ast.Global: "global statements", ast.Nonlocal: "nonlocal statements", ast.Assert: "asserts",
            ast.AsyncFunctionDef: "function definitions", ast.Pass: "pass statements",
            ast.Break: "break statements", ast.Continue: "continue statements"}.get(
        type(stmt), f"{type(stmt).__name__} statements")


def import_python(source: str | bytes, title: str = "", limits: Limits = Limits()) -> dict:
    """A laid-out graph document for a layer script; raises PythonImportError (a GraphError)
    with the line and column of the first thing it cannot take. Nothing is executed."""
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise PythonImportError(f"the script is not UTF-8 text (byte {err.start})") from None
    if limits.too_many_bytes(len(source)):
        raise GraphTooLarge(f"the script is {len(source):,} characters; the limit is {limits.max_bytes:,}")
    tree = parse_source(source, PythonImportError, "script")
    importer = _Importer(limits)
    for k, stmt in enumerate(tree.body):
        importer.statement(stmt, first=k == 0)
    if not importer.numbers and not importer.graph.nodes:
        raise PythonImportError("the script makes no graph: assign numbers, make layers (MulLayer()) "
                                "and call their forward")
    return validate(importer.document(title), limits)
