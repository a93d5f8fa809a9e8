"""Hostile titles, labels and ids against every exported format.

Each generated document either holds a character no text may hold (a lone
surrogate, NUL, U+FFFF …), and is refused on the way in, or it is exported in
every text format, and each parses: Python with ast (and runs in a clean
interpreter, from an empty folder, with no side effect), DOT with Graphviz, SVG
with an XML parser (and re-imports to the same document), TikZ with its braces
balanced. The PEP 263 coding cookie and UTF-7 escapes are the attack that once
turned a title and an id into code.
"""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from server.engine.document import GraphError
from server.engine.graph import ComputationGraph
from server.engine.text import text_problem
from server.export import export
from server.export.embed import document_from_file

from test_export import balanced

PIECES = [
    "coding: utf-7", "# -*- coding: utf-7 -*-", "vim: set fileencoding=latin-1 :", "Encoding: utf-7 demo",
    "+ACc-", "+ADs-", "+ACI-", "+AFw-", "os.system('touch pwned')", "__import__('os')",
    "'", '"', "\\", "\\n", "\\input{/etc/passwd}", "{", "}", "%", "#", "$", "&", "~", "^", "_",
    "</svg>", "]]>", "<!--", "<script>alert(1)</script>", "--", "->", ";", "\n",
    "ﬁ", "fi", "x²", "Ⅸ", "가격", "∂L/∂x", "😀", "\u202e", "\u200b", "print", "MulLayer", "m_layer", "dx",
    " ", "a", "1",
]
FORBIDDEN = ["\ud800", "\udfff", "\x00", "\uffff", "\ufdd0", "\x07", "\x1b", "\t", "\r"]

text = st.lists(st.sampled_from(PIECES), min_size=1, max_size=6).map("".join)
ident = st.lists(st.sampled_from([p for p in PIECES if "\n" not in p]), min_size=1, max_size=6).map("".join)


def document(title, label, a_id, b_id):
    return {"format": "gradcanvas", "version": 1, "title": title,
            "nodes": [{"id": a_id, "op": "input", "value": 3.0, "label": label},
                      {"id": b_id, "op": "input", "value": -2.0},
                      {"id": "product", "op": "mul", "label": label},
                      {"id": "out", "op": "neg"}],
            "edges": [{"source": a_id, "target": "product", "port": 0},
                      {"source": b_id, "target": "product", "port": 1},
                      {"source": "product", "target": "out", "port": 0}],
            "output": "out"}


def refused_text(*texts) -> bool:
    """Whether the rule refuses any of (title, label, id, id): ids may not hold a newline either."""
    return any(text_problem(t) for t in texts[:2]) or any(text_problem(t, newline=False) for t in texts[2:])


def distinct_ids(a_id, b_id):
    if a_id == b_id or {a_id, b_id} & {"product", "out"}:
        b_id = a_id + "_b" if a_id not in ("product", "out") else "b"
        a_id = a_id if a_id not in ("product", "out") else "a"
    return a_id[:200], b_id[:200]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=text, label=text, a_id=text, b_id=text, where=st.integers(0, 3), bad=st.sampled_from(FORBIDDEN))
def test_text_holding_a_forbidden_character_is_refused_wherever_it_is(title, label, a_id, b_id, where, bad):
    texts = [title, label, *distinct_ids(a_id, b_id)]
    texts[where] = texts[where][:3] + bad + texts[where][3:]
    with pytest.raises(GraphError, match="may not hold|unicode"):
        ComputationGraph.from_dict(document(*texts))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=text, label=text, a_id=ident, b_id=ident)
def test_hostile_text_is_exported_safely_in_every_format(tmp_path_factory, title, label, a_id, b_id):
    a_id, b_id = distinct_ids(a_id, b_id)
    doc = document(title, label, a_id, b_id)
    assert not refused_text(title, label, a_id, b_id)
    graph = ComputationGraph.from_dict(doc)
    values, grads = graph.forward(), graph.backward()

    py = export(graph, "py").decode("utf-8")
    assert py.splitlines()[:2] == export(ComputationGraph.from_dict(document("", "", "a", "b")), "py") \
        .decode().splitlines()[:2]  # the first two lines never depend on the document
    assert py.splitlines()[0] == "# -*- coding: utf-8 -*-"
    ast.parse(py)
    assert py.isascii()  # every user text is an ascii() literal or an escaped comment
    folder = tmp_path_factory.mktemp("run")
    script = folder / "graph.py"
    script.write_text(py, "utf-8")
    run = subprocess.run([sys.executable, "-I", str(script)], cwd=folder, capture_output=True, text=True,
                         timeout=60, env={"PATH": os.environ.get("PATH", "")})
    assert run.returncode == 0, run.stderr
    assert sorted(os.listdir(folder)) == ["graph.py"]  # no side effect
    printed = [line.rsplit(" = ", 1) for line in run.stdout.splitlines()]
    assert {k: float(v) for k, v in printed if k.startswith("value ")} == {f"value {n}": v for n, v in values.items()}
    assert {k: float(v) for k, v in printed if k.startswith("grad ")} == {f"grad {n}": g for n, g in grads.items()}

    dot = export(graph, "dot")
    rendered = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, timeout=60)
    assert rendered.returncode == 0, rendered.stderr.decode(errors="replace")

    svg = export(graph, "svg")
    ET.fromstring(svg)
    assert document_from_file(svg)["nodes"] == graph.to_dict()["nodes"]

    tikz = export(graph, "tikz").decode("utf-8")
    assert balanced(tikz) and tikz.count(r"\node[") == 4


@pytest.mark.parametrize("forbidden", FORBIDDEN, ids=[f"U+{ord(c):04X}" for c in FORBIDDEN])
def test_the_http_and_socket_paths_refuse_what_the_document_path_refuses(app, client, socket_client, forbidden):
    from conftest import editor_join
    made = client.post("/api/graphs", json=document("t", "label", "a", "b"))
    assert made.status_code == 201
    gid = made.get_json()["id"]
    bad = json.dumps(document("t" + forbidden, "label", "a", "b"))
    assert client.post("/api/graphs", data=bad, content_type="application/json").status_code == 400
    c = socket_client()
    assert c.emit("join", editor_join(app, gid), callback=True)["ok"]
    for edit in ({"type": "set_label", "id": "a", "label": "x" + forbidden + "y"},
                 {"type": "set_title", "title": forbidden}):
        ack = c.emit("edit", {"graph_id": gid, "ops": [edit]}, callback=True)
        assert ack["ok"] is False and "may not hold" in ack["error"]
    r = client.patch(f"/api/graphs/{gid}", json={"title": "x" + forbidden + "y"})
    assert r.status_code == 400
    assert client.get(f"/api/graphs/{gid}").get_json()["title"] == "t"  # unchanged
