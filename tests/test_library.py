"""The library over HTTP, and who may open, change or merely view a graph."""
import pytest

from server.teaching.examples import example_doc


@pytest.fixture
def other(app):
    """A second browser: its own cookie, so its own grants."""
    return app.test_client()


def make(client, name="doughnut"):
    r = client.post(f"/api/examples/{name}")
    assert r.status_code == 201
    return r.json


def test_first_visit_shows_the_doughnut_stores_nothing_until_the_first_edit_then_the_library(app, client):
    from server.web.realtime import socketio
    store = app.extensions["gradcanvas.store"]
    r = client.get("/")
    assert r.status_code == 302 and r.location == "/try/doughnut"
    page = client.get(r.location)
    assert page.status_code == 200 and b'data-draft="doughnut"' in page.data
    assert store.list() == [] and client.get("/").location == "/try/doughnut"  # looking stores nothing
    sio = socketio.test_client(app, flask_test_client=client)  # the page's socket, with its cookie
    join = sio.emit("join", {"draft": "doughnut"}, callback=True)
    assert join["ok"] and join["draft"] and join["role"] == "edit" and join["graph_id"].startswith("draft-")
    stepped = sio.emit("step", {"graph_id": join["graph_id"], "direction": "forward", "count": "all"}, callback=True)
    assert stepped["ok"] and store.list() == []  # stepping is not changing
    ack = sio.emit("edit", {"graph_id": join["graph_id"], "version": 0,
                            "ops": [{"type": "set_value", "id": "tax", "value": 1.2}]}, callback=True)
    promoted = ack["promoted"]
    assert ack["ok"] and ack["version"] == 1 and promoted["from"] == join["graph_id"]
    assert [g["id"] for g in client.get("/api/graphs").json] == [promoted["graph_id"]]  # this browser's now
    doc = client.get(f"/api/graphs/{promoted['graph_id']}").json
    assert next(n for n in doc["nodes"] if n["id"] == "tax")["value"] == 1.2
    again = sio.emit("join", {"graph_id": promoted["graph_id"], "token": promoted["token"], "since": 0}, callback=True)
    assert again["role"] == "edit" and [m["version"] for m in again["missed"]] == [1]
    assert again["state"]["cursor"]["phase"] == "forward"  # the draft's stepping came along
    assert client.get("/").location == "/library"
    assert client.get("/library").status_code == 200


def test_library_lists_only_this_browsers_graphs_newest_first(client, other):
    a, b = make(client), make(client, "x_times_x")
    make(other, "tanh_neuron")
    listed = client.get("/api/graphs").json
    assert [g["id"] for g in listed] == [b["id"], a["id"]]
    assert listed[0]["title"] == "x * x and fan-out" and listed[0]["nodes"] == 3 and listed[0]["url"] == f"/g/{b['id']}"
    assert listed[0]["thumbnail"].startswith(f"/api/graphs/{b['id']}/thumbnail.svg")


def test_creation_returns_edit_and_view_links(client, app):
    made = make(client)
    row = app.extensions["gradcanvas.store"].get(made["id"])
    assert made["edit_url"] == f"/g/{made['id']}?edit={row.edit_token}"
    assert made["view_url"] == f"/g/{made['id']}?view={row.view_token}"


def test_rename_is_an_edit_that_open_editors_receive(client, app, socket_client):
    made = make(client)
    c = socket_client()
    c.emit("join", {"graph_id": made["id"]}, callback=True)
    c.get_received()
    r = client.patch(f"/api/graphs/{made['id']}", json={"title": "  Doughnuts, week 5 "})
    assert r.status_code == 200 and r.json["title"] == "Doughnuts, week 5"
    patch = [m["args"][0] for m in c.get_received() if m["name"] == "patch"][0]
    assert patch["ops"] == [{"type": "set_title", "title": "Doughnuts, week 5"}]
    assert client.get("/api/graphs").json[0]["title"] == "Doughnuts, week 5"


def test_another_browser_cannot_rename_or_delete(client, other):
    made = make(client)
    assert other.patch(f"/api/graphs/{made['id']}", json={"title": "x"}).status_code == 403
    r = other.delete(f"/api/graphs/{made['id']}")
    assert r.status_code == 403 and "edit link" in r.json["error"]
    assert client.get(f"/api/graphs/{made['id']}").status_code == 200


def test_edit_link_makes_a_browser_an_editor_and_leaves_the_address_bar_clean(client, other):
    made = make(client)
    r = other.get(made["edit_url"])
    assert r.status_code == 302 and r.location == f"/g/{made['id']}"
    page = other.get(r.location).get_data(as_text=True)
    assert 'data-role="edit"' in page
    assert [g["id"] for g in other.get("/api/graphs").json] == [made["id"]]


def test_view_link_and_bare_id_open_read_only(client, other, app):
    made = make(client)
    row = app.extensions["gradcanvas.store"].get(made["id"])
    page = other.get(made["view_url"]).get_data(as_text=True)
    assert 'data-role="view"' in page and row.edit_token not in page and row.view_token in page
    bare = other.get(f"/g/{made['id']}").get_data(as_text=True)
    assert 'data-role="view"' in bare and row.edit_token not in bare
    assert other.get("/api/graphs").json == []  # viewing does not add to one's library


def test_share_links_are_given_only_to_a_browser_that_may_edit(client, other, app):
    made = make(client)
    row = app.extensions["gradcanvas.store"].get(made["id"])
    r = client.get(f"/api/graphs/{made['id']}/links")
    assert r.status_code == 200
    assert r.json == {"url": f"/g/{made['id']}", "edit_url": f"/g/{made['id']}?edit={row.edit_token}",
                      "view_url": f"/g/{made['id']}?view={row.view_token}",
                      "embed_url": f"/embed/{made['id']}?view={row.view_token}"}
    refused = other.get(f"/api/graphs/{made['id']}/links")
    assert refused.status_code == 403 and row.edit_token not in refused.get_data(as_text=True)
    other.get(made["view_url"])  # viewing does not grant the links either
    assert other.get(f"/api/graphs/{made['id']}/links").status_code == 403
    other.get(made["edit_url"])  # the edit link does
    assert other.get(f"/api/graphs/{made['id']}/links").json["view_url"] == made["view_url"]
    assert client.get("/api/graphs/nope/links").status_code == 404


def test_wrong_link_token_gets_a_clear_403_page(client):
    made = make(client)
    r = client.get(f"/g/{made['id']}?view=nope")
    assert r.status_code == 403 and "this view link is not valid" in r.get_data(as_text=True)


def test_duplicate_copies_the_current_document(client):
    made = make(client)
    client.patch(f"/api/graphs/{made['id']}", json={"title": "Mine"})
    r = client.post(f"/api/graphs/{made['id']}/duplicate")
    assert r.status_code == 201 and r.json["id"] != made["id"]
    copy = client.get(f"/api/graphs/{r.json['id']}").json
    assert copy["title"] == "Mine (copy)" and len(copy["nodes"]) == 5


def test_delete_hides_and_restore_brings_back(client):
    made = make(client)
    r = client.delete(f"/api/graphs/{made['id']}")
    assert r.status_code == 200 and r.json["restore"] == f"/api/graphs/{made['id']}/restore"
    assert client.get("/api/graphs").json == []
    assert client.get(f"/g/{made['id']}").status_code == 404
    assert client.post(r.json["restore"]).status_code == 200
    assert [g["id"] for g in client.get("/api/graphs").json] == [made["id"]]
    assert client.get(f"/api/graphs/{made['id']}").json["nodes"][0]["id"] == "doughnut"


def test_thumbnail_is_the_svg_export_and_revalidates_by_version(client):
    made = make(client)
    r = client.get(f"/api/graphs/{made['id']}/thumbnail.svg")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml" and b"<svg" in r.data
    again = client.get(f"/api/graphs/{made['id']}/thumbnail.svg", headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304
    client.patch(f"/api/graphs/{made['id']}", json={"title": "changed"})
    changed = client.get(f"/api/graphs/{made['id']}/thumbnail.svg", headers={"If-None-Match": r.headers["ETag"]})
    assert changed.status_code == 200


def test_a_seed_figure_tried_as_a_draft_opens_in_the_labels_its_figure_uses(client):
    r = client.get("/try/seed-mul-node")
    assert r.status_code == 302 and r.location == "/try/seed-mul-node?labels=symbols"
    page = client.get(r.location)
    assert page.status_code == 200 and b'data-draft="seed-mul-node"' in page.data
    assert client.get("/try/doughnut").status_code == 200  # a numeric figure: no detour
    assert client.get("/try/no-such-example").status_code == 404


def test_an_example_copied_or_tried_in_korean_is_titled_in_korean(app, client):
    from server.teaching.examples import TITLES_KO, example_doc
    from server.web.realtime import socketio
    made = client.post("/api/examples/seed-mul-node?lang=ko").json
    assert client.get(f"/api/graphs/{made['id']}").json["title"] == TITLES_KO["seed-mul-node"]
    other = client.post("/api/examples/seed-mul-node?lang=xx").json  # a language it has no title in
    assert client.get(f"/api/graphs/{other['id']}").json["title"] == example_doc("seed-mul-node")["title"]
    sio = socketio.test_client(app, flask_test_client=client)
    join = sio.emit("join", {"draft": "doughnut", "lang": "ko"}, callback=True)
    assert join["ok"] and join["graph"]["title"] == TITLES_KO["doughnut"]
    odd = sio.emit("join", {"draft": "doughnut", "lang": ["ko"]}, callback=True)  # not a language: ignored
    assert odd["ok"] and odd["graph"]["title"] == example_doc("doughnut")["title"]
