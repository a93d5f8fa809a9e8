"""The learning features in headless Chromium, against a real server: the explanation
panel's maths typeset by KaTeX with 'copy LaTeX', and the learning step (trainable
inputs, the learning rate, Update, the loss and its chart).

The LaTeX the page shows is compared with what the server's own step code writes for
the same document; every number is read from the page or its snapshot.
"""
from __future__ import annotations

import pytest

from server.teaching.examples import example_doc
from server.service import Sessions

from conftest import sent

from conftest import post_json
from pages import node

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTHING_TO_UPDATE = "nothing to update: mark at least one input as trainable"


# -- helpers ------------------------------------------------------------------------------

def post(url: str, body=None) -> dict:
    return post_json(url, body or {})  # conftest remembers the new graph's edit link


def example(base: str, name: str) -> str:
    """A fresh copy of an example on the live server; its id."""
    return post(f"{base}/api/examples/{name}")["id"]


def step_to(editor, phase: str, step: int) -> dict:
    """Press the step buttons until the cursor is at `phase` `step` and nothing is animating."""
    if phase == "backward":
        editor.run("forward")
    s = editor.step(phase, step)
    assert (s["phase"], s["step"]) == (phase, step)
    return s


def server_steps(name: str) -> list[dict]:
    """Every step event the server's code makes for an example, forward then backward."""
    events = sent(Sessions().create(example_doc(name)).step("backward", "all"), "step")
    return events


def lines(page) -> list[dict]:
    """The explanation's maths lines: their LaTeX, plain text and whether KaTeX typeset them."""
    return page.eval_on_selector_all('[data-testid="explain-line"]', """els => els.map(e => ({
        latex: e.dataset.latex, plain: e.querySelector('.plain').textContent,
        katex: !!e.querySelector('.katex'), errors: e.querySelectorAll('.katex-error').length }))""")


def accent_pixels(page, selector: str, box=None) -> int:
    """How many pixels of a canvas (or of `box` in CSS px within it) are the accent blue."""
    return page.evaluate("""([sel, box]) => {
      const c = document.querySelector(sel);
      const k = c.width / c.clientWidth;
      const [x, y, w, h] = box ? box.map(v => Math.round(v * k)) : [0, 0, c.width, c.height];
      const d = c.getContext('2d').getImageData(x, y, Math.max(1, w), Math.max(1, h)).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4)
        if (d[i + 3] > 200 && d[i + 2] > 180 && d[i] < 90 && d[i + 1] > 80 && d[i + 1] < 150) n++;
      return n;
    }""", [selector, box])


# -- the learning step ------------------------------------------------------------------------

def test_twenty_updates_fit_the_neuron_and_plot_21_losses(editor, live_server):
    page = editor.open(example(live_server, "one_neuron_fit")).page
    errors = editor.errors
    s = editor.snapshot()
    assert s["learning"]["trainable"] == ["w", "b"] and s["learning"]["learning_rate_text"] == "0.5"
    assert [n["id"] for n in s["nodes"] if n["trainable"]] == ["w", "b"]
    before = {p: node(s, p)["value"] for p in ("w", "b")}
    loss = page.locator('[data-testid="loss"]')
    assert loss.inner_text() == "—"  # no update yet: no loss curve
    assert page.locator('[data-testid="learning-rate"]').input_value() == "0.5"

    editor.click("update-20")
    s = editor.wait("s.learning.losses.length === 21")
    losses = s["learning"]["losses"]
    assert losses[0] == pytest.approx(0.515, abs=1e-3)
    assert losses[0] > losses[-1] and all(a > b for a, b in zip(losses, losses[1:]))
    loss.filter(has_text=s["learning"]["loss_text"]).wait_for()
    assert float(loss.inner_text()) < 0.01
    # w and b moved, on the server and in the nodes the canvas draws
    after = {p: node(s, p)["value"] for p in ("w", "b")}
    assert all(after[p] != before[p] for p in before)
    assert node(s, "w")["value_text"] != "-1" and node(s, "b")["value_text"] != "0.5"
    params = page.locator('[data-testid="trainable-list"]').inner_text()
    assert node(s, "w")["value_text"] in params and node(s, "b")["value_text"] in params
    # the chart shows one point per loss, on a log scale, and really draws them
    chart = page.locator('[data-testid="loss-chart"]')
    page.wait_for_function("() => window.gradcanvas.snapshot().learning.chart_points === 21")
    assert chart.get_attribute("data-points") == "21" and chart.get_attribute("data-scale") == "log"
    assert accent_pixels(page, '[data-testid="loss-chart"]') > 100

    loss_text = s["learning"]["loss_text"]
    editor.click("update")
    s = editor.wait("s.learning.losses.length === 22")
    loss.filter(has_text=s["learning"]["loss_text"]).wait_for()
    assert float(s["learning"]["loss_text"]) < float(loss_text)
    page.wait_for_function("() => window.gradcanvas.snapshot().learning.chart_points === 22")
    assert errors == []


def test_the_learning_rate_field_sends_the_rate_and_shows_the_servers_refusal(editor, live_server):
    page = editor.open(example(live_server, "one_neuron_fit")).page
    errors = editor.errors
    field = page.locator('[data-testid="learning-rate"]')
    field.fill("0.25")
    field.press("Enter")
    s = editor.wait("s.learning.learning_rate === 0.25")
    assert s["learning"]["learning_rate_text"] == "0.25"
    field.fill("-1")
    field.press("Enter")
    message = page.locator('[data-testid="error-message"]')
    message.wait_for()
    assert "learning rate" in message.inner_text()
    page.locator('[data-testid="graph-canvas"]').focus()
    page.wait_for_function("() => document.querySelector('[data-testid=\"learning-rate\"]').value === '0.25'")
    assert editor.snapshot()["learning"]["learning_rate"] == 0.25
    assert not [e for e in errors if "learning rate" not in e]


def test_marking_a_doughnut_input_trainable_round_trips_and_marks_the_node(editor, live_server):
    page = editor.open(example(live_server, "doughnut")).page
    errors = editor.errors
    toggle = page.locator('[data-testid="trainable-toggle"]')
    assert toggle.is_hidden()  # nothing selected
    assert page.locator('[data-testid="learn-details"]').get_attribute("open") is None  # collapsed: no parameters
    tax = node(editor.snapshot(), "tax")["screen"]
    corner = [tax["x"] + tax["w"] - 10, tax["y"] - 10, 20, 20]   # where the θ badge goes (CSS px in the canvas)
    origin = page.locator('[data-testid="graph-canvas"]').bounding_box()
    badge = [corner[0] - origin["x"], corner[1] - origin["y"], 20, 20]
    assert accent_pixels(page, "canvas.layer-scene", badge) == 0

    page.mouse.click(tax["cx"], tax["cy"])
    editor.wait("s.selection.nodes.length === 1 && s.selection.nodes[0] === 'tax'")
    assert toggle.is_visible() and not toggle.is_checked()
    assert "tax" in page.locator('[data-testid="trainable-label"]').inner_text()
    toggle.check()
    s = editor.wait("s.learning.trainable.length === 1")
    assert s["learning"]["trainable"] == ["tax"] and node(s, "tax")["trainable"]
    assert toggle.is_checked()
    assert page.locator('[data-testid="learn-details"]').get_attribute("open") is not None
    assert "tax" in page.locator('[data-testid="trainable-list"]').inner_text()
    # the canvas still draws, now with the parameter's badge
    page.wait_for_function("""([sel, box]) => {
      const c = document.querySelector(sel), k = c.width / c.clientWidth;
      const d = c.getContext('2d').getImageData(...box.map(v => Math.round(v * k))).data;
      for (let i = 0; i < d.length; i += 4) if (d[i + 2] > 180 && d[i] < 90) return true;
      return false;
    }""", arg=["canvas.layer-scene", badge])
    assert accent_pixels(page, "canvas.layer-scene", badge) > 20

    # an update now moves tax: the server's numbers reach the node
    editor.click("update")
    s = editor.wait("s.learning.losses.length === 2")
    assert node(s, "tax")["value"] != pytest.approx(1.1)
    toggle.uncheck()
    s = editor.wait("s.learning.trainable.length === 0")
    assert not node(s, "tax")["trainable"]
    assert errors == []


def test_update_with_nothing_trainable_shows_the_servers_refusal(editor, live_server):
    page = editor.open(example(live_server, "doughnut")).page
    errors = editor.errors
    version = editor.snapshot()["version"]
    page.locator('[data-testid="learn-details"] > summary').click()
    editor.click("update")
    message = page.locator('[data-testid="error-message"]')
    message.wait_for()
    assert NOTHING_TO_UPDATE in message.inner_text()
    s = editor.snapshot()
    assert s["version"] == version and s["learning"]["losses"] == []
    assert page.locator('[data-testid="loss"]').inner_text() == "—"
    assert not page.locator('[data-testid="update"]').is_disabled()  # ready to try again
    assert not [e for e in errors if NOTHING_TO_UPDATE not in e]


# -- the explanation's maths --------------------------------------------------------------------

def test_a_backward_step_is_typeset_by_katex_from_the_servers_latex(editor, live_server):
    page = editor.open(example(live_server, "doughnut")).page
    errors = editor.errors
    step_to(editor, "backward", 2)  # m1: dout arrives from m2, then the two rules
    page.locator('[data-testid="explain-panel"] .katex').first.wait_for()
    m1 = next(e for e in server_steps("doughnut") if e["phase"] == "backward" and e["node"] == "m1")
    shown = lines(page)
    assert [line["latex"] for line in shown] == [m1["head"]["latex"]] + [r["latex"] for r in m1["rules"]]
    assert all(line["katex"] and line["errors"] == 0 for line in shown)
    assert shown[1]["latex"].endswith(r"= 1.1 \times 2 = 2.2")
    # the plain text stays for screen readers: the same words as the server's explanation
    assert shown[1]["plain"] == "∂L/∂x = dout · y = 1.1 × 2 = 2.2"
    panel = page.locator('[data-testid="explain-panel"]').inner_text()
    assert "Backward 2 / 5 · m1 (×)" in panel and "(arriving from m2)" in panel and "2.2" in panel
    assert page.locator('[data-testid="explain-panel"] .katex .mfrac').count() == 2  # ∂L/∂x and ∂L/∂y

    editor.reset()
    assert editor.step("forward", 2)["step"] == 2
    forward = server_steps("doughnut")[1]
    assert [line["latex"] for line in lines(page)] == [forward["latex"]]
    assert errors == []


def test_fan_out_shows_the_sum_of_the_arriving_gradients_typeset(editor, live_server):
    page = editor.open(example(live_server, "x_times_x")).page
    errors = editor.errors
    editor.click("run-backward")
    editor.wait("!s.animating && s.phase === 'backward' && s.step === s.total && s.current === 'x'")
    x = server_steps("x_times_x")[-1]
    assert x["node"] == "x" and x["head"]["kind"] == "sum"
    page.locator('[data-testid="explain-panel"] .katex').first.wait_for()
    shown = lines(page)
    assert [line["latex"] for line in shown] == [r"\mathrm{dout} = 3 + 3 + 1 = 7"] == [x["head"]["latex"]]
    assert shown[0]["katex"] and shown[0]["errors"] == 0
    body = page.locator('.explain-body').inner_text()
    assert "dout = 3 + 3 + 1 = 7" in body and "(the sum of the 3 gradients arriving at x)" in body
    # the name x·x once came out as \cdotx, an unknown command KaTeX shows in red
    editor.reset()
    assert editor.step("forward", 2)["step"] == 2
    page.locator('[data-testid="explain-panel"] .katex').first.wait_for()
    assert lines(page)[0]["latex"] == r"x\cdot x = x \times x = 3 \times 3 = 9"
    assert page.locator('.explain-body .katex-error').count() == 0
    assert errors == []


def test_copy_latex_puts_the_lines_latex_on_the_clipboard_and_says_so(editors, live_server):
    editor = editors(permissions=["clipboard-read", "clipboard-write"]).open(example(live_server, "doughnut"))
    page, errors = editor.page, editor.errors
    step_to(editor, "backward", 2)
    page.locator('[data-testid="explain-panel"] .katex').first.wait_for()
    rule = next(e for e in server_steps("doughnut") if e["phase"] == "backward" and e["node"] == "m1")["rules"][0]
    line = page.locator('[data-testid="explain-line"]').nth(1)
    button = line.locator('[data-testid="copy-latex"]')
    assert button.inner_text() == "Copy LaTeX"
    button.click()
    page.locator('[data-testid="copy-latex"]', has_text="Copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == rule["latex"]
    assert line.get_attribute("data-latex") == rule["latex"]
    page.locator('[data-testid="copy-latex"]', has_text="Copied").wait_for(state="detached", timeout=5000)
    assert errors == []


def test_the_panels_follow_a_change_of_language(editor, live_server):
    page = editor.open(example(live_server, "one_neuron_fit")).page
    errors = editor.errors
    editor.click("update-20")
    editor.wait("s.learning.chart_points === 21")
    step_to(editor, "backward", 2)
    page.locator('[data-testid="explain-panel"] .katex').first.wait_for()
    latex = [line["latex"] for line in lines(page)]
    page.select_option('[data-testid="language"]', "ko")
    panel = page.locator('[data-testid="explain-panel"]')
    panel.filter(has_text="역전파 2 / ").wait_for()
    text = panel.inner_text()
    assert "학습 단계" in text and "학습률" in text and "손실" in text and "업데이트" in text
    assert [line["latex"] for line in lines(page)] == latex  # the maths is the server's, in every language
    assert page.locator('[data-testid="copy-latex"]').first.inner_text() == "LaTeX 복사"
    assert page.locator('[data-testid="graph-canvas"]').get_attribute("aria-label").startswith("계산 그래프")
    page.select_option('[data-testid="language"]', "en")
    panel.filter(has_text="Backward 2 / ").wait_for()
    assert errors == []
