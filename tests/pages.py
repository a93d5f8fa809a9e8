"""What the browser tests share: a graph on the live server, the editor opened and
ready, its read-only snapshot, pointer gestures, and the `Editor` page object.

`Editor` is to the browser tests what flaskr's ``AuthActions`` is to its tests: one
person at one editor page, doing what a person does (open a graph, edit a value, move a
node, step) and reading what the page shows through ``window.gradcanvas.snapshot()``.
The ``editor`` and ``editors`` fixtures (conftest.py) make them, each in its own browser
context, and close those contexts afterwards.
"""
from __future__ import annotations

import json
import time
import urllib.request

from conftest import EDIT_URLS, editor_url

# The seed's doughnut graph, placed by hand as the book draws it.
DOUGHNUT = {
    "format": "gradcanvas", "version": 1, "title": "Doughnut shopping",
    "nodes": [
        {"id": "doughnut", "op": "input", "value": 100, "label": "doughnut", "x": 60, "y": 60},
        {"id": "count", "op": "input", "value": 2, "label": "count", "x": 60, "y": 220},
        {"id": "m1", "op": "mul", "x": 280, "y": 120},
        {"id": "tax", "op": "input", "value": 1.1, "label": "tax", "x": 280, "y": 300},
        {"id": "m2", "op": "mul", "x": 500, "y": 180},
    ],
    "edges": [
        {"source": "doughnut", "target": "m1", "port": 0},
        {"source": "count", "target": "m1", "port": 1},
        {"source": "m1", "target": "m2", "port": 0},
        {"source": "tax", "target": "m2", "port": 1},
    ],
    "output": "m2",
}

PALETTE = '[data-testid="palette-mul"]'  # the op list has arrived


def new_graph(base: str, doc: dict) -> str:
    """POST a document to the live server (201 Created); its id. Its edit link is remembered."""
    req = urllib.request.Request(base + "/api/graphs", data=json.dumps(doc).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 201
        reply = json.loads(resp.read())
    EDIT_URLS[reply["id"]] = reply["edit_url"]
    return reply["id"]


def watch(page, console: bool = True) -> list:
    """Collect the page's uncaught errors (and, with ``console``, its console errors)."""
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    if console:
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors


def wait_ready(page, ready: str | None = PALETTE, state: str = "visible", speed: int = 10):
    """The page has joined its graph (and shows ``ready``); steps play at ``speed`` (10 = fastest)."""
    page.wait_for_function("() => window.gradcanvas && window.gradcanvas.snapshot().connected")
    if ready:
        page.locator(ready).wait_for(state=state)
    page.eval_on_selector('[data-testid="speed"]',
                          f"e => {{ e.value = {speed}; e.dispatchEvent(new Event('input')); }}")


def snap(page) -> dict:
    return page.evaluate("window.gradcanvas.snapshot()")


def wait_snap(page, condition: str, timeout: float = 10_000) -> dict:
    """Wait until the JS expression `condition` over the snapshot `s` holds; returns the snapshot."""
    page.wait_for_function(f"() => {{ if (!window.gradcanvas) return false;"  # a page still loading
                           f" const s = window.gradcanvas.snapshot(); return {condition}; }}", timeout=timeout)
    return snap(page)


def node(s: dict, node_id: str) -> dict:
    return next(n for n in s["nodes"] if n["id"] == node_id)


def click(page, testid: str):
    page.locator(f'[data-testid="{testid}"]').click()


def drag(page, start, end, steps: int = 8):
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(start[0] + 6, start[1] + 6, steps=2)
    page.mouse.move(*end, steps=steps)
    page.mouse.up()


def poll(read, until, timeout: float = 10.0, interval: float = 0.05):
    """Call ``read()`` until ``until(value)`` holds or ``timeout`` seconds pass; the last value
    (the caller asserts on it, so a timeout fails with what was last seen)."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if until(value) or time.monotonic() > deadline:
            return value
        time.sleep(interval)  # between two checks, not a wait for something to happen


def server_version(base: str, graph_id: str) -> int:
    """The graph's current version on the server. The library's thumbnail is cached by the
    ETag "<id>-<version>" (server/web/library.py), which any browser may ask for."""
    req = urllib.request.Request(f"{base}/api/graphs/{graph_id}/thumbnail.svg", method="HEAD")
    with urllib.request.urlopen(req, timeout=10) as resp:
        return int(resp.headers["ETag"].strip('"').rsplit("-", 1)[1])


OVERLAY_PIXEL = """([x, y]) => {
  const c = document.querySelector('[data-testid="graph-canvas"]');
  const r = c.getBoundingClientRect(), k = c.width / r.width;
  return [...c.getContext('2d').getImageData(Math.round((x - r.left) * k), Math.round((y - r.top) * k), 1, 1).data];
}"""


class Editor:
    """One person at one editor page on the live server at ``base``.

    ``errors`` collects the page's uncaught errors (and, with ``console``, its console errors)
    from the moment it is made. Gestures that change the graph wait until the server has
    applied them and sent them back; ``converged()`` waits until nothing is left in flight.
    """

    def __init__(self, page, base: str, console: bool = True):
        self.page, self.base = page, base
        self.errors = watch(page, console)

    # -- going to a graph --------------------------------------------------------------------

    def open(self, graph, ready: str | None = PALETTE, state: str = "visible", speed: int = 10) -> "Editor":
        """Open a graph for editing: a document (posted to the server first) or the id of a
        graph made through ``new_graph``/``post_json``, by its edit link."""
        graph_id = new_graph(self.base, graph) if isinstance(graph, dict) else graph
        return self.visit(editor_url(self.base, graph_id), ready=ready, state=state, speed=speed)

    def visit(self, url: str, ready: str | None = None, state: str = "visible", speed: int = 10) -> "Editor":
        """Open any link to a graph (a view link, a bare /g/<id>) and wait until it has joined."""
        self.page.goto(url if url.startswith("http") else self.base + url)
        wait_ready(self.page, ready=ready, state=state, speed=speed)
        return self

    def reload(self) -> dict:
        self.page.reload()
        wait_ready(self.page, ready=None)
        return self.snapshot()

    def close(self):
        """Leave: close this editor's browser context (its socket goes with it)."""
        self.page.context.close()

    @property
    def graph_id(self) -> str:
        return self.snapshot()["graph_id"]

    # -- what the page shows ------------------------------------------------------------------

    def snapshot(self) -> dict:
        return snap(self.page)

    def node(self, node_id: str) -> dict:
        return node(self.snapshot(), node_id)

    def wait(self, condition: str, timeout: float = 10_000) -> dict:
        """Wait until the JS expression ``condition`` over the snapshot ``s`` holds; the snapshot."""
        return wait_snap(self.page, condition, timeout)

    def settled(self, condition: str = "true", timeout: float = 10_000) -> dict:
        """Wait until ``condition`` holds with no step animation left to play."""
        return self.wait(f"!s.animating && s.pending === 0 && ({condition})", timeout)

    def converged(self, timeout: float = 10.0) -> dict:
        """Wait until the page is connected, has applied the server's latest version, has no
        offline edit waiting and no step animation pending; the snapshot then."""
        deadline = time.monotonic() + timeout
        while True:
            s = self.snapshot()
            quiet = s["connected"] and not s["animating"] and s["pending"] == 0 and s["queued"] == 0
            if quiet and s["version"] == server_version(self.base, s["graph_id"]):
                return s
            if time.monotonic() > deadline:
                raise AssertionError(f"the page did not converge: connected {s['connected']}, version "
                                     f"{s['version']} (server {server_version(self.base, s['graph_id'])}), "
                                     f"animating {s['animating']}, pending {s['pending']}, queued {s['queued']}")
            time.sleep(0.05)  # between two checks

    def pixel(self, x: float, y: float) -> list:
        """The RGBA of the overlay canvas (the one that takes the pointer) at page point (x, y)."""
        return self.page.evaluate(OVERLAY_PIXEL, [x, y])

    def testid(self, name: str):
        return self.page.locator(f'[data-testid="{name}"]')

    def text(self, name: str) -> str:
        return self.testid(name).inner_text()

    def canvas_origin(self) -> tuple[float, float]:
        box = self.testid("graph-canvas").bounding_box()
        return box["x"], box["y"]

    # -- what a person does -------------------------------------------------------------------

    def click(self, name: str):
        click(self.page, name)

    def _wait_for_own_edit(self, before: dict) -> dict:
        """After an edit gesture: online, until the server's patch for it has arrived (the
        version moved on); offline, until the edit is in the page's queue."""
        if before["connected"]:
            return self.wait(f"s.version > {before['version']}")
        return self.wait(f"s.queued > {before['queued']}")

    def edit_value(self, node_id: str, value: str, label: str | None = None, wait: bool = True) -> dict:
        """Double-click a node, type its new value (and label), press Enter."""
        before = self.snapshot()
        n = node(before, node_id)
        self.page.mouse.dblclick(n["screen"]["cx"], n["screen"]["cy"])
        self.testid("edit-value").wait_for()
        self.page.keyboard.type(value)
        if label is not None:
            self.testid("edit-label").fill(label)
        self.page.keyboard.press("Enter")
        self.testid("inline-editor").wait_for(state="detached")
        return self._wait_for_own_edit(before) if wait else self.snapshot()

    def move_node(self, node_id: str, dx: float, dy: float, wait: bool = True) -> dict:
        """Drag a node by (dx, dy) CSS pixels."""
        before = self.snapshot()
        c = node(before, node_id)["screen"]
        drag(self.page, (c["cx"], c["cy"]), (c["cx"] + dx, c["cy"] + dy))
        return self._wait_for_own_edit(before) if wait else self.snapshot()

    def step(self, direction: str = "forward", count: int = 1) -> dict:
        """Press "step forward" (or backward) ``count`` times, each time until the step has played."""
        s = self.snapshot()
        for _ in range(count):
            self.click(f"step-{direction}")
            s = self.settled(f"s.phase === '{direction}' && !(s.phase === '{s['phase']}' && s.step === {s['step']})")
        return s

    def run(self, direction: str = "forward") -> dict:
        """Press "run forward" (or backward) and wait until every step has played."""
        self.click(f"run-{direction}")
        return self.settled(f"s.phase === '{direction}' && s.step === s.total")

    def reset(self) -> dict:
        self.click("reset")
        return self.settled("s.phase === 'idle'")
