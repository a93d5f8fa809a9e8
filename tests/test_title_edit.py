"""The set_title edit, which the editor's header sends when the title is renamed (issue 14):
its limits, its inverse, and that it reaches the store and the other editors."""
import pytest

from conftest import editor_join
from server.engine.document import GraphError
from server.engine.graph import ComputationGraph
from server.teaching.examples import example_doc


def doughnut():
    return ComputationGraph.from_dict(example_doc("doughnut"))


def test_a_title_of_500_characters_is_kept_and_its_inverse_restores_the_old():
    g = doughnut()
    old = g.title
    change, inverse = g.apply_batch([{"type": "set_title", "title": "돈" * 500}])
    assert change == [{"type": "set_title", "title": "돈" * 500}]
    assert g.to_dict()["title"] == "돈" * 500
    g.apply_batch(inverse)
    assert g.title == old


@pytest.mark.parametrize("title, words", [
    ("x" * 501, "at most 500"),
    (None, "must be text"),
    (42, "must be text"),
    ("tab\there", r"U\+0009"),
])
def test_a_bad_title_is_refused_with_words_and_changes_nothing(title, words):
    g = doughnut()
    before = g.to_dict()
    with pytest.raises(GraphError, match=words):
        g.apply_batch([{"type": "set_title", "title": title}])
    assert g.to_dict() == before


def test_an_empty_title_is_allowed_and_means_untitled():
    g = doughnut()
    g.apply_batch([{"type": "set_title", "title": ""}])
    assert g.title == ""


def test_a_title_sent_over_the_socket_reaches_the_others_and_the_library(app, client, socket_client):
    made = client.post("/api/graphs", json=example_doc("doughnut"))
    gid = made.get_json()["id"]
    a, b = socket_client(), socket_client()
    for c in (a, b):
        assert c.emit("join", editor_join(app, gid), callback=True)["ok"]
    b.get_received()
    ack = a.emit("edit", {"graph_id": gid, "ops": [{"type": "set_title", "title": "Doughnuts by keys"}]},
                 callback=True)
    assert ack["ok"]
    patches = [m["args"][0] for m in b.get_received() if m["name"] == "patch"]
    assert patches and patches[-1]["ops"] == [{"type": "set_title", "title": "Doughnuts by keys"}]
    assert client.get(f"/api/graphs/{gid}").get_json()["title"] == "Doughnuts by keys"
    refused = a.emit("edit", {"graph_id": gid, "ops": [{"type": "set_title", "title": "y" * 501}]}, callback=True)
    assert refused["ok"] is False and "at most 500" in refused["error"]
    assert client.get(f"/api/graphs/{gid}").get_json()["title"] == "Doughnuts by keys"
