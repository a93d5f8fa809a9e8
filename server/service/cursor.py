"""The shared step cursor: how far forward or backward everyone has stepped.

The step events (engine/steps.py, made JSON-safe with their display strings and
LaTeX) are built once and kept until the graph changes.
"""
from __future__ import annotations

from itertools import islice

from ..engine.document import GraphError
from ..engine.visible import Cursor, pass_orders, visible_state, wire_event


class StepCursor:
    def __init__(self, graph):
        self.graph = graph
        self.at = Cursor()
        self._events: tuple[list, list] | None = None  # (forward, backward) wire events

    def invalidate(self):
        """The graph changed: the steps must be worked out again."""
        self._events = None

    def events(self) -> tuple[list, list]:
        if self._events is None:
            sym = self.graph.symbols
            fwd = [wire_event(e, sym) for e in self.graph.forward_steps()]
            try:
                bwd = [wire_event(e, sym) for e in self.graph.backward_steps()]
            except GraphError:
                bwd = []  # incomplete graph or ambiguous output: nothing to step back through
            self._events = (fwd, bwd)
        return self._events

    def orders(self) -> tuple[list, list]:
        if self._events is not None:
            fwd, bwd = self._events
            return [e["node"] for e in fwd], [e["node"] for e in bwd]
        return pass_orders(self.graph)

    def visible(self) -> dict:
        """The evaluation as far as the cursor has revealed it."""
        fwd, bwd = self.orders()
        self.at.total = len(bwd) if self.at.phase == "backward" else len(fwd)
        return visible_state(self.graph, self.at, fwd, bwd)

    def step(self, direction: str, count) -> tuple[list, bool]:
        """Advance; returns (the events revealed, whether the phase is done)."""
        if direction not in ("forward", "backward"):
            raise GraphError("direction must be 'forward' or 'backward'")
        if count != "all" and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
            raise GraphError("count must be a positive whole number or 'all'")
        fwd, bwd = self.events()
        c = self.at
        out = []
        if direction == "backward" and not bwd:
            why = self._why_no_backward()
            raise GraphError("cannot step backward: " + str(why), reason="cannot_step_backward",
                             because=why.as_cause())
        limit = float("inf") if count == "all" else count
        if direction == "forward" and c.phase == "backward":
            c.phase, c.step = "idle", 0  # stepping forward again starts over
        if c.phase == "idle":
            c.phase, c.step, c.total = "forward", 0, len(fwd)
        if direction == "backward" and c.phase == "forward":
            # Backward needs every value: finish the forward pass first.
            while c.step < len(fwd):
                out.append(self._reveal(fwd))
            c.phase, c.step, c.total = "backward", 0, len(bwd)
        events = fwd if direction == "forward" else bwd
        taken = 0
        while taken < limit and c.step < len(events):
            out.append(self._reveal(events))
            taken += 1
        return out, c.step >= len(events)

    def _reveal(self, events) -> dict:
        c = self.at
        event = events[c.step]
        c.step += 1
        c.total = len(events)
        return {**event, "cursor": c.to_dict()}

    def current(self) -> dict | None:
        """The step last revealed, as its step broadcast carried it (with the cursor), or None when
        idle: a page that joins mid-run shows it as one that watched the step did."""
        c = self.at
        if c.phase not in ("forward", "backward") or c.step < 1:
            return None
        if self._events is not None:
            events = self._events[0 if c.phase == "forward" else 1]
            event = events[c.step - 1] if c.step <= len(events) else None
        else:  # after an edit: work out this one step, not all of them (the steps are generators)
            try:
                steps = self.graph.forward_steps() if c.phase == "forward" else self.graph.backward_steps()
                raw = next(islice(steps, c.step - 1, None), None)
            except GraphError:
                raw = None
            event = None if raw is None else wire_event(raw, self.graph.symbols)
        # None: a cursor saved by another process for steps that have since changed
        return None if event is None else {**event, "cursor": c.to_dict()}

    def _why_no_backward(self) -> GraphError:
        try:
            self.graph.backward()
        except GraphError as err:
            return err
        return GraphError("nothing to differentiate", reason="nothing_to_differentiate")

    def reset(self):
        self.at = Cursor()
