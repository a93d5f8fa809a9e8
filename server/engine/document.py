"""The document format, versions 1 and 2: parsing and validation (see docs/format.md).

Version 2 is version 1 with tensor values: an input's ``value`` may be a
rectangular nested list of finite numbers. A document is written as version 2
only when it holds one, so a document of numbers reads as before everywhere.

Validation reports every problem with its JSON location
(``nodes[3].op: unknown op 'mull'``), not just the first. Pydantic checks the
shape and types; the checks that need the whole document (ids, ports, ops,
cycles) are done here by hand after it.
"""
from __future__ import annotations

import difflib
import json
import math
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from ..errors import Refused, TooLarge
from . import tensor
from .registry import OPS
from .text import loads_json, text_problem

FORMAT = "gradcanvas"
VERSION = 1         # a document of numbers
TENSOR_VERSION = 2  # a document holding a tensor value

Finite = Annotated[float, Field(strict=True, allow_inf_nan=False)]
def _checked(newline: bool):
    def check(value: str) -> str:
        problem = text_problem(value, "the text", newline)
        if problem:
            raise ValueError(problem)
        return value
    return AfterValidator(check)


Id = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=200), _checked(newline=False)]
Text = Annotated[str, StringConstraints(strict=True, max_length=500), _checked(newline=True)]


class GraphError(Refused, ValueError):
    """A refused mutation or an invalid document. The graph is left unchanged."""


class GraphTooLarge(TooLarge, GraphError):
    """A document or graph over its limit of bytes or nodes."""


@dataclass(frozen=True)
class Limits:
    """Caps on a document's nodes and bytes; ``None``, the default, is no cap.

    The caps are a server's policy (server/web/app.py sets them from ``MAX_NODES`` and
    ``MAX_DOCUMENT_BYTES``): a library user or ``gradcanvas eval`` meets none unless asked.
    """
    max_nodes: int | None = None
    max_bytes: int | None = None

    def too_many_nodes(self, count: int) -> bool:
        return self.max_nodes is not None and count > self.max_nodes

    def too_many_bytes(self, size: int) -> bool:
        return self.max_bytes is not None and size > self.max_bytes


class NodeModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Id
    op: Annotated[str, StringConstraints(strict=True, max_length=50)]
    value: Optional[Finite] = None
    label: Optional[Text] = None
    grad_label: Optional[Text] = None  # a symbolic figure's name for the gradient arriving here: "E"
    x: Finite = 0.0
    y: Finite = 0.0
    params: Optional[dict[Annotated[str, StringConstraints(max_length=50)], Finite]] = None
    trainable: Optional[Annotated[bool, Field(strict=True)]] = None


class EdgeModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: Id
    target: Id
    port: Annotated[int, Field(strict=True, ge=0)]


class DocumentModel(BaseModel):
    """The top level; nodes and edges are validated one by one so every problem is found."""
    model_config = ConfigDict(extra="forbid")
    format: Literal["gradcanvas"]
    version: Literal[1, 2]
    title: Text = ""
    nodes: list[Any]
    edges: list[Any] = []
    output: Optional[Id] = None
    learning_rate: Optional[Finite] = None
    dataset: Optional[Any] = None


DEFAULT_LEARNING_RATE = 0.1

# The datasets a document may name for mini-batch training (teaching/minibatch.py): two made
# from a seed, and MNIST from the idx files the server or the command line was given.
DATASETS = ("spiral", "moons", "mnist")
Whole = Annotated[int, Field(strict=True, ge=0)]


class DatasetModel(BaseModel):
    """``"dataset": {"name": "spiral", "seed": 0, "batch": 30, "drawn": 1, "x": "x", "t": "t"}``:
    what the inputs ``x`` and ``t`` are batches of. Only names and numbers: the data stays
    on the server."""
    model_config = ConfigDict(extra="forbid")
    name: Literal[DATASETS]
    seed: Annotated[int, Field(strict=True, ge=0, le=2**32 - 1)] = 0
    batch: Annotated[int, Field(strict=True, ge=1, le=10_000)]
    drawn: Annotated[int, Field(strict=True, ge=0, le=2**53)] = 0  # batches drawn so far: the next is number `drawn`
    x: Id = "x"
    t: Id = "t"


def dataset_problems(raw, where: str = "dataset") -> tuple[dict | None, list[str]]:
    """The dataset field as a plain dict (every key filled in), or the problems with it."""
    try:
        return DatasetModel.model_validate(raw).model_dump(), []
    except ValidationError as err:
        return None, _pydantic_problems(err, (where,))


def learning_rate_problem(value) -> str | None:
    """Why ``value`` cannot be a learning rate, or None if it can."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "must be a finite number"
    if not 0 < value <= 1e6:
        return "must be greater than 0 and at most 1,000,000"
    return None


def location(loc) -> str:
    """('nodes', 3, 'op') → 'nodes[3].op'."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "document"


def _pydantic_problems(err: ValidationError, prefix=()) -> list[str]:
    problems = []
    for e in err.errors(include_url=False):
        where = location(prefix + tuple(e["loc"]))
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = "unknown field"
        elif e["type"] == "finite_number":
            msg = "must be a finite number, not NaN or infinity"
        elif e["type"] in ("float_type", "int_type"):
            msg = f"must be a number, got {json.dumps(e.get('input'))[:40]}"
        elif e["type"] == "value_error":
            msg = msg.removeprefix("Value error, ")
        problems.append(f"{where}: {msg}")
    return problems


def unknown_op_message(op: str) -> str:
    near = difflib.get_close_matches(op, list(OPS), n=1)
    hint = f" (did you mean '{near[0]}'?)" if near else ""
    return f"unknown op {op!r}{hint}; known ops: {', '.join(OPS)}"


def node_problems(node: dict, where: str) -> list[str]:
    """Checks of one node that pydantic cannot express: its op, value and params."""
    spec = OPS.get(node["op"])
    if spec is None:
        return [f"{where}.op: {unknown_op_message(node['op'])}"]
    problems = []
    if spec.arity and node.get("value") is not None:
        problems.append(f"{where}.value: only input nodes hold a value; '{node['op']}' computes its own")
    for name in (node.get("params") or {}):
        if name not in spec.params:
            allowed = ", ".join(spec.params) or "none"
            problems.append(f"{where}.params.{name}: unknown parameter for '{node['op']}' (allowed: {allowed})")
    if node.get("trainable") and spec.arity:
        problems.append(f"{where}.trainable: only input nodes can be trainable parameters")
    return problems


def normalize_node(model: NodeModel, array=None) -> dict:
    """The node as the graph stores it: defaults filled in, params complete; ``array``: its
    tensor value (a read-only float64 array), if it holds one."""
    spec = OPS.get(model.op)
    node = {"id": model.id, "op": model.op}
    if spec is not None and spec.arity == 0:
        node["value"] = array if array is not None else float(model.value) if model.value is not None else 0.0
    if model.label is not None:
        node["label"] = model.label
    if model.grad_label:
        node["grad_label"] = model.grad_label
    node["x"], node["y"] = float(model.x), float(model.y)
    if spec is not None and spec.params:
        node["params"] = {**spec.params, **(model.params or {})}
    if model.trainable:
        node["trainable"] = True
    return node


def split_tensor(raw, where: str):
    """(the node without a tensor value, the tensor or None, its problem or None).

    A tensor value is checked here, not by pydantic: its problem names the element
    (``nodes[2].value: must hold finite numbers, not nan at [1][0]``).
    """
    if not isinstance(raw, dict) or not isinstance(raw.get("value"), (list, tensor.ndarray)):
        return raw, None, None
    rest = {k: v for k, v in raw.items() if k != "value"}
    try:
        return rest, tensor.parse_tensor(raw["value"]), None
    except tensor.TensorProblem as err:
        return rest, None, f"{where}.value: {err}"


def parse_node(data, where="node") -> dict:
    """Validate one node (as sent by an ``add_node`` edit); raise GraphError listing every problem."""
    data, array, problem = split_tensor(data, where)
    try:
        model = NodeModel.model_validate(data)
    except ValidationError as err:
        problems = _pydantic_problems(err)
        raise GraphError(f"{where}: " + "; ".join(problems), problems, reason="invalid_node",
                         problem=problems[0]) from None
    if problem:
        raise GraphError(problem, reason="invalid_value", node=model.id, problem=problem)
    node = normalize_node(model, array)
    problems = node_problems(node | {"value": model.value if array is None else array}, where)
    if problems:
        if node["op"] not in OPS:
            raise GraphError("; ".join(problems), problems, reason="unknown_op", op=node["op"])
        raise GraphError("; ".join(problems), problems, reason="invalid_node", problem=problems[0])
    return node


def loads(text: str | bytes, limits: Limits = Limits()) -> dict:
    """Parse JSON text into a dict, refusing oversized or malformed input clearly."""
    size = len(text.encode("utf-8") if isinstance(text, str) else text)
    if limits.too_many_bytes(size):
        raise GraphTooLarge(f"document is {size:,} bytes; the limit is {limits.max_bytes:,} bytes",
                            reason="document_too_large", bytes=size, limit=limits.max_bytes)
    try:
        doc = loads_json(text)
    except ValueError as err:  # JSONDecodeError, UnicodeDecodeError, too deep
        raise GraphError(f"malformed JSON: {err}", reason="malformed_json", detail=str(err)[:200]) from None
    if not isinstance(doc, dict):
        raise GraphError("document: must be a JSON object with format, version, nodes and edges")
    return doc


def validate(doc, limits: Limits = Limits()) -> dict:
    """Check a whole document; return it normalised, or raise GraphError with every problem."""
    if not isinstance(doc, dict):
        raise GraphError("document: must be a JSON object with format, version, nodes and edges")
    nodes = doc.get("nodes")
    if isinstance(nodes, list) and limits.too_many_nodes(len(nodes)):
        raise GraphTooLarge(f"document has {len(nodes):,} nodes; the limit is {limits.max_nodes:,}",
                            reason="too_many_nodes", count=len(nodes), limit=limits.max_nodes)
    problems: list[str] = []
    try:
        model = DocumentModel.model_validate(doc)
    except ValidationError as err:
        problems = _pydantic_problems(err)
        if any(p.split(":")[0] in ("nodes", "edges", "format", "version") for p in problems):
            _raise(problems)  # without the lists, or in another format, there is nothing to check
        # Go on with the lists (edges may be absent: its default) to report their problems too.
        output = doc.get("output")
        model = DocumentModel.model_construct(nodes=doc["nodes"], edges=doc.get("edges", []), title="",
                                              output=output if isinstance(output, str) else None)

    first_at: dict[str, int] = {}
    seen_ids: set = set()  # ids of nodes with other problems, so edges to them are not reported twice
    out_nodes = []
    for i, raw in enumerate(model.nodes):
        raw, array, problem = split_tensor(raw, f"nodes[{i}]")
        try:
            nm = NodeModel.model_validate(raw)
        except ValidationError as err:
            problems += _pydantic_problems(err, ("nodes", i))
            nm = None
        if nm is None or problem:
            problems += [problem] if problem else []
            if isinstance(raw, dict) and isinstance(raw.get("id"), str):
                seen_ids.add(raw["id"])
                first_at.setdefault(raw["id"], i)  # a later node with this id is still a duplicate
            continue
        if nm.id in first_at:
            problems.append(f"nodes[{i}].id: duplicate id {nm.id!r} (first used at nodes[{first_at[nm.id]}])")
            continue
        first_at[nm.id] = i
        node = normalize_node(nm, array)
        if nm.op not in OPS or nm.value is not None or array is not None or nm.params or nm.trainable:
            # else there is nothing op-specific to check
            problems += node_problems(node | {"value": nm.value if array is None else array}, f"nodes[{i}]")
        out_nodes.append(node)

    ops = {n["id"]: n["op"] for n in out_nodes}
    wired: dict[tuple[str, int], int] = {}
    out_edges = []
    for i, raw in enumerate(model.edges):
        try:
            em = EdgeModel.model_validate(raw)
        except ValidationError as err:
            problems += _pydantic_problems(err, ("edges", i))
            continue
        for end, nid in (("source", em.source), ("target", em.target)):
            if nid not in ops and nid not in seen_ids:
                problems.append(f"edges[{i}].{end}: no node with id {nid!r}")
        if em.target not in ops:
            continue  # no op to check the port against
        spec = OPS.get(ops[em.target])
        if spec is None:
            continue  # its unknown op is already reported
        if em.port >= spec.arity:
            problems.append(f"edges[{i}].port: {port_range_message(em.target, spec, em.port)}")
        elif (em.target, em.port) in wired:
            problems.append(f"edges[{i}].port: port {em.port} of {em.target!r} is already wired "
                            f"(by edges[{wired[(em.target, em.port)]}])")
        else:
            wired[(em.target, em.port)] = i
            out_edges.append({"source": em.source, "target": em.target, "port": em.port})
    if model.output is not None and model.output not in ops and model.output not in seen_ids:
        problems.append(f"output: no node with id {model.output!r}")
    rate = doc.get("learning_rate")
    if rate is not None and not any(p.startswith("learning_rate") for p in problems) \
            and learning_rate_problem(rate):
        problems.append(f"learning_rate: {learning_rate_problem(rate)}")
    dataset = None
    if model.dataset is not None:
        dataset, found = dataset_problems(model.dataset)
        problems += found
    if problems:
        _raise(problems)
    out = {"format": FORMAT, "version": VERSION, "title": model.title,
           "nodes": out_nodes, "edges": out_edges, "output": model.output}
    if model.learning_rate is not None:
        out["learning_rate"] = float(model.learning_rate)
    if dataset is not None:
        out["dataset"] = dataset
    return out


def _raise(problems: list[str]):
    head = problems[0] if len(problems) == 1 else \
        f"invalid document ({len(problems)} problems):\n" + "\n".join(problems)
    raise GraphError(head, problems, reason="invalid_document", count=len(problems), problem=problems[0])


def port_range_reason(node_id: str, spec, port) -> dict:
    """The reason and params of ``port_range_message``."""
    if spec.arity == 0:
        return {"reason": "no_ports", "node": node_id}
    return {"reason": "wrong_port", "node": node_id, "port": str(port)[:20], "op": spec.name,
            "ports": ", ".join(f"{i} ({p})" for i, p in enumerate(spec.ports))}


def port_range_message(node_id: str, spec, port) -> str:
    if spec.arity == 0:
        return f"{node_id!r} is an input node and has no input ports"
    names = ", ".join(f"{i} ({p})" for i, p in enumerate(spec.ports))
    return f"port {port} is out of range for {node_id!r} ({spec.name}); its ports are {names}"


def jsonable(x):
    """A float for JSON: NaN and ±∞ become the strings JavaScript's Number() reads back;
    a tensor becomes nested lists of them."""
    if x is None:
        return x
    if x.__class__ is tensor.ndarray:
        return tensor.jsonable(x)
    if math.isfinite(x):
        return x
    return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")


def node_json(attrs: dict) -> dict:
    """A node's attributes as a document holds them: a tensor value as nested lists."""
    node = dict(attrs, params=dict(attrs["params"])) if "params" in attrs else dict(attrs)
    if node.get("value").__class__ is tensor.ndarray:
        node["value"] = node["value"].tolist()
    return node
