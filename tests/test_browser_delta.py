"""The page's GraphModel.applyDelta, in headless Chromium: a patch's delta applied to the model
gives the same model as the whole new state did (the way patches were applied before deltas).

The cases are real patches: random edits, steps, resets and training on small graphs,
run through a GraphService (server/service/delta.py makes each delta).
"""
from __future__ import annotations

import random

import pytest

from server.engine.graph import ComputationGraph
from server.errors import Error
from server.service import GraphService
from server.teaching.examples import example_doc

pytestmark = [pytest.mark.browser, pytest.mark.slow]

IDS = ["a", "b", "c", "d", "e"]
OPS = ["input", "add", "mul", "sub", "neg", "tanh", "log", "pow", "relu"]


def random_edit(rng: random.Random) -> dict:
    i, j = rng.choice(IDS), rng.choice(IDS)
    kind = rng.randrange(8)
    if kind == 0:
        op = rng.choice(OPS)
        return {"type": "add_node", "node": {"id": i, "op": op, "x": 0, "y": 0,
                                             **({"value": rng.choice([-1.5, 0.0, 2.0, 3.0])} if op == "input" else {})}}
    if kind in (1, 2):
        return {"type": "connect", "source": i, "target": j, "port": rng.randrange(2),
                **({"index": rng.randrange(3)} if rng.random() < 0.3 else {})}
    if kind == 3:
        return {"type": "disconnect", "target": j, "port": rng.randrange(2)}
    if kind == 4:
        return {"type": "remove_node", "id": i}
    if kind == 5:
        return {"type": "set_output", "id": rng.choice([None, i])}
    if kind == 6:
        return {"type": "set_trainable", "id": i, "trainable": rng.random() < 0.7}
    return {"type": "set_value", "id": i, "value": rng.choice([-2.0, -0.0, 0.5, 4.0])}


def patches(seed: int, start: dict | None = None, count: int = 40) -> list:
    """[{doc, before, message, after}]: every delta message of a random session, with the state
    and document the room had before it and the state after it."""
    rng = random.Random(seed)
    service = GraphService(ComputationGraph.from_dict(start) if start else ComputationGraph(), "g")
    service.join()
    out = []
    for _ in range(count):
        doc, before = service.document(), service.state()
        try:
            r = rng.random()
            if r < 0.6:
                service.edit([random_edit(rng) for _ in range(rng.randrange(1, 4))])
            elif r < 0.8:
                service.step(rng.choice(["forward", "backward"]), rng.choice([1, 2, "all"]))
            elif r < 0.9:
                service.reset()
            else:
                service.train(rng.randrange(1, 4))
        except Error:
            pass
        sent = []
        service.outbox.drain(sent.append)
        for m in sent:
            if m.event in ("patch", "state") and "delta" in m.payload:
                out.append({"doc": doc, "before": before, "message": {"ops": [], **m.payload},
                            "kind": m.event, "after": service.state()})
    return out


def reordering_patch() -> list:
    """A rewiring that leaves the edges in an order set and unset alone do not give."""
    service = GraphService(ComputationGraph.from_dict(example_doc("doughnut")), "g")
    doc, before = service.document(), service.join()["state"]
    service.edit([{"type": "disconnect", "target": "m2", "port": 1},
                  {"type": "connect", "source": "tax", "target": "m2", "port": 1, "index": 0},
                  {"type": "set_value", "id": "tax", "value": 1.5}])
    sent = []
    service.outbox.drain(sent.append)
    return [{"doc": doc, "before": before, "message": sent[0].payload, "kind": "patch", "after": service.state()}]


COMPARE = """async (cases) => {
  const { GraphModel } = await import('/static/js/state.js');
  const view = (m) => JSON.stringify({
    nodes: [...m.nodes.values()], title: m.title,
    shown: Object.fromEntries(Object.entries(m.shown).map(([k, v]) => [k, Object.entries(v).sort()])),
    edges: m.edges.map((e) => [e.source, e.target, e.port, e.value, e.grad, e.valueText, e.gradText,
                               e.valueExact ?? null, e.gradExact ?? null, e.valueSymbol, e.gradSymbol]),
    errors: Object.entries(m.errors).sort(), affected: [...m.affected], output: m.output,
    outputError: m.outputError, outputProblem: m.outputProblem, totals: m.totals, order: m.order,
    learning: m.learning,
  });
  const failures = [];
  for (const [n, c] of cases.entries()) {
    const byDelta = new GraphModel('g'), whole = new GraphModel('g');
    for (const m of [byDelta, whole]) m.load({ graph: c.doc, version: 0, state: c.before });
    const applied = c.kind === 'patch' ? byDelta.applyPatch(c.message) : byDelta.applyState(c.message);
    if (c.kind === 'patch') whole.applyPatch({ version: c.message.version, ops: c.message.ops, state: c.after });
    else whole.applyState({ version: c.message.version, state: c.after });
    if (!applied || view(byDelta) !== view(whole)) failures.push({ n, applied, delta: c.message.delta });
  }
  return { count: cases.length, failures };
}"""


def test_a_delta_gives_the_page_the_model_the_whole_state_gives(editor):
    page = editor.page
    page.goto(editor.base + "/library")
    cases = [c for seed in range(12) for c in patches(seed)]
    cases += [c for seed in range(4) for c in patches(100 + seed, example_doc("doughnut"))]
    cases += [c for seed in range(3) for c in patches(200 + seed, example_doc("one_neuron_fit"))]
    cases += reordering_patch()
    kinds = {(c["kind"], path) for c in cases for path in c["message"]["delta"]}
    # the cases reach every kind of change: maps, edges (with their order), lists, values, learning
    for needed in [("patch", "values"), ("patch", "edges"), ("patch", "order"), ("patch", "errors"),
                   ("patch", "learning.losses"), ("patch", "display.grads"), ("state", "cursor")]:
        assert needed in kinds, needed
    assert any("order" in c["message"]["delta"].get("edges", {}) for c in cases)
    result = page.evaluate(COMPARE, cases)
    assert result["count"] == len(cases) and result["failures"] == []


def test_a_delta_made_at_another_cursor_is_not_applied(editor):
    """Another process's step raced the patch: the page must not apply it on top of the wrong base."""
    page = editor.page
    page.goto(editor.base + "/library")
    service = GraphService(ComputationGraph.from_dict(example_doc("doughnut")), "g")
    doc, before = service.document(), service.join()["state"]
    service.step("forward", 2)
    service.edit([{"type": "set_value", "id": "count", "value": 3}])
    sent = []
    service.outbox.drain(sent.append)
    patch = sent[-1].payload
    assert patch["base_cursor"]["step"] == 2
    got = page.evaluate("""async ([doc, before, patch]) => {
      const { GraphModel } = await import('/static/js/state.js');
      const m = new GraphModel('g');
      m.load({ graph: doc, version: 0, state: before });
      return [m.applyPatch(patch), m.version, m.shown.valueText];
    }""", [doc, before, patch])
    assert got == [False, 0, {}]


SHOT = "/tmp/delta-collab.png"


def test_a_value_edit_on_a_run_graph_reaches_the_other_page_as_a_delta(editors):
    """Two pages on a fully run graph: one edits tax, the other draws the new numbers from
    a patch that carries only them, without joining again."""
    from pages import DOUGHNUT, new_graph
    a, b = editors(), editors()
    gid = new_graph(a.base, DOUGHNUT)
    frames = {"sent": [], "received": []}
    b.page.on("websocket", lambda ws: (ws.on("framesent", lambda f: frames["sent"].append(f)),
                                       ws.on("framereceived", lambda f: frames["received"].append(f))))
    a.open(gid)
    b.open(gid)
    a.step("backward", 5)
    b.settled("s.phase === 'backward' && s.step === 5")
    assert b.node("m2")["value_text"] == "220"
    a.edit_value("tax", "2")
    s = b.settled("s.nodes.find((n) => n.id === 'm2').value_text === '400'")
    assert [b.node(n)["grad_text"] for n in ("doughnut", "count", "m1", "tax")] == ["4", "200", "2", "200"]
    assert (s["phase"], s["step"]) == ("backward", 5)  # the run stays on show
    patches = [f for f in frames["received"] if isinstance(f, str) and f.startswith('42["patch"')]
    assert patches and '"delta"' in patches[-1] and '"state"' not in patches[-1]
    assert len(patches[-1]) < 2000  # (the whole state of this graph is about 3 kB)
    assert sum('"join"' in f for f in frames["sent"] if isinstance(f, str)) == 1  # no resync
    b.page.screenshot(path=SHOT)
