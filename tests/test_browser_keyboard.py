"""Building with the keyboard alone (issue 14), in headless Chromium against a real server.

Only ``page.keyboard`` acts: no mouse, no ``click``. The doughnut graph is built from the
palette, valued, wired and stepped by keys, and its values and gradients are read from the
snapshot, which holds what the server sent (the browser computes none of them). The focus
ring on the canvas, the list of keys and the title's rename are checked the same way.
"""
from __future__ import annotations

import pytest

from pages import DOUGHNUT, new_graph, node, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EMPTY = {"format": "gradcanvas", "version": 1, "title": "Keys", "nodes": [], "edges": []}
SHOTS = "/tmp/keyboard-{}.png"
ACCENT = (31, 111, 235)


def active(page) -> str:
    """What has the focus: its data-testid, else its tag."""
    return page.evaluate("() => { const a = document.activeElement;"
                         " return a ? (a.dataset.testid || a.tagName.toLowerCase()) : ''; }")


def tab_to(page, testid: str, shift: bool = False, limit: int = 120):
    """Press Tab (or Shift+Tab) until the element ``testid`` has the focus."""
    for _ in range(limit):
        if active(page) == testid:
            return
        page.keyboard.press("Shift+Tab" if shift else "Tab")
    assert active(page) == testid, f"Tab never reached {testid!r}"


def press_and_wait(editor, key: str, condition: str) -> dict:
    before = editor.snapshot()
    editor.page.keyboard.press(key)
    return editor.wait(f"s.version > {before['version']} && ({condition})")


def focus_node(editor, node_id: str) -> dict:
    """Walk the node focus (arrows, in topological order) to ``node_id``."""
    page = editor.page
    page.keyboard.press("Home")
    for _ in range(len(editor.snapshot()["nodes"])):
        s = editor.snapshot()
        if s["focused_node"] == node_id:
            return s
        page.keyboard.press("ArrowRight")
    return editor.wait(f"s.focused_node === {node_id!r}")


def value_by_keys(editor, node_id: str, value: str, label: str) -> dict:
    page = editor.page
    focus_node(editor, node_id)
    page.keyboard.press("Enter")                       # the mouse's double-click editor
    editor.testid("edit-value").wait_for()
    assert active(page) == "edit-value"
    page.keyboard.type(value)
    page.keyboard.press("Tab")
    assert active(page) == "edit-label"
    page.keyboard.type(label)
    before = editor.snapshot()["version"]
    page.keyboard.press("Enter")
    s = editor.wait(f"s.version > {before} && s.nodes.find(n => n.id === {node_id!r}).label === {label!r}")
    assert active(page) == "graph-canvas"              # back on the canvas, on the same node
    assert s["focused_node"] == node_id
    return s


def wire_by_keys(editor, source: str, port_text: str, shot: str | None = None) -> dict:
    """W on ``source``, then the arrows to the port listed as ``port_text``, then Enter."""
    page = editor.page
    focus_node(editor, source)
    page.keyboard.press("w")
    editor.testid("wire-picker").wait_for()
    options = editor.testid("wire-ports").locator('[role="option"]').all_inner_texts()
    assert port_text in options, options
    for _ in range(options.index(port_text)):
        page.keyboard.press("ArrowDown")
    selected = editor.testid("wire-ports").locator('[aria-selected="true"]').inner_text()
    assert selected == port_text
    if shot:
        page.screenshot(path=shot)
    edges = len(editor.snapshot()["edges"])
    before = editor.snapshot()["version"]
    page.keyboard.press("Enter")
    editor.testid("wire-picker").wait_for(state="detached")
    return editor.wait(f"s.version > {before} && s.edges.length === {edges + 1}")


def ring_point(editor, node_id: str) -> tuple[float, float]:
    """Where the focus ring of op node ``node_id`` passes on its right (renderer.js drawFocusRing)."""
    s = editor.snapshot()
    scr, scale = node(s, node_id)["screen"], s["camera"]["scale"]
    return scr["cx"] + scr["w"] / 2 + max(7 * scale, 8), scr["cy"]


RING_DRAWN = """([x, y, want]) => {
  const c = document.querySelector('[data-testid="graph-canvas"]');
  const r = c.getBoundingClientRect(), k = c.width / r.width;
  const [red, g, b, a] = c.getContext('2d').getImageData(Math.round((x - r.left) * k), Math.round((y - r.top) * k), 1, 1).data;
  const accent = Math.abs(red - %d) < 40 && Math.abs(g - %d) < 40 && Math.abs(b - %d) < 40 && a > 200;
  return accent === want;
}""" % ACCENT


def wait_ring(editor, node_id: str, drawn: bool = True):
    """Until the overlay shows (or no longer shows) the ring's accent on ``node_id``'s right."""
    x, y = ring_point(editor, node_id)
    editor.page.wait_for_function(RING_DRAWN, arg=[x, y, drawn])


def test_the_doughnut_graph_is_built_valued_wired_and_stepped_by_keyboard_alone(editor):
    editor.open(new_graph(editor.base, EMPTY))
    page = editor.page

    # the palette: each item a Tab stop; Enter adds the op at the view's centre, staggered;
    # a new input asks for its name, then its value (Esc keeps the default name, x/y/z)
    for k, answer in enumerate([("doughnut", "100"), ("count", "2"), None]):
        tab_to(page, "palette-input")
        press_and_wait(editor, "Enter", f"s.nodes.length === {k + 1}")
        editor.testid("edit-label").wait_for()
        assert active(page) == "edit-label"
        if answer is None:
            page.keyboard.press("Escape")
            editor.testid("edit-label").wait_for(state="detached")
            continue
        page.keyboard.type(answer[0])
        page.keyboard.press("Tab")
        assert active(page) == "edit-value"
        page.keyboard.type(answer[1])
        press_and_wait(editor, "Enter", f"s.nodes.some(n => n.label === {answer[0]!r})")
    tab_to(page, "palette-input")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    tab_to(page, "palette-mul")
    press_and_wait(editor, "Enter", "s.nodes.length === 4")
    press_and_wait(editor, " ", "s.nodes.length === 5")     # Space as well
    s = editor.snapshot()
    assert sorted(n["id"] for n in s["nodes"]) == ["mul1", "mul2", "x", "y", "z"]
    assert len({(n["x"], n["y"]) for n in s["nodes"]}) == 5   # none stacked on another

    # the canvas: a ring around it; Tab goes to the first node, which is selected
    tab_to(page, "graph-canvas")
    canvas = editor.testid("graph-canvas")
    assert canvas.evaluate("c => c.matches(':focus-visible')")
    style = canvas.evaluate("c => { const s = getComputedStyle(c); return [s.outlineStyle, s.outlineWidth]; }")
    assert style == ["solid", "3px"]
    # Tab goes to the selected node (z, whose name prompt was the last thing done), else the first
    assert editor.snapshot()["selection"]["nodes"] == ["z"]
    page.keyboard.press("Tab")
    s = editor.wait("s.focused_node !== null")
    assert s["focused_node"] == "z" and s["selection"]["nodes"] == ["z"] and s["canvas_focused"]

    s = editor.snapshot()
    assert [(node(s, n)["label"], node(s, n)["value"]) for n in ("x", "y")] == [("doughnut", 100), ("count", 2)]
    value_by_keys(editor, "z", "1.1", "tax")  # Enter on a node: the mouse's double-click editor

    wire_by_keys(editor, "x", "× (mul1) · x")
    wire_by_keys(editor, "y", "× (mul1) · y")
    wire_by_keys(editor, "mul1", "× (mul2) · x", shot=SHOTS.format("wire"))
    s = wire_by_keys(editor, "z", "× (mul2) · y")
    wired = sorted((e["source"], e["target"], e["port"]) for e in s["edges"])
    assert wired == [("mul1", "mul2", 0), ("x", "mul1", 0), ("y", "mul1", 1), ("z", "mul2", 1)]

    focus_node(editor, "mul2")
    press_and_wait(editor, "o", "s.output === 'mul2'")

    # the focus ring is drawn around the focused node, and goes with Esc
    editor.wait("s.focused_node === 'mul2' && s.canvas_focused")
    wait_ring(editor, "mul2")
    page.screenshot(path=SHOTS.format("ring"))

    # steps by keys: F once, Shift+F for the rest; B once, Shift+B for the rest
    page.keyboard.press("f")
    editor.settled("s.phase === 'forward' && s.step === 1")
    page.keyboard.press("Shift+F")
    s = editor.settled("s.phase === 'forward' && s.step === s.total")
    assert node(s, "mul2")["value"] == pytest.approx(220) and node(s, "mul2")["value_text"] == "220"
    page.keyboard.press("b")
    editor.settled("s.phase === 'backward' && s.step === 1")
    page.keyboard.press("Shift+B")
    s = editor.settled("s.phase === 'backward' && s.step === s.total")
    grads = {n: (node(s, n)["grad"], node(s, n)["grad_text"]) for n in ("x", "y", "z")}
    assert grads["x"][0] == pytest.approx(2.2) and grads["x"][1] == "2.2"
    assert grads["y"][0] == pytest.approx(110) and grads["y"][1] == "110"
    assert grads["z"][0] == pytest.approx(200) and grads["z"][1] == "200"
    assert node(s, "mul2")["value"] == pytest.approx(220)

    # what a screen reader is told of the focused node: the server's numbers, in words
    page.keyboard.press("Home")
    page.keyboard.press("End")
    editor.wait("s.focused_node === 'mul2'")
    assert editor.text("keyboard-status") == "mul2: Multiply, node 5 of 5, value 220, gradient 1, the output"
    wait_ring(editor, "mul2")

    # Esc leaves the nodes (no ring, no selection), and then Tab leaves the canvas
    page.keyboard.press("Escape")
    s = editor.wait("s.focused_node === null")
    assert s["selection"]["nodes"] == []
    wait_ring(editor, "mul2", drawn=False)
    page.keyboard.press("Tab")
    assert active(page) != "graph-canvas"
    assert editor.errors == []


def test_help_lists_the_step_keys_and_gives_the_focus_back(editor):
    editor.open(new_graph(editor.base, DOUGHNUT))
    page = editor.page
    tab_to(page, "graph-canvas")
    page.keyboard.press("?")
    help_ = editor.testid("keys-help")
    help_.wait_for()
    assert page.evaluate("() => document.querySelector('[data-testid=\"keys-help\"]').open")
    text = help_.inner_text()
    for words in ("F", "Shift+F", "B", "Shift+B", "forward step", "backward step", "run the whole forward pass",
                  "W", "Delete", "Enter"):
        assert words in text, words
    assert editor.testid("keys-help-button").is_visible()
    page.screenshot(path=SHOTS.format("help"))
    page.keyboard.press("f")              # keys inside the list are not commands
    page.keyboard.press("Escape")
    help_.wait_for(state="hidden")
    assert active(page) == "graph-canvas"
    assert editor.snapshot()["phase"] == "idle"

    # in Korean, the same list, translated
    page.goto(page.url + "&lang=ko" if "?" in page.url else page.url + "?lang=ko")
    wait_ready(page)
    page.keyboard.press("?")
    help_.wait_for()
    assert "순전파 한 단계" in help_.inner_text()
    assert editor.errors == []


def test_the_title_is_renamed_by_keyboard_seen_by_others_and_kept(editors):
    alice, bob = editors(), editors()
    gid = new_graph(alice.base, DOUGHNUT)
    alice.open(gid)
    bob.open(gid)
    page = alice.page
    tab_to(page, "graph-title")
    page.keyboard.press("Enter")
    alice.testid("graph-title-input").wait_for()
    assert active(page) == "graph-title-input"
    page.keyboard.type("Sweet")                       # replaces the selected old title
    page.keyboard.press("Escape")                     # cancelled: nothing sent
    alice.testid("graph-title-input").wait_for(state="detached")
    assert active(page) == "graph-title"
    assert alice.text("graph-title") == "Doughnut shopping"
    page.keyboard.press("Enter")
    page.keyboard.type("  Doughnuts by keys ")
    page.keyboard.press("Enter")
    alice.wait("s.title === 'Doughnuts by keys'")
    assert alice.text("graph-title") == "Doughnuts by keys"
    bob.wait("s.title === 'Doughnuts by keys'")        # live for the others
    assert bob.text("graph-title") == "Doughnuts by keys"
    assert alice.reload()["title"] == "Doughnuts by keys"   # kept
    assert alice.text("graph-title") == "Doughnuts by keys"
    assert page.title().startswith("Doughnuts by keys")
    assert alice.errors == [] and bob.errors == []


def test_the_title_is_renamed_with_the_mouse_too(editor):
    editor.open(new_graph(editor.base, DOUGHNUT))
    editor.click("graph-title")
    editor.testid("graph-title-input").fill("Renamed by mouse")
    editor.testid("graph-canvas").click(position={"x": 20, "y": 20})   # leaving the field keeps it
    editor.wait("s.title === 'Renamed by mouse'")
    assert editor.text("graph-title") == "Renamed by mouse"
    assert editor.testid("graph-title-input").count() == 0
    assert editor.errors == []


def test_delete_by_keys_moves_the_focus_on_and_a_full_node_offers_no_port(editor):
    editor.open(new_graph(editor.base, DOUGHNUT))
    page = editor.page
    tab_to(page, "graph-canvas")
    page.keyboard.press("Tab")
    editor.wait("s.focused_node !== null")
    focus_node(editor, "m2")
    page.keyboard.press("w")                          # m2 feeds nothing that is free: refused, with words
    editor.testid("error-message").wait_for()
    assert "no free port" in editor.text("error-message")
    assert editor.testid("wire-picker").count() == 0
    focus_node(editor, "m1")
    press_and_wait(editor, "Delete", "!s.nodes.some(n => n.id === 'm1')")
    s = editor.wait("s.focused_node !== null")
    assert s["focused_node"] == "tax" and s["selection"]["nodes"] == ["tax"]   # the next in order
    focus_node(editor, "doughnut")
    page.keyboard.press("w")
    editor.testid("wire-picker").wait_for()
    assert editor.testid("wire-ports").locator('[role="option"]').all_inner_texts() == ["× (m2) · x"]
    page.keyboard.press("Escape")                     # cancelled: no edit, the focus stays
    editor.testid("wire-picker").wait_for(state="detached")
    s = editor.snapshot()
    assert len(s["edges"]) == 1 and s["focused_node"] == "doughnut" and active(page) == "graph-canvas"
    assert editor.errors == []


FOCUS_RING = """() => {
  const a = document.activeElement;
  const s = getComputedStyle(a);
  const name = a.dataset.testid || a.getAttribute('aria-label') || a.tagName.toLowerCase() + ':' + (a.textContent || '').trim().slice(0, 20);
  return { name, visible: a.matches(':focus-visible'), style: s.outlineStyle, width: parseFloat(s.outlineWidth) };
}"""


def test_every_thing_reached_by_tab_shows_a_ring(editor):
    editor.open(new_graph(editor.base, DOUGHNUT))
    page = editor.page
    seen, bare = [], []
    for _ in range(80):
        page.keyboard.press("Tab")
        f = page.evaluate(FOCUS_RING)
        if f["name"].startswith("body:"):         # past the last: out of the page
            break
        if f["name"] in seen:
            if f["name"] == "graph-canvas":      # the canvas's nodes: Esc, then Tab leaves them
                page.keyboard.press("Escape")
                continue
            break
        seen.append(f["name"])
        if not (f["visible"] and f["style"] != "none" and f["width"] >= 2):
            bare.append(f)
    for must in ("graph-title", "step-forward", "labels", "palette-input", "palette-mul", "graph-canvas",
                 "keys-help-button", "export-menu"):
        assert must in seen, (must, seen)
    assert bare == [], bare
