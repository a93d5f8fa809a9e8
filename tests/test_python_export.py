"""The standalone Python export: any graph's script runs in a clean interpreter, from an empty
folder, with nothing installed (``python -I -S``), prints what ``gradcanvas eval`` computes,
float for float (NaN, ±inf and the sign of zero included), and re-imports to the same graph.

"The same graph" (docs/python.md): the imported document has a node per node of the original,
with the script's variable as its id, the same op, params and input value, the same wiring
(source, target, port) and the same output; titles survive, labels and positions do not.
"""
from __future__ import annotations

import ast
import importlib
import json
import math
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import server.engine.layers  # noqa: F401  (fills the registry)
from server.engine.graph import ComputationGraph
from server.engine.registry import OPS
from server.export import export
from server.engine.standalone import NotStandalone, support, support_for_ops
from server.teaching.pyimport import import_python

OP_NAMES = [name for name, spec in OPS.items() if spec.arity and spec.takes_scalars]  # ops of numbers
VALUES = [0.0, -0.0, 1.0, -1.0, 2.5, -3.0, 0.5, 1e200, -1e200, 710.0, 1e-320]
EXPONENTS = [2.0, 3.0, 0.5, -1.0, -2.0, 1.5, 0.0]
LABELS = ["print", "MulLayer", "m_layer", "m", "dx", "dy", "forward", "backward", "ran", "math", "x", "d",
          "_", "__builtins__", "1a", "가격", "ﬁ", "fi", "class", "match", "layer", "dout", "out", "inputs",
          "apple price", "dprice"]


def same(a: float, b: float) -> bool:
    """Float for float: equal with the same sign (so 0.0 is not -0.0), or both NaN."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def run_script(py: bytes, folder) -> dict[str, float]:
    """Run the script with no PYTHONPATH, no site packages and no user site, in an empty folder."""
    script = folder / "graph.py"
    script.write_bytes(py)
    run = subprocess.run([sys.executable, "-I", "-S", str(script)], cwd=folder, capture_output=True,
                         text=True, timeout=60, env={})
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["graph.py"]  # no side effect
    return {key: float(value) for key, value in (line.rsplit(" = ", 1) for line in run.stdout.splitlines())}


def check_matches_engine(graph: ComputationGraph, printed: dict[str, float]):
    values, grads = graph.forward(), graph.backward()
    expected = {**{f"value {k}": v for k, v in values.items()}, **{f"grad {k}": v for k, v in grads.items()}}
    assert set(printed) == set(expected)
    wrong = {k: (printed[k], expected[k]) for k in expected if not same(printed[k], expected[k])}
    assert not wrong, wrong


def variables(py: str) -> dict[str, str]:
    """node id → the script's variable, read from its print('value <id>', '=', <variable>) lines."""
    out = {}
    for stmt in ast.parse(py).body:
        call = getattr(stmt, "value", None)
        if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "print" and len(call.args) == 3:
            text, _, var = call.args
            if isinstance(var, ast.Name) and text.value.startswith("value "):
                out[text.value[len("value "):]] = var.id
    return out


def check_reimports_to_the_same_graph(graph: ComputationGraph, py: str):
    name = variables(py)
    doc = import_python(py)
    original = graph.to_dict()
    assert len(name) == len(original["nodes"]) == len(doc["nodes"])
    imported = {n["id"]: n for n in doc["nodes"]}
    for n in original["nodes"]:
        mine = imported[name[n["id"]]]
        assert mine["op"] == n["op"]
        if n["op"] == "input":
            assert same(mine["value"], n["value"])
        assert mine.get("params") == n.get("params")
    wiring = sorted((name[e["source"]], name[e["target"]], e["port"]) for e in original["edges"])
    assert sorted((e["source"], e["target"], e["port"]) for e in doc["edges"]) == wiring
    assert doc["output"] == name[graph.output_node()]
    assert doc["title"] == (original["title"] or "gradcanvas graph")
    again = ComputationGraph.from_dict(doc)
    assert all(same(again.forward()[name[k]], v) for k, v in graph.forward().items())
    assert all(same(again.backward()[name[k]], v) for k, v in graph.backward().items())


@st.composite
def graphs(draw):
    """A random complete graph mixing every op, with fan-out, faults (x/0, log(-1), exp(710),
    1e200 × 1e200, 0 ** -1 …), ±0, and labels that clash with the script's own names."""
    nodes, edges, ids = [], [], []

    def label():
        return draw(st.one_of(st.none(), st.sampled_from(LABELS)))

    for k in range(draw(st.integers(1, 4))):
        node = {"id": draw(st.sampled_from([f"x{k}", f"in {k}", f"{k}", f"d{k}"])), "op": "input",
                "value": draw(st.sampled_from(VALUES))}
        if node["id"] in ids:
            node["id"] = f"x{k}"
        if (lab := label()) is not None:
            node["label"] = lab
        nodes.append(node)
        ids.append(node["id"])
    for k in range(draw(st.integers(1, 9))):
        op = draw(st.sampled_from(OP_NAMES))
        node = {"id": f"n{k}", "op": op}
        if OPS[op].params:
            node["params"] = {p: draw(st.sampled_from(EXPONENTS)) for p in OPS[op].params}
        if (lab := label()) is not None:
            node["label"] = lab
        for port in range(OPS[op].arity):
            edges.append({"source": draw(st.sampled_from(ids)), "target": node["id"], "port": port})
        nodes.append(node)
        ids.append(node["id"])
    title = draw(st.sampled_from(["", "a title", "coding: utf-7 +ACc-", "가격\nline two"]))
    return {"format": "gradcanvas", "version": 1, "title": title, "nodes": nodes, "edges": edges,
            "output": ids[-1]}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(doc=graphs())
def test_a_random_graphs_script_prints_what_the_engine_computes_and_reimports(tmp_path_factory, doc):
    graph = ComputationGraph.from_dict(doc)
    py = export(graph, "py")
    assert py.isascii()
    check_matches_engine(graph, run_script(py, tmp_path_factory.mktemp("run")))
    check_reimports_to_the_same_graph(graph, py.decode())


@pytest.mark.parametrize("op", OP_NAMES)
def test_every_registered_layer_runs_standalone_with_faults_as_the_engine_has_them(op, tmp_path):
    """Each op on ordinary inputs, on ±0 and on inputs that make some op fail, in one script."""
    spec = OPS[op]
    nodes = [{"id": f"v{k}", "op": "input", "value": v} for k, v in enumerate(VALUES)]
    edges = []
    cases = [(0.7, -1.3), (0.0, -0.0), (-0.0, 0.0), (-2.0, 0.0), (1e200, 1e200), (710.0, 2.0), (0.0, 0.0)]
    for k, inputs in enumerate(cases):
        node = {"id": f"{op}{k}", "op": op}
        if spec.params:
            node["params"] = {p: EXPONENTS[k % len(EXPONENTS)] for p in spec.params}
        nodes.append(node)
        for port in range(spec.arity):
            src = f"c{k}_{port}"
            nodes.append({"id": src, "op": "input", "value": inputs[port]})
            edges.append({"source": src, "target": node["id"], "port": port})
    nodes.append({"id": "total", "op": "add"})  # one output, every case upstream of it
    total = "total"
    edges += [{"source": f"{op}0", "target": total, "port": 0}, {"source": f"{op}1", "target": total, "port": 1}]
    for k in range(2, len(cases)):
        nodes.append({"id": f"t{k}", "op": "add"})
        edges += [{"source": total, "target": f"t{k}", "port": 0}, {"source": f"{op}{k}", "target": f"t{k}", "port": 1}]
        total = f"t{k}"
    graph = ComputationGraph.from_dict({"format": "gradcanvas", "version": 1, "nodes": nodes, "edges": edges,
                                        "output": total})
    py = export(graph, "py")
    assert f"\nclass {spec.layer.__name__}:" in py.decode()
    check_matches_engine(graph, run_script(py, tmp_path))
    check_reimports_to_the_same_graph(graph, py.decode())


def test_every_registered_layer_can_be_written_standalone():
    src = support_for_ops(OPS).source()
    namespace: dict = {}
    exec(compile(src, "layers.py", "exec"), namespace)  # our own registry's source, nothing else
    for spec in OPS.values():
        if spec.arity:
            assert spec.layer.__name__ in namespace and "register" not in namespace


def test_the_bug_in_the_issue_a_node_named_dx_prints_its_own_value(tmp_path):
    """a=3; dx=a*a; y=dx+a printed dx = 3.0 where the engine says 9.0."""
    doc = {"format": "gradcanvas", "version": 1, "title": "",
           "nodes": [{"id": "a", "op": "input", "value": 3.0}, {"id": "dx", "op": "mul"}, {"id": "y", "op": "add"}],
           "edges": [{"source": "a", "target": "dx", "port": 0}, {"source": "a", "target": "dx", "port": 1},
                     {"source": "dx", "target": "y", "port": 0}, {"source": "a", "target": "y", "port": 1}]}
    graph = ComputationGraph.from_dict(doc)
    printed = run_script(export(graph, "py"), tmp_path)
    assert printed["value dx"] == 9.0 and printed["grad a"] == 7.0
    check_matches_engine(graph, printed)


def test_a_fault_prints_nan_and_inf_as_eval_does_and_zero_gradients_have_evals_sign(tmp_path):
    """x / 0 is inf (DivLayer.fault); no gradient passes it: NaN. neg(0) is -0.0, and a gradient
    0.0 · -1 arrives as 0.0, as in the engine. Compared with `gradcanvas eval` itself."""
    doc = {"format": "gradcanvas", "version": 1, "title": "faults",
           "nodes": [{"id": "x", "op": "input", "value": 1.0}, {"id": "zero", "op": "input", "value": 0.0},
                     {"id": "q", "op": "div"}, {"id": "n", "op": "neg"}, {"id": "m", "op": "mul"},
                     {"id": "out", "op": "add"}],
           "edges": [{"source": "x", "target": "q", "port": 0}, {"source": "zero", "target": "q", "port": 1},
                     {"source": "zero", "target": "n", "port": 0}, {"source": "n", "target": "m", "port": 0},
                     {"source": "zero", "target": "m", "port": 1},
                     {"source": "q", "target": "out", "port": 0}, {"source": "m", "target": "out", "port": 1}],
           "output": "out"}
    path = tmp_path / "faults.json"
    path.write_text(json.dumps(doc))
    run = subprocess.run([sys.executable, "-m", "server.cli", "eval", str(path)], capture_output=True, text=True,
                         timeout=60, cwd=str(__import__("pathlib").Path(__file__).parent.parent))
    assert run.returncode == 0, run.stderr
    evaluated = json.loads(run.stdout)
    folder = tmp_path / "run"
    folder.mkdir()
    printed = run_script(export(ComputationGraph.from_dict(doc), "py"), folder)
    for kind in ("values", "grads"):
        for nid, v in evaluated[kind].items():
            assert same(printed[f"{kind[:-1] if kind == 'grads' else 'value'} {nid}"], float(v)), (kind, nid)
    assert printed["value q"] == math.inf and math.isnan(printed["grad x"])
    assert math.copysign(1, printed["value n"]) == -1 and math.copysign(1, printed["grad n"]) == 1


def test_node_names_never_shadow_the_scripts_names_or_builtins():
    doc = {"format": "gradcanvas", "version": 1, "title": "",
           "nodes": [{"id": i, "op": "input", "value": 1.0} for i in ("print", "MulLayer", "m_layer", "math", "ran")]
           + [{"id": "m", "op": "mul"}, {"id": "forward", "op": "mul"}, {"id": "backward", "op": "add"}],
           "edges": [{"source": "print", "target": "m", "port": 0}, {"source": "MulLayer", "target": "m", "port": 1},
                     {"source": "m_layer", "target": "forward", "port": 0}, {"source": "math", "target": "forward", "port": 1},
                     {"source": "m", "target": "backward", "port": 0}, {"source": "forward", "target": "backward", "port": 1}],
           "output": "backward"}
    py = export(ComputationGraph.from_dict(doc), "py").decode()
    assigned = [t.id for s in ast.parse(py).body if isinstance(s, ast.Assign) for t in s.targets if isinstance(t, ast.Name)]
    assert len(assigned) == len(set(assigned))  # each name is assigned once
    assert not {"print", "MulLayer", "math", "forward", "backward", "ran"} & set(assigned[1:])


def test_a_layer_needing_more_than_the_standard_library_is_refused(tmp_path, monkeypatch):
    (tmp_path / "gc_fake_layers.py").write_text(
        "import json\nimport networkx\n\nSCALE = 2.0\n\n\n"
        "def twice(x):\n    return SCALE * x\n\n\n"
        "class Base:\n    pass\n\n\n"
        "class GoodLayer(Base):\n    def forward(self, x):\n        return twice(x)\n\n"
        "    def backward(self, dout):\n        return json.loads('2') * dout\n\n\n"
        "class BadLayer:\n    def forward(self, x):\n        return networkx.pi * x\n\n"
        "    def backward(self, dout):\n        return dout\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    fake = importlib.import_module("gc_fake_layers")
    good = support([fake.GoodLayer])
    assert good.imports == ["json"] and {"SCALE", "twice", "Base", "GoodLayer"} <= good.names
    namespace: dict = {}
    exec(compile("import json\n" + good.source(), "good.py", "exec"), namespace)
    assert namespace["GoodLayer"]().forward(3.0) == 6.0
    with pytest.raises(NotStandalone, match="networkx"):
        support([fake.BadLayer])
