"""The editor's learning chrome in headless Chromium, against a real server: the formula
box, the examples gallery, Tidy, the gradient check panel and the language switch.

Every number on the page is the server's display string; these tests read them from
``window.gradcanvas.snapshot()`` and from the check panel's cells.
"""
from __future__ import annotations

import json
import urllib.request

import pytest

from server.teaching.examples import TITLES_KO, example_doc

from pages import DOUGHNUT, new_graph, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DOUGHNUT_FORMULA = ["doughnut = 100", "count = 2", "tax = 1.1", "price = doughnut * count * tax"]

# -- helpers ------------------------------------------------------------------------------

def get_json(url: str):
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.loads(resp.read())


def by_label(s: dict, label: str) -> dict:
    return next(n for n in s["nodes"] if n["label"] == label)


def by_testid(page, name: str):
    return page.locator(f'[data-testid="{name}"]')


def text(page, name: str) -> str:
    return by_testid(page, name).inner_text()


def left_page(page, path: str):
    """Wait until the page has gone from `path` to another graph, and is ready there."""
    page.wait_for_function("p => location.pathname !== p", arg=path)
    wait_ready(page)
    assert page.evaluate("location.pathname").startswith("/g/")


def run_to_the_end(editor) -> dict:
    editor.run("forward")
    return editor.run("backward")


def check_cells(page) -> list[list[str]]:
    return page.eval_on_selector_all('[data-testid="check-row"]',
                                     "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))")


@pytest.fixture
def person(editors):
    """An editor in a fresh browser with the given locale (each has its own localStorage); only
    uncaught errors count here (a refused request logs a console error)."""
    return lambda locale="en-US": editors(console=False, locale=locale, viewport={"width": 1280, "height": 800})


# -- the formula box ------------------------------------------------------------------------

def test_typed_formula_becomes_a_graph_that_runs_to_the_book_numbers(person, live_server):
    editor = person()
    page = editor.open(new_graph(live_server, DOUGHNUT)).page
    errors = editor.errors
    start = page.evaluate("location.pathname")
    box = by_testid(page, "formula-input")
    box.click()
    for i, line in enumerate(DOUGHNUT_FORMULA):
        if i:
            box.press("Shift+Enter")  # a new line, not a submit
        box.press_sequentially(line)
    assert box.input_value() == "\n".join(DOUGHNUT_FORMULA)
    assert page.evaluate("location.pathname") == start
    box.press("Enter")
    left_page(page, start)

    s = editor.snapshot()
    assert {n["label"] for n in s["nodes"] if n["op"] == "input"} == {"doughnut", "count", "tax"}
    assert [n["op"] for n in s["nodes"]].count("mul") == 2
    price = by_label(s, "price")
    assert s["output"] == price["id"]

    s = run_to_the_end(editor)
    assert by_label(s, "price")["value_text"] == "220"
    assert by_label(s, "price")["grad_text"] == "1"
    assert by_label(s, "doughnut")["grad_text"] == "2.2"
    assert by_label(s, "count")["grad_text"] == "110"
    assert by_label(s, "tax")["grad_text"] == "200"
    assert text(page, "step-counter") == "backward 5 / 5"
    assert errors == []


def test_semicolons_separate_statements_in_one_line(person, live_server):
    editor = person()
    page = editor.open(new_graph(live_server, DOUGHNUT)).page
    start = page.evaluate("location.pathname")
    by_testid(page, "formula-input").fill("a = 3; b = a * a")
    by_testid(page, "formula-submit").click()
    left_page(page, start)
    s = run_to_the_end(editor)
    assert by_label(s, "b")["value_text"] == "9"
    assert by_label(s, "a")["grad_text"] == "6"  # x * x: both ports add up


def test_bad_formula_shows_the_servers_line_and_column_and_stays(person, live_server):
    editor = person()
    page = editor.open(new_graph(live_server, DOUGHNUT)).page
    start = page.url
    box = by_testid(page, "formula-input")
    box.fill("a = 2\nb = a *")
    box.press("Enter")
    message = by_testid(page, "error-message")
    message.wait_for(state="visible")
    assert "line 2, column 8" in message.inner_text()
    assert "invalid syntax" in message.inner_text()
    assert page.url == start
    assert box.input_value() == "a = 2\nb = a *"   # kept, to be fixed
    assert box.get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.dataset.testid") == "formula-input"
    assert page.evaluate("document.activeElement.selectionStart") == len("a = 2\nb = a *")  # line 2, column 8: just after the *

    box.fill("a = 2\nb = foo(a)")
    box.press("Enter")
    message.filter(has_text="unknown function 'foo'").wait_for()
    assert "line 2, column 5" in message.inner_text()
    assert page.url == start
    assert len(editor.snapshot()["nodes"]) == 5  # the graph here is untouched


# -- examples -------------------------------------------------------------------------------

def test_examples_menu_opens_a_fresh_copy_of_the_tanh_neuron(person, live_server):
    editor = person()
    page = editor.open(new_graph(live_server, DOUGHNUT)).page
    errors = editor.errors
    start = page.evaluate("location.pathname")
    by_testid(page, "examples-menu").click()
    panel = by_testid(page, "examples-panel")
    panel.wait_for(state="visible")
    listed = [e["name"] for e in get_json(live_server + "/api/examples")]
    shown = panel.locator('[data-testid^="example-"]')
    assert shown.count() == len(listed)
    item = by_testid(page, "example-tanh_neuron")
    assert item.inner_text() == "A tanh neuron, as in micrograd"
    item.click()
    left_page(page, start)

    doc = example_doc("tanh_neuron")
    s = editor.snapshot()
    assert text(page, "graph-title") == doc["title"]
    assert sorted(n["id"] for n in s["nodes"]) == sorted(n["id"] for n in doc["nodes"])
    assert "tanh" in [n["op"] for n in s["nodes"]]
    assert s["graph_id"] != start.rsplit("/", 1)[-1]
    assert errors == []


def test_new_empty_graph_from_the_examples_menu(person, live_server):
    editor = person()
    page = editor.open(new_graph(live_server, DOUGHNUT)).page
    start = page.evaluate("location.pathname")
    by_testid(page, "examples-menu").click()
    by_testid(page, "new-graph").click()
    left_page(page, start)
    assert editor.snapshot()["nodes"] == []
    assert text(page, "graph-title") == "Untitled graph"


def test_escape_closes_the_examples_menu(person, live_server):
    editor = person()
    page = editor.open(new_graph(live_server, DOUGHNUT)).page
    button = by_testid(page, "examples-menu")
    button.click()
    by_testid(page, "example-doughnut").wait_for()
    assert button.get_attribute("aria-expanded") == "true"
    page.keyboard.press("Escape")
    by_testid(page, "examples-panel").wait_for(state="hidden")
    assert button.get_attribute("aria-expanded") == "false"


# -- the gradient check panel ------------------------------------------------------------------

def test_gradient_check_panel_shows_three_passing_inputs_of_the_doughnut(person, live_server):
    editor = person()
    gid = new_graph(live_server, DOUGHNUT)
    page = editor.open(gid).page
    errors = editor.errors
    panel = by_testid(page, "check-panel")
    assert panel.is_hidden()
    by_testid(page, "check-gradients").click()
    rows = by_testid(page, "check-row")
    rows.first.wait_for()
    assert rows.count() == 3
    headings = page.eval_on_selector_all('[data-testid="check-panel"] th', "ths => ths.map(th => th.innerText.trim())")
    assert headings == ["input", "value", "backprop", "numerical", "rel. error", "result"]

    server = {r["node"]: r for r in get_json(f"{live_server}/api/graphs/{gid}/check")}
    cells = check_cells(page)
    assert [c[:4] for c in cells] == [["doughnut", "100", "2.2", "2.2"], ["count", "2", "110", "110"],
                                      ["tax", "1.1", "200", "200"]]
    for c in cells:  # the relative error is the server's string, shown as sent
        assert c[4] == server[c[0]]["rel_error_text"]
        assert c[5] == "✓ pass"
    assert [r.get_attribute("data-status") for r in rows.all()] == ["pass"] * 3
    green = page.eval_on_selector('[data-testid="check-row"] .col-result', "td => getComputedStyle(td).color")
    assert green == "rgb(30, 126, 52)"
    assert text(page, "check-summary") == "3 of 3 inputs pass"

    by_testid(page, "check-close").click()
    assert panel.is_hidden()
    assert errors == []


def test_gradient_check_runs_again_after_an_edit_and_on_request(person, live_server):
    editor = person()
    page = editor.open(new_graph(live_server, DOUGHNUT)).page
    by_testid(page, "check-gradients").click()
    by_testid(page, "check-row").first.wait_for()

    editor.edit_value("doughnut", "150")
    page.wait_for_function("""() => {
        const r = document.querySelector('[data-testid="check-row"][data-node="count"]');
        return r && r.cells[2].innerText === '165';
    }""")  # ∂price/∂count = doughnut × tax = 150 × 1.1
    assert check_cells(page)[0][:3] == ["doughnut", "150", "2.2"]

    with page.expect_response(lambda r: r.url.endswith("/check")) as answer:
        by_testid(page, "check-rerun").click()
    assert answer.value.status == 200
    assert len(check_cells(page)) == 3


def test_gradient_check_marks_relu_at_zero_not_differentiable(person, live_server):
    doc = {
        "format": "gradcanvas", "version": 1, "title": "relu at its kink",
        "nodes": [{"id": "x", "op": "input", "value": 0, "x": 40, "y": 40},
                  {"id": "r", "op": "relu", "x": 260, "y": 40}],
        "edges": [{"source": "x", "target": "r", "port": 0}],
    }
    editor = person()
    page = editor.open(new_graph(live_server, doc)).page
    by_testid(page, "check-gradients").click()
    row = by_testid(page, "check-row")
    row.wait_for()
    assert row.get_attribute("data-status") == "not differentiable"
    result = row.locator(".col-result")
    assert result.inner_text().startswith("⚠ not differentiable")
    assert "relu's input is at 0" in result.inner_text()  # the server's note
    assert result.evaluate("td => getComputedStyle(td).color") == "rgb(161, 92, 0)"
    assert text(page, "check-summary") == "0 of 1 inputs pass"


def test_gradient_check_marks_an_input_drowned_in_rounding_not_checkable(person, live_server):
    doc = {  # tanh((1e300 + 1) − 1e300): the 1 is rounded away, and tanh's slope at 0 is all rounding
        "format": "gradcanvas", "version": 1, "title": "absorbed",
        "nodes": [{"id": "a", "op": "input", "value": 1e300, "x": 40, "y": 40},
                  {"id": "b", "op": "input", "value": 1, "x": 40, "y": 160},
                  {"id": "c", "op": "add", "x": 200, "y": 100},
                  {"id": "d", "op": "sub", "x": 360, "y": 60},
                  {"id": "y", "op": "tanh", "x": 520, "y": 60}],
        "edges": [{"source": "a", "target": "c", "port": 0}, {"source": "b", "target": "c", "port": 1},
                  {"source": "c", "target": "d", "port": 0}, {"source": "a", "target": "d", "port": 1},
                  {"source": "d", "target": "y", "port": 0}],
    }
    editor = person()
    page = editor.open(new_graph(live_server, doc)).page
    by_testid(page, "check-gradients").click()
    rows = by_testid(page, "check-row")
    rows.first.wait_for()
    assert [r.get_attribute("data-status") for r in rows.all()] == ["not checkable"] * 2
    result = rows.first.locator(".col-result")
    assert result.inner_text().startswith("? not checkable")
    assert "rounding error" in result.inner_text()  # the server's note
    assert result.evaluate("td => getComputedStyle(td).color") == "rgb(90, 98, 112)"
    assert text(page, "check-summary") == "0 of 2 inputs pass"
    assert editor.errors == []


def test_gradient_check_of_a_graph_that_cannot_run_says_why(person, live_server):
    doc = {"format": "gradcanvas", "version": 1, "title": "half wired",
           "nodes": [{"id": "x", "op": "input", "value": 1, "x": 40, "y": 40},
                     {"id": "m", "op": "mul", "x": 260, "y": 40}],
           "edges": [{"source": "x", "target": "m", "port": 0}]}
    editor = person()
    page = editor.open(new_graph(live_server, doc)).page
    by_testid(page, "check-gradients").click()
    summary = by_testid(page, "check-summary")
    summary.filter(has_text="cannot check the gradients").wait_for()
    assert "not wired" in summary.inner_text()
    assert by_testid(page, "check-row").count() == 0


# -- tidy -------------------------------------------------------------------------------------

def overlaps(a: dict, b: dict) -> bool:
    return a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"] and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]


def test_tidy_lays_the_graph_out_as_one_edit_without_overlaps(person, live_server):
    heap = {**DOUGHNUT, "nodes": [{**n, "x": 100 + 7 * i, "y": 100 + 5 * i} for i, n in enumerate(DOUGHNUT["nodes"])]}
    editor = person()
    page = editor.open(new_graph(live_server, heap)).page
    errors = editor.errors
    before = editor.snapshot()
    boxes = [n["screen"] for n in before["nodes"]]
    assert any(overlaps(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])  # a heap, to start with

    editor.click("tidy")
    editor.wait(f"s.version > {before['version']}")
    s = editor.converged()  # the server's latest version, and nothing after the tidy is in flight
    assert s["version"] == before["version"] + 1  # one edit
    moved = {n["id"]: (n["x"], n["y"]) for n in s["nodes"]}
    assert moved != {n["id"]: (n["x"], n["y"]) for n in before["nodes"]}
    boxes = [n["screen"] for n in s["nodes"]]
    assert not any(overlaps(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    # left to right as in the book: each edge's source lies left of its target
    for e in s["edges"]:
        assert moved[e["source"]][0] < moved[e["target"]][0]
    # and the view was fitted to the new layout
    canvas = by_testid(page, "graph-canvas").bounding_box()
    for b in boxes:
        assert canvas["x"] <= b["x"] and b["x"] + b["w"] <= canvas["x"] + canvas["width"]
        assert canvas["y"] <= b["y"] and b["y"] + b["h"] <= canvas["y"] + canvas["height"]
    assert errors == []


# -- language -----------------------------------------------------------------------------------

def test_language_switch_translates_everything_at_once_and_back(person, live_server):
    editor = person("en-US")
    page = editor.open(new_graph(live_server, DOUGHNUT)).page
    errors = editor.errors
    assert page.evaluate("document.documentElement.lang") == "en"
    assert by_testid(page, "language").input_value() == "en"
    assert text(page, "step-forward") == "Forward step"
    editor.run("forward")
    by_testid(page, "check-gradients").click()
    by_testid(page, "check-row").first.wait_for()
    page.evaluate("window.notReloaded = true")

    by_testid(page, "language").select_option("ko")
    assert page.evaluate("document.documentElement.lang") == "ko"
    assert text(page, "step-forward") == "순전파 한 단계"
    assert text(page, "run-backward") == "역전파 끝까지"
    assert text(page, "step-counter") == "순전파 5 / 5"          # text set from JS
    assert text(page, "connection-state") == "연결됨"
    assert page.inner_text(".palette h2") == "노드"
    assert text(page, "palette-mul").endswith("곱셈")
    assert by_testid(page, "formula-submit").inner_text() == "그래프 만들기"
    assert by_testid(page, "check-gradients").get_attribute("title").startswith("입력마다")
    assert page.inner_text('[data-testid="check-panel"] h2') == "기울기 확인"
    assert check_cells(page)[0][5] == "✓ 통과"
    assert text(page, "check-summary") == "입력 3개 중 3개 통과"
    # no element with a catalogue key shows the key itself
    untranslated = page.eval_on_selector_all(
        "[data-i18n]", "els => els.filter(e => e.textContent === e.dataset.i18n).map(e => e.dataset.i18n)")
    assert untranslated == []
    assert page.evaluate("window.notReloaded") is True

    by_testid(page, "language").select_option("en")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert text(page, "step-forward") == "Forward step"
    assert text(page, "step-counter") == "forward 5 / 5"
    assert page.inner_text(".palette h2").lower() == "nodes"
    assert check_cells(page)[0][5] == "✓ pass"
    assert errors == []


def test_language_choice_is_remembered_across_pages(person, live_server):
    editor = person("en-US")
    page = editor.open(new_graph(live_server, DOUGHNUT)).page
    by_testid(page, "language").select_option("ko")
    page.reload()
    wait_ready(page)
    assert page.evaluate("document.documentElement.lang") == "ko"
    assert text(page, "reset") == "초기화"


def test_korean_browser_starts_in_korean(person, live_server):
    editor = person("ko-KR")
    page = editor.open(new_graph(live_server, DOUGHNUT)).page
    errors = editor.errors
    assert page.evaluate("navigator.language") == "ko-KR"
    assert page.evaluate("document.documentElement.lang") == "ko"
    assert by_testid(page, "language").input_value() == "ko"
    assert text(page, "step-forward") == "순전파 한 단계"
    assert text(page, "step-counter") == "대기"
    assert by_testid(page, "formula-input").get_attribute("aria-label") == "수식"
    by_testid(page, "examples-menu").click()
    assert text(page, "example-doughnut") == TITLES_KO["doughnut"]  # the server's Korean title
    assert text(page, "new-graph") == "빈 그래프 새로 만들기"
    assert errors == []
