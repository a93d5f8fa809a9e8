"""Addresses that lead nowhere: a page a person can read (in their language), JSON for the API."""


def test_an_unknown_graph_is_the_not_found_page_not_flasks_plain_404(client):
    resp = client.get("/g/nosuchgraph", headers={"Accept": "text/html"})
    assert resp.status_code == 404 and resp.mimetype == "text/html"
    body = resp.get_data(as_text=True)
    assert "Not found" in body and "graph_not_found" in body  # the reason, for message.js to say it


def test_an_unknown_embed_is_the_not_found_page(client):
    resp = client.get("/embed/nosuchgraph", headers={"Accept": "text/html"})
    assert resp.status_code == 404 and "Not found" in resp.get_data(as_text=True)


def test_an_address_nothing_answers_is_the_not_found_page_or_json(client):
    page = client.get("/no/such/page", headers={"Accept": "text/html"})
    assert page.status_code == 404 and "no_page" in page.get_data(as_text=True)
    api = client.get("/api/no/such/endpoint")
    assert api.status_code == 404 and api.json["reason"] == "no_page" and api.json["code"] == "not_found"
