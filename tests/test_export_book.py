"""Issue 13, parts 1, 2 and 4: symbolic labels, the book style, and worksheets with their
answer keys; and the seed post's four figures as examples."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from server.engine.document import validate
from server.engine.graph import ComputationGraph
from server.engine.registry import OPS
from server.engine.symbols import symbolic, value_names
from server.engine.visible import Cursor
from server.export import ExportOptions, export
from server.export.figure import build_figure
from server.export.svg import BOOK_GRAD
from server.teaching.examples import example_doc, list_examples
from server.teaching.formula import parse_formula

SVG = "{http://www.w3.org/2000/svg}"
SEEDS = ["seed-add-node", "seed-local-derivative", "seed-mul-node", "doughnut"]
ACCENT = "#1f6feb"


def graph(name="doughnut"):
    return ComputationGraph.from_dict(example_doc(name))


def texts(svg: bytes, fill=None) -> list[str]:
    root = ET.fromstring(svg)
    return [t.text for t in root.iter(SVG + "text") if fill is None or t.get("fill") == fill]


def edge_texts(name, **options) -> dict:
    """(source, target, port) → (value text, grad text) as the figure writes them."""
    fig = build_figure(graph(name), ExportOptions(**options))
    out = {(e["source"], e["target"], e["port"]): (e["value_text"], e["grad_text"]) for e in fig.edges}
    out["output"] = (fig.output_value_text, fig.output_grad_text)
    return out


# -- part 1: symbolic labels ------------------------------------------------------------------

def test_the_add_node_sends_dL_dz_times_1_to_both_inputs():
    t = edge_texts("seed-add-node", labels="symbols")
    assert t[("x", "add", 0)] == ("x", "∂L/∂z · 1")
    assert t[("y", "add", 1)] == ("y", "∂L/∂z · 1")
    assert t["output"] == ("z", "∂L/∂z")


def test_the_mul_node_swaps_its_inputs_on_backward():
    t = edge_texts("seed-mul-node", labels="symbols")
    assert t[("x", "mul", 0)] == ("x", "∂L/∂z · y")
    assert t[("y", "mul", 1)] == ("y", "∂L/∂z · x")


def test_the_local_derivative_names_the_incoming_gradient_E():
    t = edge_texts("seed-local-derivative", labels="symbols")
    assert t[("x", "f", 0)] == ("x", "E · ∂y/∂x")
    assert t["output"] == ("y", "E")


def test_both_mode_writes_the_expression_and_its_number():
    t = edge_texts("doughnut", labels="both")
    assert t[("doughnut", "m1", 0)] == ("doughnut = 100", "∂L/∂x · count = 2.2")
    assert t[("tax", "m2", 1)] == ("tax = 1.1", "∂L/∂y · x = 200")
    assert t["output"] == ("y = 220", "∂L/∂y = 1")


def test_unnamed_values_get_x_y_z_in_document_order_skipping_names_in_use():
    doc = parse_formula("a = 2\nb = 3\nc = exp(a * b)")
    names = value_names(ComputationGraph.from_dict(doc))
    unnamed = [n["id"] for n in doc["nodes"] if not n.get("label")]
    labelled = {n.get("label") for n in doc["nodes"]}
    assert [names[n] for n in unnamed] == [x for x in "xyzwuv" if x not in labelled][:len(unnamed)]


def test_every_op_writes_its_rule_with_names_and_no_dout_left():
    for name, spec in OPS.items():
        if not spec.ports or not spec.takes_scalars:  # ops of numbers (this graph's inputs are numbers)
            continue
        doc = {"format": "gradcanvas", "version": 1, "nodes":
               [{"id": "a", "op": "input", "value": 0.5, "label": "a"},
                {"id": "b", "op": "input", "value": 2, "label": "b"},
                {"id": "o", "op": name, "label": "o"}],
               "edges": [{"source": "ab"[k], "target": "o", "port": k} for k in range(spec.arity)], "output": "o"}
        sym = symbolic(ComputationGraph.from_dict(doc))
        for k in range(spec.arity):
            text = sym.edges[("ab"[k], "o", k)]
            assert text.startswith("∂L/∂o · "), (name, text)
            assert "dout" not in text and "out" not in text.replace("∂L/∂o", ""), (name, text)
    exp = parse_formula("z = exp(x)") if False else None  # noqa: F841 (the issue's own example below)
    doc = {"format": "gradcanvas", "version": 1, "nodes": [{"id": "x", "op": "input", "value": 1, "label": "x"},
           {"id": "z", "op": "exp", "label": "z"}], "edges": [{"source": "x", "target": "z", "port": 0}]}
    assert symbolic(ComputationGraph.from_dict(doc)).edges[("x", "z", 0)] == "∂L/∂z · exp(x)"


def test_a_name_of_more_than_one_word_is_parenthesised():
    doc = example_doc("doughnut")
    doc["nodes"][0]["label"] = "doughnut price"
    doc["nodes"][4]["label"] = "total price"
    sym = symbolic(ComputationGraph.from_dict(doc))
    assert sym.edges[("count", "m1", 1)] == "∂L/∂x · (doughnut price)"
    assert sym.grads["m2"] == "∂L/∂(total price)"


def test_a_fan_out_shows_the_sum_of_its_terms():
    g = graph("x_times_x")
    fig = build_figure(g, ExportOptions(labels="symbols"))
    fanned = [nid for nid, text in fig.sums.items()]
    assert fanned, "x_times_x fans out"
    for nid in fanned:
        terms = [e["grad_text"] for e in fig.edges if e["source"] == nid]
        assert fig.sums[nid] == " + ".join(terms)
    svg = export(g, "svg", ExportOptions(labels="symbols"))
    assert any(t and " = " in t and " + " in t for t in texts(svg))
    assert "∂L/∂(x·x) · x" in fig.sums[fanned[0]]  # 'x·x' is two factors: parenthesised


def test_the_symbolic_svg_uses_the_partial_sign_and_middle_dot():
    svg = export(graph("seed-mul-node"), "svg", ExportOptions(labels="symbols"))
    gray = texts(svg, BOOK_GRAD)
    assert "∂L/∂z · y" in gray and "∂L/∂z · x" in gray and "∂L/∂z" in gray
    assert "2" not in texts(svg) and "6" not in texts(svg)  # no numbers in a symbolic figure


def test_symbols_as_stepped_show_only_what_the_cursor_reached():
    g = graph("doughnut")
    fig = build_figure(g, ExportOptions(labels="symbols", state="current"), Cursor("forward", 4, 5))
    values = {(e["source"], e["target"]): e["value_text"] for e in fig.edges}
    assert values[("m1", "m2")] == "x" and fig.output_value_text is None
    assert all(e["grad_text"] is None for e in fig.edges)


def test_grad_label_is_an_optional_field_and_old_documents_still_load():
    doc = example_doc("seed-local-derivative")
    assert validate(doc)["nodes"][1]["grad_label"] == "E"
    assert "grad_label" not in validate(example_doc("doughnut"))["nodes"][0]
    assert ComputationGraph.from_dict(doc).to_dict()["nodes"][1]["grad_label"] == "E"


def test_the_generic_function_stands_in_as_the_identity_numerically():
    g = graph("seed-local-derivative")
    assert g.forward()["f"] == 1.0 and g.backward()["x"] == 1.0
    assert OPS["f"].symbol == "f" and OPS["f"].call is None  # not a formula's function


# -- part 2: the book style -------------------------------------------------------------------

def port_dots(svg: bytes) -> int:
    return len(re.findall(rb'<circle[^>]* r="3.5"', svg))


@pytest.mark.parametrize("fmt_options", [{}, {"labels": "symbols"}, {"labels": "both"}, {"blank": "both"},
                                         {"state": "current"}])
@pytest.mark.parametrize("name", SEEDS + ["x_times_x", "sigmoid_neuron"])
def test_no_book_style_export_has_a_port_dot_ring_glow_or_input_box(name, fmt_options):
    svg = export(graph(name), "svg", ExportOptions(**fmt_options), Cursor("backward", 1, 3))
    assert port_dots(svg) == 0
    assert b"rgba(255, 196, 0" not in svg                      # no step glow
    assert b'fill="none" stroke="#777"' not in svg             # no output double ring
    assert b'rx="8"' not in svg and b'rx="12"' not in svg      # no input box, no ring round one
    tex = export(graph(name), "tikz", ExportOptions(**fmt_options)).decode()
    assert "double" not in tex.split(r"\begin{tikzpicture}")[1].split("]", 1)[1]
    assert "rounded corners" not in tex


def test_the_editor_style_keeps_the_canvas_look():
    g = graph()
    svg = export(g, "svg", ExportOptions(style="editor", state="current"), Cursor("forward", 4, 5))
    assert port_dots(svg) == 2 * 1 + 2 * 2 + 3  # every port and every output
    assert b"rgba(255, 196, 0, 0.38)" in svg and b'rx="8"' in svg
    assert texts(export(g, "svg", ExportOptions(style="editor")), "#737373")


def test_book_style_writes_input_names_and_values_black_above_and_gradients_gray_below():
    svg = export(graph(), "svg")
    root = ET.fromstring(svg)
    by = {t.text: t for t in root.iter(SVG + "text")}
    for name in ("doughnut", "count", "tax"):
        assert by[name].get("fill") == "#111" and by[name].get("text-anchor") == "end"
    black, gray = texts(svg, "#111"), texts(svg, BOOK_GRAD)
    assert {"100", "2", "1.1", "200", "220"} <= set(black)
    assert {"2.2", "110", "1.1", "200", "1"} <= set(gray)
    for t in root.iter(SVG + "text"):
        if t.text in ("220", "2.2"):
            assert float(t.get("font-size")) >= 13  # legible at scale 1
    y = {t.text: float(t.get("y")) for t in root.iter(SVG + "text") if t.get("fill") in ("#111", BOOK_GRAD)}
    assert y["220"] < y["1"]  # the output's value above its arrow, its gradient below


def test_book_style_as_stepped_shows_exactly_what_the_cursor_reached():
    g = graph()
    svg = export(g, "svg", ExportOptions(state="current"), Cursor("backward", 1, 5))
    gray = texts(svg, BOOK_GRAD)
    assert "1" in gray and "1.1" in gray and "200" in gray  # m2's backward: its two inputs
    assert "2.2" not in gray and "110" not in gray         # m1's is not reached
    assert b"rgba(255, 196, 0" not in svg and port_dots(svg) == 0


def test_tikz_book_style_draws_names_as_text_and_the_outputs_arrow():
    tex = export(graph(), "tikz").decode()
    assert r"\node[inp] (n0) at (1.200,-1.200) {doughnut};" in tex
    assert "node[value] {220}" in tex and "node[grad] {1}" in tex
    sym = export(graph("seed-mul-node"), "tikz", ExportOptions(labels="symbols")).decode()
    assert r"node[grad] {$\partial$L/$\partial$z $\cdot$ y}" in sym


# -- part 4: worksheets and their answer keys ----------------------------------------------------

def blanks(svg: bytes) -> dict:
    return {kind: len(re.findall(rf'data-blank="{kind}"'.encode(), svg)) for kind in ("value", "grad")}


def test_a_values_worksheet_hides_exactly_the_computed_values():
    g = graph()
    svg = export(g, "svg", ExportOptions(blank="values"))
    black = texts(svg, "#111")
    assert "200" not in black and "220" not in black                 # m1's value on its edge, the output's
    assert {"100", "2", "1.1"} <= set(black)                         # the given inputs stay
    assert set(texts(svg, BOOK_GRAD)) >= {"2.2", "110", "200", "1.1", "1"}  # gradients untouched
    assert blanks(svg) == {"value": 2, "grad": 0}


def test_a_grads_worksheet_hides_every_gradient_but_the_seed():
    svg = export(graph(), "svg", ExportOptions(blank="grads"))
    assert texts(svg, BOOK_GRAD) == ["1"]
    assert blanks(svg) == {"value": 0, "grad": 4}
    assert {"100", "200", "220"} <= set(texts(svg, "#111"))


def test_the_answer_key_shows_what_the_worksheet_hides_in_its_boxes():
    sheet = export(graph(), "svg", ExportOptions(blank="both"))
    key = export(graph(), "svg", ExportOptions(blank="both", answers=True))
    assert blanks(sheet) == blanks(key) == {"value": 2, "grad": 4}
    assert texts(sheet, ACCENT) == []
    assert sorted(texts(key, ACCENT)) == sorted(["200", "220", "2.2", "110", "1.1", "200"])
    # the same figure: every box in the same place
    assert re.findall(rb"<rect[^>]*data-blank[^>]*>", sheet) == re.findall(rb"<rect[^>]*data-blank[^>]*>", key)


def test_a_symbolic_worksheet_boxes_the_expressions():
    key = export(graph("seed-mul-node"), "svg", ExportOptions(labels="symbols", blank="grads", answers=True))
    assert sorted(texts(key, ACCENT)) == ["∂L/∂z · x", "∂L/∂z · y"]


def test_tikz_worksheet_and_key():
    sheet = export(graph(), "tikz", ExportOptions(blank="values")).decode()
    assert sheet.count(r"\framebox") == 2 and "{220}" not in sheet
    key = export(graph(), "tikz", ExportOptions(blank="values", answers=True)).decode()
    assert r"\textcolor{blue}{220}" in key and r"\textcolor{blue}{200}" in key


def test_options_are_checked():
    for bad in ({"style": "fancy"}, {"labels": "words"}, {"blank": "all"}, {"answers": True}):
        with pytest.raises(ValueError):
            build_figure(graph(), ExportOptions(**bad))


# -- the interfaces: HTTP, CLI, examples ---------------------------------------------------------

@pytest.fixture
def doughnut_id(client):
    return client.post("/api/examples/doughnut").json["id"]


def test_the_endpoint_takes_labels_style_and_blank(client, doughnut_id):
    base = f"/api/graphs/{doughnut_id}/export?format=svg"
    plain = client.get(base).data
    assert plain == client.get(base + "&labels=numbers&style=book&blank=none").data  # the defaults
    assert port_dots(plain) == 0 and port_dots(client.get(base + "&style=editor").data) > 0
    assert "∂L/∂y · x" in texts(client.get(base + "&labels=symbols").data)
    assert "∂L/∂y · x = 200" in texts(client.get(base + "&labels=both").data)
    assert blanks(client.get(base + "&blank=grads").data) == {"value": 0, "grad": 4}
    assert "220" in texts(client.get(base + "&blank=values&answers=1").data, ACCENT)
    for fmt in ("png", "tikz"):
        r = client.get(f"/api/graphs/{doughnut_id}/export?format={fmt}&labels=symbols&blank=both")
        assert r.status_code == 200, r.json


@pytest.mark.parametrize("query, message", [
    ("labels=letters", "labels must be one of numbers, symbols, both"),
    ("style=fancy", "style must be one of book, editor"),
    ("blank=everything", "blank must be one of none, values, grads, both"),
    ("answers=1", "answers draws a worksheet's answer key"),
    ("blank=values&answers=maybe", "answers must be 1 or 0"),
])
def test_the_endpoint_refuses_bad_words_clearly(client, doughnut_id, query, message):
    r = client.get(f"/api/graphs/{doughnut_id}/export?format=svg&{query}")
    assert r.status_code == 400 and message in r.json["error"]


def test_the_cli_takes_labels_style_blank_and_answers(tmp_path):
    src = tmp_path / "mul.json"
    src.write_text(json.dumps(example_doc("seed-mul-node")))

    def run(*args):
        return subprocess.run([sys.executable, "-m", "server.cli", "export", str(src), "--format", "svg", *args],
                              capture_output=True)
    out = run("--labels", "symbols", "--style", "book", "--blank", "grads", "--answers")
    assert out.returncode == 0, out.stderr
    assert sorted(texts(out.stdout, ACCENT)) == ["∂L/∂z · x", "∂L/∂z · y"]
    assert port_dots(run("--style", "editor").stdout) > 0
    bad = run("--answers")
    assert bad.returncode != 0 and b"answer key" in bad.stderr
    assert run("--labels", "words").returncode != 0


def test_the_seed_figures_are_listed_with_english_and_korean_titles(client):
    listed = {e["name"]: e for e in client.get("/api/examples").json}
    for name in SEEDS:
        assert listed[name]["title"] and listed[name]["title_ko"], name
    assert listed["seed-add-node"]["title_ko"] == "덧셈 노드의 순전파(검은색)와 역전파(회색)"
    assert listed["seed-local-derivative"]["title_ko"] == "국소적 미분의 전파"
    assert listed["seed-mul-node"]["title_ko"] == "곱셈 노드의 순전파(검은색)와 역전파(회색)"
    assert listed["doughnut"]["title_ko"] == "도넛 쇼핑의 역전파"
    assert [listed[n]["labels"] for n in SEEDS] == ["symbols", "symbols", "symbols", "numbers"]
    assert list_examples() == client.get("/api/examples").json
    for name in SEEDS:  # one click away: POST /api/examples/<name> opens it
        assert client.post(f"/api/examples/{name}").status_code in (200, 201)


@pytest.mark.parametrize("name, expected", [
    ("seed-add-node", {"x", "y", "z", "∂L/∂z · 1", "∂L/∂z"}),
    ("seed-local-derivative", {"x", "y", "E · ∂y/∂x", "E"}),
    ("seed-mul-node", {"x", "y", "z", "∂L/∂z · y", "∂L/∂z · x", "∂L/∂z"}),
    ("doughnut", {"100", "2", "200", "1.1", "220", "1", "2.2", "110"}),
])
def test_each_seed_export_reproduces_its_figure(name, expected):
    labels = next(e["labels"] for e in list_examples() if e["name"] == name)
    svg = export(graph(name), "svg", ExportOptions(labels=labels))
    drawn = set(texts(svg)) - {"+", "×", "f", "doughnut", "count", "tax"}
    assert drawn == expected
