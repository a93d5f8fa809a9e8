"""Caps belong to the server (issue 15): the engine and the CLI have none by default,
the server's MAX_NODES is 50,000, and --max-nodes still caps the CLI when given."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from server.engine.document import Limits
from server.engine.graph import ComputationGraph

ROOT = Path(__file__).resolve().parent.parent


def chain(n_ops: int) -> dict:
    """x → +1 → +1 → … : ``n_ops`` add nodes, each adding the constant input c."""
    nodes = [{"id": "x", "op": "input", "value": 0.5}, {"id": "c", "op": "input", "value": 1.0}]
    edges, prev = [], "x"
    for k in range(n_ops):
        nid = f"n{k}"
        nodes.append({"id": nid, "op": "add"})
        edges += [{"source": prev, "target": nid, "port": 0}, {"source": "c", "target": nid, "port": 1}]
        prev = nid
    return {"format": "gradcanvas", "version": 1, "nodes": nodes, "edges": edges, "output": prev}


def inputs(n: int) -> dict:
    """``n`` input nodes, each with a label and a position, as an editor saves them."""
    return {"format": "gradcanvas", "version": 1, "title": f"{n} inputs",
            "nodes": [{"id": f"n{i}", "op": "input", "value": 0.5, "label": f"x{i}",
                       "x": 220.0 * (i // 40), "y": 90.0 * (i % 40)} for i in range(n)]}


@pytest.mark.slow
def test_from_dict_takes_a_200000_op_chain_without_options():
    g = ComputationGraph.from_dict(chain(200_000))
    assert g.forward()["n199999"] == 200_000.5
    assert g.backward()["x"] == 1.0 and g.backward()["c"] == 200_000.0


@pytest.mark.slow
def test_gradcanvas_eval_takes_a_200000_op_chain_without_options(tmp_path):
    path = tmp_path / "chain.json"
    path.write_text(json.dumps(chain(200_000)))
    run = subprocess.run([sys.executable, "-m", "server.cli", "eval", str(path)],
                         capture_output=True, cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stderr.decode()[-500:]
    out = json.loads(run.stdout)
    assert out["values"]["n199999"] == 200_000.5 and out["grads"]["c"] == 200_000.0


@pytest.mark.parametrize("command", [["eval"], ["check"], ["export", "--format", "json"]])
def test_the_clis_max_nodes_refuses_a_document_above_it(tmp_path, command):
    path = tmp_path / "chain.json"
    path.write_text(json.dumps(chain(10)))  # 12 nodes
    run = subprocess.run([sys.executable, "-m", "server.cli", *command, str(path), "--max-nodes", "11"],
                         capture_output=True, cwd=ROOT, timeout=120)
    assert run.returncode != 0 and "12 nodes; the limit is 11" in run.stderr.decode()
    run = subprocess.run([sys.executable, "-m", "server.cli", *command, str(path), "--max-nodes", "12"],
                         capture_output=True, cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr.decode()[-500:]


def test_a_library_limit_still_refuses_when_given():
    with pytest.raises(Exception, match="12 nodes; the limit is 11"):
        ComputationGraph.from_dict(chain(10), Limits(max_nodes=11))


@pytest.mark.slow
def test_the_server_accepts_50000_nodes_and_refuses_50001_with_its_reason(client):
    doc = inputs(50_000)
    body = json.dumps(doc)
    assert len(body) > 2_000_000  # over the old 2 MB cap, so the byte limit rose with the node limit
    r = client.post("/api/graphs", data=body, content_type="application/json")
    assert r.status_code == 201, r.json
    assert len(client.get(f"/api/graphs/{r.json['id']}").json["nodes"]) == 50_000
    r = client.post("/api/graphs", json=inputs(50_001))
    assert r.status_code == 413
    assert r.json["reason"] == "too_many_nodes" and r.json["params"] == {"count": 50_001, "limit": 50_000}
    assert r.json["error"] == "document has 50,001 nodes; the limit is 50,000"
