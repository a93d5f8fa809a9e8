"""The gradient check: passes on every example, fails on a broken layer, flags relu at 0."""
import subprocess
import sys
from pathlib import Path

import pytest

from server.teaching.examples import NAMES, example_doc
from server.teaching.formula import parse_formula
from server.engine.graph import ComputationGraph
from server.teaching.gradcheck import check_gradients
from server.engine.layers import MulLayer

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", NAMES)
def test_gradient_check_passes_on_every_example(name):
    checks = check_gradients(ComputationGraph.from_dict(example_doc(name)))
    assert checks and all(c.status == "pass" for c in checks), [(c.node, c.rel_error) for c in checks]


def test_gradient_check_fails_on_a_deliberately_broken_layer(monkeypatch):
    def wrong_backward(self, dout):
        return dout * self.x, dout * self.y  # forgot to swap the inputs
    monkeypatch.setattr(MulLayer, "backward", wrong_backward)
    checks = {c.node: c for c in check_gradients(ComputationGraph.from_dict(example_doc("doughnut")))}
    assert checks["doughnut"].status == "fail" and checks["count"].status == "fail"
    assert checks["doughnut"].backprop == pytest.approx(200 * 100) and checks["doughnut"].numeric == pytest.approx(2.2)


def test_relu_at_zero_is_flagged_not_failed():
    g = ComputationGraph.from_dict(parse_formula("x = 0\ny = 2\nz = relu(x) * y"))
    checks = {c.node: c for c in check_gradients(g)}
    assert checks["x"].status == "not differentiable" and "relu" in checks["x"].note
    assert checks["y"].status == "pass"


def test_step_is_relative_to_the_value():
    g = ComputationGraph.from_dict(parse_formula("a = 1000000\nb = 0.001\nc = a * b"))
    h = {c.node: c.h for c in check_gradients(g)}
    assert h["a"] == pytest.approx(1e6 * h["b"])


def test_gradient_check_leaves_the_graph_unchanged():
    g = ComputationGraph.from_dict(example_doc("sigmoid_neuron"))
    before = g.to_dict()
    check_gradients(g)
    assert g.to_dict() == before


def test_cli_check_exit_codes(tmp_path, monkeypatch):
    r = subprocess.run([sys.executable, "-m", "server.cli", "check", "server/teaching/examples/doughnut_cupcake.json"],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.count("pass") == 5
    broken = tmp_path / "sitecustomize.py"  # break MulLayer inside the subprocess
    broken.write_text("import server.engine.layers as L\nL.MulLayer.backward = lambda self, d: (d * self.x, d * self.y)\n")
    r = subprocess.run([sys.executable, "-m", "server.cli", "check", "server/teaching/examples/doughnut.json"],
                       cwd=ROOT, capture_output=True, text=True, timeout=60,
                       env={"PYTHONPATH": f"{tmp_path}:{ROOT}"})
    assert r.returncode == 2 and "FAIL" in r.stderr and "fail" in r.stdout
