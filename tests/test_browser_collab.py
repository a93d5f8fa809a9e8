"""Working together, in headless Chromium against a real server: two editors at once,
presence cursors, undo/redo, the view link, offline edits, sharing and the library.

Two browser contexts are two browsers: their own cookies (edit grants) and their own
localStorage (client ids). What a page shows is read through ``window.gradcanvas.snapshot()``
and, where it is drawn, from the overlay canvas's pixels.
"""
from __future__ import annotations

import json
import re
import urllib.request

import pytest
from playwright.sync_api import expect


from conftest import EDIT_URLS, post_json
from pages import drag, node, poll

pytestmark = [pytest.mark.browser, pytest.mark.slow]

READ_ONLY = "this is a read-only view: you cannot edit this graph"


# -- helpers ------------------------------------------------------------------------------

def new_graph(base: str, name: str = "doughnut") -> str:
    """A fresh copy of an example; conftest remembers its edit link."""
    return post_json(f"{base}/api/examples/{name}", {})["id"]


def server_doc(base: str, graph_id: str) -> dict:
    with urllib.request.urlopen(f"{base}/api/graphs/{graph_id}", timeout=10) as resp:
        return json.loads(resp.read())


def same_document(s: dict, doc: dict) -> bool:
    """The page's model is the server's document: nodes (op, place, value, label) and edges."""
    mine = sorted((n["id"], n["op"], n["x"], n["y"], n["value"] if n["op"] == "input" else None, n["label"])
                  for n in s["nodes"])
    theirs = sorted((n["id"], n["op"], n["x"], n["y"], n.get("value") if n["op"] == "input" else None,
                     n.get("label")) for n in doc["nodes"])
    edges = lambda es: sorted((e["source"], e["target"], e["port"]) for e in es)  # noqa: E731
    return mine == theirs and edges(s["edges"]) == edges(doc["edges"])


def converged(editor) -> dict:
    """Wait until the page has the server's latest version with nothing in flight; it then
    shows the server's document."""
    s = editor.converged()
    doc = server_doc(editor.base, s["graph_id"])
    assert same_document(s, doc), f"the page is not the server's document:\n{s['nodes']}\n{doc['nodes']}"
    return s


def rgb(hex_colour: str) -> list:
    return [int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]


def two_editors(editors, graph_id):
    """Two people, each in a browser of their own, at the same graph's edit link."""
    return editors().open(graph_id), editors().open(graph_id)


# -- (a) two editors at once --------------------------------------------------------------

def test_two_editors_edit_at_once_and_converge_to_the_servers_document(editors, live_server):
    a, b = two_editors(editors, new_graph(live_server))
    assert a.snapshot()["role"] == b.snapshot()["role"] == "edit"
    a.edit_value("doughnut", "50")  # one page's edit appears in the other
    s = b.wait("s.nodes.find(n => n.id === 'doughnut').value === 50")
    assert node(s, "doughnut")["value_text"] == "50"

    # both at once: each drags its own node and adds one from the palette, without waiting
    before = {n["id"]: (n["x"], n["y"]) for n in a.snapshot()["nodes"]}
    a.move_node("m1", 60, 40, wait=False)
    b.move_node("tax", -40, 60, wait=False)
    a.testid("palette-add").click()
    b.testid("palette-sub").click()
    b.move_node("count", 0, 50, wait=False)
    for editor in (a, b):
        editor.wait("s.nodes.length === 7")
    sa, sb = converged(a), converged(b)
    assert {n["id"] for n in sa["nodes"]} == {"doughnut", "count", "m1", "tax", "m2", "add1", "sub1"}
    assert sa["version"] == sb["version"] == 6
    after = {n["id"]: (n["x"], n["y"]) for n in sa["nodes"]}
    for moved in ("m1", "tax", "count"):
        assert after[moved] != before[moved]
    assert after["doughnut"] == before["doughnut"]
    assert a.errors == b.errors == []


# -- (b) presence ----------------------------------------------------------------------------

def test_a_pointer_shows_as_a_named_cursor_and_a_selection_as_a_ring_in_the_other_page(editors, live_server):
    a, b = two_editors(editors, new_graph(live_server))
    me_a, me_b = a.snapshot()["me"], b.snapshot()["me"]
    assert me_a["sid"] != me_b["sid"] and me_a["client"] != me_b["client"]
    # each lists the other by name, with the other's colour
    item = b.page.locator(f'[data-testid="presence-item"][data-sid="{me_a["sid"]}"]')
    item.wait_for()
    assert item.inner_text() == me_a["name"]
    a.page.locator(f'[data-testid="presence-item"][data-sid="{me_b["sid"]}"]').wait_for()

    # A clicks m1 (selects it), then rests its pointer on an empty spot
    sa = a.snapshot()
    m1 = node(sa, "m1")["screen"]
    a.page.mouse.click(m1["cx"], m1["cy"])
    box = a.testid("graph-canvas").bounding_box()
    at = (box["x"] + 120, box["y"] + box["height"] - 140)
    a.page.mouse.move(*at, steps=4)
    cam = sa["camera"]
    world = ((at[0] - box["x"]) / cam["scale"] - cam["offset"]["x"],
             (at[1] - box["y"]) / cam["scale"] - cam["offset"]["y"])
    s = b.wait(f"s.presence.length === 1 && s.presence[0].x !== null"
               f" && Math.abs(s.presence[0].x - {world[0]}) < 0.2 && Math.abs(s.presence[0].y - {world[1]}) < 0.2")
    peer = s["presence"][0]
    assert (peer["name"], peer["colour"], peer["selection"]) == (me_a["name"], me_a["colour"], ["m1"])
    # drawn on B's overlay (on its next frame): the arrow at the pointer, the name tag below it,
    # a ring round m1
    colour = rgb(me_a["colour"])
    tip = peer["screen"]
    arrow = poll(lambda: b.pixel(tip["x"] + 2, tip["y"] + 9), lambda px: px[:3] == colour)
    assert arrow[:3] == colour
    m1b, scale = node(s, "m1")["screen"], s["camera"]["scale"]
    ring = poll(lambda: b.pixel(m1b["cx"], m1b["cy"] - m1b["h"] / 2 - 6 * scale),  # 6 world units out
                lambda px: px[:3] == colour and px[3] == 255)
    assert ring[:3] == colour and ring[3] == 255
    assert a.snapshot()["presence"][0]["name"] == me_b["name"]  # and A knows B is there

    a.close()  # A leaves: its cursor and its name go at once
    b.wait("s.presence.length === 0")
    assert b.page.locator('[data-testid="presence-item"]').count() == 1  # only B itself
    assert b.errors == []


# -- (c) undo and redo -------------------------------------------------------------------------

def test_ctrl_z_undoes_only_ones_own_edit_and_the_history_survives_a_reload(editors, live_server):
    a, b = two_editors(editors, new_graph(live_server))
    undo, redo = a.testid("undo"), a.testid("redo")
    assert undo.is_disabled() and redo.is_disabled()
    a.edit_value("doughnut", "50")
    a.wait("s.nodes.find(n => n.id === 'doughnut').value === 50 && s.history.can_undo")
    assert undo.is_enabled()
    b.edit_value("tax", "2")  # someone else's edit, after ours
    a.wait("s.nodes.find(n => n.id === 'tax').value === 2")

    a.testid("graph-canvas").focus()
    a.page.keyboard.press("Control+z")
    s = a.wait("s.nodes.find(n => n.id === 'doughnut').value === 100")
    assert node(s, "tax")["value"] == 2  # B's edit stays
    assert s["history"] == {"can_undo": False, "can_redo": True}
    assert redo.is_enabled() and undo.is_disabled()
    b.wait("s.nodes.find(n => n.id === 'doughnut').value === 100")  # an undo is an edit like any other

    a.page.keyboard.press("Control+Shift+z")
    a.wait("s.nodes.find(n => n.id === 'doughnut').value === 50 && s.history.can_undo")
    a.page.keyboard.press("Control+z")
    a.wait("s.nodes.find(n => n.id === 'doughnut').value === 100")
    a.page.keyboard.press("Control+y")  # Ctrl+Y redoes too
    s = a.wait("s.nodes.find(n => n.id === 'doughnut').value === 50")

    # typing in a text field keeps Ctrl+Z for the text. A step is sent after it on the same
    # socket, so once the step has come back an undo sent by the Ctrl+Z would have landed.
    a.testid("formula-input").fill("x = 1")
    a.testid("formula-input").press("Control+z")
    a.step("forward")
    after = a.converged()
    assert after["version"] == s["version"] and after["history"] == s["history"]
    assert node(after, "doughnut")["value"] == 50

    # a reload keeps this browser's client id, so its undo history
    client = after["me"]["client"]
    a.reload()
    s = a.wait("s.history.can_undo")
    assert s["me"]["client"] == client
    undo.click()
    a.wait("s.nodes.find(n => n.id === 'doughnut').value === 100")
    converged(a)
    assert b.errors == []


# -- (d) the view link -------------------------------------------------------------------------

def test_a_view_link_watches_live_shows_the_badge_and_the_server_refuses_its_edits(editors, live_server):
    graph_id = new_graph(live_server)
    teacher = editors().open(graph_id)
    teacher.click("share")
    view_url = teacher.testid("share-view-url").input_value()
    assert re.fullmatch(re.escape(live_server) + rf"/g/{graph_id}\?view=[\w-]+", view_url)
    student = editors().visit(view_url)
    v = student.page
    s = student.snapshot()
    assert s["role"] == "view" and v.locator("body").get_attribute("data-role") == "view"
    assert student.testid("view-only").is_visible()
    assert student.text("view-only") == "View only"
    for hidden in ("palette", "step-forward", "run-backward", "reset", "tidy", "delete-selected", "undo", "share"):
        assert not student.testid(hidden).is_visible(), hidden
    assert not teacher.testid("view-only").is_visible()

    # the teacher steps and edits; the student sees both live
    teacher.click("run-forward")
    s = student.settled("s.phase === 'forward' && s.step === 5")
    assert node(s, "m2")["value_text"] == "220"
    teacher.edit_value("doughnut", "50")
    student.wait("s.nodes.find(n => n.id === 'doughnut').value === 50")

    # no gestures edit: dragging a node pans, double-click opens nothing, Delete deletes nothing
    version = student.snapshot()["version"]
    m1 = student.node("m1")
    move = (m1["x"], m1["y"])
    drag(v, (m1["screen"]["cx"], m1["screen"]["cy"]), (m1["screen"]["cx"] + 80, m1["screen"]["cy"] + 40))
    v.mouse.dblclick(m1["screen"]["cx"] + 80, m1["screen"]["cy"] + 40)
    v.keyboard.press("Delete")

    # and when it asks anyway, through its own socket, the server says no
    ack = v.evaluate("window.gradcanvas.emit('edit', {version: 0, ops: [{type: 'remove_node', id: 'tax'}]})")
    assert ack == {"ok": False, "error": READ_ONLY, "code": "forbidden", "reason": "read_only", "params": {"action": "edit"}}
    for event, payload, what in [("step", {"direction": "forward"}, "step"), ("reset", {}, "reset"),
                                 ("undo", {}, "undo"), ("tidy", {}, "edit")]:
        ack = v.evaluate("([e, p]) => window.gradcanvas.emit(e, p)", [event, payload])
        assert ack == {"ok": False, "error": f"this is a read-only view: you cannot {what} this graph",
                       "code": "forbidden", "reason": "read_only", "params": {"action": what}}
    # Those answers came back on the socket the gestures would have used: nothing they might
    # have sent is still on its way.
    s = student.converged()
    assert (node(s, "m1")["x"], node(s, "m1")["y"]) == move and s["version"] == version
    assert student.testid("inline-editor").count() == 0
    assert student.testid("node-search").count() == 0
    assert "tax" in {n["id"] for n in server_doc(live_server, graph_id)["nodes"]}
    assert student.errors == [] and teacher.errors == []


def test_the_bare_id_opens_read_only_for_a_browser_without_the_edit_link(editor, live_server):
    editor.visit(f"/g/{new_graph(live_server)}")
    assert editor.snapshot()["role"] == "view" and editor.testid("view-only").is_visible()


# -- (e) offline edits -------------------------------------------------------------------------

def test_edits_made_offline_wait_and_land_in_order_when_the_connection_is_back(editors, live_server):
    graph_id = new_graph(live_server)
    a, b = two_editors(editors, graph_id)
    queue = a.testid("offline-queue")
    assert queue.is_hidden()
    a.page.context.set_offline(True)
    a.wait("!s.connected")

    a.move_node("m1", 50, 60)
    a.edit_value("doughnut", "7")
    a.edit_value("tax", "3")  # B is about to delete tax: this one will be refused
    s = a.wait("s.queued === 3")
    assert queue.is_visible() and queue.inner_text() == "offline: 3 edits waiting"
    m1_offline = (node(s, "m1")["x"], node(s, "m1")["y"])

    a.click("step-forward")  # a step needs the server: refused at once
    message = a.testid("error-message")
    message.wait_for(state="visible")
    assert "you are offline: stepping needs the server" in message.inner_text()
    a.click("error-dismiss")

    b.testid("graph-canvas").click(position={"x": 5, "y": 5})
    tax = b.node("tax")["screen"]
    b.page.mouse.click(tax["cx"], tax["cy"])
    b.page.keyboard.press("Delete")  # meanwhile B deletes tax and moves count
    b.move_node("count", 0, 40)
    b.wait("s.nodes.length === 4 && s.version === 2")

    a.page.context.set_offline(False)
    a.wait("s.connected && s.queued === 0", timeout=30_000)
    message.wait_for(state="visible")
    text = message.inner_text()
    assert text.startswith("your offline edit (set_value tax) was refused:") and "no node with id 'tax'" in text
    assert queue.is_hidden()
    s = converged(a)
    assert node(s, "m1")["x"] == pytest.approx(m1_offline[0], abs=0.5)  # A's edits landed, in order
    assert node(s, "m1")["y"] == pytest.approx(m1_offline[1], abs=0.5)
    assert node(s, "doughnut")["value"] == 7
    assert "tax" not in {n["id"] for n in s["nodes"]}
    converged(b)
    assert server_doc(live_server, graph_id)["nodes"][0]["value"] == 7
    assert b.errors == []


# -- sharing, renames and deletion seen from an open editor ------------------------------------------

def test_share_shows_the_edit_and_view_links_with_copy_buttons(editors, live_server):
    graph_id = new_graph(live_server)
    editor = editors(permissions=["clipboard-read", "clipboard-write"]).open(graph_id)
    p = editor.page
    assert editor.testid("library-link").get_attribute("href") == "/library"
    editor.click("share")
    edit_url = editor.testid("share-edit-url").input_value()
    view_url = editor.testid("share-view-url").input_value()
    assert edit_url == live_server + EDIT_URLS[graph_id]
    assert "?view=" in view_url and view_url.split("?")[0] == edit_url.split("?")[0]
    editor.click("copy-view-url")
    expect(editor.testid("copy-view-url")).to_have_text("Copied")  # once the clipboard has it
    assert p.evaluate("navigator.clipboard.readText()") == view_url
    editor.click("copy-edit-url")
    assert p.evaluate("navigator.clipboard.readText()") == edit_url
    p.keyboard.press("Escape")
    editor.testid("graph-canvas").click(position={"x": 5, "y": 5})
    assert editor.testid("share-panel").is_hidden()
    assert editor.errors == []


def test_a_rename_and_a_deletion_in_the_library_reach_an_open_editor(editor, live_server):
    library = editor.page.context.new_page()  # the same browser: the same edit grants
    made = editor.page.request.post(f"{live_server}/api/examples/doughnut").json()
    editor.visit(made["url"])  # this browser made it: the bare id edits
    assert editor.snapshot()["role"] == "edit"
    library.goto(f"{live_server}/library")
    card = library.locator(f'[data-testid="library-item"][data-id="{made["id"]}"]')
    library.once("dialog", lambda d: d.accept("Doughnuts, week 5"))
    card.locator('[data-testid="rename"]').click()
    editor.wait("s.title === 'Doughnuts, week 5'")
    assert editor.text("graph-title") == "Doughnuts, week 5"
    assert editor.page.title() == "Doughnuts, week 5 · gradcanvas"

    card.locator('[data-testid="delete"]').click()
    note = editor.testid("graph-deleted")
    note.wait_for(state="visible")
    assert "deleted from the library" in note.inner_text()
    assert editor.snapshot()["deleted"] and not editor.testid("undo").is_visible()
    assert editor.errors == []


# -- (f) the library page ----------------------------------------------------------------------

def test_library_lists_graphs_with_thumbnails_renames_duplicates_deletes_and_undoes(editors, live_server):
    person = editors(viewport={"width": 1280, "height": 800})  # the library, then the editor it opens
    page, errors = person.page, person.errors
    first = page.request.post(f"{live_server}/api/examples/doughnut").json()
    second = page.request.post(f"{live_server}/api/examples/x_times_x").json()
    page.goto(f"{live_server}/library")
    cards = page.locator('[data-testid="library-item"]')
    cards.nth(1).wait_for()
    assert [cards.nth(i).get_attribute("data-id") for i in range(2)] == [second["id"], first["id"]]
    assert cards.nth(0).locator('[data-testid="graph-title"]').inner_text() == "x * x and fan-out"
    page.wait_for_function("""() => [...document.querySelectorAll('[data-testid="library-item"] img')]
                               .every(img => img.complete && img.naturalWidth > 0)""")

    card = page.locator(f'[data-testid="library-item"][data-id="{first["id"]}"]')
    page.once("dialog", lambda d: d.accept("My doughnuts"))
    card.locator('[data-testid="rename"]').click()
    page.wait_for_function(f"""() => document.querySelector('[data-id="{first["id"]}"] [data-testid="graph-title"]')
                               ?.textContent === 'My doughnuts'""")
    assert server_doc(live_server, first["id"])["title"] == "My doughnuts"

    card.locator('[data-testid="duplicate"]').click()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=\"library-item\"]').length === 3")
    titles = page.locator('[data-testid="library-item"] [data-testid="graph-title"]').all_inner_texts()
    assert "My doughnuts (copy)" in titles

    card.locator('[data-testid="delete"]').click()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=\"library-item\"]').length === 2")
    assert "My doughnuts" not in page.locator('[data-testid="graph-title"]').all_inner_texts()
    page.locator('[data-testid="undo-delete"]').click()
    page.wait_for_function(f"() => !!document.querySelector('[data-id=\"{first['id']}\"]')")
    assert page.locator('[data-testid="library-item"]').count() == 3
    assert page.locator('[data-testid="library-status"]').inner_text() == "Restored."

    page.locator(f'[data-id="{first["id"]}"] [data-testid="open-graph"]').click()
    s = person.wait("s.connected")
    assert s["role"] == "edit" and s["title"] == "My doughnuts"
    assert errors == []


# -- the connection's ordering, with a stand-in socket -------------------------------------------

FAKE_IO = """async () => {
  const sent = [], calls = [];
  const handlers = {};
  const sock = {
    connected: true,
    on(event, fn) { handlers[event] = fn; },
    emit(event, body) { sent.push([event, body]); },
    timeout() {  // socket.io's acks with a timeout call back (err, ack)
      return { emit: (event, body, cb) => { sent.push([event, body]); window.__replies.push((ack) => cb(null, ack)); } };
    },
    disconnect() { sock.connected = false; handlers.disconnect?.(); },
  };
  window.io = () => sock;
  window.__replies = [];
  window.__fake = { sent, calls, handlers, sock };
  const { Connection } = await import('/static/js/socket.js');
  window.__conn = new Connection('g1', { token: 'tok' });
  window.__conn.subscribe((kind, msg) => {
    if (['join', 'patch', 'step', 'state', 'error'].includes(kind)) calls.push([kind, msg && msg.version]);
    else if (kind === 'queue') calls.push(['queue', msg]);
    else if (kind === 'queued_refused') calls.push(['refused', msg.error]);
  });
  window.__conn.open();
  return true;
}"""


def test_patches_apply_in_version_order_and_a_gap_that_stays_open_asks_for_what_was_missed(page, live_server):
    page.goto(f"{live_server}/library")
    page.evaluate(FAKE_IO)
    page.evaluate("void window.__fake.handlers.connect()")  # void: do not wait for the join to finish
    join = page.evaluate("window.__fake.sent[0]")
    assert join[0] == "join" and join[1]["token"] == "tok" and "since" not in join[1]
    assert 8 <= len(join[1]["client"]) <= 64
    page.evaluate("window.__replies.shift()({ok: true, version: 1, graph: {}, state: {}, "
                  "limits: {max_message_bytes: 400}})")
    deliver = "(v) => window.__fake.handlers.patch({graph_id: 'g1', version: v, ops: [], state: {}})"
    for v in (3, 2, 2, 4):  # out of order, and one twice
        page.evaluate(deliver, v)
    assert page.evaluate("window.__fake.calls") == [["join", 1], ["patch", 2], ["patch", 3], ["patch", 4]]

    # 5 never comes: the page waits 2 s (socket.js GAP_WAIT_MS) for it, then re-joins with since
    delivered = page.evaluate(f"v => {{ ({deliver})(v); return performance.now(); }}", 6)
    asked = page.wait_for_function("() => window.__fake.sent.length === 2 && performance.now()",
                                   timeout=4000).json_value()
    assert asked - delivered >= 1990  # not at once: it gave the missing patch its time first
    rejoin = page.evaluate("window.__fake.sent[1]")
    assert rejoin[0] == "join" and rejoin[1]["since"] == 4 and rejoin[1]["client"] == join[1]["client"]
    page.evaluate("window.__replies.shift()({ok: true, version: 6, missed: [{version: 5, ops: []}, {version: 6, ops: []}], state: {}})")
    page.evaluate(deliver, 6)  # already had: dropped
    page.evaluate(deliver, 7)
    assert page.evaluate("window.__fake.calls.slice(4)") == [["join", 6], ["patch", 7]]

    # too big for the server: refused here, nothing sent
    error = page.evaluate("""window.__conn.request('edit', {version: 7, ops: [{type: 'set_label', id: 'x',
                               label: 'x'.repeat(500)}]}).then(() => null, (e) => e.message)""")
    assert error.startswith("this change is too big to send:") and "at most 400" in error
    assert page.evaluate("window.__fake.sent.length") == 2

    # offline: edits wait (in order, with their versions), anything else is refused
    page.evaluate("window.__fake.sock.disconnect()")
    acks = page.evaluate("""Promise.all([
        window.__conn.request('edit', {version: 7, ops: [{type: 'move_node', id: 'a', x: 1, y: 1}]}),
        window.__conn.request('edit', {version: 7, ops: [{type: 'move_node', id: 'b', x: 2, y: 2}]})])""")
    assert acks == [{"ok": True, "queued": True}] * 2
    step = page.evaluate("window.__conn.request('step', {direction: 'forward'}).then(() => null, (e) => e.message)")
    assert step.startswith("you are offline: stepping needs the server")
    page.evaluate("window.__fake.sock.connected = true; void window.__fake.handlers.connect()")
    rejoin = page.evaluate("window.__fake.sent[2]")
    assert rejoin[0] == "join" and rejoin[1]["since"] == 7
    page.evaluate("window.__replies.shift()({ok: true, version: 8, missed: [{version: 8, ops: []}], state: {}})")
    page.wait_for_function("() => window.__fake.sent.length === 4")
    first = page.evaluate("window.__fake.sent[3]")
    assert first == ["edit", {"graph_id": "g1", "version": 7, "ops": [{"type": "move_node", "id": "a", "x": 1, "y": 1}]}]
    page.evaluate("window.__replies.shift()({ok: true, version: 9})")
    page.wait_for_function("() => window.__fake.sent.length === 5")
    assert page.evaluate("window.__fake.sent[4][1].ops[0].id") == "b"
    page.evaluate("window.__replies.shift()({ok: false, error: 'no node with id \\'b\\''})")
    page.wait_for_function("() => window.__fake.calls.some(c => c[0] === 'refused')")
    calls = page.evaluate("window.__fake.calls")
    assert ["queue", 2] in calls and calls[-2:] == [["queue", 0], ["refused", "no node with id 'b'"]]
