"""Hardening seen from a real browser: a first visit that stores nothing until its first edit,
and a page on another site that cannot plant graphs in a victim's library or replace their cookie."""
from __future__ import annotations

import http.server
import json
import threading
import time

import pytest

from server.teaching.examples import example_doc

pytestmark = pytest.mark.browser


def browser_id(editor, site: str) -> str:
    """The browser id inside the signed session cookie (its payload; the signature's timestamp
    changes whenever Flask refreshes the cookie's expiry)."""
    import base64
    value = next(c["value"] for c in editor.page.context.cookies(site) if c["name"] == "session")
    payload = value.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["browser"]


def library(editor) -> list[str]:
    return [g["id"] for g in editor.page.request.get(editor.base + "/api/graphs").json()]


def test_a_first_visit_steps_the_example_at_once_and_its_first_edit_makes_it_your_graph(editor):
    editor.visit("/", ready='[data-testid="palette-mul"]')
    assert editor.page.url.endswith("/try/doughnut")
    s = editor.run("forward")
    assert s["graph_id"].startswith("draft-") and s["role"] == "edit" and s["step"] == s["total"] == 5
    assert library(editor) == []  # looking and stepping store nothing
    tax = editor.node("tax")["screen"]
    editor.page.mouse.move(tax["cx"], tax["cy"])
    editor.page.mouse.down()
    editor.page.mouse.move(tax["cx"] + 40, tax["cy"] + 30, steps=8)
    editor.page.mouse.up()
    editor.page.wait_for_url("**/g/**")
    s = editor.wait("s.connected && s.version === 1")
    assert library(editor) == [s["graph_id"]] and s["role"] == "edit"
    assert s["phase"] == "forward" and s["step"] == 5  # the stepping came along
    assert editor.errors == []


class AttackerSite:
    """A page on another origin (localhost vs the victim's 127.0.0.1: another site) that,
    loaded by the victim, posts forms at the victim's server and loads an image from it."""

    def __init__(self, victim: str):
        doc = json.dumps(example_doc("doughnut")).replace("'", "&#39;")
        self.page = f"""<!doctype html><html><body>
<iframe name="sink-plain"></iframe><iframe name="sink-example"></iframe><iframe name="sink-formula"></iframe>
<form id="plain" method="POST" action="{victim}/api/graphs" enctype="text/plain" target="sink-plain">
  <input name='{doc[:-1]}, "pad": "' value='"}}'></form>
<form id="example" method="POST" action="{victim}/api/examples/doughnut" target="sink-example"></form>
<form id="formula" method="POST" action="{victim}/api/formula" enctype="text/plain" target="sink-formula">
  <input name='{{"text": "a = 1", "x": "' value='"}}'></form>
<img id="probe" src="{victim}/api/graphs">
<script>
  window.sent = 0;
  for (const id of ['plain', 'example', 'formula']) {{ document.getElementById(id).submit(); window.sent++; }}
</script></body></html>""".encode()
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(site.page)

            def log_message(self, *_):
                pass
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://localhost:{self.server.server_address[1]}/attack.html"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def test_another_site_cannot_plant_graphs_or_replace_the_victims_cookie(editor, live_server):
    editor.page.goto(live_server + "/library")  # the browser gets its cookie
    made = editor.page.evaluate("""async () => (await fetch('/api/examples/doughnut', {method: 'POST'})).json()""")
    before = library(editor)
    browser = browser_id(editor, live_server)
    assert before == [made["id"]] and browser
    attacker = AttackerSite(live_server)
    posts = ("/api/graphs", "/api/examples/doughnut", "/api/formula")
    try:
        answered = {}
        editor.page.on("response", lambda r: answered.__setitem__(r.url, r.status)
                       if r.request.method == "POST" and r.url.startswith(live_server) else None)
        editor.page.goto(attacker.url)
        editor.page.wait_for_function("() => window.sent === 3")
        deadline = time.monotonic() + 10
        while len(answered) < 3 and time.monotonic() < deadline:  # the three forged POSTs come back
            editor.page.wait_for_event("response", timeout=10_000)
    finally:
        attacker.close()
    assert {u.removeprefix(live_server): s for u, s in answered.items()} == {p: 403 for p in posts}
    assert library(editor) == before  # nothing planted
    assert browser_id(editor, live_server) == browser  # the cookie was not replaced
    editor.visit(f"/g/{made['id']}", ready='[data-testid="palette-mul"]')
    assert editor.snapshot()["role"] == "edit"  # the victim's own graph still opens for editing
