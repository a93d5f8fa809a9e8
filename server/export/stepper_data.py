"""The stepper's precomputed steps: everything the read-only stepper (the embed, the single
HTML file, the notebook) needs to step a graph with no server behind it.

The server computes every number ahead of time, as it does for a room: the idle visible
state (engine/visible.py, the join ack's ``state``), then every forward and backward step
event as the room's ``step`` broadcasts carry them (engine/visible.py's wire events, with
their display strings, LaTeX and symbols, as service/cursor.py makes them: tests/test_export_html.py
checks they are the room's). The browser replays those events into the
editor's own GraphModel (state.js ``applyStep``), exactly as a room's viewer does while it
watches the steps, so each cursor position shows what the editor shows there. Stepping
back replays from idle; there is no arithmetic in the browser.

The payload (``format: "gradcanvas-steps"``; docs/anywhere.md):
  graph     the document (graph.to_dict())
  state     the visible state at idle
  forward   the forward step events, in order   (each as a ``step`` broadcast, without its cursor)
  backward  the backward step events, in order  ([] when there is no gradient to step)
  backward_refusal  why stepping backward is refused ({error, reason, params}), or null
  ops       the op table, as GET /api/ops
"""
from __future__ import annotations

from ..engine.document import GraphError, GraphTooLarge
from ..engine.registry import describe_ops
from ..engine.visible import Cursor, visible_state, wire_event

FORMAT = "gradcanvas-steps"
MAX_NODES = 5_000  # every step of a graph this size is a few MB of JSON; past it, the editor


def stepper_data(graph) -> dict:
    """The stepper payload for ``graph`` (a ComputationGraph; read, never changed)."""
    if len(graph) > MAX_NODES:
        raise GraphTooLarge(f"the stepper carries every step precomputed: at most {MAX_NODES:,} nodes, "
                            f"not {len(graph):,}; open the graph in the editor instead",
                            reason="stepper_too_large", nodes=len(graph), limit=MAX_NODES)
    sym = graph.symbols
    fwd = [wire_event(e, sym) for e in graph.forward_steps()]
    try:
        bwd = [wire_event(e, sym) for e in graph.backward_steps()]
        why = None if bwd else GraphError("nothing to differentiate", reason="nothing_to_differentiate")
    except GraphError as err:  # incomplete graph or ambiguous output: nothing to step back through
        bwd, why = [], err
    refusal = None
    if why is not None:  # the refusal the room's cursor gives (service/cursor.py)
        refusal = {"error": "cannot step backward: " + str(why), "code": "refused",
                   "reason": "cannot_step_backward", "params": {"because": why.as_cause()}}
    state = visible_state(graph, Cursor("idle", 0, len(fwd)), [e["node"] for e in fwd], [e["node"] for e in bwd])
    return {
        "format": FORMAT, "version": 1,
        "graph": graph.to_dict(),
        "state": state,
        "forward": fwd, "backward": bwd,
        "backward_refusal": refusal,
        "ops": describe_ops(),
    }
