"""What the browser tests share: a graph on the live server, the editor opened and
ready, its read-only snapshot, and pointer gestures."""
from __future__ import annotations

import json
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


def open_editor(page, base: str, graph_id: str, console: bool = True, **ready) -> list:
    """Open a graph by its edit link and wait until it is ready; the list its errors go into."""
    errors = watch(page, console)
    page.goto(editor_url(base, graph_id))
    wait_ready(page, **ready)
    return errors


def snap(page) -> dict:
    return page.evaluate("window.gradcanvas.snapshot()")


def wait_snap(page, condition: str, timeout: float = 10_000) -> dict:
    """Wait until the JS expression `condition` over the snapshot `s` holds; returns the snapshot."""
    page.wait_for_function(f"() => {{ const s = window.gradcanvas.snapshot(); return {condition}; }}",
                           timeout=timeout)
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
