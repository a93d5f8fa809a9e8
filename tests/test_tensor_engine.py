"""Tensor values in the engine: shapes refused with both named, broadcasting add against PyTorch,
softmax and its loss, values that are not tensors, formulas with @ and calls, and the shown texts."""
import json
import math

import numpy as np
import pytest
import torch

from server.engine.display import fmt, tensor_table
from server.engine.document import GraphError
from server.engine.graph import ComputationGraph
from server.engine.visible import full_cursor, pass_orders, visible_state, wire_event
from server.teaching.formula import FormulaError, parse_formula


def doc(nodes, edges, output=None, version=2):
    return {"format": "gradcanvas", "version": version, "nodes": nodes,
            "edges": [{"source": s, "target": t, "port": p} for s, t, p in edges], "output": output}


def inp(nid, value):
    return {"id": nid, "op": "input", "value": value}


X43 = np.arange(12.0).reshape(4, 3).tolist()
W25 = np.ones((2, 5)).tolist()


# -- shapes ----------------------------------------------------------------------------
def test_a_document_whose_shapes_do_not_fit_is_refused_naming_both():
    d = doc([inp("X", X43), inp("W", W25), {"id": "Y", "op": "dot"}], [("X", "Y", 0), ("W", "Y", 1)])
    with pytest.raises(GraphError) as err:
        ComputationGraph.from_dict(d)
    assert "dot: (4, 3) · (2, 5) does not fit: 3 ≠ 2" in str(err.value)
    assert err.value.reason == "shape_mismatch"
    assert err.value.params["shapes"] == "(4, 3), (2, 5)" and err.value.params["node"] == "Y"


def test_connecting_shapes_that_do_not_fit_is_refused_and_leaves_the_graph_as_it_was():
    g = ComputationGraph.from_dict(doc([inp("X", X43), inp("W", W25), {"id": "Y", "op": "dot"}], [("X", "Y", 0)]))
    before = g.to_dict()
    with pytest.raises(GraphError) as err:
        g.apply({"type": "connect", "source": "W", "target": "Y", "port": 1})
    assert "(4, 3) · (2, 5) does not fit: 3 ≠ 2" in str(err.value) and err.value.reason == "shape_mismatch"
    assert g.to_dict() == before
    g.apply({"type": "set_value", "id": "W", "value": np.ones((3, 5)).tolist()})  # now it fits
    g.apply({"type": "connect", "source": "W", "target": "Y", "port": 1})
    assert g.forward()["Y"].shape == (4, 5)


def test_a_value_edit_that_breaks_the_shapes_downstream_is_refused():
    g = ComputationGraph.from_dict(doc([inp("X", X43), inp("b", [1.0, 2.0, 3.0]), {"id": "Y", "op": "add"}],
                                       [("X", "Y", 0), ("b", "Y", 1)]))
    with pytest.raises(GraphError) as err:
        g.set_value("b", [1.0, 2.0])
    assert "(4, 3) and (2,) do not broadcast: 3 ≠ 2" in str(err.value)
    assert g.node("b")["value"].tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(GraphError):
        g.apply_batch([{"type": "set_value", "id": "b", "value": 5.0},
                       {"type": "set_value", "id": "X", "value": [[1.0, 2.0]]},
                       {"type": "set_value", "id": "b", "value": [1.0, 2.0, 3.0]}])
    assert g.node("b")["value"].shape == (3,) and g.node("X")["value"].shape == (4, 3)  # rolled back


def test_a_scalar_op_refuses_a_tensor_and_a_tensor_op_a_number():
    with pytest.raises(GraphError, match=r"tanh: takes numbers, not a tensor of shape \(4, 3\)"):
        ComputationGraph.from_dict(doc([inp("X", X43), {"id": "Y", "op": "tanh"}], [("X", "Y", 0)]))
    with pytest.raises(GraphError, match="softmax: its input must be a vector or a matrix, not a number"):
        ComputationGraph.from_dict(doc([inp("a", 2.0), {"id": "Y", "op": "softmax"}], [("a", "Y", 0)]))


def test_affine_checks_the_bias_against_x_dot_w():
    d = doc([inp("X", X43), inp("W", np.ones((3, 2)).tolist()), inp("b", [1.0, 2.0, 3.0]), {"id": "A", "op": "affine"}],
            [("X", "A", 0), ("W", "A", 1), ("b", "A", 2)])
    with pytest.raises(GraphError, match=r"affine: b \(3,\) does not fit X · W \(4, 2\)"):
        ComputationGraph.from_dict(d)


# -- values that are not tensors ------------------------------------------------------------
@pytest.mark.parametrize("value, problem", [
    ([[1.0, 2.0], [3.0]], "must be rectangular: row 1 has 1 numbers, row 0 has 2"),
    ([[1.0, "a"]], "must hold only numbers, got 'a' at [0][1]"),
    ([[1.0, True]], "must hold only numbers, got True at [0][1]"),
    ([], "must hold at least one number"),
    ([[[1.0]]], "must be a vector or a matrix"),
    ([1.0, 1e400], "must hold finite numbers"),
])
def test_a_value_that_is_not_a_tensor_is_refused_with_where(value, problem):
    with pytest.raises(GraphError) as err:
        ComputationGraph.from_dict(doc([inp("X", value)], []))
    assert problem in str(err.value) and "nodes[0].value" in str(err.value)
    g = ComputationGraph.from_dict(doc([inp("X", [1.0])], []))
    with pytest.raises(GraphError) as err:
        g.set_value("X", value)
    assert problem in str(err.value) and err.value.reason == "invalid_value"
    assert g.node("X")["value"].tolist() == [1.0]


def test_nan_in_a_tensor_is_refused_and_extreme_values_are_faults_not_crashes():
    g = ComputationGraph.from_dict(doc([inp("X", [1.0])], []))
    with pytest.raises(GraphError, match="must hold finite numbers, not nan at \\[1\\]"):
        g.set_value("X", np.array([1.0, np.nan]))
    big = ComputationGraph.from_dict(doc([inp("X", [[1e200, 1.0]]), inp("W", [[1e200], [1.0]]), {"id": "Y", "op": "dot"},
                                          {"id": "L", "op": "sum"}], [("X", "Y", 0), ("W", "Y", 1), ("Y", "L", 0)]))
    assert big.forward()["L"] == math.inf and "Y" in big.faults()
    state = visible_state(big, full_cursor(big), *pass_orders(big))
    json.dumps(state)  # ∞ in a tensor is the string "Infinity", as for numbers
    assert state["values"]["Y"] == [["Infinity"]]


def test_softmax_with_loss_is_steady_for_huge_scores():
    g = ComputationGraph.from_dict(doc([inp("x", [[1000.0, 0.0, -1000.0]]), inp("t", [0.0]),
                                        {"id": "L", "op": "softmax_with_loss"}], [("x", "L", 0), ("t", "L", 1)]))
    assert g.forward()["L"] == pytest.approx(-math.log(1 + 1e-7)) and not g.faults()
    np.testing.assert_allclose(g.backward()["x"], [[0.0, 0.0, 0.0]], atol=1e-300)


def test_labels_that_are_no_class_are_a_fault_of_the_loss():
    g = ComputationGraph.from_dict(doc([inp("x", [[1.0, 2.0]]), inp("t", [2.0]),
                                        {"id": "L", "op": "softmax_with_loss"}], [("x", "L", 0), ("t", "L", 1)]))
    assert math.isnan(g.forward()["L"]) and "L" in g.faults()


# -- layers against PyTorch ------------------------------------------------------------------
def test_broadcasting_add_sums_its_gradient_over_the_broadcast_axes_as_pytorch():
    rng = np.random.default_rng(1)
    a, b, c = rng.standard_normal((4, 3)), rng.standard_normal(3), rng.standard_normal((4, 1))
    g = ComputationGraph.from_dict(doc([inp("a", a.tolist()), inp("b", b.tolist()), inp("c", c.tolist()),
                                        inp("k", 2.5), {"id": "ab", "op": "add"}, {"id": "abc", "op": "add"},
                                        {"id": "m", "op": "mul"}, {"id": "L", "op": "sum"}],
                                       [("a", "ab", 0), ("b", "ab", 1), ("ab", "abc", 0), ("c", "abc", 1),
                                        ("abc", "m", 0), ("k", "m", 1), ("m", "L", 0)]))
    grads = g.backward()
    ta, tb, tc, tk = (torch.tensor(v, requires_grad=True) for v in (a, b, c, np.float64(2.5)))
    (((ta + tb) + tc) * tk).sum().backward()
    for name, t in (("a", ta), ("b", tb), ("c", tc)):
        assert grads[name].shape == t.shape
        np.testing.assert_allclose(grads[name], t.grad.numpy(), rtol=1e-12)
    assert isinstance(grads["k"], float) and grads["k"] == pytest.approx(tk.grad.item(), rel=1e-12)


@pytest.mark.parametrize("op, torch_fn", [("relu", torch.relu), ("sigmoid", torch.sigmoid),
                                          ("softmax", lambda x: torch.softmax(x, dim=-1))])
def test_elementwise_and_softmax_layers_match_pytorch(op, torch_fn):
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    g = ComputationGraph.from_dict(doc([inp("x", x.tolist()), inp("w", w.tolist()), {"id": "y", "op": op},
                                        {"id": "yw", "op": "mul"}, {"id": "L", "op": "mean"}],
                                       [("x", "y", 0), ("y", "yw", 0), ("w", "yw", 1), ("yw", "L", 0)]))
    tx = torch.tensor(x, requires_grad=True)
    (torch_fn(tx) * torch.tensor(w)).mean().backward()
    np.testing.assert_allclose(g.forward()["y"], torch_fn(torch.tensor(x)).numpy(), rtol=1e-12)
    np.testing.assert_allclose(g.backward()["x"], tx.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_dot_of_a_vector_is_the_books_affine_figure():
    g = ComputationGraph.from_dict(doc([inp("X", [1.0, 2.0]), inp("W", [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]),
                                        {"id": "Y", "op": "dot"}, {"id": "L", "op": "sum"}],
                                       [("X", "Y", 0), ("W", "Y", 1), ("Y", "L", 0)]))
    np.testing.assert_array_equal(g.forward()["Y"], [9.0, 12.0, 15.0])
    np.testing.assert_array_equal(g.backward()["W"], [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]])  # Xᵀ · dY
    np.testing.assert_array_equal(g.backward()["X"], [6.0, 15.0])  # dY · Wᵀ


# -- formulas ---------------------------------------------------------------------------
def test_a_formula_types_the_two_layer_net_in_a_few_lines():
    text = """x = [[1.0, 2.0], [-1.0, 0.5]]
t = [0, 2]
W1 = [[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]]
b1 = [0.0, 0.1, 0.0]
W2 = [[0.2, 0.1, -0.3], [0.5, -0.5, 0.1], [0.3, 0.2, 0.1]]
b2 = [0.0, 0.0, 0.1]
loss = softmax_with_loss(affine(relu(x @ W1 + b1), W2, b2), t)"""
    d = parse_formula(text)
    assert d["version"] == 2 and {n["op"] for n in d["nodes"]} >= {"dot", "add", "relu", "affine", "softmax_with_loss"}
    g = ComputationGraph.from_dict(d)
    h = np.maximum(np.array([[1.0, 2.0], [-1.0, 0.5]]) @ np.array([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]])
                   + [0.0, 0.1, 0.0], 0)
    a = h @ np.array([[0.2, 0.1, -0.3], [0.5, -0.5, 0.1], [0.3, 0.2, 0.1]]) + [0.0, 0.0, 0.1]
    y = np.exp(a) / np.exp(a).sum(axis=1, keepdims=True)
    assert g.forward()["loss"] == pytest.approx(-np.mean(np.log(y[[0, 1], [0, 2]] + 1e-7)), rel=1e-12)


def test_a_formula_whose_shapes_do_not_fit_is_refused_at_its_line():
    with pytest.raises(FormulaError) as err:
        parse_formula("x = [[1.0, 2.0, 3.0]]\nW = [[1.0], [2.0]]\ny = sum(x @ W)")
    assert str(err.value).startswith("line 3, column 9: dot: (1, 3) · (2, 1) does not fit: 3 ≠ 2")
    with pytest.raises(FormulaError, match="a tensor holds numbers only, not a"):
        parse_formula("a = 2\nx = [a, 1]")


def test_a_formula_of_numbers_is_still_version_1():
    assert parse_formula("a = 2\nb = a * a")["version"] == 1


# -- what is shown ------------------------------------------------------------------------
def test_the_texts_show_a_few_entries_and_shapes_and_the_whole_table_on_request():
    x = np.arange(20.0).reshape(4, 5) - 3
    assert fmt(x) == "[[−3, −2, −1, …], [2, 3, 4, …], [7, 8, 9, …], …]"
    assert tensor_table(x[:2, :2]) == {"shape": [2, 2], "rows": [["−3", "−2"], ["2", "3"]]}
    assert tensor_table(np.array([0.5, 1.0])) == {"shape": [2], "rows": [["0.5", "1"]]}


def test_backward_steps_write_each_matrix_rule_with_its_shapes():
    d = doc([inp("X", np.ones((4, 3)).tolist()), inp("W", np.ones((3, 2)).tolist()), {"id": "Y", "op": "dot"},
             {"id": "L", "op": "sum"}], [("X", "Y", 0), ("W", "Y", 1), ("Y", "L", 0)])
    g = ComputationGraph.from_dict(d)
    step = next(wire_event(e, g.symbols) for e in g.backward_steps() if e["node"] == "Y")
    rules = {r["port_name"]: r for r in step["rules"]}
    assert rules["W"]["text"] == "dW = xᵀ · dout : (3, 4) · (4, 2) = (3, 2)"
    assert rules["x"]["shapes"] == "(4, 2) · (2, 3) = (4, 3)"
    assert r"x^{T}" in rules["W"]["latex"] and r"\frac{\partial L}{\partial W}" in rules["W"]["latex"]
    assert rules["W"]["grad"] == np.full((3, 2), 4.0).tolist()  # JSON: nested lists
    fwd = next(e for e in g.forward_steps() if e["node"] == "Y")
    assert fwd["text"] == "Y = X · W : (4, 3) · (3, 2) → (4, 2)" and fwd["shape"] == "(4, 2)"
    json.dumps(step)


def test_the_visible_state_has_shapes_for_tensor_nodes_and_edges_only():
    g = ComputationGraph.from_dict(doc([inp("X", [[1.0, 2.0]]), inp("k", 3.0), {"id": "Y", "op": "mul"},
                                        {"id": "L", "op": "sum"}], [("X", "Y", 0), ("k", "Y", 1), ("Y", "L", 0)]))
    state = visible_state(g, full_cursor(g), *pass_orders(g))
    assert state["display"]["shapes"] == {"X": "(1, 2)", "Y": "(1, 2)"}
    edges = {(e["source"], e["target"]): e for e in state["edges"]}
    assert edges[("X", "Y")]["shape"] == "(1, 2)" and "shape" not in edges[("k", "Y")]
    assert state["values"]["X"] == [[1.0, 2.0]] and state["display"]["values"]["Y"] == "[[3, 6]]"
    assert state["grads"]["k"] == 3.0 and state["display"]["inputs"]["X"] == "[[1, 2]]"
    json.dumps(state)


def test_a_document_with_tensors_saves_as_version_2_and_loads_back_the_same():
    d = doc([inp("X", [[1.0, 2.0]]), {"id": "L", "op": "sum"}], [("X", "L", 0)], version=1)
    g = ComputationGraph.from_dict(d)
    saved = g.to_dict()
    assert saved["version"] == 2 and saved["nodes"][0]["value"] == [[1.0, 2.0]]
    assert ComputationGraph.from_json(json.dumps(saved)).to_dict() == saved
    change, inverse = g.apply({"type": "remove_node", "id": "X"})
    json.dumps(inverse)  # the undo carries the tensor as nested lists
    g.apply_batch(inverse)
    assert g.to_dict() == saved


def test_an_edit_of_a_tensor_value_recomputes_only_what_changed():
    g = ComputationGraph.from_dict(doc([inp("X", [[1.0, 2.0]]), inp("c", 2.0), inp("d", 1.0), {"id": "Y", "op": "mul"},
                                        {"id": "L", "op": "sum"}, {"id": "M", "op": "add"}],
                                       [("X", "Y", 0), ("c", "Y", 1), ("Y", "L", 0), ("L", "M", 0), ("d", "M", 1)],
                                       output="M"))
    g.changes()
    g.set_value("X", [[1.0, 5.0]])
    found = g.changes()
    assert found.values == {"X", "Y", "L", "M"}
    assert found.grads == {"c", "Y"}  # c's gradient, and the one Y sends back to c
    g.set_value("X", [[1.0, 5.0]])
    assert g.changes().values == frozenset()


def test_integer_labels_get_a_zero_gradient_of_their_own_shape():
    from server.engine.graph import ComputationGraph
    doc = {"format": "gradcanvas", "version": 2, "nodes": [
        {"id": "x", "op": "input", "value": [[1.0, 2.0, 0.5], [0.1, 0.2, 0.3]], "x": 0, "y": 0},
        {"id": "t", "op": "input", "value": [0, 2], "x": 0, "y": 0},
        {"id": "L", "op": "softmax_with_loss", "x": 0, "y": 0}],
        "edges": [{"source": "x", "target": "L", "port": 0}, {"source": "t", "target": "L", "port": 1}]}
    grads = ComputationGraph.from_dict(doc).backward()
    assert np.shape(grads["t"]) == (2,) and not np.any(grads["t"])
    assert np.shape(grads["x"]) == (2, 3)
