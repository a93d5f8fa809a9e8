"""`GET /embed/<id>`: the read-only stepper for other sites (issue 17).

Access is /g/<id>'s for a viewer: a view token must be the graph's; without one the graph is
public to its id. The page steps privately through steps the server computed: a reader of an
embed never moves the room's shared cursor. URL options: step, labels, controls, theme, lang."""
from __future__ import annotations

import json
import re

import pytest

from server.teaching.examples import example_doc

from conftest import post_json
from pages import DOUGHNUT
from stepper_pages import Stepper


def make(client, doc=None) -> dict:
    reply = client.post("/api/graphs", json=doc or example_doc("doughnut"))
    assert reply.status_code == 201
    return reply.get_json()


def token_of(link: str) -> str:
    return link.split("=", 1)[1]


def payload_of(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="gradcanvas-steps">(.*?)</script>', page, re.S)
    return json.loads(m.group(1))


# -- access, as /g/<id> decides a viewer's ---------------------------------------------------------
def test_the_view_token_opens_the_embed_with_every_step(client):
    made = make(client)
    resp = client.get(f"/embed/{made['id']}?view={token_of(made['view_url'])}")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    page = resp.get_data(as_text=True)
    for testid in ("step-forward", "step-backward", "run-forward", "run-backward", "reset", "explain-panel",
                   "graph-canvas"):
        assert f'data-testid="{testid}"' in page
    steps = payload_of(page)
    assert steps["graph_id"] == made["id"]
    assert steps["forward"][-1]["value_text"] == "220"
    assert '/static/js/stepper.js' in page and "socket.io" not in page  # it never joins the room
    assert f'href="/g/{made["id"]}?view={token_of(made["view_url"])}"' in page  # open in gradcanvas


def test_a_wrong_view_token_is_refused(client):
    made = make(client)
    resp = client.get(f"/embed/{made['id']}?view=not-the-token")
    assert resp.status_code == 403
    assert "link_invalid" in resp.get_data(as_text=True)


def test_the_edit_token_is_not_a_view_token_for_an_embed(client):
    made = make(client)
    assert client.get(f"/embed/{made['id']}?view={token_of(made['edit_url'])}").status_code == 403
    # and ?edit= is no way in either: it is ignored, so the page is the public, id-only view
    page = client.get(f"/embed/{made['id']}?edit={token_of(made['edit_url'])}").get_data(as_text=True)
    assert token_of(made["edit_url"]) not in page


def test_without_a_token_the_graph_is_public_to_its_id_as_g_is(client):
    made = make(client)
    assert client.application.test_client().get(f"/g/{made['id']}").status_code == 200  # a browser with no grant
    resp = client.application.test_client().get(f"/embed/{made['id']}")
    assert resp.status_code == 200
    assert f'href="/g/{made["id"]}"' in resp.get_data(as_text=True)
    assert "Set-Cookie" not in resp.headers  # an embed on another site makes no browser id


def test_an_unknown_graph_is_not_found(client):
    assert client.get("/embed/nosuchgraph").status_code == 404


def test_the_links_and_share_offer_the_embed(client):
    made = make(client)
    assert made["embed_url"] == f"/embed/{made['id']}?view={token_of(made['view_url'])}"
    assert client.get(f"/api/graphs/{made['id']}/links").get_json()["embed_url"] == made["embed_url"]


def test_options_become_the_pages_defaults_and_controls_0_hides_the_buttons(client):
    made = make(client)
    page = client.get(f"{made['embed_url']}&controls=0&theme=dark&labels=both&step=backward:2").get_data(as_text=True)
    assert re.search(r'data-testid="step-bar" hidden', page)
    for attr in ('data-theme="dark"', 'data-labels="both"', 'data-step="backward:2"'):
        assert attr in page
    hostile = client.get(f"{made['embed_url']}&theme=%22%3E%3Cscript%3Ealert(1)%3C/script%3E").get_data(as_text=True)
    assert "<script>alert(1)" not in hostile


def test_the_embed_reflects_edits_when_reloaded(client):
    made = make(client)
    doc = client.get(f"/api/graphs/{made['id']}").get_json()
    assert payload_of(client.get(made["embed_url"]).get_data(as_text=True))["graph"]["nodes"] == doc["nodes"]


# -- in a browser -----------------------------------------------------------------------------------
@pytest.mark.browser
def test_an_embed_reader_steps_alone_and_the_room_stays_where_it_was(browser, live_server, editors):
    made = post_json(live_server + "/api/graphs", DOUGHNUT)
    teacher = editors().open(made["id"])
    teacher.step("forward", 2)  # the room's cursor: forward 2 / 5
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        reader = Stepper(context.new_page(), live_server)
        reader.visit(made["embed_url"] + "&speed=10")
        assert reader.snapshot()["phase"] == "idle"  # the reader's own cursor, not the room's
        s = reader.run("forward")
        assert {n["id"]: n["value_text"] for n in s["nodes"]}["m2"] == "220"
        s = reader.run("backward")
        assert {n["id"]: n["grad_text"] for n in s["nodes"]}["tax"] == "200"
        reader.page.screenshot(path="/tmp/t17-anywhere-embed-desktop.png")
        assert reader.snapshot()["role"] == "view"
        reader.page.keyboard.press("Shift+R")  # the editor's step keys
        reader.settled("s.phase === 'idle'")
        reader.page.keyboard.press("f")
        assert reader.settled("s.phase === 'forward'")["step"] == 1
        # the room: still at forward 2, for the teacher and for anyone joining now
        assert teacher.snapshot()["phase"] == "forward" and teacher.snapshot()["step"] == 2
        late = editors().visit(f"/g/{made['id']}")
        assert (late.snapshot()["phase"], late.snapshot()["step"]) == ("forward", 2)
        assert reader.errors == []
    finally:
        context.close()


@pytest.mark.browser
def test_embed_options_start_cursor_labels_language_theme_and_no_controls(browser, live_server):
    made = post_json(live_server + "/api/graphs", DOUGHNUT)
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True,
                                  device_scale_factor=2)
    try:
        reader = Stepper(context.new_page(), live_server)
        reader.visit(made["embed_url"] + "&step=backward:2&labels=both&lang=ko&theme=dark")
        s = reader.snapshot()
        assert (s["phase"], s["step"], s["total"], s["labels"]) == ("backward", 2, 5, "both")
        edges = {e["source"]: e["grad_text"] for e in s["edges"]}
        grads = {n["id"]: n["grad_text"] for n in s["nodes"]}
        assert (grads["m2"], grads["m1"], edges["count"], edges["doughnut"]) == ("1", "1.1", "110", "2.2")  # m1's step
        assert grads["count"] is None  # count's own step is the fourth
        assert reader.text("step-forward") == "순전파 한 단계"
        assert "역전파 2 / 5" in reader.explain()
        assert reader.page.evaluate("document.body.dataset.theme") == "dark"
        reader.page.screenshot(path="/tmp/t17-anywhere-embed-phone.png")
        reader.click("step-backward")
        assert reader.settled("s.step === 3")["nodes"]
        assert reader.errors == []

        bare = Stepper(context.new_page(), live_server)
        bare.visit(made["embed_url"] + "&controls=0&step=forward:all")
        assert not bare.testid("step-forward").is_visible() and bare.testid("explain-panel").is_visible()
        assert {n["id"]: n["value_text"] for n in bare.snapshot()["nodes"]}["m2"] == "220"
    finally:
        context.close()


@pytest.mark.browser
def test_share_offers_the_iframe_snippet_of_the_view_link(editor, live_server):
    made = post_json(live_server + "/api/graphs", DOUGHNUT)
    editor.open(made["id"])
    editor.click("share")
    code = editor.testid("share-embed-code")
    code.wait_for()
    snippet = code.input_value()
    assert snippet.startswith(f'<iframe src="{live_server}{made["embed_url"]}"') and snippet.endswith("</iframe>")
    editor.page.screenshot(path="/tmp/t17-anywhere-share.png")
