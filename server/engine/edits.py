"""Edits of a ComputationGraph: every mutation, validated, with its inverse.

Each edit op of the socket protocol (``{"type": "connect", ...}``) is one
method here. It validates first, then either applies completely and returns
``(change, inverse)``, both lists of edit ops, or raises GraphError and leaves
the graph unchanged. ``apply_batch`` makes a list of them atomic.
"""
from __future__ import annotations

import math

import networkx as nx

from . import document, tensor
from .document import GraphError
from .registry import OPS
from .text import text_problem

def _finite_number(value, field: str, node=None) -> float:
    """``value`` as a float; ``field`` (and its ``node``) name it in a refusal."""
    what = f"{field} of {node!r}" if node is not None else field
    where = {"field": field, "node": node} if node is not None else {"field": field}
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise GraphError(f"{what}: must be a number, got {value!r:.40}", reason="not_a_number", **where)
    try:
        value = float(value)  # an int beyond 1.8e308 raises OverflowError here
    except OverflowError:
        raise GraphError(f"{what}: must be a finite number, not {value!r:.40}",
                         reason="not_finite", value=f"{value!r:.40}", **where) from None
    if not math.isfinite(value):
        raise GraphError(f"{what}: must be a finite number, not {value!r}", reason="not_finite",
                         value=str(value), **where)
    return value


def _position(index, size: int, what: str):
    """An optional place in document order, 0..size (``None``: at the end)."""
    if index is not None and (isinstance(index, bool) or not isinstance(index, int) or not 0 <= index <= size):
        raise GraphError(f"{what}: index must be a whole number from 0 to {size}, got {index!r:.40}")
    return index


class Edits:
    """Mixed into ComputationGraph, whose state (g, _wired, _inputs, …) these methods change."""

    # -- mutations -------------------------------------------------------------
    def apply(self, edit: dict):
        """Apply one edit (``{"type": "connect", ...}``); returns (change, inverse)."""
        if not isinstance(edit, dict) or not isinstance(edit.get("type"), str):
            raise GraphError("each edit must be an object with a 'type'")
        handler = self._HANDLERS.get(edit["type"])
        if handler is None:
            raise GraphError(f"unknown edit type {edit['type']!r}; expected one of {', '.join(self._HANDLERS)}",
                             reason="unknown_edit", type=edit["type"][:60])
        args = {k: v for k, v in edit.items() if k != "type"}
        try:
            return handler(self, **args)
        except TypeError as err:
            raise GraphError(f"{edit['type']}: wrong fields ({err})".replace("ComputationGraph.", "")) from None

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
                raise err.retold(where + str(err)) from None  # keeps its kind (too large, …) and reason
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
        self._order = None  # it held the old graph; rebuilt from scratch, in the new document order
        self._structure_changed()

    def add_node(self, node, index=None) -> tuple[list, list]:
        """Add a node at the end of the document, or at position ``index`` (an undo's)."""
        node = document.parse_node(node)
        if node["id"] in self.g:
            raise GraphError(f"duplicate id: a node {node['id']!r} already exists", reason="duplicate_id", node=node["id"])
        if self.limits.too_many_nodes(len(self) + 1):
            raise document.GraphTooLarge(f"the graph has {len(self):,} nodes, the limit", reason="too_many_nodes",
                                         count=len(self), limit=self.limits.max_nodes)
        index = _position(index, len(self), "add_node")
        self.g.add_node(node["id"], **node)
        if self._order is not None:
            self._order.node_added(node["id"])
        self._tensors += self._tensorish(node)
        if index is not None and index < len(self) - 1:
            order = list(self.g)
            order.insert(index, order.pop())
            self._restore_order(order, list(self._wired))
        self._structure_changed()
        change = {"type": "add_node", "node": document.node_json(node)}
        if index is not None:
            change["index"] = index
        return [change], [{"type": "remove_node", "id": node["id"]}]

    def remove_node(self, id) -> tuple[list, list]:
        attrs = document.node_json(self.node(id))
        edges = [(k, s, t, p) for k, ((t, p), s) in enumerate(self._wired.items()) if s == id or t == id]
        # In ascending order of place, each re-insertion lands where it was.
        inverse = [{"type": "add_node", "node": attrs, "index": list(self.g).index(id)}]
        inverse += [{"type": "connect", "source": s, "target": t, "port": p, "index": k} for k, s, t, p in edges]
        if self.output == id:
            inverse.append({"type": "set_output", "id": id})
            self.output = None
        for _, s, t, p in edges:
            self._unwire(t, p)
        self._tensors -= self._tensorish(self.g.nodes[id])
        self.g.remove_node(id)
        if self._order is not None:
            self._order.node_removed(id)
        self._inputs.pop(id, None)
        self._structure_changed()
        return [{"type": "remove_node", "id": id}], inverse

    def connect(self, source, target, port, index=None) -> tuple[list, list]:
        """Wire ``source`` into ``target``'s ``port``; the edge goes last, or at ``index`` (an undo's)."""
        self.node(source)
        spec = OPS[self.node(target)["op"]]
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port < spec.arity:
            raise GraphError(document.port_range_message(target, spec, port),
                             **document.port_range_reason(target, spec, port))
        taken = self._wired.get((target, port))
        if taken is not None:
            raise GraphError(f"port {port} ({spec.ports[port]}) of {target!r} is already wired "
                             f"(from {taken!r}); disconnect it first", reason="port_taken",
                             node=target, port=port, port_name=spec.ports[port], source=taken)
        if source == target:
            raise GraphError(f"connecting {source!r} to itself would create a cycle: {source} → {source}",
                             reason="cycle", source=source, target=target, path=f"{source} → {source}")
        if nx.has_path(self.g, target, source):
            path = nx.shortest_path(self.g, target, source)
            cycle = " → ".join(path + [target])
            raise GraphError(f"connecting {source!r} → {target!r} would create a cycle: " + cycle,
                             reason="cycle", source=source, target=target, path=cycle)
        index = _position(index, len(self._wired), "connect")
        self._wire(source, target, port)
        if self._tensors:
            try:
                self._check_shapes()
            except GraphError:
                self._unwire(target, port)
                raise
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
            raise GraphError(f"port {port!r} of {target!r} is not wired", reason="port_not_wired",
                             node=target, port=str(port)[:20])
        index = list(self._wired).index((target, port))
        self._unwire(target, port)
        self._structure_changed()
        return ([{"type": "disconnect", "target": target, "port": port}],
                [{"type": "connect", "source": source, "target": target, "port": port, "index": index}])

    def set_value(self, id, value) -> tuple[list, list]:
        attrs = self.node(id)
        if attrs["op"] != "input":
            raise GraphError(f"{id!r} is a '{attrs['op']}' node; only input nodes have a value to set",
                             reason="not_an_input", node=id, op=attrs["op"])
        if isinstance(value, (list, tensor.ndarray)):
            try:
                value = tensor.parse_tensor(value)
            except tensor.TensorProblem as err:
                raise GraphError(f"value of {id!r}: {err}", reason="invalid_value", node=id,
                                 problem=str(err)) from None
        else:
            value = _finite_number(value, "value", id)
        old = attrs["value"]
        attrs["value"] = value
        if value.__class__ is not float or old.__class__ is not float:  # a tensor: do the shapes still fit?
            self._tensors += (value.__class__ is tensor.ndarray) - (old.__class__ is tensor.ndarray)
            if tensor.shape_of(value) != tensor.shape_of(old):
                try:
                    self._check_shapes()
                except GraphError:
                    attrs["value"] = old
                    self._tensors -= (value.__class__ is tensor.ndarray) - (old.__class__ is tensor.ndarray)
                    raise
        self._stale_inputs.add(id)
        return ([{"type": "set_value", "id": id, "value": tensor.to_list(value)}],
                [{"type": "set_value", "id": id, "value": tensor.to_list(old)}])

    def set_label(self, id, label) -> tuple[list, list]:
        attrs = self.node(id)
        if label is not None and (not isinstance(label, str) or len(label) > 500):
            raise GraphError(f"label of {id!r}: must be text of at most 500 characters")
        if label and text_problem(label, f"label of {id!r}"):
            raise GraphError(text_problem(label, f"label of {id!r}"))
        old = attrs.get("label")
        if label is None or label == "":
            attrs.pop("label", None)
            label = None
        else:
            attrs["label"] = label
        self._symbols = None  # names come from labels
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
            _finite_number(value, f"params.{name}", id)
        if not spec.params:  # even {}: it would add a 'params' field the document cannot hold
            raise GraphError(f"params of {id!r}: a '{spec.name}' node has no parameters")
        old = dict(attrs.get("params", {}))
        attrs["params"] = {**old, **{k: float(v) for k, v in params.items()}}
        self._structure_changed(fresh=id)  # its layer object holds its params: rebuild it
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
            raise GraphError(f"{id!r} is a '{attrs['op']}' node; only input nodes can be trainable parameters",
                             reason="not_an_input", node=id, op=attrs["op"])
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

    def set_dataset(self, dataset) -> tuple[list, list]:
        """What x and t are batches of (document.DatasetModel), or None: no dataset."""
        if dataset is not None:
            dataset, problems = document.dataset_problems(dataset)
            if problems:
                raise GraphError(problems[0], problems, reason="invalid_dataset", problem=problems[0])
        old, self.dataset = self.dataset, dataset
        return [{"type": "set_dataset", "dataset": dataset}], [{"type": "set_dataset", "dataset": old}]

    def set_title(self, title) -> tuple[list, list]:
        if not isinstance(title, str) or len(title) > 500:
            raise GraphError("title: must be text of at most 500 characters")
        if text_problem(title, "title"):
            raise GraphError(text_problem(title, "title"))
        old, self.title = self.title, title
        return [{"type": "set_title", "title": title}], [{"type": "set_title", "title": old}]

    @staticmethod
    def _tensorish(attrs) -> bool:
        return attrs.get("value").__class__ is tensor.ndarray or not OPS[attrs["op"]].takes_scalars

    _HANDLERS = {"add_node": add_node, "remove_node": remove_node, "connect": connect,
            "disconnect": disconnect, "set_value": set_value, "set_label": set_label,
            "set_params": set_params, "move_node": move_node, "set_output": set_output,
            "set_trainable": set_trainable, "set_learning_rate": set_learning_rate, "set_title": set_title,
            "set_dataset": set_dataset}

    def _wire(self, source, target, port):
        self.g.add_edge(source, target, key=port)
        if self._order is not None:
            self._order.edge_added(source, target)
        self._wired[(target, port)] = source
        ports = self._inputs.get(target)
        if ports is None:  # (not setdefault: its default would be built for every edge)
            ports = self._inputs[target] = [None] * OPS[self.g.nodes[target]["op"]].arity
        ports[port] = source

    def _unwire(self, target, port):
        source = self._wired.pop((target, port))
        self.g.remove_edge(source, target, key=port)
        if self._order is not None:
            self._order.edge_removed(target)
        self._inputs[target][port] = None
