"""The engine as standalone Python: the layers' source, and a runner that runs them as plan.py does.

The Python export (export/python_script.py) writes both into its script, and the
Python import (teaching/pyimport.py) skips both when it reads such a script back.

The exported script defines the layers it uses itself, so it runs with any
Python 3 and nothing installed. Each class is the engine's own source
(``inspect.getsource``), without its ``@register(...)`` decorator; it may use
builtins, any standard-library module (``import math``), and helpers defined
beside it in its module (functions, classes, number or text constants), which
come along. Anything else is refused, with the layer and the name, so that a
test exporting every op fails as soon as a layer stops being standalone.

Comments and docstrings are made ASCII (``±∞`` → ``+/-inf``), as every line of
the export is; a non-ASCII string literal in code is written as its ascii().
"""
from __future__ import annotations

import ast
import builtins
import inspect
import io
import sys
import symtable
import textwrap
import tokenize
import types
import unicodedata
from dataclasses import dataclass, field

from .registry import OPS

# The one module besides the standard library a layer may use, under the name the book gives it:
# the tensor layers' (dot, affine, softmax …). A script of scalar ops never imports it.
ALIASES = {"numpy": "np"}
LAYERS = __name__.rsplit(".", 1)[0] + ".layers."  # a layer may use a helper of another layer's module

# The runner's module-level names (the importer skips their definitions).
RUNNER_NAMES = ("ran", "forward", "backward")

# plan.py's fault handling, in a script. forward catches what Plan.run_forward catches and
# answers with the layer's fault() or NaN; a layer fails (Plan._fault, Plan._find_silent_faults)
# when, from finite inputs, it raises or gives inf or NaN, and then lets no gradient through,
# as a layer whose backward raises does not either (Plan._send_back). Plan._send_back's sums
# start at -0.0, which adds nothing (-0.0 + g is g), so the script uses each gradient as it is.
RUNNER = '''\
ran = {}  # each layer -> (how many inputs it has, whether it failed)


def forward(layer, *inputs):
    """layer.forward(*inputs), as gradcanvas runs it. Where Python raises (x / 0, log(-1)),
    the result is the layer's fault(*inputs) if it has one (x / 0 is inf), else nan.
    A layer that raises, or gives inf or nan, from finite inputs has failed."""
    finite = all(math.isfinite(x) for x in inputs)
    try:
        out = layer.forward(*inputs)
        failed = finite and not math.isfinite(out)
    except (ArithmeticError, ValueError):
        fault = getattr(layer, "fault", None)
        out = fault(*inputs) if fault else math.nan
        failed = finite
    ran[layer] = (len(inputs), failed)
    return out


def backward(layer, dout):
    """layer.backward(dout), as gradcanvas runs it. No gradient passes a failed layer,
    nor one whose backward raises: each of its inputs gets nan."""
    n, failed = ran[layer]
    try:
        if failed:
            raise ValueError("its forward failed")
        return layer.backward(dout)
    except (ArithmeticError, ValueError):
        return (math.nan,) * n if n > 1 else math.nan
'''

# The runner of a script with tensors: the same, with numpy's test of finiteness, which takes a
# number or an array (every element finite), as Plan's tensor.finite does.
TENSOR_RUNNER = '''\
ran = {}  # each layer -> (how many inputs it has, whether it failed)


def finite(x):
    """Whether a number, or every number of an array, is finite."""
    return bool(np.isfinite(x).all())


def forward(layer, *inputs):
    """layer.forward(*inputs), as gradcanvas runs it. Where it raises (labels that are no
    class), the result is the layer's fault(*inputs) if it has one, else nan. A layer that
    raises, or gives inf or nan, from finite inputs has failed."""
    given = all(finite(x) for x in inputs)
    try:
        out = layer.forward(*inputs)
        failed = given and not finite(out)
    except (ArithmeticError, ValueError):
        fault = getattr(layer, "fault", None)
        out = fault(*inputs) if fault else math.nan
        failed = given
    ran[layer] = (len(inputs), failed)
    return out


def backward(layer, dout):
    """layer.backward(dout), as gradcanvas runs it. No gradient passes a failed layer,
    nor one whose backward raises: each of its inputs gets nan."""
    n, failed = ran[layer]
    try:
        if failed:
            raise ValueError("its forward failed")
        return layer.backward(dout)
    except (ArithmeticError, ValueError):
        return (math.nan,) * n if n > 1 else math.nan


def listed(x):
    """A value as `gradcanvas eval` prints it: a number, or an array as nested lists."""
    return x.tolist() if hasattr(x, "tolist") else x
'''
TENSOR_RUNNER_NAMES = RUNNER_NAMES + ("finite", "listed")

ASCII_FOR = {"±": "+/-", "∞": "inf", "−": "-", "×": "*", "÷": "/", "·": "*", "²": "^2", "³": "^3",
             "σ": "sigma", "→": "->", "←": "<-", "≥": ">=", "≤": "<=", "≠": "!=", "…": "...",
             "ᵀ": "^T", "‘": "'", "’": "'", "“": '"', "”": '"', "—": "--", "–": "-", "∂": "d", "√": "sqrt",
             "\u00a0": " "}


class NotStandalone(Exception):
    """A layer's source needs something a standalone script cannot define."""


@dataclass
class Support:
    """What a script needs for some layer classes: imports, helpers and the classes, in order."""
    imports: list[str] = field(default_factory=list)   # module names: ["math"]
    blocks: list[str] = field(default_factory=list)    # helper and class sources, dependencies first
    names: set[str] = field(default_factory=set)       # every module-level name they define or import

    def source(self) -> str:
        return "\n\n\n".join(self.blocks)


def ascii_text(text: str) -> str:
    """Prose made ASCII: the few symbols the layers' comments use, else the character's name."""
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
        elif ch in ASCII_FOR:
            out.append(ASCII_FOR[ch])
        else:
            out.append(f"[{unicodedata.name(ch, f'U+{ord(ch):04X}').lower()}]")
    return "".join(out)


def _asciified(src: str) -> str:
    """``src`` with comments and docstrings in ASCII and other non-ASCII strings escaped."""
    if src.isascii():
        return src
    docstrings = set()
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                docstrings.add((first.lineno, first.col_offset))
    lines = src.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    edits = []
    for tok in tokenize.generate_tokens(io.StringIO(src).readline):
        if tok.string.isascii():
            continue
        (r1, c1), (r2, c2) = tok.start, tok.end
        if tok.type == tokenize.COMMENT or (tok.type == tokenize.STRING and (r1, c1) in docstrings):
            new = ascii_text(tok.string)
        elif tok.type == tokenize.STRING or tok.type == getattr(tokenize, "FSTRING_MIDDLE", None):
            new = _escaped(tok.string, r1)
        else:
            raise NotStandalone(f"line {r1}: {tok.string!r} is not ASCII")
        edits.append((starts[r1 - 1] + c1, starts[r2 - 1] + c2, new))
    for a, b, new in reversed(edits):
        src = src[:a] + new + src[b:]
    return src


def _escaped(literal: str, line: int) -> str:
    """A string literal (or an f-string's text) with each non-ASCII character as its \\N{NAME}
    escape, which means the same character; a raw string cannot hold one."""
    prefix = literal[:len(literal) - len(literal.lstrip("rRbBuUfF"))]
    if "r" in prefix.lower():
        raise NotStandalone(f"line {line}: a raw string holds a non-ASCII character")
    out = []
    for ch in literal:
        name = unicodedata.name(ch, "") if not ch.isascii() else ""
        if not ch.isascii() and not name:
            raise NotStandalone(f"line {line}: the character U+{ord(ch):04X} has no name to escape it by")
        out.append(ch if ch.isascii() else f"\\N{{{name}}}")
    return "".join(out)


def _definition(obj) -> str:
    """The source of a class or function, dedented, without decorators."""
    src = textwrap.dedent(inspect.getsource(obj))
    node = ast.parse(src).body[0]
    lines = src.splitlines()
    return "\n".join(lines[node.lineno - 1:node.end_lineno])


def _globals_used(src: str) -> set[str]:
    """The names ``src`` reads from its module (or builtins), by Python's own scoping rules."""
    used = set()
    stack = [symtable.symtable(src, "<layer>", "exec")]
    while stack:
        table = stack.pop()
        stack.extend(table.get_children())
        for sym in table.get_symbols():
            if not sym.is_referenced():
                continue
            if sym.is_global() or (table.get_type() in ("module", "class") and not sym.is_assigned()
                                   and not sym.is_imported() and not sym.is_parameter()):
                used.add(sym.get_name())
    return used


def _stdlib(name: str) -> bool:
    return name in getattr(sys, "stdlib_module_names", ()) or name in sys.builtin_module_names


def _renamed(src: str, old: str, new: str) -> str:
    """A class's source defining it as ``new``: its header's name changed (the body names it not)."""
    head, sep, rest = src.partition("\n")
    if not head.startswith(f"class {old}") or old in rest:
        raise NotStandalone(f"class {old} cannot be defined as {new}")
    return f"class {new}" + head[len(f"class {old}"):] + sep + rest


def support(classes, names: dict | None = None) -> Support:
    """The standalone source for ``classes`` (layer classes), with what they need from their modules;
    ``names``: a class → the name to define it under (the book's ``Affine`` for ``AffineLayer``)."""
    names = names or {}
    out = Support()
    done: set[int] = set()
    defined: dict[str, object] = {}  # module-level name → what it is, across the layers' modules

    def define(name, value, who):
        if name in defined and defined[name] is not value and defined[name] != value:
            raise NotStandalone(f"{who} uses {name!r}, which another layer's module defines differently")
        defined[name] = value

    def need(obj, who: str):
        if id(obj) in done:
            return
        done.add(id(obj))
        src = _definition(obj)
        module = sys.modules[obj.__module__]
        for name in sorted(_globals_used(src) - {obj.__name__}):
            if name in vars(module):
                value = vars(module)[name]
            elif hasattr(builtins, name):
                continue
            else:
                raise NotStandalone(f"{who} uses {name!r}, which its module does not define")
            define(name, value, who)
            if isinstance(value, types.ModuleType) and ALIASES.get(value.__name__) == name:
                if f"{value.__name__} as {name}" not in out.imports:  # numpy, as the book imports it
                    out.imports.append(f"{value.__name__} as {name}")
                    out.names.add(name)
            elif isinstance(value, types.ModuleType):
                if not _stdlib(value.__name__) or "." in value.__name__:
                    raise NotStandalone(f"{who} uses the module {value.__name__!r}, which is not "
                                        "in Python's standard library")
                if value.__name__ != name:
                    raise NotStandalone(f"{who} imports {value.__name__!r} as {name!r}")
                if name not in out.imports:
                    out.imports.append(name)
                    out.names.add(name)
            elif isinstance(value, (types.FunctionType, type)) and (
                    value.__module__ == module.__name__ or value.__module__.startswith(LAYERS)):
                need(value, f"{who} (through {name})")
            elif type(value) in (int, float, str, bool) or value is None:
                if name not in out.names:
                    out.blocks.append(f"{name} = {ascii(value) if isinstance(value, str) else repr(value)}")
                    out.names.add(name)
            else:
                raise NotStandalone(f"{who} uses {name!r} ({type(value).__name__}), which a standalone "
                                    "script cannot define")
        name = names.get(obj, obj.__name__)
        define(name, obj, who)
        out.blocks.append(_asciified(src if name == obj.__name__ else _renamed(src, obj.__name__, name)))
        out.names.add(name)

    for cls in classes:
        need(cls, cls.__name__)
    return out


def class_name(op: str, book: bool = False) -> str:
    """The name a script defines an op's layer under: in a script of tensors (``book``), the
    book's ``common/layers.py`` name where it has one (``Affine``), else the class's own."""
    spec = OPS[op]
    return spec.book if book and spec.book else spec.layer.__name__


def support_for_ops(ops, book: bool = False) -> Support:
    """The support for the layer classes of these op names (inputs have none); ``book``: under
    the names of the book's ``common/layers.py`` (see ``class_name``)."""
    specs = [OPS[op] for op in ops if OPS[op].arity]
    return support([s.layer for s in specs], {s.layer: class_name(s.name, book) for s in specs})


def helper_names() -> set[str]:
    """Every module-level name a script's layer code may define besides the layer classes:
    the imports, helpers and constants of all registered layers (the importer skips these)."""
    try:
        return support_for_ops(OPS).names - {spec.layer.__name__ for spec in OPS.values()}
    except NotStandalone:
        return set()
