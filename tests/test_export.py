"""Exports in every format, from both doughnut examples, and their round trips."""
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from server.teaching.examples import example_doc
from server.export import FORMATS, ExportOptions, export
from server.export.embed import document_from_file
from server.engine.display import fmt
from server.engine.document import GraphError
from server.engine.graph import ComputationGraph

SVG = "{http://www.w3.org/2000/svg}"
EXAMPLES = ["doughnut", "doughnut_cupcake"]


def graph(name="doughnut"):
    return ComputationGraph.from_dict(example_doc(name))


def texts_by_colour(svg: bytes) -> dict:
    root = ET.fromstring(svg)
    out: dict = {}
    for t in root.iter(SVG + "text"):
        out.setdefault(t.get("fill"), []).append(t.text)
    return out


def labels(g) -> set[str]:
    return {n["label"] for n in g.to_dict()["nodes"] if n.get("label")}


def edge_numbers(g) -> list[tuple[str, str]]:
    """(value, gradient) as written beside each edge, for the edges whose source feeds only
    that edge (so the gradient the edge carries back is all of the source's gradient)."""
    doc = g.to_dict()
    values, grads = g.forward(), g.backward()
    fan_out = [e["source"] for e in doc["edges"]]
    return [(fmt(values[e["source"]]), fmt(grads[e["source"]])) for e in doc["edges"]
            if fan_out.count(e["source"]) == 1]


def balanced(tex: str) -> bool:
    """Braces nest properly (never closing more than were opened), escaped ones aside."""
    depth = 0
    for ch in re.sub(r"\\[{}]", "", tex):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def test_the_examples_fan_out_once_so_every_edge_shows_its_sources_gradient():
    for name in EXAMPLES:
        g = graph(name)
        assert len(edge_numbers(g)) == len(g.to_dict()["edges"]), name


def test_every_format_is_one_the_tests_read_back_or_run():
    assert set(FORMATS) == {"svg", "png", "json", "dot", "tikz", "py",
                            "gif", "webp", "frames",  # the animations: test_animation.py
                            "html"}  # the stepper as one file: test_export_html.py


@pytest.mark.parametrize("name", EXAMPLES)
def test_svg_export_is_xml_with_every_label_value_and_gradient(name):
    g = graph(name)
    root = ET.fromstring(export(g, "svg"))
    assert root.tag == SVG + "svg"
    texts = [t.text for t in root.iter(SVG + "text")]
    assert labels(g) <= set(texts)
    for value, grad in edge_numbers(g):
        assert value in texts and grad in texts, (value, grad)
    assert fmt(g.forward()[g.to_dict()["output"]]) in texts  # the output's value, on the output


@pytest.mark.parametrize("name", EXAMPLES)
def test_tikz_export_balances_its_braces_and_draws_every_node_and_edge(name):
    g = graph(name)
    doc = g.to_dict()
    tex = export(g, "tikz").decode("utf-8")
    assert balanced(tex)
    nodes = re.findall(r"^\\node\[(inp|op|op, output)\] \((\w+)\) at \([-\d.]+,[-\d.]+\) \{(.*)\};$", tex, re.M)
    assert len(nodes) == len(doc["nodes"])
    assert len({name for _, name, _ in nodes}) == len(doc["nodes"])  # one TikZ name each
    assert [kind for kind, _, _ in nodes].count("inp") == sum(n["op"] == "input" for n in doc["nodes"])
    assert labels(g) <= {text.split("\\\\")[0] for kind, _, text in nodes if kind == "inp"}
    drawn = re.findall(r"^\\draw\[->, thick\] \(\w+\) to node\[value\] \{(.*?)\} node\[grad\] \{(.*?)\}", tex, re.M)
    assert sorted(drawn) == sorted(edge_numbers(g))


@pytest.mark.parametrize("name", EXAMPLES)
def test_json_export_is_the_document(name):
    g = graph(name)
    data = export(g, "json")
    assert json.loads(data.decode("utf-8")) == g.to_dict() == document_from_file(data)


def test_svg_has_book_numbers_in_book_colours():
    by_colour = texts_by_colour(export(graph(), "svg", ExportOptions(style="editor")))
    black, gray = by_colour["#111"], by_colour["#737373"]
    for value in ("100", "2", "1.1", "200", "220"):
        assert value in black
    for grad in ("2.2", "110", "200", "1.1", "1"):
        assert grad in gray
    assert "220" not in gray and "2.2" not in black


def test_svg_values_and_grads_can_be_left_out():
    by_colour = texts_by_colour(export(graph(), "svg", ExportOptions(grads=False, style="editor")))
    assert "#737373" not in by_colour and "220" in by_colour["#111"]
    by_colour = texts_by_colour(export(graph(), "svg", ExportOptions(values=False, style="editor")))
    assert "220" not in by_colour["#111"] and "2.2" in by_colour["#737373"]


def test_svg_current_state_shows_only_what_the_cursor_revealed():
    from server.engine.visible import Cursor
    g = graph()
    svg = export(g, "svg", ExportOptions(state="current", style="editor"), Cursor("forward", 4, 5))
    black = texts_by_colour(svg)["#111"]
    assert "200" in black and "220" not in black  # m2 not yet stepped
    assert "#737373" not in texts_by_colour(svg)
    assert b"rgba(255, 196, 0, 0.38)" in svg      # the current step's glow, as on the canvas


def test_svg_background_and_scale_options():
    white = export(graph(), "svg")
    clear = export(graph(), "svg", ExportOptions(background="transparent", scale=2))
    assert b'fill="#fff"/>' in white.split(b"</metadata>")[1][:200]
    w1 = float(re.search(rb'width="([\d.]+)"', white).group(1))
    w2 = float(re.search(rb'width="([\d.]+)"', clear).group(1))
    assert w2 == pytest.approx(2 * w1, abs=0.02)


@pytest.mark.parametrize("label", ["<script>alert(1)</script>", "two\nlines \\N{x} \\input{/etc/passwd}", 'say "hi" & \'bye\'', "도넛 가격", "🍩 emoji", "zero\u200bwidth \u202eRTL",
                                   "x" * 500, "]]></metadata><svg onload=alert(1)>"])
def test_hostile_labels_are_inert_in_every_text_format(label):
    doc = example_doc("doughnut")
    doc["nodes"][0]["label"] = label
    doc["title"] = label
    g = ComputationGraph.from_dict(doc)
    svg = export(g, "svg")
    root = ET.fromstring(svg)  # still well-formed XML
    assert not any(el.tag.endswith("script") for el in root.iter())
    drawn = "".join(" " if ch < " " else ch for ch in label)  # as the canvas draws control characters
    assert drawn in [t.text for t in root.iter(SVG + "text")]
    assert document_from_file(svg) == g.to_dict()
    dot = export(g, "dot").decode()
    assert dot.count("digraph") == 1
    py = export(g, "py").decode()
    compile(py, "export.py", "exec")  # a hostile title cannot break out of the docstring
    tex = export(g, "tikz").decode()
    assert "<script>" not in tex and "\nsvg" not in tex
    assert all(line.startswith("%") for line in tex.splitlines()[:2])  # the title stays in its comment


def test_long_labels_of_10000_characters_export():
    doc = example_doc("doughnut")
    doc["nodes"][0]["label"] = "가" * 500  # the document limit for a label
    g = ComputationGraph.from_dict(doc)
    for fmt in ("svg", "dot", "tikz", "py", "json"):
        assert export(g, fmt)
    doc["nodes"][0]["label"] = "x" * 10_000
    with pytest.raises(GraphError, match="500"):
        ComputationGraph.from_dict(doc)


@pytest.mark.parametrize("name", EXAMPLES)
def test_dot_renders_with_graphviz_showing_every_label_value_and_gradient(name, tmp_path):
    g = graph(name)
    dot = export(g, "dot")
    out = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, timeout=30)
    assert out.returncode == 0, out.stderr.decode()
    rendered = out.stdout.decode()
    assert "2.2" in rendered and "gray45" not in rendered  # colours were resolved by dot
    assert 'fill="#737373"' in rendered or "#737373" in rendered  # gray45 = #737373 for gradients
    root = ET.fromstring(out.stdout)  # what dot drew: one <g class="node"> per node, with its texts
    drawn = {g_el.find(SVG + "title").text: [t.text for t in g_el.iter(SVG + "text")]
             for g_el in root.iter(SVG + "g") if g_el.get("class") == "node"}
    doc = g.to_dict()
    assert set(drawn) == {n["id"] for n in doc["nodes"]}
    for n in doc["nodes"]:
        if n.get("label"):
            assert drawn[n["id"]][0] == n["label"]
    texts = [t.text for t in root.iter(SVG + "text")]
    for value, grad in edge_numbers(g):
        assert value in texts and grad in texts, (value, grad)


@pytest.mark.parametrize("name", EXAMPLES + ["x_times_x", "sigmoid_neuron"])
def test_python_export_prints_the_engines_numbers(name, tmp_path):
    g = graph(name)
    script = tmp_path / "graph.py"
    script.write_bytes(export(g, "py"))
    # -I -S: no PYTHONPATH, no user or site packages; the script needs nothing installed.
    run = subprocess.run([sys.executable, "-I", "-S", str(script)], capture_output=True, text=True,
                         timeout=30, cwd=str(tmp_path), env={})
    assert run.returncode == 0, run.stderr
    printed = {}
    for line in run.stdout.splitlines():
        key, value = line.rsplit(" = ", 1)
        printed[key] = float(value)
    values, grads = g.forward(), g.backward()
    assert printed == {**{f"value {k}": v for k, v in values.items()}, **{f"grad {k}": v for k, v in grads.items()}}


def test_python_export_reads_like_the_book():
    py = export(graph(), "py").decode()
    assert "import" not in py.replace("import math", "")  # nothing of ours: the layers are in the script
    assert "\nclass MulLayer:\n" in py and "@register" not in py
    assert "m1_layer = MulLayer()" in py
    assert "m1 = forward(m1_layer, doughnut, count)" in py
    assert "dm1, dtax = backward(m2_layer, dm2)" in py


def test_tikz_structure():
    tex = export(graph(), "tikz", ExportOptions(style="editor")).decode()
    assert tex.startswith("%") and "\\documentclass[tikz" in tex
    assert tex.count("\\begin{tikzpicture}") == 1 and tex.count("\\end{tikzpicture}") == 1
    assert tex.count("\\node[op") == 2 and tex.count("\\node[inp]") == 3
    assert "node[value] {220}" not in tex  # 220 is on the output, which has no outgoing edge
    assert "node[value] {200}" in tex and "node[grad] {2.2}" in tex
    assert "text=gray" in tex and "text=black" in tex
    assert tex.count("{") == tex.count("}")


@pytest.mark.parametrize("fmt", ["json", "svg", pytest.param("png", marks=pytest.mark.slow)])
@pytest.mark.parametrize("name", EXAMPLES)
def test_json_svg_and_png_round_trips_give_the_identical_document(name, fmt):
    g = graph(name)
    data = export(g, fmt)  # png: rasterised by chromium, some seconds
    assert document_from_file(data) == g.to_dict()
    assert ComputationGraph.from_dict(document_from_file(data)).to_dict() == g.to_dict()


@pytest.mark.slow  # chromium rasterises the PNG: some seconds
def test_png_is_a_2x_raster_with_the_document_inside():
    from io import BytesIO

    from PIL import Image
    g = graph()
    png = export(g, "png")
    svg = export(g, "svg")
    w = float(re.search(rb'width="([\d.]+)"', svg).group(1))
    with Image.open(BytesIO(png)) as img:
        assert img.format == "PNG"
        assert abs(img.width - 2 * w) <= 2
        assert json.loads(img.text["gradcanvas"])["title"] == "Doughnut shopping"


@pytest.mark.parametrize("data, message", [
    (b"GIF89a....", "not a gradcanvas"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><rect/></svg>", "not exported by gradcanvas"),
    (b"<html><body>hi</body></html>", "not an SVG"),
    (b"<?xml version='1.0'?><!DOCTYPE svg [<!ENTITY a 'aaaa'><!ENTITY b '&a;&a;&a;'>]><svg>&b;</svg>", "cannot be read"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDRbroken", "cannot be read"),
    (b'{"format": "gradcanvas", "version": 1, "nodes": [{"id": "a", "op": "mull"}]}', "unknown op 'mull'"),
    (b"{not json", "malformed JSON"),
])
def test_foreign_and_corrupt_files_are_refused(data, message):
    with pytest.raises(GraphError, match=message):
        document_from_file(data)


def test_png_without_our_chunk_is_refused():
    from io import BytesIO

    from PIL import Image
    out = BytesIO()
    Image.new("RGB", (4, 4)).save(out, format="PNG")
    with pytest.raises(GraphError, match="not exported by gradcanvas"):
        document_from_file(out.getvalue())


@pytest.mark.slow  # chromium rasterises the PNG: some seconds
def test_truncated_png_of_ours_is_refused():
    png = export(graph(), "png")
    with pytest.raises(GraphError):
        document_from_file(png[: len(png) // 2])
