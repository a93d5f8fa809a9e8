"""State deltas (server/service/delta.py): what a patch carries instead of the whole visible state."""
import json

from hypothesis import given, settings, HealthCheck, strategies as st

from server.engine.graph import ComputationGraph
from server.errors import Error
from server.service import GraphService
from server.service.delta import apply, diff, same, size
from server.teaching.examples import example_doc


def as_json(state) -> str:
    return json.dumps(state, sort_keys=True, allow_nan=False)


def doughnut_service(doc=None) -> GraphService:
    return GraphService(ComputationGraph.from_dict(doc or example_doc("doughnut")), "g")


def drained(service) -> list:
    out = []
    service.outbox.drain(out.append)
    return out


def test_same_tells_json_values_apart():
    assert same({"a": [1.0, "x"]}, {"a": [1.0, "x"]})
    assert not same(0.0, -0.0) and not same([0.0], [-0.0]) and not same({"v": -0.0}, {"v": 0.0})
    assert not same(1, 1.0) and not same(True, 1) and not same(None, 0)


def test_a_value_edit_on_a_run_graph_sends_only_what_changed():
    service = doughnut_service()
    service.step("backward", "all")
    service.join()  # the room's state, the base of the next delta
    drained(service)
    service.edit([{"type": "set_value", "id": "tax", "value": 2}])
    [patch] = drained(service)
    assert patch.event == "patch" and "state" not in patch.payload
    delta = patch.payload["delta"]
    assert patch.payload["base_cursor"] == {"phase": "backward", "step": 5, "total": 5}
    # tax feeds m2 (the output): m2's value changes, and m1's gradient (∂m2/∂m1 = tax); nothing else
    assert delta["values"] == {"set": {"tax": 2.0, "m2": 400.0}}
    assert delta["display.values"] == {"set": {"tax": "2", "m2": "400"}}
    assert delta["display.inputs"] == {"set": {"tax": "2"}}
    assert set(delta["grads"]["set"]) == {"m1", "doughnut", "count"}
    assert {(e["target"], e["port"]) for e in delta["edges"]["set"]} == {("m2", 1), ("m2", 0), ("m1", 0), ("m1", 1)}
    assert "order" not in delta and "cursor" not in delta and "display.symbols" not in delta


def test_an_edit_that_changes_nothing_shown_sends_an_empty_delta():
    service = doughnut_service()
    service.join()
    drained(service)
    service.edit([{"type": "move_node", "id": "m1", "x": 5, "y": 6}])
    [patch] = drained(service)
    assert patch.payload["delta"] == {} and patch.payload["ops"][0]["type"] == "move_node"


def test_a_structural_edit_splices_the_order_and_edges():
    service = doughnut_service()
    before = service.join()["state"]
    service.edit([{"type": "add_node", "node": {"id": "k", "op": "input", "value": 3, "x": 0, "y": 0}},
                  {"type": "add_node", "node": {"id": "n", "op": "neg", "x": 0, "y": 0}},
                  {"type": "connect", "source": "k", "target": "n", "port": 0}])
    [patch] = drained(service)
    delta = patch.payload["delta"]
    assert delta["edges"] == {"set": [{"source": "k", "target": "n", "port": 0, "value": None, "grad": None,
                                       "value_text": None, "grad_text": None, "value_symbol": None,
                                       "grad_symbol": None}]}
    assert {"k", "n"} <= set(delta["order"]["put"]) and delta["order"]["cut"] < len(before["order"])
    assert as_json(apply(before, delta)) == as_json(service.state())


def test_a_connect_at_an_index_sends_the_edges_order():
    service = doughnut_service()
    before = service.join()["state"]
    service.edit([{"type": "disconnect", "target": "m2", "port": 1},
                  {"type": "connect", "source": "tax", "target": "m2", "port": 1, "index": 0}])
    [patch] = drained(service)
    after = service.state()
    # the rewired edge goes first, which set and unset alone would not give
    assert patch.payload["delta"]["edges"] == {"order": [["m2", 1], ["m1", 0], ["m1", 1], ["m2", 0]]}
    assert as_json(apply(before, patch.payload["delta"])) == as_json(after)


def test_the_step_on_show_is_kept_when_an_edit_changes_nothing_near_it():
    def node(i, op, **kw):
        return {"id": i, "op": op, "x": 0, "y": 0, **kw}
    doc = {"format": "gradcanvas", "version": 1, "title": "", "output": "out",
           "nodes": [node("a1", "input", value=2), node("a2", "input", value=3), node("p", "mul"),
                     node("b1", "input", value=4), node("b2", "input", value=5), node("q", "mul"),
                     node("out", "add"), node("z", "input", value=1)],
           "edges": [{"source": s, "target": t, "port": k} for s, t, k in
                     [("a1", "p", 0), ("a2", "p", 1), ("b1", "q", 0), ("b2", "q", 1), ("p", "out", 0),
                      ("q", "out", 1)]]}
    service = doughnut_service(doc)
    service.join()
    service.step("backward", 2)  # out, then one of the two muls
    shown = drained(service)[-1].payload
    mine = "a1" if shown["node"] == "p" else "b1"
    service.edit([{"type": "set_value", "id": "z", "value": 9}])  # an input of nothing: kept
    [patch] = drained(service)
    service.cursor.invalidate()
    assert patch.payload["current"] == {**shown, "graph_id": "g"} == {"graph_id": "g", **service.cursor.current()}
    service.edit([{"type": "set_value", "id": mine, "value": 7}])  # its own input: worked out anew
    [patch] = drained(service)
    service.cursor.invalidate()
    fresh = service.cursor.current()
    assert patch.payload["current"]["text"] == fresh["text"] != shown["text"] and "7" in fresh["text"]


def test_reset_sends_a_delta_from_the_stepped_state():
    service = doughnut_service()
    service.join()
    service.step("forward", 2)
    drained(service)
    service.reset()
    [state] = drained(service)
    assert state.event == "state" and state.payload["base_cursor"]["step"] == 2
    assert state.payload["delta"]["values"] == {"unset": ["doughnut", "count"]}


def test_without_a_known_base_or_with_a_bigger_delta_the_whole_state_is_sent():
    service = doughnut_service()
    service.edit([{"type": "set_value", "id": "tax", "value": 2}])  # nobody joined: no base known…
    [first] = drained(service)
    assert "delta" in first.payload  # …so it was worked out before the edit
    old = {"a": 1, "values": {}}
    assert diff(old, {"a": 1, "values": {}, "new": 2}) is None  # a new field: the shape changed
    whole = service.state()
    assert size(diff({**whole, "order": []}, whole)) < size(whole)


def test_the_room_state_follows_joins_steps_and_edits():
    service = doughnut_service()
    room = service.join()["state"]
    service.step("backward", 3)
    drained(service)
    room = service.state()  # what a page has once it has played the steps
    service.edit([{"type": "set_value", "id": "count", "value": 4}])
    service.edit([{"type": "set_label", "id": "m1", "label": "cost"}])
    for message in drained(service):
        assert message.payload["base_cursor"]["phase"] == room["cursor"]["phase"]
        room = apply(room, message.payload["delta"])
    assert as_json(room) == as_json(service.state())


# -- the property: applying each patch's delta to the room's state gives the server's state --------
IDS = ["a", "b", "c", "d", "e"]
OPS = ["input", "add", "mul", "sub", "neg", "tanh", "log", "pow", "relu"]
ids = st.sampled_from(IDS)
numbers = st.one_of(st.integers(-3, 3).map(float), st.floats(-1e3, 1e3, allow_nan=False), st.just(-0.0))
edits = st.one_of(
    st.builds(lambda i, op, v: {"type": "add_node", "node": {"id": i, "op": op, "x": 0, "y": 0,
                                                             **({"value": v} if op == "input" else {})}},
              ids, st.sampled_from(OPS), numbers),
    st.builds(lambda i: {"type": "remove_node", "id": i}, ids),
    st.builds(lambda s, t, p, k: {"type": "connect", "source": s, "target": t, "port": p,
                                  **({"index": k} if k is not None else {})},
              ids, ids, st.integers(0, 1), st.one_of(st.none(), st.integers(0, 3))),
    st.builds(lambda t, p: {"type": "disconnect", "target": t, "port": p}, ids, st.integers(0, 1)),
    st.builds(lambda i, v: {"type": "set_value", "id": i, "value": v}, ids, numbers),
    st.builds(lambda i, x: {"type": "set_params", "id": i, "params": {"exponent": x}}, ids, st.integers(-2, 3)),
    st.builds(lambda i: {"type": "set_output", "id": i}, st.one_of(st.none(), ids)),
    st.builds(lambda i, lab: {"type": "set_label", "id": i, "label": lab}, ids, st.sampled_from([None, "w", "z"])),
    st.builds(lambda i, on: {"type": "set_trainable", "id": i, "trainable": on}, ids, st.booleans()),
)
actions = st.one_of(
    st.lists(edits, min_size=1, max_size=3).map(lambda batch: ("edit", batch)),
    st.tuples(st.just("step"), st.sampled_from(["forward", "backward"]), st.sampled_from([1, 2, "all"])),
    st.just(("reset",)),
    st.just(("join",)),
    st.integers(1, 3).map(lambda n: ("train", n)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(actions, max_size=12))
def test_applying_each_delta_to_the_room_state_gives_the_new_state_exactly(script):
    service = GraphService(ComputationGraph(), "g")
    room = service.join()["state"]
    for action in script:
        try:
            if action[0] == "edit":
                service.edit(action[1])
            elif action[0] == "step":
                service.step(action[1], action[2])
                room = None  # a page plays the steps; where they leave it is `stepped` below
            elif action[0] == "reset":
                service.reset()
            elif action[0] == "join":
                room = service.join()["state"]
            else:
                service.train(action[1])
        except Error:
            pass  # refused: nothing changed, nothing sent
        for message in drained(service):
            if message.event == "step":
                continue
            if room is None:
                room = stepped
            if "delta" in message.payload:
                assert message.payload["base_cursor"] == room["cursor"]
                room = apply(room, message.payload["delta"])
            else:
                room = message.payload["state"]
            assert as_json(room) == as_json(service.state())
            if "current" in message.payload:  # the step on show, kept or worked out: as it is now
                service.cursor.invalidate()
                assert message.payload["current"] == {"graph_id": "g", **service.cursor.current()}
        stepped = service.state()  # where the steps left the room, as a page that played them has it
