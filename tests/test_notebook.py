"""The stepper in a notebook (issue 17): `from server.notebook import show`.

show() gives an IPython HTML display of the single HTML file in an <iframe srcdoc>, with no
server; the builder makes a graph in Python. Checked by rendering the display data, by a
real Jupyter kernel (nbclient), and by running the kernel's output in Chromium offline."""
from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from server.engine.document import GraphError
from server.notebook import Graph, as_graph, iframe_html, show, stepper_html
from server.teaching.examples import example_doc

from stepper_pages import Stepper, offline

ROOT = Path(__file__).resolve().parent.parent
FORMULA = "doughnut = 100\ncount = 2\ntax = 1.1\nprice = doughnut * count * tax"


def page_in(iframe: str) -> str:
    """The stepper page inside show()'s <iframe srcdoc="…">."""
    m = re.search(r'<iframe srcdoc="([^"]*)"', iframe)
    assert m, iframe[:200]
    return html.unescape(m.group(1))


def steps_in(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="gradcanvas-steps">(.*?)</script>', page, re.S)
    return json.loads(m.group(1))


def values(steps: dict) -> dict:
    return {e["node"]: e["value_text"] for e in steps["forward"]}


def grads(steps: dict) -> dict:
    return {e["node"]: e["grad_text"] for e in steps["backward"]}


# -- the display data --------------------------------------------------------------------------------
def test_show_is_an_html_display_of_the_stepper_in_an_iframe_srcdoc():
    from IPython.core.formatters import format_display_data
    data, _ = format_display_data(show("doughnut", step="forward:all", height=400))
    shown = data["text/html"]
    assert shown.startswith('<div class="gradcanvas-stepper"><iframe srcdoc="') and "height:400px" in shown
    page = page_in(shown)
    assert page.startswith("<!doctype html>") and 'data-step="forward:all"' in page
    for testid in ("step-forward", "step-backward", "run-forward", "run-backward", "reset", "explain-panel"):
        assert f'data-testid="{testid}"' in page
    steps = steps_in(page)
    assert values(steps)["m2"] == "220"
    assert (grads(steps)["doughnut"], grads(steps)["count"], grads(steps)["tax"]) == ("2.2", "110", "200")


def test_show_takes_a_document_a_path_an_example_or_a_formula(tmp_path):
    path = tmp_path / "doughnut.json"
    path.write_text(json.dumps(example_doc("doughnut")), encoding="utf-8")
    for source in (example_doc("doughnut"), path, str(path), "doughnut"):
        assert values(steps_in(stepper_html(source)))["m2"] == "220"
    assert values(steps_in(stepper_html(FORMULA)))["price"] == "220"
    with pytest.raises(GraphError):
        as_graph("price = doughnut *")
    with pytest.raises(TypeError):
        stepper_html("doughnut", colour="red")


def test_the_builder_makes_the_doughnut_graph_with_operators_or_op_methods():
    g = Graph("Doughnut shopping")
    price = g.input("doughnut", 100) * g.input("count", 2) * g.input("tax", 1.1)
    doc = g.document()
    assert doc["output"] == price.id and all("x" in n and "y" in n for n in doc["nodes"])
    steps = steps_in(page_in(g._repr_html_()))
    assert values(steps)[price.id] == "220"
    assert (grads(steps)["doughnut"], grads(steps)["count"], grads(steps)["tax"]) == ("2.2", "110", "200")

    h = Graph("methods")
    x = h.input("x", 2.0)
    y = h.exp(h.mul(x, x, name="square"))
    h.output(y)
    assert [n["op"] for n in h.document()["nodes"]] == ["input", "mul", "exp"]
    with pytest.raises(GraphError):
        h.op("mul", x)  # mul takes two inputs
    with pytest.raises(AttributeError):
        h.no_such_op(x)
    assert [n["op"] for n in (lambda k: (k.input("a", 3) ** 2 - 1, k.document())[1])(Graph())["nodes"]] \
        == ["input", "pow", "input", "sub"]


def test_the_module_imports_without_ipython_and_show_says_what_to_install():
    code = ("import sys; sys.modules['IPython'] = None\n"
            "from server.notebook import show, Graph, iframe_html\n"
            "assert 'srcdoc' in iframe_html('doughnut')\n"
            "try:\n    show('doughnut')\nexcept ImportError as e:\n    print(e)\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "gradcanvas[notebook]" in run.stdout


# -- a real kernel -------------------------------------------------------------------------------------
def run_notebook(cells: list[str]) -> list:
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    env_path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env_path) if p)  # the kernel imports this tree
    try:
        NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    finally:
        os.environ["PYTHONPATH"] = env_path
    return [cell.outputs for cell in nb.cells]


@pytest.mark.slow
def test_show_renders_in_a_jupyter_kernel():
    outputs = run_notebook(["from server.notebook import show, Graph\nimport server.notebook as n\nprint(n.__file__)",
                            "show('doughnut', step='backward:all')"])
    assert outputs[0][0]["text"].strip() == str(ROOT / "server" / "notebook.py")
    shown = outputs[1][0]
    assert shown["output_type"] == "execute_result"
    assert grads(steps_in(page_in(shown["data"]["text/html"])))["tax"] == "200"


@pytest.mark.browser
@pytest.mark.slow
def test_the_kernels_output_steps_in_chromium_with_no_server(browser):
    outputs = run_notebook(["from server.notebook import Graph\n"
                            "g = Graph('Doughnut shopping')\n"
                            "price = g.input('doughnut', 100) * g.input('count', 2) * g.input('tax', 1.1)\n"
                            "g.show(speed=10)"])
    output_html = outputs[0][0]["data"]["text/html"]
    context = browser.new_context(viewport={"width": 1000, "height": 600})
    try:
        asked = offline(context)
        page = context.new_page()
        page.set_content(f"<!doctype html><html><body><h1>notebook</h1>{output_html}</body></html>")
        frame = page.locator("iframe").element_handle().content_frame()
        Stepper.wait_started(frame)
        frame.locator('[data-testid="run-forward"]').click()
        frame.wait_for_function("(() => { const s = window.gradcanvas.snapshot();"
                                " return !s.animating && s.phase === 'forward' && s.step === s.total; })()")
        nodes = {n["id"]: n["value_text"] for n in frame.evaluate("window.gradcanvas.snapshot()")["nodes"]}
        assert nodes["mul2"] == "220"
        assert "220" in frame.locator('[data-testid="explain-panel"]').inner_text()
        page.screenshot(path="/tmp/t17-anywhere-notebook.png")
        assert [u for u in asked if not u.startswith(("about:", "data:", "blob:"))] == []
    finally:
        context.close()
