"""The stepper as one HTML file (issue 17): `format=html` on the export endpoint and in the CLI.

The file carries the graph and every step, precomputed by the server; it opens from file://
with the network blocked, steps forward and backward with the editor's own modules, and
shows the editor's numbers: 220 forward, then 2.2, 110 and 200 backward for the doughnut."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from server.engine.document import GraphError
from server.engine.graph import ComputationGraph
from server.export import FORMATS, export
from server.export.html import module_bundle, render_html
from server.export.stepper_data import stepper_data
from server.teaching.examples import NAMES, example_doc

from stepper_pages import Stepper, offline

ROOT = Path(__file__).resolve().parent.parent


def doughnut() -> ComputationGraph:
    return ComputationGraph.from_dict(example_doc("doughnut"))


def payload_of(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="gradcanvas-steps">(.*?)</script>', page, re.S)
    return json.loads(m.group(1))


# -- the file ----------------------------------------------------------------------------------------
def test_html_is_a_listed_format_served_as_html():
    spec = FORMATS["html"]
    assert (spec.content_type, spec.extension, spec.steps) == ("text/html; charset=utf-8", "html", True)


def test_the_file_fetches_nothing_it_does_not_carry():
    page = export(doughnut(), "html").decode("utf-8")
    markup = re.sub(r"(<script[^>]*>).*?</script>", r"\1</script>", page, flags=re.S)
    # no script, stylesheet, image or font comes from anywhere: every one is inline
    assert not re.search(r'<(script|link|img|iframe)\b[^>]*\b(src|href)="(?!data:)', markup)
    assert not re.search(r"url\((?!data:)", page)          # KaTeX's fonts are data: URLs
    assert "/static/" not in markup  # (explain.js names KaTeX's files, never fetched: window.katex is there)
    assert '<script type="module" src' not in page
    assert page.count("</script>") == page.count("<script")  # nothing inline ends its script early


def test_the_file_carries_every_step_the_server_computed():
    steps = payload_of(render_html(doughnut()))
    assert steps == json.loads(json.dumps(stepper_data(doughnut()), ensure_ascii=False))
    assert [e["node"] for e in steps["forward"]] == ["doughnut", "count", "tax", "m1", "m2"]
    assert steps["forward"][-1]["value_text"] == "220"
    grads = {e["node"]: e["grad_text"] for e in steps["backward"]}
    assert (grads["doughnut"], grads["count"], grads["tax"]) == ("2.2", "110", "200")
    assert steps["state"]["cursor"]["phase"] == "idle" and steps["state"]["values"] == {}


@pytest.mark.parametrize("name", NAMES)
def test_the_steps_are_the_rooms_steps(name):
    """What a room's viewer is sent (service/cursor.py): the join's idle state, then each step."""
    from server.service.cursor import StepCursor
    graph = ComputationGraph.from_dict(example_doc(name))
    steps, room = stepper_data(graph), StepCursor(graph)
    assert steps["state"] == room.visible()
    assert (steps["forward"], steps["backward"]) == room.events()


def test_the_backward_refusal_is_the_rooms():
    from server.service.cursor import StepCursor
    doc = {"format": "gradcanvas", "version": 1, "title": "", "edges": [],
           "nodes": [{"id": "a", "op": "mul", "x": 0, "y": 0}]}
    graph = ComputationGraph.from_dict(doc)
    with pytest.raises(GraphError) as err:
        StepCursor(graph).step("backward", 1)
    refusal = stepper_data(graph)["backward_refusal"]
    assert refusal == {"error": str(err.value), "code": err.value.code, **err.value.described()}


def test_the_file_carries_the_editors_own_modules_without_relative_imports():
    bundle = module_bundle()
    assert bundle["order"][-1] == "stepper.js"
    for name in ("state.js", "renderer.js", "camera.js", "geometry.js", "geometry.json", "explain.js", "ui.js"):
        assert name in bundle["sources"]
        source = (ROOT / "static" / "js" / name).read_text(encoding="utf-8")
        if name.endswith(".json"):
            assert bundle["sources"][name] == source
        else:  # the same code, its relative imports renamed for the loader
            assert re.sub(r"gcmod:([\w./-]+)", lambda m: "./" + m.group(1).split("/")[-1], bundle["sources"][name]) \
                .replace("'./", "'") == source.replace("'./", "'").replace("'../", "'")
    for src in bundle["sources"].values():
        assert not re.search(r"""from\s*['"]\.""", src)
    # dependencies come before what imports them
    seen = set()
    for path in bundle["order"]:
        for dep in re.findall(r"gcmod:([\w./-]+)", bundle["sources"][path]):
            assert dep in seen, (path, dep)
        seen.add(path)


def test_the_file_without_katex_is_smaller_and_says_the_maths_as_text():
    with_katex, without = render_html(doughnut()), render_html(doughnut(), katex=False)
    assert "katex" in with_katex and "renderToString" in with_katex
    assert len(without) < len(with_katex) - 150_000


def test_a_graph_with_no_output_still_exports_and_says_why_it_cannot_step_backward():
    doc = {"format": "gradcanvas", "version": 1, "title": "two", "edges": [],
           "nodes": [{"id": "a", "op": "input", "value": 1, "x": 0, "y": 0},
                     {"id": "b", "op": "input", "value": 2, "x": 0, "y": 100}]}
    steps = stepper_data(ComputationGraph.from_dict(doc))
    assert steps["backward"] == []
    assert steps["backward_refusal"]["reason"] == "cannot_step_backward"


# -- the endpoint and the CLI ---------------------------------------------------------------------
def test_the_export_endpoint_sends_the_file_as_a_download(client):
    reply = client.post("/api/graphs", json=example_doc("doughnut"))
    graph_id = reply.get_json()["id"]
    resp = client.get(f"/api/graphs/{graph_id}/export?format=html&labels=symbols")
    assert resp.status_code == 200
    assert resp.mimetype == "text/html"
    assert 'filename=Doughnut_shopping.html' in resp.headers["Content-Disposition"]
    page = resp.get_data(as_text=True)
    assert 'data-labels="symbols"' in page
    assert payload_of(page)["forward"][-1]["value_text"] == "220"


def test_cli_export_format_html_writes_the_file(tmp_path):
    doc = tmp_path / "doughnut.json"
    doc.write_text(json.dumps(example_doc("doughnut")), encoding="utf-8")
    out = tmp_path / "doughnut.html"
    run = subprocess.run([sys.executable, "-m", "server.cli", "export", str(doc), "--format", "html", "-o", str(out)],
                         capture_output=True, text=True, cwd=ROOT, timeout=60, env={**os.environ})
    assert run.returncode == 0, run.stderr
    assert "Stepper (one HTML file)" in run.stderr
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>")
    assert payload_of(page)["backward"][0]["node"] == "m2"


# -- from file://, with the network blocked --------------------------------------------------------
@pytest.mark.browser
def test_the_file_steps_from_disk_with_no_network(browser, tmp_path):
    path = tmp_path / "doughnut.html"
    path.write_bytes(export(doughnut(), "html"))
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        asked = offline(context)
        s = Stepper(context.new_page(), base="")
        s.visit(path.as_uri() + "?speed=10")
        assert s.snapshot()["phase"] == "idle" and s.snapshot()["stepper"] is True

        shown = s.run("forward")
        assert {n["id"]: n["value_text"] for n in shown["nodes"]}["m2"] == "220"
        assert "220" in s.explain()
        s.page.screenshot(path="/tmp/t17-anywhere-file-forward.png")

        explained = []
        for _ in range(5):  # backward, one step at a time: each step's arithmetic in the panel
            s.step("backward")
            explained.append(s.explain())
        grads = s.nodes()
        assert (grads["doughnut"][1], grads["count"][1], grads["tax"][1]) == ("2.2", "110", "200")
        assert "2.2" in explained[1] and "110" in explained[1]   # the mul node m1 swaps its inputs
        assert "200" in explained[0]                             # m2 sends 1 × 200 to tax
        assert "= 1.1 × 2 = 2.2" in explained[1]                 # the editor's display strings
        s.page.screenshot(path="/tmp/t17-anywhere-file-backward.png")

        s.reset()
        assert s.nodes()["m2"] == (None, None)
        s.click("run-backward")  # backward from idle: the forward pass first, as the room's cursor does
        done = s.settled("s.phase === 'backward' && s.step === s.total")
        assert {n["id"]: n["grad_text"] for n in done["nodes"]}["tax"] == "200"
        assert [u for u in asked if not u.startswith("file:")] == []
        assert asked == [path.as_uri() + "?speed=10"]
        assert s.errors == []
    finally:
        context.close()


@pytest.mark.browser
def test_the_editors_export_menu_downloads_the_file_that_steps_offline(editor, browser, create_graph, tmp_path):
    editor.open(create_graph(example_doc("doughnut")))
    editor.click("export-menu")
    with editor.page.expect_download() as info:
        editor.testid("export-html").click()
    download = info.value
    assert download.suggested_filename == "Doughnut_shopping.html"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    context = browser.new_context(viewport={"width": 900, "height": 600})
    try:
        asked = offline(context)
        s = Stepper(context.new_page(), base="").visit(path.as_uri() + "?step=forward:all")
        assert {n["id"]: n["value_text"] for n in s.snapshot()["nodes"]}["m2"] == "220"
        assert [u for u in asked if not u.startswith("file:")] == []
    finally:
        context.close()
