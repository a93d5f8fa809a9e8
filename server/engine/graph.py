"""ComputationGraph: the graph of layers on a networkx MultiDiGraph.

Multi, because one node may feed both ports of an op (``x * x``): each edge's
key is the target port. The edits (mutations with their inverses) are in
``server/edits.py``; this module holds the state, loading, saving and evaluation.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import compress

import networkx as nx

from . import document, tensor
from .document import GraphError, Limits
from .edits import Edits
from .order import Order
from .registry import OPS
from .plan import Plan, gc_paused
from .shapes import infer
from .steps import backward_steps, forward_steps
from .symbols import Symbolic, symbolic


@dataclass(frozen=True)
class Changes:
    """What ``ComputationGraph.changes`` found changed since it was last asked.

    ``values``: the nodes whose value differs, bit for bit (NaN is NaN, −0.0 is not 0.0).
    ``grads``: the nodes whose gradient toward the output differs, or one of the
    gradients their step sends back along their input edges. ``None``: every node may
    have changed (the first call, a structural edit, another output), so send them all.
    """
    values: frozenset | None
    grads: frozenset | None


def _same(x, y) -> bool:
    """Bit for bit, as far as a reader can tell: NaN equals NaN, −0.0 differs from 0.0."""
    if isinstance(x, tuple) or isinstance(y, tuple):
        return isinstance(x, tuple) and isinstance(y, tuple) and all(map(_same, x, y))
    if x is None or y is None:
        return x is y
    try:
        return (x == y and math.copysign(1.0, x) == math.copysign(1.0, y)) or (x != x and y != y)
    except (TypeError, ValueError):  # a tensor: its truth is ambiguous
        return tensor.same(x, y)


def tensorish(attrs: dict) -> bool:
    """Whether a node makes its graph's shapes worth checking: a tensor value, or an op that needs one."""
    return attrs.get("value").__class__ is tensor.ndarray or not OPS[attrs["op"]].takes_scalars


class ComputationGraph(Edits):
    def __init__(self, title: str = "", limits: Limits = Limits()):
        self.g = nx.MultiDiGraph()
        self.title = title
        self.output: str | None = None
        self.learning_rate: float | None = None  # None: the default (document.DEFAULT_LEARNING_RATE)
        self.dataset: dict | None = None  # what x and t are batches of (document.DatasetModel), if anything
        self.limits = limits
        self._wired: dict[tuple[str, int], str] = {}  # (target, port) → source, in wiring order
        self._inputs: dict[str, list] = {}            # target → [source or None per port]
        self._plan: Plan | None = None
        self._order: Order | None = None              # the evaluation order, kept up to date by the edits
        self._old_plan: Plan | None = None            # the plan a structural edit made stale: its layers are reused
        self._fresh: set[str] = set()                 # nodes whose layers cannot be reused (params changed)
        self._symbols: Symbolic | None = None         # cached: rebuilt after a structural edit or a label
        self._stale_inputs: set[str] = set()          # inputs whose value changed since the last run
        self._seen = None                             # what changes() last saw: (plan, values, output, backward)
        self._tensors = 0                             # tensor inputs and tensor ops: shapes to check when > 0

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
            # Ordering the nodes by level is also the cycle check.
            graph._order = Order(g)
        except nx.NetworkXUnfeasible:
            cycle = nx.find_cycle(g)
            names = [c[0] for c in cycle] + [cycle[0][0]]
            raise GraphError("edges: the graph has a cycle: " + " → ".join(names),
                             ["edges: the graph has a cycle: " + " → ".join(names)],
                             reason="document_cycle", path=" → ".join(names)) from None
        needs = {name for name, spec in OPS.items() if not spec.takes_scalars}
        graph._tensors = sum(1 for a in g._node.values() if a["op"] in needs or a.get("value").__class__ is tensor.ndarray)
        graph._check_shapes()
        graph._plan = Plan(g, graph._inputs, graph._order.nodes)
        graph.output = doc["output"]
        graph.learning_rate = doc.get("learning_rate")
        graph.dataset = doc.get("dataset")
        return graph

    @classmethod
    def from_json(cls, text, limits: Limits = Limits()) -> "ComputationGraph":
        with gc_paused():
            return cls.from_dict(document.loads(text, limits), limits)

    def to_dict(self) -> dict:
        doc = {"format": document.FORMAT, "version": document.TENSOR_VERSION if self._tensors else document.VERSION,
               "title": self.title,
               "nodes": [document.node_json(attrs) for _, attrs in self.g.nodes(data=True)],
               "edges": [{"source": s, "target": t, "port": p} for (t, p), s in self._wired.items()],
               "output": self.output}
        if self.learning_rate is not None:
            doc["learning_rate"] = self.learning_rate
        if self.dataset is not None:
            doc["dataset"] = dict(self.dataset)
        return doc

    def trainable(self) -> list[str]:
        """The input nodes marked as parameters, in document order."""
        return [n for n, attrs in self.g.nodes(data=True) if attrs.get("trainable")]

    # -- shapes ----------------------------------------------------------------
    def shapes(self) -> dict:
        """{node: shape} for every node whose shape is known (a scalar's is ``()``)."""
        order = self._order.nodes if self._order is not None else list(nx.topological_sort(self.g))
        return infer(self.g, self._inputs, order, OPS)[0]

    def _check_shapes(self):
        """Refuse (GraphError) the first op whose inputs' shapes do not fit. A graph of
        numbers only passes without a look: every scalar op takes and gives ()."""
        if not self._tensors:
            return
        order = self._order.nodes if self._order is not None else list(nx.topological_sort(self.g))
        _, problem = infer(self.g, self._inputs, order, OPS)
        if problem is not None:
            message, params = problem
            raise GraphError(message, **params)

    # -- reading ---------------------------------------------------------------
    def node(self, node_id: str) -> dict:
        try:
            return self.g.nodes[node_id]
        except KeyError:
            raise GraphError(f"no node with id {node_id!r}", reason="no_node", node=str(node_id)[:200]) from None

    def __len__(self):
        return self.g.number_of_nodes()

    def _structure_changed(self, fresh: str | None = None):
        """The plan must be rebuilt (from the kept order, reusing its layers but ``fresh``'s)."""
        if self._plan is not None:
            self._old_plan = self._plan
            self._plan = None
        if fresh is not None:
            self._fresh.add(fresh)
        self._symbols = None

    @property
    def symbols(self) -> Symbolic:
        """The symbolic names and gradient expressions (engine/symbols.py), kept until they can change."""
        if self._symbols is None:
            self._symbols = symbolic(self)
        return self._symbols

    def _backward_dirty(self):
        if self._plan is not None:
            self._plan._backward_cache.clear()

    # -- evaluation ------------------------------------------------------------
    @property
    def plan(self) -> Plan:
        """The cached plan, run forward and up to date with every value."""
        plan = self._plan
        if plan is None:
            if self._order is None:
                self._order = Order(self.g)
            plan = self._plan = Plan(self.g, self._inputs, self._order.nodes, self._old_plan, self._fresh)
            self._old_plan = None
            self._fresh.clear()
        if not plan.ran or len(self._stale_inputs) >= len(plan.leaves) > 0:
            plan.run_forward()  # every input changed: every step is downstream, no need to look
        elif self._stale_inputs:
            # Only what lies downstream of the changed inputs is recomputed.
            plan.run_forward(plan.positions_downstream(self._stale_inputs))
            if plan.touched_values is not None:
                plan.touched_values.update(plan.index[n] for n in self._stale_inputs if n in plan.index)
        self._stale_inputs.clear()
        return plan

    def changes(self, output=None) -> Changes:
        """Bring values and gradients up to date and say which changed since the last call.

        For patches that carry only what changed (issue 15): after a value edit only
        the affected cone is recomputed (engine/cone.py), and only the nodes in it are
        compared with what the previous call saw, so the answer costs the cone, not
        the graph. ``output``: as for ``backward`` (default: the marked or single sink);
        with no computable output (unwired ports, an ambiguous output), ``grads`` is None.
        """
        plan = self.plan
        try:
            out = None if plan.incomplete else plan.index.get(self.output_node(output))
        except GraphError:
            out = None
        ran = plan.run_backward(out) if out is not None else None
        seen, vals = self._seen, plan.vals
        if seen is None or seen[0] is not plan:
            found = Changes(None, None)
        else:
            _, vals0, out0, ran0 = seen
            ids, touched = plan.ids, plan.touched_values
            near = range(len(vals)) if touched is None else touched
            values = frozenset(ids[i] for i in near if not _same(vals0[i], vals[i]))
            if out is None or out0 != out or ran0 is None:
                grads = None
            elif ran is ran0:
                grads = frozenset()
            else:
                (g0, e0, _), (g1, e1, _) = ran0, ran
                near = plan.touched_grads.get(out)
                near = range(len(g1)) if near is None else near
                grads = frozenset(ids[i] for i in near if not (_same(g0[i], g1[i]) and _same(e0[i], e1[i])))
            found = Changes(values, grads)
        self._seen = (plan, vals[:], out, ran)
        plan.touched_values = set()
        plan.touched_grads = {k: set() for k in plan.touched_grads}
        return found

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
            raise GraphError("the graph is empty: there is no output", reason="empty_graph")
        listed = ", ".join(repr(c) for c in candidates[:10]) + (" …" if len(candidates) > 10 else "")
        raise GraphError(f"the output is ambiguous: {len(candidates)} nodes have no outgoing edge "
                         f"({listed}); mark one as the output", reason="ambiguous_output",
                         count=len(candidates), nodes=", ".join(candidates[:10]) + (" …" if len(candidates) > 10 else ""))

    def _require_complete(self, plan: Plan):
        if plan.incomplete:
            node, first = next(iter(plan.incomplete.items()))
            more = len(plan.incomplete) - 1
            raise GraphError(f"cannot evaluate: {first}" + (f" (and {more} more nodes)" if more else ""),
                             reason="unwired" if first.endswith("not wired") else "blocked", node=node, more=more)

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

    def value_with(self, node: str, inputs: dict):
        """``node``'s value with these inputs' values (arrays of their own shapes) in place of
        theirs, the graph left as it was: a model run on other data (teaching/minibatch.py's
        accuracy) without an edit."""
        saved = {}
        try:
            for nid, value in inputs.items():
                attrs = self.node(nid)
                value = tensor.parse_tensor(value)
                if attrs["op"] != "input" or tensor.shape_of(value) != tensor.shape_of(attrs["value"]):
                    raise GraphError(f"{nid!r}: only an input's value of the same shape can stand in for it")
                saved[nid] = attrs["value"]
                attrs["value"] = value
                self._stale_inputs.add(nid)
            return self.forward()[node]
        finally:
            for nid, value in saved.items():
                self.g.nodes[nid]["value"] = value
                self._stale_inputs.add(nid)

    def faults(self) -> dict[str, str]:
        """Numerical faults: {node_id: message}, for nodes whose forward failed or overflowed."""
        plan = self.plan
        return {plan.ids[i]: msg for i, msg in plan.faults.items()}

    def grad_faults(self, output=None) -> dict[str, str]:
        """Where a NaN or ±∞ gradient starts, {node_id: message} (see ``Plan.grad_faults``)."""
        plan = self.plan
        self._require_complete(plan)
        found = plan.grad_faults(plan.index[self.output_node(output)])
        return {plan.ids[i]: msg for i, msg in found.items()}

    def affected(self) -> set[str]:
        """Nodes downstream of a fault, whose values are therefore not trustworthy."""
        out: set[str] = set()
        for nid in self.faults():
            out |= nx.descendants(self.g, nid)
        return out

    def forward_steps(self):
        """One event per node in topological order (see server/steps.py)."""
        return forward_steps(self)

    def backward_steps(self, output=None):
        """One event per node on a path to the output, in reverse topological order."""
        return backward_steps(self, output)
