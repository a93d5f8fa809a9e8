"""Exports of tensor graphs (issue 16): the book's Affine figure and the two-layer net.

Figures (SVG, so PNG, and TikZ) draw each tensor edge's shape as a badge beside its value,
with nothing on anything else; the Python export is a numpy script in the book's
common/layers.py style that runs on its own and prints what the engine computes; JSON
carries the tensors; every other format works on them too.
"""
from __future__ import annotations

import ast
import json
import math
import re
import subprocess
import sys

import numpy as np
import pytest

from server.engine.graph import ComputationGraph
from server.export import FORMATS, ExportOptions, export
from server.teaching.examples import example_doc
from server.teaching.formula import parse_formula

from figure_geometry import Report, labels_on_edges, measure

EXAMPLES = ("affine_figure", "two_layer_net")
FIGURES = {"book": ExportOptions(state="all"), "editor": ExportOptions(state="all", style="editor"),
           "worksheet": ExportOptions(state="all", blank="both"),
           "answer key": ExportOptions(state="all", blank="both", answers=True),
           "symbols": ExportOptions(state="all", labels="symbols")}


def graph(name: str) -> ComputationGraph:
    return ComputationGraph.from_dict(example_doc(name))


def edge_shapes(g: ComputationGraph) -> set[str]:
    """The shape of every tensor an edge carries, as a badge writes it: '(2, 3)'."""
    values = g.forward()
    return {str(values[s].shape) for s, _ in g.g.edges() if hasattr(values[s], "shape")}


# -- figures ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", EXAMPLES)
def test_the_svg_draws_a_shape_badge_for_every_tensor_edge(name):
    g = graph(name)
    svg = export(g, "svg").decode()
    badges = set(re.findall(r'data-shape="([^"]+)"', svg))
    assert badges == edge_shapes(g)
    assert all(f">{shape}</text>" in svg for shape in badges)  # the badge's text, beside its box


def test_the_affine_figure_badges_are_the_books_shapes():
    svg = export(graph("affine_figure"), "svg").decode()
    assert set(re.findall(r'data-shape="([^"]+)"', svg)) == {"(2, 2)", "(2, 3)", "(3,)"}
    assert ">[[1, 2], [3, 4]]</text>" in svg      # a small tensor is written whole
    assert ">12.6</text>" in svg                   # the sum, a number, has no badge


def test_a_large_tensor_is_written_briefly_beside_its_badge():
    g = graph("two_layer_net")
    svg = export(g, "svg").decode()
    hidden = str(g.forward()["Relu1"].shape)  # (batch, 10)
    assert f'data-shape="{hidden}"' in svg
    texts = re.findall(r">(\[\[[^<]*)</text>", svg)
    numbers = [re.findall(r"−?\d[\d.]*(?:e−?\d+)?", t) for t in texts]
    assert texts and all(len(n) == 2 for n in numbers), texts  # its first two numbers, then …


@pytest.mark.parametrize("style", FIGURES)
@pytest.mark.parametrize("name", EXAMPLES)
def test_the_tensor_examples_have_nothing_crossing_or_covered(name, style):
    doc = example_doc(name)
    assert measure(doc, FIGURES[style]) == Report()
    assert labels_on_edges(doc, FIGURES[style]) == []


def test_a_badge_stays_where_the_value_goes_when_values_are_left_out():
    svg = export(graph("affine_figure"), "svg", ExportOptions(values=False)).decode()
    assert set(re.findall(r'data-shape="([^"]+)"', svg)) == {"(2, 2)", "(2, 3)", "(3,)"}
    assert "[[1, 2], [3, 4]]" not in svg


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_tikz_picture_writes_the_badges(name):
    g = graph(name)
    tex = export(g, "tikz").decode()
    assert tex.count("{") == tex.count("}")
    assert tex.index(r"\begin{document}") < tex.index(r"\begin{tikzpicture}") < tex.index(r"\end{tikzpicture}")
    assert r"\newcommand{\shapebadge}" in tex
    assert set(re.findall(r"\\shapebadge\{(\([^}]*\))\}", tex)) == edge_shapes(g)
    code = "\n".join(line for line in tex.splitlines() if not line.startswith("%"))
    assert not re.search(r"[^\x00-\x7f]", code), "only ASCII reaches pdflatex (… and − as commands)"


def test_the_symbolic_tikz_figure_writes_transposes_for_latex():
    tex = export(graph("affine_figure"), "tikz", ExportOptions(labels="symbols")).decode()
    assert "$^{T}$" in tex and "ᵀ" not in tex


def test_dot_lists_the_shapes_on_the_edges():
    dot = export(graph("affine_figure"), "dot").decode()
    assert dot.count(">(2, 3)</font>") == 3 and ">(3,)</font>" in dot


# -- Python --------------------------------------------------------------------------------

def run_script(py: bytes, folder) -> dict:
    """Run the script isolated (-I: no PYTHONPATH, no user site; numpy from the interpreter's
    own site-packages), in an empty folder; returns 'value x' / 'grad x' → the printed value."""
    script = folder / "net.py"
    script.write_bytes(py)
    run = subprocess.run([sys.executable, "-I", str(script)], cwd=folder, capture_output=True, text=True,
                         timeout=60, env={})
    assert run.returncode == 0, run.stderr
    scope = {"__builtins__": {}, "nan": math.nan, "inf": math.inf}
    return {k: eval(v, scope) for k, v in (line.split(" = ", 1) for line in run.stdout.splitlines())}


def assert_matches_engine(g: ComputationGraph, printed: dict):
    values, grads = g.forward(), g.backward()
    expected = {**{f"value {k}": v for k, v in values.items()}, **{f"grad {k}": v for k, v in grads.items()}}
    assert set(printed) == set(expected)
    for key, want in expected.items():  # float for float: the script runs the engine's own layers
        np.testing.assert_array_equal(np.asarray(printed[key], dtype=float), np.asarray(want, dtype=float),
                                      err_msg=key)
        assert isinstance(printed[key], list) == hasattr(want, "shape"), key


def imports(py: bytes) -> set[str]:
    tree = ast.parse(py)
    return {a.name for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
            for a in node.names} | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}


def test_the_two_layer_net_script_runs_standalone_and_prints_the_servers_loss(tmp_path):
    g = graph("two_layer_net")
    py = export(g, "py")
    assert imports(py) == {"math", "numpy"}
    printed = run_script(py, tmp_path)
    loss = g.forward()["loss"]
    assert math.isclose(printed["value loss"], loss, rel_tol=1e-12)
    assert_matches_engine(g, printed)


def test_the_script_writes_the_books_layers_and_affines_three_inputs():
    text = export(graph("two_layer_net"), "py").decode()
    for cls in ("class Affine:", "class Relu:", "class SoftmaxWithLoss:", "def softmax(", "def cross_entropy_error("):
        assert cls in text
    assert "AffineLayer" not in text and "SoftmaxWithLossLayer" not in text
    assert "Affine1 = forward(Affine1_layer, x, W1, b1)" in text
    assert "dx, dW1, db1 = backward(Affine1_layer, dAffine1)" in text
    assert "dRelu1, dW2, db2 = backward(Affine2_layer, dAffine2)" in text


def test_the_affine_figure_script_runs_standalone(tmp_path):
    g = graph("affine_figure")
    py = export(g, "py")
    assert "class DotLayer:" in py.decode() and "class AddLayer:" in py.decode()
    assert_matches_engine(g, run_script(py, tmp_path))


def test_a_tensor_output_is_seeded_with_ones(tmp_path):
    doc = parse_formula("x = [[1.0, -2.0], [0.5, 3.0]]\nW = [[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]]\ny = relu(x @ W)")
    g = ComputationGraph.from_dict(doc)
    py = export(g, "py")
    assert "np.ones_like(" in py.decode()
    assert_matches_engine(g, run_script(py, tmp_path))


def test_a_label_that_is_no_class_fails_in_the_script_as_in_the_engine(tmp_path):
    doc = parse_formula("s = [[1.0, 2.0, 0.5], [0.1, 0.2, 0.3]]\nt = [0, 7]\nL = softmax_with_loss(s, t)")
    g = ComputationGraph.from_dict(doc)
    assert g.faults()  # the engine's NaN, and no gradient through the failed layer
    printed = run_script(export(g, "py"), tmp_path)
    assert math.isnan(printed["value L"]) and math.isnan(printed["grad s"])
    assert_matches_engine(g, printed)


# -- JSON ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", EXAMPLES)
def test_json_carries_the_tensors_and_reads_back_to_the_same_graph(name):
    g = graph(name)
    doc = json.loads(export(g, "json"))
    assert doc["version"] == 2
    back = ComputationGraph.from_dict(doc)
    assert back.to_dict() == g.to_dict()
    for nid, value in g.forward().items():
        np.testing.assert_array_equal(back.forward()[nid], value)
    tensors = [n for n in doc["nodes"] if isinstance(n.get("value"), list)]
    assert tensors and all(isinstance(row, (list, float)) for n in tensors for row in n["value"])


# -- every format ---------------------------------------------------------------------------

FAST = [f for f in FORMATS if f not in ("png", "gif", "webp", "frames")]  # those launch Chromium


@pytest.mark.parametrize("fmt", FAST)
@pytest.mark.parametrize("name", EXAMPLES)
def test_every_format_exports_the_tensor_examples(name, fmt):
    out = export(graph(name), fmt, ExportOptions(blank="both") if fmt in ("svg", "tikz") else ExportOptions())
    assert out and (FORMATS[fmt].binary or out.decode())


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["png", "gif", "webp", "frames"])
@pytest.mark.parametrize("name", EXAMPLES)
def test_every_chromium_format_exports_the_tensor_examples(name, fmt):
    out = export(graph(name), fmt)
    magic = {"png": b"\x89PNG", "gif": b"GIF8", "webp": b"RIFF", "frames": b"PK"}[fmt]
    assert out.startswith(magic)
