"""Formula to graph: a small, safe, Python-like language parsed with ``ast``, never ``eval``.

    doughnut = 100
    count = 2
    tax = 1.1
    price = doughnut * count * tax

Numeric literals become input nodes, assigned names become labels, and the
last assignment (or a final bare expression) is the output. The exponent of
``**`` is the pow node's parameter, so it must be a constant: a number, or
arithmetic on numbers (``x ** (1/3)``), folded into one number with the engine's
own layers. Elsewhere constant arithmetic stays as nodes, as the book draws
every operation: ``x * (2 + 3)`` has an add node. Operators,
function names and their arities come from the op registry (``OpSpec.operator``,
``.call``, ``.notation``). Anything else is refused with its line, column and
reason, and no graph is made.
"""
from __future__ import annotations

import ast
import math

from ..engine.document import FORMAT, TENSOR_VERSION, VERSION, GraphError, Limits
from .layout import layout
from ..engine.registry import OPS
from ..engine.tensor import TensorProblem, parse_tensor
from .source import parse_source

MAX_CHARS = 100_000

# Python's own operator grammar; which op (if any) each one builds is the registry's.
PY_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.Mod: "%",
             ast.FloorDiv: "//", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
             ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&"}
PY_UNARY = {ast.USub: "-", ast.Invert: "~", ast.Not: "not"}
COUNT = {0: "no", 1: "one", 2: "two", 3: "three"}
FOLDED = ("+", "-", "*", "/", "**")  # the operators a constant exponent may use (with unary - and +)


def functions() -> dict[str, str]:
    """Callable names → op: every op of the registry with a call form (exp, log, max, …)."""
    return {spec.call: name for name, spec in OPS.items() if spec.call}


def binary_operators() -> dict[str, str]:
    """Python operator → op, for infix ops (``+`` → add) and power ops (``**`` → pow)."""
    return {spec.operator: name for name, spec in OPS.items() if spec.notation in ("infix", "power")}


def unary_operators() -> dict[str, str]:
    """Python unary operator → op: ``-`` → neg."""
    return {spec.operator: name for name, spec in OPS.items() if spec.notation == "prefix"}


def _float(number) -> float:
    """A literal as a float; an integer beyond the float range is ∞ (refused as too large), not a crash."""
    try:
        return float(number)
    except OverflowError:
        return math.inf if number > 0 else -math.inf


class FormulaError(GraphError):
    pass


def _text(node) -> str:
    """A sub-expression as written, shortened for a message."""
    try:
        text = ast.unparse(node)
    except RecursionError:
        return "this expression"
    return text if len(text) <= 40 else text[:39] + "…"


def _where(node) -> str:
    return f"line {getattr(node, 'lineno', '?')}, column {getattr(node, 'col_offset', -1) + 1}"


class _Builder:
    def __init__(self, limits: Limits):
        self.nodes: list[dict] = []
        self.by_id: dict[str, dict] = {}
        self.edges: list[dict] = []
        self.names: dict[str, str] = {}     # formula name → node id
        self.limits = limits
        self.counts: dict[str, int] = {}
        self.funcs = functions()
        self.binary = binary_operators()
        self.unary = unary_operators()
        self.folded: dict[int, float] = {}  # id(ast node) → its folded value
        self.where: dict[str, ast.AST] = {}  # node id → the expression it was built for

    def fail(self, node, reason: str, why: str = "formula", **params):
        """Refuse at ``node``: ``reason`` in English, ``why`` its reason id (server/errors.py)."""
        raise FormulaError(f"{_where(node)}: {reason}", reason=why, line=getattr(node, "lineno", 0),
                           column=getattr(node, "col_offset", -1) + 1, detail=reason, **params)

    def new(self, node, op: str, **fields) -> str:
        if self.limits.too_many_nodes(len(self.nodes) + 1):
            self.fail(node, f"the formula makes more than {self.limits.max_nodes:,} nodes")
        k = self.counts.get(op, 0) + 1
        self.counts[op] = k
        nid = f"{op}{k}"
        self.where[nid] = node
        node = {"id": nid, "op": op, **fields}
        self.nodes.append(node)
        self.by_id[nid] = node
        return nid

    def wire(self, source: str, target: str, port: int):
        self.edges.append({"source": source, "target": target, "port": port})

    def constant(self, node) -> float:
        """A numeric literal, possibly negated (``-3`` is one input node, not neg(3)); else None."""
        sign = 1.0
        while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            sign *= -1.0 if isinstance(node.op, ast.USub) else 1.0
            node = node.operand
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            value = sign * _float(node.value)
            if math.isfinite(value):
                return value
        return None

    def is_arithmetic(self, root) -> bool:
        """Whether ``root`` holds only numbers and the operators ``+ - * / **`` (unary ``-``, ``+``)."""
        for node in ast.walk(root):  # ast.walk keeps a queue: no recursion, however deep
            if isinstance(node, (ast.operator, ast.unaryop)):
                continue
            if isinstance(node, ast.Constant):
                if type(node.value) not in (int, float):
                    return False
            elif isinstance(node, ast.UnaryOp):
                if not isinstance(node.op, (ast.USub, ast.UAdd)):
                    return False
            elif not (isinstance(node, ast.BinOp) and PY_BINARY.get(type(node.op)) in FOLDED
                      and PY_BINARY[type(node.op)] in self.binary):
                return False
        return True

    def fold(self, root) -> float | None:
        """The value of a constant sub-expression (``1/3``, ``-(2 ** 0.5)``), or None if it names
        a variable or calls a function. It is computed with the very layers the graph would use
        (the registry's ops for ``+ - * / **`` and unary ``-``), in float arithmetic, operation
        by operation, so the folded number is what the unfolded nodes would hold. Division by
        zero, overflow and a result outside a function's domain are refused with their line
        and column."""
        if id(root) in self.folded:
            return self.folded[id(root)]
        if not self.is_arithmetic(root):
            return None
        done: dict[int, float] = {}
        stack = [(root, False)]
        while stack:  # post-order without recursion: 1 + 1 + … + 1 is as deep as it is long
            node, ready = stack.pop()
            if isinstance(node, ast.Constant):
                done[id(node)] = _float(node.value)
                if not math.isfinite(done[id(node)]):
                    self.fail(node, "the number is too large")
                continue
            kids = [node.operand] if isinstance(node, ast.UnaryOp) else [node.left, node.right]
            if not ready:
                stack.append((node, True))
                stack.extend((k, False) for k in kids)
                continue
            done[id(node)] = self.apply(node, [done[id(k)] for k in kids])
        self.folded[id(root)] = done[id(root)]
        return done[id(root)]

    def apply(self, node, args: list) -> float:
        """One folded operation, by the op's own layer."""
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.UAdd):
                return args[0]
            spec, params, inputs = OPS[self.unary[PY_UNARY[type(node.op)]]], {}, args
        else:
            spec = OPS[self.binary[PY_BINARY[type(node.op)]]]
            params, inputs = {}, args
            if spec.notation == "power":
                (param,) = spec.params
                params, inputs = {param: args[1]}, args[:1]
        layer = spec.layer(**params)
        try:
            value = layer.forward(*inputs)
        except ZeroDivisionError:
            self.fail(node, f"{_text(node)} divides by zero", "formula_divides_by_zero", expr=_text(node))
        except OverflowError:
            value = math.inf
        except (ArithmeticError, ValueError):
            # math.pow raises where IEEE has an answer: the layer's fault() gives it (0 ** -1 is ∞).
            value = layer.fault(*inputs) if hasattr(layer, "fault") else math.nan
            if math.isinf(value):
                self.fail(node, f"{_text(node)} divides by zero", "formula_divides_by_zero", expr=_text(node))
        if math.isnan(value):
            self.fail(node, f"{_text(node)} has no real value (outside {spec.title.lower()}'s domain)")
        if math.isinf(value):
            self.fail(node, f"{_text(node)} overflows: the result is too large for a float")
        return float(value)

    def children(self, node) -> list:
        """Check one expression node and return the sub-expressions it needs first."""
        if isinstance(node, ast.Constant):
            if type(node.value) not in (int, float):
                self.fail(node, f"only numbers are allowed, not {type(node.value).__name__} {node.value!r:.30}")
            if not math.isfinite(_float(node.value)):
                self.fail(node, "the number is too large")
            return []
        if isinstance(node, ast.Name):
            if node.id not in self.names:
                self.fail(node, f"name {node.id!r} is not defined (assign it on an earlier line)", "formula_undefined",
                          name=node.id)
            return []
        if isinstance(node, ast.BinOp):
            op = self.binary.get(PY_BINARY.get(type(node.op)))
            if op is None:
                self.fail(node, f"the operator {type(node.op).__name__} is not supported; use {' '.join(self.binary)}")
            spec = OPS[op]
            if spec.notation == "power":  # x ** 2: the right side is the op's one param, a constant
                if self.fold(node.right) is None:
                    (param,) = spec.params
                    self.fail(node.right, f"the {param} of {spec.operator} must be a constant: a number or "
                                          f"arithmetic on numbers, like x {spec.operator} 2 or x {spec.operator} (1/3)")
                return [node.left]
            return [node.left, node.right]
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub) and self.constant(node) is not None:
                return []  # -3 is a number, not neg(3)
            if isinstance(node.op, ast.UAdd) or PY_UNARY.get(type(node.op)) in self.unary:
                return [node.operand]
            self.fail(node, f"the operator {type(node.op).__name__} is not supported")
        if isinstance(node, ast.List):  # a tensor literal: [[1, 2], [3, 4]] is one input node
            self.tensor(node)
            return []
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in self.funcs:
                name = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)[:40]
                self.fail(node, f"unknown function {name!r}; functions: {', '.join(self.funcs)}",
                          "formula_unknown_function", name=name, functions=", ".join(self.funcs))
            n = OPS[self.funcs[node.func.id]].arity
            if node.keywords or len(node.args) != n or any(isinstance(a, ast.Starred) for a in node.args):
                self.fail(node, f"{node.func.id}() takes exactly {COUNT.get(n, n)} argument{'s' * (n != 1)}")
            return list(node.args)
        kind = {ast.Attribute: "attributes", ast.Subscript: "subscripts", ast.Lambda: "lambdas",
                ast.Compare: "comparisons", ast.BoolOp: "boolean operators", ast.IfExp: "conditionals",
                ast.List: "lists", ast.Tuple: "tuples", ast.Dict: "dicts", ast.Set: "sets",
                ast.JoinedStr: "strings", ast.NamedExpr: "':=' assignments"}.get(type(node), type(node).__name__)
        self.fail(node, f"{kind} are not allowed in a formula")

    def tensor(self, node) -> list:
        """A list literal as a tensor's nested list: numbers (``-3`` too) in a vector or a matrix."""
        def value(item):
            if isinstance(item, ast.List):
                return [value(k) for k in item.elts]
            number = self.constant(item)
            if number is None:
                self.fail(item, f"a tensor holds numbers only, not {_text(item)}", "formula_tensor")
            return number
        if sum(1 for _ in ast.walk(node)) > 4 * 100_000:
            self.fail(node, "the tensor is too large")
        data = value(node)
        try:
            parse_tensor(data)
        except TensorProblem as err:
            self.fail(node, f"the tensor {err}", "formula_tensor")
        return data

    def build(self, node, args: list) -> str:
        """The node for one checked expression, its sub-expressions already built."""
        if isinstance(node, ast.List):
            return self.new(node, "input", value=self.tensor(node))
        if isinstance(node, ast.Constant):
            return self.new(node, "input", value=_float(node.value))
        if isinstance(node, ast.Name):
            return self.names[node.id]
        if isinstance(node, ast.UnaryOp):
            if not args:
                return self.new(node, "input", value=self.constant(node))
            if isinstance(node.op, ast.UAdd):
                return args[0]
            op, params = self.unary[PY_UNARY[type(node.op)]], {}
        elif isinstance(node, ast.BinOp):
            op, params = self.binary[PY_BINARY[type(node.op)]], {}
            if OPS[op].notation == "power":
                (param,) = OPS[op].params
                params = {"params": {param: self.fold(node.right)}}
        else:
            op, params = self.funcs[node.func.id], {}
        nid = self.new(node, op, **params)
        for port, source in enumerate(args):
            self.wire(source, nid, port)
        return nid

    def expr(self, root) -> str:
        """The id of the node computing ``root``, built without recursion: a long
        chain like a + b + c + … is as deep as it is long."""
        built: dict[int, str] = {}
        stack = [(root, None)]
        while stack:
            node, kids = stack.pop()
            if kids is None:
                kids = self.children(node)
                stack.append((node, kids))
                stack.extend((k, None) for k in reversed(kids))
            else:
                built[id(node)] = self.build(node, [built[id(k)] for k in kids])
        return built[id(root)]

    def statement(self, stmt) -> str:
        if isinstance(stmt, ast.Assign):
            if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
                self.fail(stmt, "assign to one plain name, like price = a * b")
            name = stmt.targets[0].id
            if name in self.names:
                self.fail(stmt, f"name {name!r} is assigned twice; each name is one node, so use a new name",
                          "formula_assigned_twice", name=name)
            if name in self.funcs:
                self.fail(stmt, f"{name!r} is a function name")
            nid = self.expr(stmt.value)
            node = self.by_id[nid]
            if "label" not in node:  # `b = a` is an alias: the node keeps its first name
                node["label"] = name
            self.names[name] = nid
            return nid
        if isinstance(stmt, ast.Expr):
            return self.expr(stmt.value)
        kind = {ast.Import: "imports", ast.ImportFrom: "imports", ast.FunctionDef: "function definitions",
                ast.For: "loops", ast.While: "loops", ast.If: "if statements", ast.AugAssign: "augmented assignments (+=)",
                ast.AnnAssign: "annotated assignments", ast.Delete: "del", ast.With: "with blocks",
                ast.ClassDef: "classes", ast.Return: "return"}.get(type(stmt), type(stmt).__name__)
        self.fail(stmt, f"{kind} are not allowed in a formula")


def parse_formula(text: str, title: str = "", limits: Limits = Limits()) -> dict:
    """A laid-out document for ``text``; raises FormulaError (a GraphError) with line and column."""
    if not isinstance(text, str):
        raise FormulaError("the formula must be text", reason="formula_empty")
    if len(text) > MAX_CHARS:
        raise FormulaError(f"the formula is {len(text):,} characters; the limit is {MAX_CHARS:,}",
                           reason="formula_too_long", chars=len(text), limit=MAX_CHARS)
    if not text.strip():
        raise FormulaError("the formula is empty", reason="formula_empty")
    tree = parse_source(text, FormulaError, "formula")
    builder = _Builder(limits)
    last = None
    for stmt in tree.body:
        last = builder.statement(stmt)
    _check_shapes(builder)
    tensors = any(isinstance(n.get("value"), list) for n in builder.nodes)
    doc = {"format": FORMAT, "version": TENSOR_VERSION if tensors else VERSION, "title": title or _title(text),
           "nodes": builder.nodes, "edges": builder.edges, "output": last}
    return layout(_named_ids(doc))


def _check_shapes(builder: _Builder):
    """Refuse, at the line of the op, a formula whose tensors' shapes do not fit (x @ W with 3 ≠ 2)."""
    from ..engine.shapes import node_problem
    shapes = {}
    wired: dict[str, list] = {}
    for e in builder.edges:
        wired.setdefault(e["target"], {})[e["port"]] = e["source"]
    for n in builder.nodes:  # built in order: every input before the node that reads it
        spec = OPS[n["op"]]
        if not spec.arity:
            v = n.get("value")
            shapes[n["id"]] = _shape(v)
            continue
        shape, problem = node_problem(spec, n["id"], [shapes[wired[n["id"]][p]] for p in range(spec.arity)])
        if problem is not None:
            message, params = problem
            at = builder.where.get(n["id"])
            raise FormulaError(f"{_where(at)}: {message}" if at is not None else message, **params)
        shapes[n["id"]] = shape


def _shape(v) -> tuple:
    shape = []
    while isinstance(v, list):
        shape.append(len(v))
        v = v[0]
    return tuple(shape)


def _named_ids(doc: dict) -> dict:
    """Give a labelled node its label as id ('doughnut', not 'input1') where that is free."""
    taken = {n["id"] for n in doc["nodes"]}
    rename = {}
    for n in doc["nodes"]:
        label = n.get("label")
        if label and label not in taken:
            rename[n["id"]] = label
            taken.add(label)
    for n in doc["nodes"]:
        n["id"] = rename.get(n["id"], n["id"])
    for e in doc["edges"]:
        e["source"] = rename.get(e["source"], e["source"])
        e["target"] = rename.get(e["target"], e["target"])
    doc["output"] = rename.get(doc["output"], doc["output"])
    return doc


def _title(text: str) -> str:
    first = text.strip().splitlines()[-1].strip()
    return first[:80]
