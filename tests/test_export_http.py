"""The export endpoint, the import endpoint and `gradcanvas export`."""
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from server.teaching.examples import example_doc

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def graph_id(app):
    doc = example_doc("doughnut")
    doc["title"] = "Doughnut / shopping: 도넛?"
    return app.extensions["gradcanvas.sessions"].create(doc).id


@pytest.mark.parametrize("fmt, mime, ext", [
    ("svg", "image/svg+xml", "svg"), pytest.param("png", "image/png", "png", marks=pytest.mark.slow),
    ("dot", "text/vnd.graphviz", "dot"),
    ("tikz", "application/x-tex", "tex"), ("py", "text/x-python", "py"), ("json", "application/json", "json"),
])
def test_export_endpoint_serves_each_format_with_a_safe_file_name(client, graph_id, fmt, mime, ext):
    r = client.get(f"/api/graphs/{graph_id}/export?format={fmt}&values=1&grads=1&state=current")
    assert r.status_code == 200, r.json
    assert r.mimetype == mime
    disposition = r.headers["Content-Disposition"]
    assert "attachment" in disposition
    assert f"Doughnut_shopping_.{ext}" in disposition or f"Doughnut_shopping_%EB%8F%84%EB%84%9B.{ext}" in disposition
    assert "/" not in disposition.split("filename", 1)[1].replace("filename*=UTF-8''", "")


UPLOAD = {"X-Requested-With": "gradcanvas"}  # uploads need it: a cross-site form cannot send it


def test_export_state_current_follows_the_cursor(client, app, graph_id):
    idle = client.get(f"/api/graphs/{graph_id}/export?format=svg&state=current").data
    assert b">220<" not in idle
    session = app.extensions["gradcanvas.sessions"].get(graph_id)
    session.step("backward", "all")
    done = client.get(f"/api/graphs/{graph_id}/export?format=svg&state=current").data
    assert b">220<" in done and b">2.2<" in done


@pytest.mark.parametrize("query, message", [
    ("format=bmp", "unknown format"), ("format=svg&values=maybe", "values must be 1 or 0"),
    ("format=svg&state=later", "state must be"), ("format=svg&scale=100", "scale must be between"),
])
def test_export_endpoint_refuses_bad_options(client, graph_id, query, message):
    r = client.get(f"/api/graphs/{graph_id}/export?{query}")
    assert r.status_code == 400 and message in r.json["error"]


def test_export_of_unknown_graph_is_404(client):
    assert client.get("/api/graphs/nope/export?format=svg").status_code == 404


@pytest.mark.parametrize("fmt", ["json", "svg", pytest.param("png", marks=pytest.mark.slow)])
def test_import_endpoint_reopens_an_export_as_an_editable_graph(client, graph_id, fmt):
    data = client.get(f"/api/graphs/{graph_id}/export?format={fmt}").data
    r = client.post("/api/graphs/import", data={"file": (io.BytesIO(data), f"figure.{fmt}")},
                    content_type="multipart/form-data", headers=UPLOAD)
    assert r.status_code == 201, r.json
    assert client.get(f"/api/graphs/{r.json['id']}").json == client.get(f"/api/graphs/{graph_id}").json


@pytest.mark.parametrize("data, status, message", [
    (b"GIF89a", 400, "not a gradcanvas"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", 400, "not exported by gradcanvas"),
    (b'{"format":"gradcanvas","version":1,"nodes":' + b'[' + b','.join(
        b'{"id":"n%d","op":"input"}' % i for i in range(50_001)) + b']}', 413, "limit is 50,000"),
])
def test_import_endpoint_refuses_foreign_corrupt_and_oversized_files(client, data, status, message):
    r = client.post("/api/graphs/import", data={"file": (io.BytesIO(data), "x")}, content_type="multipart/form-data", headers=UPLOAD)
    assert r.status_code == status and message in r.json["error"]


def test_import_without_a_file_field_says_how(client):
    r = client.post("/api/graphs/import", data={"other": "x"}, content_type="multipart/form-data", headers=UPLOAD)
    assert r.status_code == 400 and "field 'file'" in r.json["error"]


def run_cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "server.cli", *args], capture_output=True, cwd=ROOT, timeout=120, **kw)


@pytest.mark.parametrize("fmt", ["svg", "dot", "tikz", "py", "json"])
def test_cli_export_writes_what_the_exporter_makes(tmp_path, fmt):
    """The file is byte for byte the library's export of the same document (each format's
    content is checked in test_export.py)."""
    from server.engine.graph import ComputationGraph
    from server.export import export
    out = tmp_path / f"d.{fmt}"
    r = run_cli("export", "server/teaching/examples/doughnut.json", "--format", fmt, "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == export(ComputationGraph.from_dict(example_doc("doughnut")), fmt)


@pytest.mark.slow  # chromium rasterises the PNG: some seconds
def test_cli_export_writes_a_png_at_twice_the_figure_size_with_the_document_inside(tmp_path):
    from PIL import Image

    from server.export.embed import document_from_file
    out = tmp_path / "d.png"
    r = run_cli("export", "server/teaching/examples/doughnut.json", "--format", "png", "-o", str(out))
    assert r.returncode == 0, r.stderr
    r = run_cli("export", "server/teaching/examples/doughnut.json", "--format", "svg")
    width, height = (float(v) for v in re.search(rb'<svg[^>]* width="([\d.]+)" height="([\d.]+)"', r.stdout).groups())
    with Image.open(out) as img:
        img.load()  # decodes every row: a truncated file fails here
        assert img.format == "PNG"
        assert abs(img.width - 2 * width) <= 2 and abs(img.height - 2 * height) <= 2
    assert document_from_file(out.read_bytes()) == document_from_file(json.dumps(example_doc("doughnut")).encode())


def test_cli_export_can_leave_the_gradients_out():
    r = run_cli("export", "server/teaching/examples/doughnut.json", "--format", "svg")
    assert r.returncode == 0 and b">2.2<" in r.stdout and b">220<" in r.stdout
    r = run_cli("export", "server/teaching/examples/doughnut.json", "--format", "svg", "--no-grads")
    assert r.returncode == 0 and b">2.2<" not in r.stdout and b">220<" in r.stdout


def test_cli_export_of_an_invalid_document_exits_nonzero_with_a_message(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "gradcanvas", "version": 1, "nodes": [{"id": "a", "op": "mull"}]}))
    r = run_cli("export", str(bad), "--format", "svg")
    assert r.returncode == 1 and b"unknown op 'mull'" in r.stderr and r.stdout == b""


def test_editor_png_comes_back_with_the_document_inside(client, graph_id):
    from PIL import Image

    from server.export.embed import document_from_file
    raw = io.BytesIO()
    Image.new("RGBA", (20, 10), (255, 255, 255, 255)).save(raw, format="PNG")
    r = client.post(f"/api/graphs/{graph_id}/png", data=raw.getvalue(), content_type="image/png", headers=UPLOAD)
    assert r.status_code == 200 and r.mimetype == "image/png"
    assert document_from_file(r.data) == client.get(f"/api/graphs/{graph_id}").json
    assert client.post(f"/api/graphs/{graph_id}/png", data=b"nope", headers=UPLOAD).status_code == 400
    assert client.post(f"/api/graphs/{graph_id}/png", data=b"\x89PNG\r\n\x1a\nbroken", headers=UPLOAD).status_code == 400
