"""Fill-in practice in the editor (issue 17): the blanks over the canvas, typed by keyboard
and by touch, checked against the server's answers, with the rule's hint for a wrong one
and a score at the end. One person's practice: nothing of it reaches the server or others."""
from __future__ import annotations

import pytest

from pages import DOUGHNUT, new_graph, wait_ready

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "device_scale_factor": 2}
BLANK = '[data-testid="practice-blank"][data-blank="{}"]'


def blank(editor, bid):
    return editor.page.locator(BLANK.format(bid))


def state_of(editor, bid):
    return blank(editor, bid).get_attribute("data-state")


def start(editor, mode: str, order: str):
    """Open the practice panel from the step bar and choose what to fill in, and in what order."""
    editor.testid("practice").click()
    editor.testid("practice-mode").select_option(mode)
    editor.testid("practice-order").select_option(order)
    editor.page.locator('[data-testid="practice-blank"]').first.wait_for()


def test_practice_on_the_doughnut_accepts_the_gradients_refuses_220_with_a_hint_and_scores(editors):
    editor, other = editors(), editors()
    editor.open(DOUGHNUT)
    gid = editor.graph_id
    other.visit(f"/g/{gid}", ready=None)
    start(editor, "grads", "any")
    page = editor.page
    blanks = page.locator('[data-testid="practice-blank"]')
    assert [blanks.nth(i).get_attribute("data-blank") for i in range(blanks.count())] == \
        ["g:m2:0", "g:m2:1", "g:m1:0", "g:m1:1"]  # the backward order: Tab goes through them so
    s = editor.snapshot()
    # the canvas draws no gradient (each is a blank), every value (the full forward pass), and the seed 1
    assert all(e["drawn"]["grad"].strip() == "" for e in s["edges"])
    assert sorted(e["drawn"]["value"] for e in s["edges"]) == ["1.1", "100", "2", "200"]
    assert s["output_drawn"] == {"value": "220", "grad": "1"}
    # each field sits where its gradient would be drawn
    label = next(e for e in s["edges"] if e["source"] == "tax")["labels"]["grad"]
    box = blank(editor, "g:m2:1").bounding_box()
    assert abs(box["x"] + box["width"] / 2 - (label["x"] + label["w"] / 2)) < 1.5
    assert abs(box["y"] + box["height"] / 2 - (label["y"] + label["h"] / 2)) < 1.5

    blank(editor, "g:m2:1").click()
    page.keyboard.type("220")
    page.keyboard.press("Enter")
    hint = editor.testid("practice-hint")
    hint.wait_for()
    assert state_of(editor, "g:m2:1") == "wrong"
    assert "∂L/∂tax: 220 is not it." in hint.inner_text()
    assert editor.text("practice-hint-text") == "Hint: the mul node sends dout × the other input: 1 × 200 = ?"

    page.keyboard.press("Control+A")
    page.keyboard.type("200")
    page.keyboard.press("Enter")
    assert state_of(editor, "g:m2:1") == "right"
    assert hint.count() == 0
    # Enter on a right answer moves to the next blank: the rest by keyboard alone
    for bid, typed in [("g:m2:0", "1.1"), ("g:m1:0", "2.2"), ("g:m1:1", "110")]:
        page.wait_for_function(f"document.activeElement.dataset.blank === '{bid}'")
        page.keyboard.type(typed)
        page.keyboard.press("Enter")
        assert state_of(editor, bid) == "right"
    editor.testid("practice-score").wait_for()
    assert editor.text("practice-total") == "3 / 4 right on the first try"
    missed = editor.testid("practice-missed").locator("li")
    assert missed.count() == 1 and missed.inner_text() == "∂L/∂tax = 200 (you typed 220)"
    assert blank(editor, "g:m1:1").input_value() == "110"
    # the worksheet and its answer key, for paper
    assert "blank=grads" in editor.testid("practice-worksheet").get_attribute("href")
    assert "answers=1" in editor.testid("practice-answer-key").get_attribute("href")

    # one person's practice: the server's cursor never moved, and the other page has no blanks
    assert editor.snapshot()["phase"] == "idle"
    o = other.snapshot()
    assert o["phase"] == "idle" and all(e["grad_text"] is None for e in o["edges"])
    assert other.page.locator('[data-testid="practice-blank"]').count() == 0

    editor.testid("practice-again").click()
    assert editor.text("practice-progress") == "0 of 4 filled"
    assert state_of(editor, "g:m2:1") == "empty" and blank(editor, "g:m2:1").input_value() == ""
    assert not editor.errors


def test_step_order_opens_each_step_after_the_last_and_tab_goes_through_the_open_blanks(editor):
    """In order: the forward pass's values, then the gradients backward; a wrong answer's
    blank can be shown, and counts as missed. The address says the mode, for a reload."""
    editor.visit("/try/doughnut?practice=both", ready=BLANK.format("v:m2:0"))
    page = editor.page
    assert "practice=both" in page.url and "order=steps" in page.url
    open_now = lambda: sorted(page.eval_on_selector_all(  # noqa: E731
        '[data-testid="practice-blank"][data-open="true"]', "els => els.map(e => e.dataset.blank)"))
    assert open_now() == ["v:m2:0"]
    assert blank(editor, "g:m2:1").is_disabled()
    blank(editor, "v:m2:0").click()
    page.keyboard.type("20")
    page.keyboard.press("Enter")
    assert "the mul node computes doughnut × count: 100 × 2 = ?" in editor.text("practice-hint-text")
    editor.testid("practice-reveal").click()
    assert state_of(editor, "v:m2:0") == "shown" and blank(editor, "v:m2:0").input_value() == "200"
    assert open_now() == ["v:output"]
    page.keyboard.type("220")
    page.keyboard.press("Enter")
    assert open_now() == ["g:m2:0", "g:m2:1"]  # one backward step: its two gradients, in either order
    page.keyboard.type("1.1")
    page.keyboard.press("Tab")  # Tab checks the answer too, and moves to the next open blank
    page.wait_for_function("document.activeElement.dataset.blank === 'g:m2:1'")
    assert state_of(editor, "g:m2:0") == "right"
    page.keyboard.type("200")
    page.keyboard.press("Enter")
    assert open_now() == ["g:m1:0", "g:m1:1"]
    for bid, typed in [("g:m1:0", "2.2000001"), ("g:m1:1", "1.1e2")]:  # within 1e−6, or the same number
        page.wait_for_function(f"document.activeElement.dataset.blank === '{bid}'")
        page.keyboard.type(typed)
        page.keyboard.press("Enter")
    assert editor.text("practice-total") == "5 / 6 right on the first try"
    assert editor.text("practice-missed") == "m1 = 200 (you typed 20) (answer shown)"
    editor.testid("practice-close").click()
    assert page.locator('[data-testid="practice-blank"]').count() == 0
    assert "practice=" not in page.url
    s = editor.snapshot()
    assert s["output_drawn"] == {"value": None, "grad": None}  # the editor as ever: nothing stepped
    assert not editor.errors


def test_on_a_phone_blanks_are_tapped_and_typed(editors, live_server):
    editor = editors(**PHONE)
    gid = new_graph(live_server, DOUGHNUT)
    editor.page.goto(f"{live_server}/g/{gid}?practice=grads&order=any")
    wait_ready(editor.page, ready=BLANK.format("g:m2:1"))
    page = editor.page
    for bid, typed in [("g:m2:1", "220"), ("g:m2:1", "200"), ("g:m2:0", "1.1"), ("g:m1:0", "2.2"), ("g:m1:1", "110")]:
        field = blank(editor, bid)
        box = field.bounding_box()
        # on screen, above the panel, and what a finger there touches
        assert 0 <= box["x"] and box["x"] + box["width"] <= 390 and box["height"] >= 24
        assert page.evaluate("([x, y]) => document.elementFromPoint(x, y).dataset.blank",
                             [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2]) == bid
        field.tap()
        page.wait_for_function(f"document.activeElement.dataset.blank === '{bid}'")
        page.keyboard.press("Control+A")
        page.keyboard.type(typed)
        page.keyboard.press("Enter")
        if typed == "220":
            assert state_of(editor, bid) == "wrong"
            assert "1 × 200 = ?" in editor.text("practice-hint-text")
        else:
            assert state_of(editor, bid) == "right"
    assert editor.text("practice-total") == "3 / 4 right on the first try"
    assert not editor.errors
