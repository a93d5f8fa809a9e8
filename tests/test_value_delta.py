"""Value edits' deltas written from the nodes they changed (server/service/valuedelta.py).

The oracle is the full rebuild: applying each patch to the room's state must give
``service.state()`` exactly, as JSON, whichever way the delta was made.
"""
import json

from hypothesis import given, settings, HealthCheck, strategies as st

from server.engine.graph import ComputationGraph
from server.service import GraphService
from server.service import graph as service_graph
from server.service.delta import apply


def as_json(state) -> str:
    return json.dumps(state, sort_keys=True, allow_nan=False)


def drained(service) -> list:
    out = []
    service.outbox.drain(out.append)
    return out


def net_doc() -> dict:
    """Inputs a, b, c, d into adds, subs, muls, a fan-out (b feeds three ops) and a tanh:
    room for cancellation noise (a + b − c when c is 0.3), zero gradients (relu) and NaN (log);
    and beside them log(−1), an error that stands while the others change."""
    nodes = [{"id": i, "op": "input", "value": v, "x": 0, "y": 0} for i, v in
             (("a", 0.1), ("b", 0.2), ("c", 0.7), ("d", 2.0), ("e", -1.0))]
    ops = [("s", "add", "a", "b"), ("t", "sub", "s", "c"), ("m", "mul", "t", "d"), ("n", "mul", "b", "d"),
           ("r", "relu", "n", None), ("u", "add", "m", "r"), ("k", "mul", "b", "b"), ("l", "log", "k", None),
           ("out", "add", "u", "l"), ("q", "log", "e", None)]
    edges = []
    for nid, op, x, y in ops:
        nodes.append({"id": nid, "op": op, "x": 0, "y": 0})
        edges.append({"source": x, "target": nid, "port": 0})
        if y is not None:
            edges.append({"source": y, "target": nid, "port": 1})
    return {"format": "gradcanvas", "version": 1, "nodes": nodes, "edges": edges, "output": "out"}


def fast_counter(monkeypatch) -> list:
    """Counts the patches whose delta was written from the changed nodes."""
    made = []
    real = service_graph.valuedelta.value_delta

    def counted(*args):
        out = real(*args)
        made.append(out is not None)
        return out
    monkeypatch.setattr(service_graph.valuedelta, "value_delta", counted)
    return made


def test_a_value_edit_after_a_run_is_written_from_its_nodes_and_matches_a_rebuild(monkeypatch):
    made = fast_counter(monkeypatch)
    service = GraphService(ComputationGraph.from_dict(net_doc()), "g")
    service.step("backward", "all")
    room = service.join()["state"]
    for value in (3.0, 4.0, -1.5, 2.5):
        service.edit([{"type": "set_value", "id": "d", "value": value}])
        (patch,) = [m for m in drained(service) if m.event == "patch"]
        room = apply(room, patch.payload["delta"])
        assert as_json(room) == as_json(service.state())
    assert made == [True, True, True]  # the first edit sets the baseline with a rebuild
    assert "q" in room["errors"]


def test_noise_appearing_falls_back_to_a_rebuild_that_shows_it(monkeypatch):
    made = fast_counter(monkeypatch)
    service = GraphService(ComputationGraph.from_dict(net_doc()), "g")  # a + b − c: 0.3 − 0.7
    service.step("backward", "all")
    room = service.join()["state"]
    service.edit([{"type": "set_value", "id": "c", "value": 0.4}])
    service.edit([{"type": "set_value", "id": "c", "value": 0.3}])  # 0.1 + 0.2 − 0.3: noise, shown as 0
    for patch in [m for m in drained(service) if m.event == "patch"]:
        room = apply(room, patch.payload["delta"]) if "delta" in patch.payload else patch.payload["state"]
    assert as_json(room) == as_json(service.state())
    assert room["display"]["values"]["t"] == "0" and room["display"]["exact"]["values"]["t"]
    assert made[-1] is False


names = st.sampled_from(["a", "b", "c", "d", "e"])
numbers = st.one_of(st.floats(-1e3, 1e3, allow_nan=False), st.sampled_from([0.0, -0.0, 0.1, 0.2, 0.3, 1e300]))
moves = st.one_of(
    st.tuples(st.just("edit"), names, numbers),
    st.tuples(st.just("step"), st.sampled_from(["forward", "backward"]), st.sampled_from([1, 3, "all"])),
    st.just(("join",)),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(moves, min_size=1, max_size=14))
def test_every_value_delta_applied_to_the_room_gives_the_state_exactly(script):
    service = GraphService(ComputationGraph.from_dict(net_doc()), "g")
    room = service.join()["state"]
    for move in script:
        if move[0] == "edit":
            service.edit([{"type": "set_value", "id": move[1], "value": move[2]}])
        elif move[0] == "step":
            service.step(move[1], move[2])
        else:
            room = service.join()["state"]
        for message in drained(service):
            if message.event == "step":
                room = None
                continue
            if room is None:
                room = stepped
            if "delta" in message.payload:
                assert message.payload["base_cursor"] == room["cursor"]
                room = apply(room, message.payload["delta"])
            else:
                room = message.payload["state"]
            assert as_json(room) == as_json(service.state())
        stepped = service.state()
