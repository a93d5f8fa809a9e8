"""The document format: round trips, every problem with its location, limits,
malformed JSON and hostile text."""
import copy
import json
import math
import re

import pytest

from server.engine import document
from server.engine.document import GraphError, Limits, jsonable, loads
from server.teaching.examples import NAMES, example_doc, list_examples
from server.engine.graph import ComputationGraph
from server.engine.registry import OPS

KNOWN = ", ".join(OPS)  # the error lists every registered op, in palette order


def doc(nodes, edges=(), output=None, **extra):
    return {"format": "gradcanvas", "version": 1, "nodes": list(nodes), "edges": list(edges),
            "output": output, **extra}


def problems_of(d, limits=Limits()):
    with pytest.raises(GraphError) as err:
        ComputationGraph.from_dict(d, limits)
    return err.value.problems


# -- round trips -----------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_every_example_round_trips_to_an_identical_document(name):
    once = ComputationGraph.from_dict(example_doc(name)).to_dict()
    twice = ComputationGraph.from_dict(copy.deepcopy(once)).to_dict()
    assert twice == once
    assert ComputationGraph.from_json(json.dumps(once)).to_dict() == once


@pytest.mark.parametrize("name", NAMES)
def test_loading_an_example_keeps_everything_it_says(name):
    original = example_doc(name)
    saved = ComputationGraph.from_dict(copy.deepcopy(original)).to_dict()
    assert [n["id"] for n in saved["nodes"]] == [n["id"] for n in original["nodes"]]
    for mine, theirs in zip(saved["nodes"], original["nodes"]):
        assert mine == {**theirs, "x": float(theirs["x"]), "y": float(theirs["y"]),
                        **({"value": theirs["value"] if isinstance(theirs["value"], list)  # a tensor, as given
                            else float(theirs["value"])} if "value" in theirs else {})}
    assert saved["edges"] == original["edges"]
    assert saved["output"] == original["output"] and saved["title"] == original["title"]


def test_round_trip_keeps_node_order_labels_positions_params_and_output():
    d = doc([
        {"id": "sq", "op": "pow", "params": {"exponent": 3}, "x": 400.5, "y": -20, "label": "cube"},
        {"id": "z", "op": "input", "value": -2.5, "label": "zed", "x": 1e-3, "y": 7},
        {"id": "p2", "op": "pow", "x": 0, "y": 0},            # the default exponent is filled in
        {"id": "n", "op": "neg"},                               # x and y default to 0
        {"id": "a", "op": "input"},                             # value defaults to 0
    ], [{"source": "z", "target": "sq", "port": 0}, {"source": "sq", "target": "p2", "port": 0},
        {"source": "a", "target": "n", "port": 0}], output="sq", title="not in topological order")
    saved = ComputationGraph.from_dict(d).to_dict()
    assert [n["id"] for n in saved["nodes"]] == ["sq", "z", "p2", "n", "a"]
    assert saved["nodes"][0] == {"id": "sq", "op": "pow", "params": {"exponent": 3}, "x": 400.5, "y": -20.0,
                                 "label": "cube"}
    assert saved["nodes"][1] == {"id": "z", "op": "input", "value": -2.5, "label": "zed", "x": 0.001, "y": 7.0}
    assert saved["nodes"][2]["params"] == {"exponent": 2}
    assert saved["nodes"][3] == {"id": "n", "op": "neg", "x": 0.0, "y": 0.0}
    assert saved["nodes"][4]["value"] == 0.0
    assert saved["output"] == "sq" and saved["title"] == "not in topological order"
    assert saved["edges"] == d["edges"]
    assert ComputationGraph.from_dict(saved).to_dict() == saved


def test_to_dict_is_a_copy_that_cannot_change_the_graph():
    g = ComputationGraph.from_dict(example_doc("doughnut"))
    d = g.to_dict()
    d["nodes"][0]["value"] = 999
    d["nodes"].pop()
    assert g.forward()["doughnut"] == 100
    assert len(g.to_dict()["nodes"]) == 5


def test_list_examples_names_every_example_with_its_title():
    assert [e["name"] for e in list_examples()] == list(NAMES)
    assert all(e["title"] for e in list_examples())
    with pytest.raises(KeyError, match="no example 'nope'"):
        example_doc("nope")


# -- every problem, with its location ---------------------------------------------------
def test_loading_reports_every_problem_with_its_json_location():
    d = doc([
        {"id": "a", "op": "input", "value": "3"},               # 0: not a number
        {"id": "m", "op": "mull"},                              # 1: unknown op
        {"id": "a", "op": "input"},                             # 2: duplicate id
        {"id": "s", "op": "add", "value": 3},                   # 3: op nodes hold no value
        {"id": "p", "op": "pow", "params": {"exponet": 3}},     # 4: unknown parameter
        {"id": "v", "op": "input", "value": 1, "valu": 2},      # 5: unknown field
        {"op": "input"},                                        # 6: no id
        {"id": "w", "op": "input", "x": "left"},                # 7: position not a number
    ], [
        {"source": "zz", "target": "s", "port": 0},             # 0: no such source
        {"source": "a", "target": "s", "port": 2},              # 1: port out of range
        {"source": "a", "target": "s", "port": 1},
        {"source": "a", "target": "s", "port": 1},              # 3: port already wired
        {"source": "a", "target": "s", "port": -1},             # 4: negative port
        {"source": "a", "target": "nowhere", "port": 0},        # 5: no such target
        {"source": "a", "target": "s"},                         # 6: no port
    ], output="ghost")
    assert problems_of(d) == [
        'nodes[0].value: must be a number, got "3"',
        f"nodes[1].op: unknown op 'mull' (did you mean 'mul'?); known ops: {KNOWN}",
        "nodes[2].id: duplicate id 'a' (first used at nodes[0])",
        "nodes[3].value: only input nodes hold a value; 'add' computes its own",
        "nodes[4].params.exponet: unknown parameter for 'pow' (allowed: exponent)",
        "nodes[5].valu: unknown field",
        "nodes[6].id: Field required",
        'nodes[7].x: must be a number, got "left"',
        "edges[0].source: no node with id 'zz'",
        "edges[1].port: port 2 is out of range for 's' (add); its ports are 0 (x), 1 (y)",
        "edges[3].port: port 1 of 's' is already wired (by edges[2])",
        "edges[4].port: Input should be greater than or equal to 0",
        "edges[5].target: no node with id 'nowhere'",
        "edges[6].port: Field required",
        "output: no node with id 'ghost'",
    ]


def test_the_message_of_an_invalid_document_counts_and_lists_its_problems():
    with pytest.raises(GraphError) as err:
        ComputationGraph.from_dict(doc([{"id": "a", "op": "mull"}, {"id": "b", "op": "input", "value": math.nan}]))
    text = str(err.value)
    assert text.startswith("invalid document (2 problems):\n")
    assert "nodes[0].op: unknown op 'mull'" in text
    assert "nodes[1].value: must be a finite number, not NaN or infinity" in text


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_non_finite_value_is_refused_at_its_location(bad):
    assert problems_of(doc([{"id": "a", "op": "input", "value": bad}])) == \
        ["nodes[0].value: must be a finite number, not NaN or infinity"]


def test_a_number_too_large_for_a_float_is_refused_not_crashed_on():
    text = '{"format": "gradcanvas", "version": 1, "nodes": [{"id": "a", "op": "input", "value": 1%s}]}' % ("0" * 400)
    with pytest.raises(GraphError, match=r"nodes\[0\]\.value"):
        ComputationGraph.from_json(text)
    with pytest.raises(GraphError, match=r"nodes\[0\]\.value"):
        ComputationGraph.from_json(text.replace("1" + "0" * 400, "1e400"))


def test_problems_at_the_top_level_and_in_the_lists_are_reported_together():
    d = {"format": "gradcanvas", "version": 1, "title": 5, "colour": "red", "output": "ghost",
         "nodes": [{"id": "a", "op": "mull"}]}  # and no edges at all
    assert problems_of(d) == [
        'title: Input should be a valid string',
        "colour: unknown field",
        f"nodes[0].op: unknown op 'mull' (did you mean 'mul'?); known ops: {KNOWN}",
        "output: no node with id 'ghost'",
    ]


def test_an_edge_from_a_broken_node_still_has_its_port_checked():
    d = doc([{"id": "a", "op": "input", "colour": "red"}, {"id": "s", "op": "add"}],
            [{"source": "a", "target": "s", "port": 5}])
    assert problems_of(d) == ["nodes[0].colour: unknown field",
                              "edges[0].port: port 5 is out of range for 's' (add); its ports are 0 (x), 1 (y)"]


def test_edges_into_an_input_node_are_refused():
    d = doc([{"id": "a", "op": "input"}, {"id": "b", "op": "input"}], [{"source": "a", "target": "b", "port": 0}])
    assert problems_of(d) == ["edges[0].port: 'b' is an input node and has no input ports"]


@pytest.mark.parametrize("d, expected", [
    ({"format": "graphviz", "version": 1, "nodes": []}, ["format: Input should be 'gradcanvas'"]),
    ({"format": "gradcanvas", "version": 3, "nodes": []}, ["version: Input should be 1 or 2"]),  # 2: with tensor values
    ({"format": "gradcanvas", "version": 1}, ["nodes: Field required"]),
    ({"format": "gradcanvas", "version": 1, "nodes": {}}, ["nodes: Input should be a valid list"]),
    ({"format": "gradcanvas", "version": 1, "nodes": [], "edges": None}, ["edges: Input should be a valid list"]),
    ({"format": "gradcanvas", "version": 1, "nodes": [7]}, [
        "nodes[0]: Input should be a valid dictionary or instance of NodeModel"]),
])
def test_a_document_of_the_wrong_shape_says_where(d, expected):
    assert problems_of(d) == expected


def test_a_document_that_is_not_an_object_is_refused():
    for bad in ([], "text", None, 3):
        with pytest.raises(GraphError, match="must be a JSON object"):
            ComputationGraph.from_dict(bad)


def test_a_valid_document_without_edges_title_or_output_loads():
    g = ComputationGraph.from_dict({"format": "gradcanvas", "version": 1,
                                    "nodes": [{"id": "a", "op": "input", "value": 4}]})
    assert g.forward() == {"a": 4.0}
    assert g.to_dict()["edges"] == [] and g.to_dict()["title"] == "" and g.to_dict()["output"] is None


# -- malformed JSON ------------------------------------------------------------------
def test_malformed_json_is_refused_with_where_it_broke():
    with pytest.raises(GraphError, match=r"malformed JSON: .*line 1 column 2"):
        ComputationGraph.from_json('{bad json')
    with pytest.raises(GraphError, match="malformed JSON"):
        ComputationGraph.from_json('')
    with pytest.raises(GraphError, match="malformed JSON"):
        ComputationGraph.from_json(b'{"format": "gradcanvas", "title": "\xff\xfe"}')


def test_json_that_is_not_an_object_is_refused():
    with pytest.raises(GraphError, match="must be a JSON object"):
        loads("[1, 2, 3]")


def test_json_with_nan_is_read_but_the_value_refused():
    # Python's json module reads NaN; the document check refuses it with its location.
    text = '{"format": "gradcanvas", "version": 1, "nodes": [{"id": "a", "op": "input", "value": NaN}]}'
    with pytest.raises(GraphError, match=r"nodes\[0\]\.value: must be a finite number"):
        ComputationGraph.from_json(text)


# -- limits ---------------------------------------------------------------------------
def big_doc(n):
    return doc([{"id": f"n{k}", "op": "input", "value": k} for k in range(n)])


def test_the_engine_has_no_limits_by_default():
    # Issue 15: the caps are the server's policy (MAX_NODES, MAX_DOCUMENT_BYTES), not the library's.
    assert Limits() == Limits(max_nodes=None, max_bytes=None)
    assert not Limits().too_many_nodes(10**9) and not Limits().too_many_bytes(10**12)


def test_a_document_over_the_byte_limit_is_refused_naming_the_limit():
    text = json.dumps(big_doc(50))
    size = len(text.encode())
    with pytest.raises(GraphError) as err:
        ComputationGraph.from_json(text, Limits(max_bytes=size - 1))
    assert str(err.value) == f"document is {size:,} bytes; the limit is {size - 1:,} bytes"
    assert len(ComputationGraph.from_json(text, Limits(max_bytes=size))) == 50


def test_the_byte_limit_counts_utf8_bytes_not_characters():
    text = json.dumps(doc([{"id": "a", "op": "input", "label": "∂" * 100}]), ensure_ascii=False)
    assert len(text) < 300 < len(text.encode())
    with pytest.raises(GraphError, match="bytes"):
        loads(text, Limits(max_bytes=300))


def test_a_document_over_the_node_limit_is_refused_naming_the_limit():
    with pytest.raises(GraphError) as err:
        ComputationGraph.from_dict(big_doc(6), Limits(max_nodes=5))
    assert str(err.value) == "document has 6 nodes; the limit is 5"
    assert len(ComputationGraph.from_dict(big_doc(5), Limits(max_nodes=5))) == 5


def test_a_node_limit_of_5000_refuses_5001_nodes_with_thousands_separators():
    with pytest.raises(GraphError, match="5,001 nodes; the limit is 5,000"):
        ComputationGraph.from_dict(big_doc(5001), Limits(max_nodes=5000))


def test_a_raised_limit_admits_a_larger_document():
    g = ComputationGraph.from_dict(big_doc(6000), Limits(max_nodes=10_000))
    assert len(g) == 6000


# -- hostile text -----------------------------------------------------------------------
HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "\"; drop table graphs; --",
    "two\nlines [31mansi \u202eRTL \u200bzero-width",
    "{dout} × {y} {0} %s %(x)s",
    "😀 ∂L/∂x",
    "x" * 500,
]


@pytest.mark.parametrize("label", HOSTILE, ids=range(len(HOSTILE)))
def test_a_hostile_label_is_stored_as_data_and_round_trips_unchanged(label):
    d = doc([{"id": "a", "op": "input", "value": 1, "label": label}, {"id": "n", "op": "neg", "label": label}],
            [{"source": "a", "target": "n", "port": 0}])
    g = ComputationGraph.from_json(json.dumps(d))
    assert g.node("a")["label"] == label
    saved = g.to_dict()
    assert saved["nodes"][0]["label"] == label
    assert json.loads(json.dumps(saved))["nodes"][1]["label"] == label
    assert ComputationGraph.from_json(json.dumps(saved, ensure_ascii=False)).to_dict() == saved
    forward = {e["node"]: e["text"] for e in g.forward_steps()}
    assert forward["n"].startswith(label + " = −(" + label + ")")  # used as text, never as a template


def test_a_hostile_id_is_stored_as_data():
    nid = "<script>alert('id')</script>"
    g = ComputationGraph.from_dict(doc([{"id": nid, "op": "input", "value": 2},
                                        {"id": "sq", "op": "mul"}],
                                       [{"source": nid, "target": "sq", "port": 0},
                                        {"source": nid, "target": "sq", "port": 1}]))
    assert g.backward()[nid] == 4
    assert g.to_dict()["edges"][0]["source"] == nid


def test_a_label_over_500_characters_is_refused_at_its_location():
    problems = problems_of(doc([{"id": "a", "op": "input", "label": "x" * 501}]))
    assert problems == ["nodes[0].label: String should have at most 500 characters"]
    g = ComputationGraph.from_dict(example_doc("doughnut"))
    before = g.to_dict()
    with pytest.raises(GraphError, match="at most 500 characters"):
        g.set_label("tax", "x" * 501)
    assert g.to_dict() == before


def test_an_id_over_200_characters_or_empty_is_refused():
    assert problems_of(doc([{"id": "i" * 201, "op": "input"}, {"id": "", "op": "input"}])) == [
        "nodes[0].id: String should have at most 200 characters",
        "nodes[1].id: String should have at least 1 character"]


def test_a_non_text_label_is_refused():
    assert problems_of(doc([{"id": "a", "op": "input", "label": ["<b>"]}])) == [
        "nodes[0].label: Input should be a valid string"]


def test_set_label_stores_hostile_text_as_data():
    g = ComputationGraph.from_dict(example_doc("doughnut"))
    for label in HOSTILE:
        g.set_label("tax", label)
        assert g.to_dict()["nodes"][3]["label"] == label


# Characters no label, title or id may hold: a lone surrogate (no UTF-8 file can store it; it
# once bricked a graph after its next snapshot), non-characters (XML forbids U+FFFF), controls.
UNWRITABLE = {"x\ud800y": "U+D800", "\udc00": "U+DC00", "a\uffffb": "U+FFFF", "\ufdd0": "U+FDD0",
              "\U0010ffff": "U+10FFFF", "nul\x00": "U+0000", "tab\t": "U+0009", "cr\r": "U+000D",
              "esc\x1b[31m": "U+001B", "c1\x85": "U+0085"}


@pytest.mark.parametrize("text", UNWRITABLE, ids=UNWRITABLE.values())
def test_labels_and_titles_refuse_unwritable_characters_on_every_path(text):
    where = UNWRITABLE[text]
    g = ComputationGraph.from_dict(example_doc("doughnut"))
    before = g.to_dict()
    for edit in ({"type": "set_label", "id": "tax", "label": text}, {"type": "set_title", "title": text}):
        with pytest.raises(GraphError, match=re.escape(where)):
            g.apply_batch([edit])
    assert g.to_dict() == before
    bad_label = example_doc("doughnut")
    bad_label["nodes"][0]["label"] = text
    bad_title = {**example_doc("doughnut"), "title": text}
    bad_id = example_doc("doughnut")
    bad_id["nodes"][0]["id"] = "id" + text
    for d in (bad_label, bad_title, bad_id):
        with pytest.raises(GraphError):
            ComputationGraph.from_dict(d)


def test_a_newline_is_allowed_in_labels_but_not_in_ids():
    g = ComputationGraph.from_dict(example_doc("doughnut"))
    g.set_label("tax", "sales\ntax")
    assert g.node("tax")["label"] == "sales\ntax"
    d = example_doc("doughnut")
    d["nodes"][0]["id"] = "two\nlines"
    with pytest.raises(GraphError, match="U\\+000A"):
        ComputationGraph.from_dict(d)


# -- JSON-safe numbers -------------------------------------------------------------------
def test_jsonable_turns_non_finite_numbers_into_strings_number_reads_back():
    assert jsonable(1.5) == 1.5 and jsonable(None) is None and jsonable(0) == 0
    assert jsonable(math.nan) == "NaN"
    assert jsonable(math.inf) == "Infinity" and jsonable(-math.inf) == "-Infinity"


def test_document_format_constants():
    assert (document.FORMAT, document.VERSION) == ("gradcanvas", 1)
