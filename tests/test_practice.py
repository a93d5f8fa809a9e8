"""Fill-in practice (issue 17): the blanks, their answers and the hints the server writes
from the op registry's rules (server/teaching/practice.py), and the endpoint that serves them."""
import json

import pytest

from server.engine.graph import ComputationGraph
from server.engine.steps import backward_steps, forward_steps
from server.teaching.examples import example_doc
from server.teaching.formula import parse_formula
from server.teaching.practice import hint_text, practice


def doughnut():
    return practice(ComputationGraph.from_dict(example_doc("doughnut")))


def by_id(payload):
    return {b["id"]: b for b in payload["blanks"]}


def test_doughnut_blanks_are_the_worksheets_boxes_with_the_servers_answers():
    blanks = by_id(doughnut())
    # the computed values (the inputs' own stay), and every gradient on an edge (the seed 1 stays)
    assert {i: (b["kind"], b["answer_text"]) for i, b in blanks.items()} == {
        "v:m2:0": ("value", "200"), "v:output": ("value", "220"),
        "g:m2:0": ("grad", "1.1"), "g:m2:1": ("grad", "200"), "g:m1:0": ("grad", "2.2"), "g:m1:1": ("grad", "110"),
    }
    assert blanks["g:m2:1"]["name"] == "∂L/∂tax" and blanks["g:m2:1"]["answer"] == pytest.approx(200)
    assert blanks["v:output"]["answer"] == pytest.approx(220)


def test_blanks_come_in_the_order_the_stepper_reveals_them():
    payload = doughnut()
    steps = [b["step"] for b in payload["blanks"]]
    assert steps == sorted(steps)
    kinds = [b["kind"] for b in payload["blanks"]]
    assert kinds == sorted(kinds, key=lambda k: k != "value")  # the forward pass, then the backward
    blanks = by_id(payload)
    assert blanks["g:m2:1"]["step"] == blanks["g:m2:0"]["step"] < blanks["g:m1:0"]["step"]  # m2 is first back


def test_tax_gradient_hint_gives_the_mul_rule_with_its_numbers():
    hint = by_id(doughnut())["g:m2:1"]["hint"]
    assert hint["text"] == "the mul node sends dout × the other input: 1 × 200 = ?"
    assert hint["op"] == "mul" and hint["rule"] == "dout · x" and hint["words"] == "{dout} × {other}"
    assert "".join(p["text"] for p in hint["parts"]) == "1 × 200"


def test_mul_hint_says_dout_times_the_other_input_for_both_ports():
    blanks = by_id(doughnut())
    for bid, numbers in [("g:m1:0", "1.1 × 2"), ("g:m1:1", "1.1 × 100"), ("g:m2:0", "1 × 1.1")]:
        assert blanks[bid]["hint"]["text"] == f"the mul node sends dout × the other input: {numbers} = ?"


def test_a_number_from_a_blank_not_yet_filled_is_a_question_mark():
    payload = doughnut()
    blanks = by_id(payload)
    all_ids = list(blanks)
    # the tax gradient needs m1's value (200), which is a blank when values are practised too
    tax = blanks["g:m2:1"]["hint"]
    assert hint_text(tax, blanks=all_ids) == "the mul node sends dout × the other input: 1 × ? = ?"
    assert hint_text(tax, solved={"v:m2:0"}, blanks=all_ids).endswith("1 × 200 = ?")
    assert hint_text(tax, blanks=[i for i in all_ids if i.startswith("g:")]).endswith("1 × 200 = ?")
    # doughnut's gradient needs dout = 1.1, the gradient on m1 → m2
    assert hint_text(blanks["g:m1:0"]["hint"], blanks=all_ids).endswith("? × 2 = ?")
    assert hint_text(blanks["g:m1:0"]["hint"], solved={"g:m2:0"}, blanks=all_ids).endswith("1.1 × 2 = ?")


def test_value_hints_write_the_forward_arithmetic_as_the_steps_do():
    graph = ComputationGraph.from_dict(example_doc("sigmoid_neuron"))
    payload = practice(graph)
    numbers = {e["node"]: e["numbers"] for e in forward_steps(graph) if "numbers" in e}
    for b in payload["blanks"]:
        if b["kind"] == "value":
            assert "".join(p["text"] for p in b["hint"]["parts"]) == numbers[b["node"]]
    assert by_id(payload)["v:output"]["hint"]["text"].startswith("the sigmoid node computes σ(z): σ(")


def test_grad_hints_write_the_rules_numbers_as_the_backward_steps_do():
    for name in ("sigmoid_neuron", "doughnut_cupcake", "x_times_x", "tanh_neuron"):
        graph = ComputationGraph.from_dict(example_doc(name))
        blanks = by_id(practice(graph))
        for ev in backward_steps(graph):
            for rule in ev["rules"]:
                hint = blanks[f"g:{ev['node']}:{rule['port']}"]["hint"]
                assert "".join(p["text"] for p in hint["parts"]) == rule["numbers"], (name, ev["node"])


def test_rule_words_name_this_input_and_the_output():
    doc = parse_formula("a = 6\nb = 3\nq = a / b\nr = exp(q)")
    blanks = by_id(practice(ComputationGraph.from_dict(doc)))
    words = {b["hint"]["words"] for b in blanks.values() if b["kind"] == "grad"}
    assert "−{dout} × {out} / {this}" in words  # div's y: −dout · out / y
    assert "{dout} × {out}" in words            # exp: dout · out


def test_a_fan_out_names_each_edges_own_gradient():
    blanks = by_id(practice(ComputationGraph.from_dict(example_doc("x_times_x"))))
    names = sorted(b["name"] for b in blanks.values() if b["kind"] == "grad" and "←" in b["name"])
    assert names and all(n.startswith("∂L/∂x ←") for n in names)


def test_practice_endpoint_serves_the_payload_and_stores_nothing(client, app):
    gid = app.extensions["gradcanvas.sessions"].create(example_doc("doughnut")).id
    before = client.get(f"/api/graphs/{gid}").json
    r = client.get(f"/api/graphs/{gid}/practice")
    assert r.status_code == 200
    assert by_id(r.json)["g:m2:1"]["answer_text"] == "200"
    assert r.json["output"] == {"node": "m2", "value_text": "220", "grad_text": "1"}
    assert client.get(f"/api/graphs/{gid}").json == before
    json.dumps(r.json, allow_nan=False)  # plain JSON: no NaN or Infinity


def test_practice_endpoint_refuses_an_unwired_graph_and_an_unknown_id(client, app):
    doc = example_doc("doughnut")
    doc["edges"] = doc["edges"][:3]  # tax is not wired: nothing to practise
    gid = app.extensions["gradcanvas.sessions"].create(doc).id
    r = client.get(f"/api/graphs/{gid}/practice")
    assert r.status_code == 400 and r.json["reason"] == "unwired"
    assert client.get("/api/graphs/nope/practice").status_code == 404


def test_a_symbolic_example_keeps_the_practice_asked_for_when_it_redirects_to_symbols(client):
    r = client.get("/try/seed-mul-node?practice=grads&order=any")
    assert r.status_code == 302
    location = r.headers["Location"]
    assert "labels=symbols" in location and "practice=grads" in location and "order=any" in location
