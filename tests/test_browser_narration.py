"""The spoken narration, the table view and late joiners, in headless Chromium against a real server.

The narration (an aria-live region) says each step as a sentence in the UI's language, with
the server's numbers; the table view lists every node with the values and gradients shown;
a page that joins mid-run (a reload, a view link) shows the step on show as the others do.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from pages import DOUGHNUT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NARRATION = '[data-testid="narration"]'

FORWARD_M1 = "Forward 4 of 5: the multiply node m1 computes 100 × 2 = 200."
BACKWARD_M1 = ("Backward 2 of 5: the multiply node m1 receives 1.1 and sends 1.1 × 2 = 2.2 to doughnut"
               " and 1.1 × 100 = 110 to count.")


def narration(editor):
    return editor.testid("narration")


def test_narration_says_each_step_in_words_with_the_servers_numbers(editor):
    editor.open(DOUGHNUT)
    live = narration(editor)
    assert live.get_attribute("aria-live") == "polite"
    expect(live).to_have_text("Nothing stepped yet: “Forward step” computes the graph one node at a time.")
    editor.step("forward")
    expect(live).to_have_text("Forward 1 of 5: the input doughnut is 100.")
    editor.step("forward", 3)
    expect(live).to_have_text(FORWARD_M1)
    editor.run("forward")
    editor.step("backward")
    expect(live).to_have_text("Backward 1 of 5: the multiply node m2 receives 1 and sends 1 × 1.1 = 1.1 to m1"
                              " and 1 × 200 = 200 to tax.")
    editor.step("backward")
    expect(live).to_have_text(BACKWARD_M1)
    editor.step("backward")
    expect(live).to_have_text("Backward 3 of 5: the input tax receives the gradient 200.")
    editor.reset()
    expect(live).to_have_text("Reset: no values or gradients are shown, and stepping starts again from the beginning.")
    assert not editor.errors


def test_narration_in_korean(editor):
    graph_id = editor.open(DOUGHNUT).graph_id  # the edit link grants this browser editing
    editor.visit(f"/g/{graph_id}?lang=ko")
    assert editor.snapshot()["role"] == "edit"
    live = narration(editor)
    editor.step("forward", 4)
    expect(live).to_have_text("순전파 5단계 중 4단계: 곱셈 노드 m1의 계산은 100 × 2 = 200입니다.")
    editor.run("forward")
    editor.step("backward", 2)
    expect(live).to_have_text("역전파 5단계 중 2단계: 곱셈 노드 m1에 들어온 기울기는 1.1입니다. "
                              "doughnut에 보내는 기울기는 1.1 × 2 = 2.2, count에 보내는 기울기는 1.1 × 100 = 110입니다.")
    assert editor.testid("table-view").inner_text() == "표"
    assert not editor.errors


def test_a_second_person_hears_the_first_persons_step(editors):
    teacher = editors().open(DOUGHNUT)
    student = editors().visit(f"/g/{teacher.graph_id}")  # the bare link: a view
    assert student.snapshot()["role"] == "view"
    teacher.step("forward", 4)
    expect(narration(student)).to_have_text(FORWARD_M1)
    teacher.run("forward")
    teacher.step("backward", 2)
    expect(narration(student)).to_have_text(BACKWARD_M1)
    assert not teacher.errors and not student.errors


def table_rows(editor) -> list:
    """(header cell, data cells…) of each body row, as shown."""
    return editor.page.eval_on_selector(
        '[data-testid="graph-table"] tbody',
        "b => [...b.rows].map(r => [...r.cells].map(c => [c.tagName, c.getAttribute('scope'), c.textContent]))")


def test_table_view_lists_every_node_with_values_and_grads_live(editors):
    editor = editors().open(DOUGHNUT)
    other = editors().open(editor.graph_id)
    table = editor.testid("graph-table")
    assert not table.is_visible()
    editor.click("table-view")
    expect(table).to_be_visible()
    assert editor.testid("table-view").get_attribute("aria-pressed") == "true"
    heads = editor.page.eval_on_selector_all('[data-testid="graph-table"] thead th',
                                             "ths => ths.map(th => [th.scope, th.textContent])")
    assert heads == [["col", "Node"], ["col", "Operation"], ["col", "Value"], ["col", "Gradient"], ["col", "Note"]]
    rows = table_rows(editor)
    assert [r[0] for r in rows] == [["TH", "row", n] for n in ("doughnut", "count", "tax", "m1", "m2")]  # forward order
    assert [(r[2][2], r[3][2]) for r in rows] == [("100", "not yet"), ("2", "not yet"), ("1.1", "not yet"),
                                                ("not yet", "not yet"), ("not yet", "not yet")]

    other.run("forward")  # someone else steps: the table follows
    other.run("backward")
    editor.settled("s.phase === 'backward' && s.step === 5")
    note = '[data-testid="graph-table"] tr[data-node="{}"] td[data-col="note"]'
    expect(editor.page.locator(note.format("doughnut"))).to_have_text("current step")  # backward's last
    assert editor.page.locator(note.format("m2")).inner_text() == "output"
    s = editor.snapshot()
    rows = table_rows(editor)
    as_drawn = {n["id"]: (n["value_text"], n["grad_text"]) for n in s["nodes"]}  # what the canvas draws
    assert {r[0][2]: (r[2][2], r[3][2]) for r in rows} == as_drawn
    assert [(r[0][2], r[2][2], r[3][2]) for r in rows] == [
        ("doughnut", "100", "2.2"), ("count", "2", "110"), ("tax", "1.1", "200"), ("m1", "200", "1.1"),
        ("m2", "220", "1")]

    other.edit_value("count", "3")  # an edit: the numbers change in place
    cell = '[data-testid="graph-table"] tr[data-node="{}"] td[data-col="{}"]'
    expect(editor.page.locator(cell.format("m2", "value"))).to_have_text("330")
    expect(editor.page.locator(cell.format("doughnut", "grad"))).to_have_text("3.3")
    editor.click("table-view")
    expect(table).to_be_hidden()
    assert not editor.errors and not other.errors


def explanation(editor) -> str:
    """The explanation panel's text once KaTeX has typeset it (a fresh page loads KaTeX anew)."""
    editor.page.locator('[data-testid="explain-panel"] .katex').first.wait_for()
    return editor.testid("explain-panel").locator(".explain-body").inner_text()


def test_reload_and_a_viewer_joining_mid_run_show_the_same_explanation(editors):
    teacher = editors().open(DOUGHNUT)
    teacher.run("forward")
    teacher.step("backward", 3)
    before = explanation(teacher)
    said = narration(teacher).inner_text()
    assert "Backward 3 / 5 · tax" in before and said.startswith("Backward 3 of 5: the input tax")

    s = teacher.reload()
    assert (s["phase"], s["step"]) == ("backward", 3)
    expect(teacher.page.locator('[data-testid="explain-panel"] .step-title')).to_have_text("Backward 3 / 5 · tax")
    assert explanation(teacher) == before
    expect(narration(teacher)).to_have_text(said)

    viewer = editors().visit(f"/g/{teacher.graph_id}")  # a view link, joining mid-run
    assert viewer.snapshot()["role"] == "view"
    assert explanation(viewer) == before
    expect(narration(viewer)).to_have_text(said)

    teacher.edit_value("count", "3")  # the cursor stays: the step on show gets its new numbers, everywhere
    for page in (teacher, viewer):
        expect(page.testid("explain-panel").locator(".plain")).to_have_text("∂L/∂tax = 300")
        expect(narration(page)).to_have_text("Backward 3 of 5: the input tax receives the gradient 300.")
    assert not teacher.errors and not viewer.errors
