"""Mini-batch training of the two-layer net in headless Chromium, against a real server: the
learning panel's Update buttons train it on the generated spiral (the loss falls, the accuracy
rises, both charted), and Next batch loads a batch a person can step forward and backward.

The numbers are the server's: the page's curves are compared with the same training run
in this process (teaching/minibatch.py is seeded, so both runs are the same run).
"""
from __future__ import annotations

import numpy as np
import pytest

from server.engine.graph import ComputationGraph
from server.teaching import minibatch
from server.teaching.learning import loss as graph_loss
from server.teaching.examples import example_doc

from conftest import post_json
from pages import node

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def example(base: str, name: str) -> str:
    return post_json(f"{base}/api/examples/{name}", {})["id"]


def test_the_two_layer_net_trains_on_the_spiral_in_the_editor(editor, live_server):
    page = editor.open(example(live_server, "two_layer_net")).page
    errors = editor.errors
    s = editor.snapshot()
    assert s["learning"]["trainable"] == ["W1", "b1", "W2", "b2"]
    assert s["learning"]["dataset"] == {"name": "spiral", "seed": 0, "batch": 30, "drawn": 1, "available": True,
                                        "size": 300, "eval_size": 300, "eval_of": "all"}
    assert editor.text("dataset") == "Spiral: 300 points, batches of 30 (seed 0); batch 1 is in x and t"
    assert editor.text("accuracy") == "—" and s["learning"]["accuracy"] == []
    version = s["version"]
    for k in range(1, 6):  # five presses of ×20: a hundred steps of mini-batch SGD, five edits
        editor.click("update-20")
        s = editor.wait(f"s.learning.losses.length === {20 * k + 1} && s.version === {version + k}")
    learning = s["learning"]
    losses, accuracy = learning["losses"], learning["accuracy"]
    assert len(accuracy) == 101 and learning["dataset"]["drawn"] == 101
    assert losses[-1] < losses[0] - 0.3 and accuracy[-1] > accuracy[0] + 0.2, (losses[::20], accuracy[::20])
    # the same run in this process: the page shows the server's numbers, not its own
    graph, source = ComputationGraph.from_dict(example_doc("two_layer_net")), minibatch.Source()
    start = (graph_loss(graph), minibatch.accuracy(graph, source.data(graph.dataset)))
    ops, want_losses, want_accuracy = minibatch.train(graph, source, 100)
    assert losses == pytest.approx([start[0], *want_losses], rel=1e-12)
    assert accuracy == pytest.approx([start[1], *want_accuracy], rel=1e-12)
    graph.apply_batch(ops)
    np.testing.assert_allclose(node(s, "W2")["value"], graph.node("W2")["value"], rtol=1e-12)
    # the panel: the last accuracy as the server wrote it, and both curves drawn point by point
    editor.testid("accuracy").filter(has_text=learning["accuracy_text"]).wait_for()
    assert learning["accuracy_text"] == f"{100 * accuracy[-1]:.1f}%"
    page.wait_for_function("() => { const l = window.gradcanvas.snapshot().learning;"
                           " return l.chart_points === 101 && l.accuracy_points === 101; }")
    assert errors == []


def test_a_person_loads_a_batch_steps_it_through_and_trains_on_it(editor, live_server):
    editor.open(example(live_server, "two_layer_net"))
    errors = editor.errors
    s = editor.snapshot()
    params = {p: node(s, p)["value"] for p in ("W1", "b1", "W2", "b2")}
    x0 = node(s, "x")["value"]
    editor.click("next-batch")
    s = editor.wait(f"s.version === {s['version'] + 1}")
    assert s["learning"]["dataset"]["drawn"] == 2 and s["learning"]["losses"] == []  # no update: no curve
    assert node(s, "x")["value"] != x0 and {p: node(s, p)["value"] for p in params} == params
    spec = {**s["learning"]["dataset"]}
    want_x, want_t = minibatch.draw(minibatch.Source().data(spec), spec, 1)
    np.testing.assert_array_equal(node(s, "x")["value"], want_x)
    np.testing.assert_array_equal(node(s, "t")["value"], want_t)
    assert editor.text("dataset").endswith("batch 2 is in x and t")
    # the batch stepped forward and backward, with the ordinary step controls
    s = editor.run("forward")
    loss = node(s, "loss")["value"]
    assert node(s, "loss")["value_text"] and s["phase"] == "forward"
    s = editor.run("backward")
    assert s["phase"] == "backward" and s["step"] == s["total"] > 0
    assert np.shape(node(s, "W1")["grad"]) == (2, 10)
    # Update trains on the batch that was stepped: the curve starts at its loss
    editor.click("update")
    s = editor.wait("s.learning.losses.length === 2")
    assert s["learning"]["losses"][0] == pytest.approx(loss, rel=1e-12)
    assert s["learning"]["dataset"]["drawn"] == 3
    assert errors == []
