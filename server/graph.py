"""ComputationGraph: the graph of layers on a networkx MultiDiGraph.

Multi, because one node may feed both ports of an op (``x * x``): each edge's
key is the target port. Every mutation validates first, then either applies
completely and returns ``(change, inverse)``, both lists of edit ops in the
socket protocol's words, or raises GraphError and leaves the graph unchanged.
"""
from __future__ import annotations

import math
from itertools import compress

import networkx as nx

from . import document
from .document import GraphError, Limits, jsonable
from .plan import Plan, gc_paused
from .registry import OPS
from .steps import backward_steps, forward_steps


def _finite_number(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise GraphError(f"{what}: must be a number, got {value!r:.40}")
    try:
        value = float(value)  # an int beyond 1.8e308 raises OverflowError here
    except OverflowError:
        raise GraphError(f"{what}: must be a finite number, not {value!r:.40}") from None
    if not math.isfinite(value):
        raise GraphError(f"{what}: must be a finite number, not {value!r}")
    return value


def _position(index, size: int, what: str):
    """An optional place in document order, 0..size (``None``: at the end)."""
    if index is not None and (isinstance(index, bool) or not isinstance(index, int) or not 0 <= index <= size):
        raise GraphError(f"{what}: index must be a whole number from 0 to {size}, got {index!r:.40}")
    return index


class ComputationGraph:
    def __init__(self, title: str = "", limits: Limits = Limits()):
        self.g = nx.MultiDiGraph()
        self.title = title
        self.output: str | None = None
        self.learning_rate: float | None = None  # None: the default (document.DEFAULT_LEARNING_RATE)
        self.limits = limits
        self._wired: dict[tuple[str, int], str] = {}  # (target, port) → source, in wiring order
        self._inputs: dict[str, list] = {}            # target → [source or None per port]
        self._plan: Plan | None = None
        self._stale_inputs: set[str] = set()          # inputs whose value changed since the last run
        self._dirty = True

    # -- documents -------------------------------------------------------------
    @classmethod
    def from_dict(cls, doc: dict, limits: Limits = Limits()) -> "ComputationGraph":
        """Load a document, reporting every problem with its JSON location."""
        with gc_paused():  # a large document is millions of objects, none of them garbage
            doc = document.validate(doc, limits)
            graph = cls(doc["title"], limits)
            g = graph.g
            g.add_nodes_from((n["id"], n) for n in doc["nodes"])
            for e in doc["edges"]:
                graph._wire(e["source"], e["target"], e["port"])
        try:
            # Compiling the plan sorts topologically, which is also the cycle check.
            graph._plan = Plan(g, graph._inputs)
        except nx.NetworkXUnfeasible:
            cycle = nx.find_cycle(g)
            names = [c[0] for c in cycle] + [cycle[0][0]]
            raise GraphError("edges: the graph has a cycle: " + " → ".join(names),
                             ["edges: the graph has a cycle: " + " → ".join(names)]) from None
        graph.output = doc["output"]
        graph.learning_rate = doc.get("learning_rate")
        return graph

    @classmethod
    def from_json(cls, text, limits: Limits = Limits()) -> "ComputationGraph":
        with gc_paused():
            return cls.from_dict(document.loads(text, limits), limits)

    def to_dict(self) -> dict:
        doc = {"format": document.FORMAT, "version": document.VERSION, "title": self.title,
               "nodes": [dict(attrs, params=dict(attrs["params"])) if "params" in attrs else dict(attrs)
                         for _, attrs in self.g.nodes(data=True)],
               "edges": [{"source": s, "target": t, "port": p} for (t, p), s in self._wired.items()],
               "output": self.output}
        if self.learning_rate is not None:
            doc["learning_rate"] = self.learning_rate
        return doc

    def trainable(self) -> list[str]:
        """The input nodes marked as parameters, in document order."""
        return [n for n, attrs in self.g.nodes(data=True) if attrs.get("trainable")]

    # -- reading ---------------------------------------------------------------
    def node(self, node_id: str) -> dict:
        try:
            return self.g.nodes[node_id]
        except KeyError:
            raise GraphError(f"no node with id {node_id!r}") from None

    def __len__(self):
        return self.g.number_of_nodes()

    def source_of(self, target: str, port: int):
        return self._wired.get((target, port))

    # -- mutations -------------------------------------------------------------
    def apply(self, op: dict):
        """Apply one edit op (``{"type": "connect", ...}``); returns (change, inverse)."""
        if not isinstance(op, dict) or not isinstance(op.get("type"), str):
            raise GraphError("each edit op must be an object with a 'type'")
        handler = self._OPS.get(op["type"])
        if handler is None:
            raise GraphError(f"unknown edit type {op['type']!r}; expected one of {', '.join(self._OPS)}")
        args = {k: v for k, v in op.items() if k != "type"}
        try:
            return handler(self, **args)
        except TypeError as err:
            raise GraphError(f"{op['type']}: wrong fields ({err})".replace("ComputationGraph.", "")) from None

    def apply_batch(self, ops) -> tuple[list, list]:
        """Apply every op or none: on a refusal, the applied ones are undone in reverse."""
        if not isinstance(ops, list) or not ops:
            raise GraphError("ops must be a non-empty list of edit ops")
        changes, undo = [], []
        # Only a batch of several ops can need its order restored after a rollback.
        node_order, edge_order = (list(self.g.nodes), list(self._wired)) if len(ops) > 1 else (None, None)
        for k, op in enumerate(ops):
            try:
                change, inverse = self.apply(op)
            except GraphError as err:
                for inv in reversed(undo):
                    for iop in inv:
                        self.apply(iop)
                if node_order is not None:
                    self._restore_order(node_order, edge_order)
                where = f"ops[{k}]: " if len(ops) > 1 else ""
                raise GraphError(where + str(err), err.problems) from None
            changes += change
            undo.append(inverse)
        return changes, [iop for inv in reversed(undo) for iop in inv]

    def _restore_order(self, node_order: list, edge_order: list):
        """Put nodes and edges in this document order (after a rollback or an undo).

        The graph is rebuilt with its edges added in document order, as ``from_dict``
        does: the topological order, and so the steps, then depend only on the document.
        """
        if list(self.g.nodes) == node_order and list(self._wired) == edge_order:
            return
        self._wired = {key: self._wired[key] for key in edge_order}
        g = nx.MultiDiGraph()
        g.add_nodes_from((n, self.g.nodes[n]) for n in node_order)
        g.add_edges_from((s, t, p, {}) for (t, p), s in self._wired.items())
        self.g = g
        self._structure_changed()

    def add_node(self, node, index=None) -> tuple[list, list]:
        """Add a node at the end of the document, or at position ``index`` (an undo's)."""
        node = document.parse_node(node)
        if node["id"] in self.g:
            raise GraphError(f"duplicate id: a node {node['id']!r} already exists")
        if len(self) >= self.limits.max_nodes:
            raise GraphError(f"the graph has {len(self):,} nodes, the limit")
        index = _position(index, len(self), "add_node")
        self.g.add_node(node["id"], **node)
        if index is not None and index < len(self) - 1:
            order = list(self.g)
            order.insert(index, order.pop())
            self._restore_order(order, list(self._wired))
        self._structure_changed()
        change = {"type": "add_node", "node": dict(node)}
        if index is not None:
            change["index"] = index
        return [change], [{"type": "remove_node", "id": node["id"]}]

    def remove_node(self, id) -> tuple[list, list]:
        attrs = dict(self.node(id))
        edges = [(k, s, t, p) for k, ((t, p), s) in enumerate(self._wired.items()) if s == id or t == id]
        # In ascending order of place, each re-insertion lands where it was.
        inverse = [{"type": "add_node", "node": attrs, "index": list(self.g).index(id)}]
        inverse += [{"type": "connect", "source": s, "target": t, "port": p, "index": k} for k, s, t, p in edges]
        if self.output == id:
            inverse.append({"type": "set_output", "id": id})
            self.output = None
        for _, s, t, p in edges:
            self._unwire(t, p)
        self.g.remove_node(id)
        self._inputs.pop(id, None)
        self._structure_changed()
        return [{"type": "remove_node", "id": id}], inverse

    def connect(self, source, target, port, index=None) -> tuple[list, list]:
        """Wire ``source`` into ``target``'s ``port``; the edge goes last, or at ``index`` (an undo's)."""
        self.node(source)
        spec = OPS[self.node(target)["op"]]
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port < spec.arity:
            raise GraphError(document.port_range_message(target, spec, port))
        taken = self._wired.get((target, port))
        if taken is not None:
            raise GraphError(f"port {port} ({spec.ports[port]}) of {target!r} is already wired "
                             f"(from {taken!r}); disconnect it first")
        if source == target:
            raise GraphError(f"connecting {source!r} to itself would create a cycle: {source} → {source}")
        if nx.has_path(self.g, target, source):
            path = nx.shortest_path(self.g, target, source)
            raise GraphError(f"connecting {source!r} → {target!r} would create a cycle: "
                             + " → ".join(path + [target]))
        index = _position(index, len(self._wired), "connect")
        self._wire(source, target, port)
        if index is not None and index < len(self._wired) - 1:
            order = list(self._wired)
            order.insert(index, order.pop())
            self._restore_order(list(self.g), order)
        self._structure_changed()
        change = {"type": "connect", "source": source, "target": target, "port": port}
        if index is not None:
            change["index"] = index
        return [change], [{"type": "disconnect", "target": target, "port": port}]

    def disconnect(self, target, port) -> tuple[list, list]:
        self.node(target)
        # bool is an int, and True == 1: refuse it rather than disconnect port 1
        source = self._wired.get((target, port)) if isinstance(port, int) and not isinstance(port, bool) else None
        if source is None:
            raise GraphError(f"port {port!r} of {target!r} is not wired")
        index = list(self._wired).index((target, port))
        self._unwire(target, port)
        self._structure_changed()
        return ([{"type": "disconnect", "target": target, "port": port}],
                [{"type": "connect", "source": source, "target": target, "port": port, "index": index}])

    def set_value(self, id, value) -> tuple[list, list]:
        attrs = self.node(id)
        if attrs["op"] != "input":
            raise GraphError(f"{id!r} is a '{attrs['op']}' node; only input nodes have a value to set")
        value = _finite_number(value, f"value of {id!r}")
        old = attrs["value"]
        attrs["value"] = value
        self._stale_inputs.add(id)
        self._dirty = True
        return [{"type": "set_value", "id": id, "value": value}], [{"type": "set_value", "id": id, "value": old}]

    def set_label(self, id, label) -> tuple[list, list]:
        attrs = self.node(id)
        if label is not None and (not isinstance(label, str) or len(label) > 500):
            raise GraphError(f"label of {id!r}: must be text of at most 500 characters")
        old = attrs.get("label")
        if label is None or label == "":
            attrs.pop("label", None)
            label = None
        else:
            attrs["label"] = label
        return [{"type": "set_label", "id": id, "label": label}], [{"type": "set_label", "id": id, "label": old}]

    def set_params(self, id, params) -> tuple[list, list]:
        attrs = self.node(id)
        spec = OPS[attrs["op"]]
        if not isinstance(params, dict):
            raise GraphError(f"params of {id!r}: must be an object")
        for name, value in params.items():
            if name not in spec.params:
                raise GraphError(f"params.{name}: unknown parameter for '{spec.name}' "
                                 f"(allowed: {', '.join(spec.params) or 'none'})")
            _finite_number(value, f"params.{name} of {id!r}")
        if not spec.params:  # even {}: it would add a 'params' field the document cannot hold
            raise GraphError(f"params of {id!r}: a '{spec.name}' node has no parameters")
        old = dict(attrs.get("params", {}))
        attrs["params"] = {**old, **{k: float(v) for k, v in params.items()}}
        self._structure_changed()  # the layer objects hold their params: rebuild them
        return ([{"type": "set_params", "id": id, "params": dict(attrs["params"])}],
                [{"type": "set_params", "id": id, "params": old}])

    def move_node(self, id, x, y) -> tuple[list, list]:
        attrs = self.node(id)
        x, y = _finite_number(x, "x"), _finite_number(y, "y")
        old = {"type": "move_node", "id": id, "x": attrs["x"], "y": attrs["y"]}
        attrs["x"], attrs["y"] = x, y
        return [{"type": "move_node", "id": id, "x": x, "y": y}], [old]

    def set_output(self, id) -> tuple[list, list]:
        if id is not None:
            self.node(id)
        old = self.output
        self.output = id
        self._backward_dirty()
        return [{"type": "set_output", "id": id}], [{"type": "set_output", "id": old}]

    def set_trainable(self, id, trainable) -> tuple[list, list]:
        attrs = self.node(id)
        if not isinstance(trainable, bool):
            raise GraphError(f"trainable of {id!r}: must be true or false")
        if trainable and attrs["op"] != "input":
            raise GraphError(f"{id!r} is a '{attrs['op']}' node; only input nodes can be trainable parameters")
        old = bool(attrs.get("trainable"))
        if trainable:
            attrs["trainable"] = True
        else:
            attrs.pop("trainable", None)
        return ([{"type": "set_trainable", "id": id, "trainable": trainable}],
                [{"type": "set_trainable", "id": id, "trainable": old}])

    def set_learning_rate(self, value) -> tuple[list, list]:
        if value is not None and document.learning_rate_problem(value):
            raise GraphError(f"learning rate: {document.learning_rate_problem(value)}")
        old = self.learning_rate
        self.learning_rate = None if value is None else float(value)
        return ([{"type": "set_learning_rate", "value": self.learning_rate}],
                [{"type": "set_learning_rate", "value": old}])

    def set_title(self, title) -> tuple[list, list]:
        if not isinstance(title, str) or len(title) > 500:
            raise GraphError("title: must be text of at most 500 characters")
        old, self.title = self.title, title
        return [{"type": "set_title", "title": title}], [{"type": "set_title", "title": old}]

    _OPS = {"add_node": add_node, "remove_node": remove_node, "connect": connect,
            "disconnect": disconnect, "set_value": set_value, "set_label": set_label,
            "set_params": set_params, "move_node": move_node, "set_output": set_output,
            "set_trainable": set_trainable, "set_learning_rate": set_learning_rate, "set_title": set_title}

    def _wire(self, source, target, port):
        self.g.add_edge(source, target, key=port)
        self._wired[(target, port)] = source
        ports = self._inputs.get(target)
        if ports is None:  # (not setdefault: its default would be built for every edge)
            ports = self._inputs[target] = [None] * OPS[self.g.nodes[target]["op"]].arity
        ports[port] = source

    def _unwire(self, target, port):
        source = self._wired.pop((target, port))
        self.g.remove_edge(source, target, key=port)
        self._inputs[target][port] = None

    def _structure_changed(self):
        self._plan = None
        self._dirty = True

    def _backward_dirty(self):
        if self._plan is not None:
            self._plan._backward_cache.clear()

    # -- evaluation ------------------------------------------------------------
    @property
    def plan(self) -> Plan:
        """The cached plan, run forward and up to date with every value."""
        plan = self._plan
        if plan is None:
            plan = self._plan = Plan(self.g, self._inputs)
        if not plan.ran or len(self._stale_inputs) >= len(plan.leaves) > 0:
            plan.run_forward()  # every input changed: every step is downstream, no need to look
        elif self._stale_inputs:
            # Only what lies downstream of the changed inputs is recomputed.
            plan.run_forward(plan.positions_downstream(self._stale_inputs))
        self._stale_inputs.clear()
        self._dirty = False
        return plan

    def output_node(self, output=None) -> str:
        """The node whose gradient is seeded with 1: the given, the marked or the single sink."""
        output = output if output is not None else self.output
        if output is not None:
            self.node(output)
            return output
        sinks = [n for n in self.g if self.g.out_degree(n) == 0]
        op_sinks = [n for n in sinks if self.g.nodes[n]["op"] != "input"]
        candidates = op_sinks or sinks
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            raise GraphError("the graph is empty: there is no output")
        listed = ", ".join(repr(c) for c in candidates[:10]) + (" …" if len(candidates) > 10 else "")
        raise GraphError(f"the output is ambiguous: {len(candidates)} nodes have no outgoing edge "
                         f"({listed}); mark one as the output")

    def _require_complete(self, plan: Plan):
        if plan.incomplete:
            first = next(iter(plan.incomplete.values()))
            more = len(plan.incomplete) - 1
            raise GraphError(f"cannot evaluate: {first}" + (f" (and {more} more nodes)" if more else ""))

    def forward(self) -> dict[str, float]:
        """Every node's value, {node_id: value}; raises if an op input is unwired."""
        plan = self.plan
        self._require_complete(plan)
        return dict(zip(plan.ids, plan.vals))

    def backward(self, output=None) -> dict[str, float]:
        """∂output/∂node for every node on a path to the output, {node_id: grad}."""
        plan = self.plan
        self._require_complete(plan)
        out = self.output_node(output)
        grads, _, mask = plan.run_backward(plan.index[out])
        if all(mask):  # every node is on a path to the output: no filtering
            return dict(zip(plan.ids, grads))
        return dict(zip(compress(plan.ids, mask), compress(grads, mask)))

    def faults(self) -> dict[str, str]:
        """Numerical faults: {node_id: message}, for nodes whose forward failed or overflowed."""
        plan = self.plan
        return {plan.ids[i]: msg for i, msg in plan.faults.items()}

    def affected(self) -> set[str]:
        """Nodes downstream of a fault, whose values are therefore not trustworthy."""
        out: set[str] = set()
        for nid in self.faults():
            out |= nx.descendants(self.g, nid)
        return out

    def evaluate(self, output=None) -> dict:
        """Everything computable, never raising: the state sent to the editor (JSON-safe)."""
        plan = self.plan
        ids, vals = plan.ids, plan.vals
        errors = dict(plan.incomplete)
        faults = self.faults()
        errors.update(faults)
        state = {"values": {ids[i]: jsonable(v) for i, v in enumerate(vals)},
                 "grads": {}, "errors": errors, "affected": sorted(self.affected()),
                 "output": None, "edges": []}
        try:
            out = self.output_node(output)
        except GraphError as err:
            state["output_error"] = str(err)
            out = None
        grads = egrads = mask = None
        if out is not None and out in plan.index:
            state["output"] = out
            grads, egrads, mask = plan.run_backward(plan.index[out])
            state["grads"] = {ids[i]: jsonable(g) for i, g in enumerate(grads) if mask[i]}
        elif out is not None:
            state["output_error"] = f"the output {out!r} cannot be computed yet"
        index = plan.index
        for (t, p), s in self._wired.items():
            edge = {"source": s, "target": t, "port": p, "value": None, "grad": None}
            if s in index:
                edge["value"] = jsonable(vals[index[s]])
            ti = index.get(t)
            if mask is not None and ti is not None and mask[ti]:
                eg = egrads[ti]
                edge["grad"] = jsonable(eg if OPS[self.g.nodes[t]["op"]].arity == 1 else eg[p])
            state["edges"].append(edge)
        return state

    def edge_grad(self, target: str, port: int, output=None) -> float:
        """The gradient carried back along the edge into ``target``'s ``port``."""
        plan = self.plan
        _, egrads, mask = plan.run_backward(plan.index[self.output_node(output)])
        ti = plan.index[target]
        if not mask[ti]:
            return None
        eg = egrads[ti]
        return eg if OPS[self.g.nodes[target]["op"]].arity == 1 else eg[port]

    def forward_steps(self):
        """One event per node in topological order (see server/steps.py)."""
        return forward_steps(self)

    def backward_steps(self, output=None):
        """One event per node on a path to the output, in reverse topological order."""
        return backward_steps(self, output)
