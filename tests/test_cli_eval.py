"""`gradcanvas eval FILE.json`: values and gradients as JSON; every problem on stderr."""
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

import server.engine.layers  # noqa: F401  (fills the registry)
from server.engine.registry import OPS

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "server" / "teaching" / "examples"
CONSOLE_SCRIPT = Path(sys.executable).parent / "gradcanvas"


def gradcanvas(*args, stdin=None, script=False):
    command = [str(CONSOLE_SCRIPT)] if script else [sys.executable, "-m", "server.cli"]
    return subprocess.run([*command, *map(str, args)], input=stdin, capture_output=True, text=True,
                          cwd=ROOT, timeout=60, env={**os.environ, "PYTHONIOENCODING": "utf-8"})


def write(tmp_path, d, name="graph.json"):
    path = tmp_path / name
    path.write_text(json.dumps(d) if not isinstance(d, str) else d, encoding="utf-8")
    return path


def test_eval_prints_the_doughnut_values_and_gradients():
    run = gradcanvas("eval", EXAMPLES / "doughnut.json")
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    out = json.loads(run.stdout)
    assert set(out) == {"values", "grads"}
    assert out["values"]["m1"] == 200 and out["values"]["m2"] == pytest.approx(220)
    assert out["grads"] == pytest.approx({"doughnut": 2.2, "count": 110, "tax": 200, "m1": 1.1, "m2": 1})


def test_eval_prints_raw_floats_not_rounded_ones():
    out = json.loads(gradcanvas("eval", EXAMPLES / "doughnut.json").stdout)
    assert out["values"]["m2"] == 100 * 2 * 1.1  # 220.00000000000003, exactly as computed


def test_the_console_script_evaluates_the_doughnut_cupcake_example():
    assert CONSOLE_SCRIPT.exists(), "the package is installed (pip install -e .) in the test interpreter's env"
    run = gradcanvas("eval", EXAMPLES / "doughnut_cupcake.json", script=True)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["values"]["m3"] == pytest.approx(715)
    assert out["grads"]["ccount"] == pytest.approx(165)


def test_eval_differentiates_the_node_named_by_output():
    run = gradcanvas("eval", EXAMPLES / "doughnut.json", "--output", "m1")
    out = json.loads(run.stdout)
    assert out["grads"] == {"doughnut": 2.0, "count": 100.0, "m1": 1.0}


def test_eval_reads_standard_input_for_a_dash():
    run = gradcanvas("eval", "-", stdin=(EXAMPLES / "x_times_x.json").read_text(encoding="utf-8"))
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["grads"]["x"] == 7


def test_an_invalid_document_exits_1_with_every_problem_on_stderr(tmp_path):
    path = write(tmp_path, {"format": "gradcanvas", "version": 1,
                            "nodes": [{"id": "a", "op": "mull"}, {"id": "b", "op": "input", "value": "3"},
                                      {"id": "a", "op": "input"}],
                            "edges": [{"source": "b", "target": "zz", "port": 0}]})
    run = gradcanvas("eval", path)
    assert run.returncode == 1
    assert run.stdout == ""
    lines = run.stderr.splitlines()
    assert lines[0] == "gradcanvas eval: error:"
    assert [line.strip() for line in lines[1:]] == [
        f"nodes[0].op: unknown op 'mull' (did you mean 'mul'?); known ops: {', '.join(OPS)}",
        'nodes[1].value: must be a number, got "3"',
        "nodes[2].id: duplicate id 'a' (first used at nodes[0])",
        "edges[0].target: no node with id 'zz'",
    ]


def test_malformed_json_exits_1_saying_so(tmp_path):
    run = gradcanvas("eval", write(tmp_path, '{"format": "gradcanvas",'))
    assert run.returncode == 1 and run.stdout == ""
    assert "malformed JSON" in run.stderr


def test_a_missing_file_exits_1_saying_it_cannot_be_read(tmp_path):
    run = gradcanvas("eval", tmp_path / "nope.json")
    assert run.returncode == 1
    assert "nope.json: cannot read" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_document_over_the_node_limit_exits_1_and_a_raised_limit_evaluates_it(tmp_path):
    nodes = [{"id": f"i{k}", "op": "input", "value": k} for k in range(10)] + [{"id": "s", "op": "add"}]
    path = write(tmp_path, {"format": "gradcanvas", "version": 1, "nodes": nodes,
                            "edges": [{"source": "i1", "target": "s", "port": 0},
                                      {"source": "i2", "target": "s", "port": 1}]})
    run = gradcanvas("eval", path, "--max-nodes", "5")
    assert run.returncode == 1 and "the limit is 5" in run.stderr
    run = gradcanvas("eval", path, "--max-nodes", "20")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["values"]["s"] == 3


def test_a_document_over_the_byte_limit_exits_1(tmp_path):
    run = gradcanvas("eval", EXAMPLES / "doughnut.json", "--max-bytes", "100")
    assert run.returncode == 1 and "the limit is 100 bytes" in run.stderr


def refuse(name):
    raise AssertionError(f"not JSON: {name}")


def test_faults_are_printed_with_non_finite_numbers_as_strings(tmp_path):
    path = write(tmp_path, {"format": "gradcanvas", "version": 1,
                            "nodes": [{"id": "a", "op": "input", "value": -1}, {"id": "l", "op": "log"},
                                      {"id": "z", "op": "input", "value": 0}, {"id": "q", "op": "div"},
                                      {"id": "s", "op": "add"}],
                            "edges": [{"source": "a", "target": "l", "port": 0},
                                      {"source": "a", "target": "q", "port": 0},
                                      {"source": "z", "target": "q", "port": 1},
                                      {"source": "l", "target": "s", "port": 0},
                                      {"source": "q", "target": "s", "port": 1}]})
    run = gradcanvas("eval", path)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout, parse_constant=refuse)  # strict JSON: no bare NaN or Infinity
    assert out["values"]["l"] == "NaN" and out["values"]["q"] == "-Infinity"
    assert math.isnan(float(out["grads"]["a"]))
    assert set(out["faults"]) == {"l", "q"}


def test_an_ambiguous_output_exits_1_naming_the_candidates(tmp_path):
    path = write(tmp_path, {"format": "gradcanvas", "version": 1,
                            "nodes": [{"id": "a", "op": "input"}, {"id": "n", "op": "neg"}, {"id": "e", "op": "exp"}],
                            "edges": [{"source": "a", "target": "n", "port": 0},
                                      {"source": "a", "target": "e", "port": 0}]})
    run = gradcanvas("eval", path)
    assert run.returncode == 1
    assert "ambiguous" in run.stderr and "'n'" in run.stderr and "'e'" in run.stderr
