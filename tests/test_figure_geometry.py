"""The book's graphs, laid out by the formula box or Tidy, are drawn with no crossing edge, no
edge through a node, and no value or gradient on a node or on another label (issue 13).

The measure is tests/figure_geometry.py, on the geometry the SVG export and the canvas
share (server/export/scene.py). benchmarks/layout_quality.py reports it over random graphs.
"""
from __future__ import annotations

import pytest

from server.export.figure import ExportOptions
from server.teaching.examples import example_doc
from server.teaching.formula import parse_formula
from server.teaching.layout import layout

from figure_geometry import Report, measure

BOOK = {
    "apple": "apple = 100\napple_num = 2\ntax = 1.1\nprice = apple * apple_num * tax",
    "apple and orange, tax named": "apple = 100\napple_num = 2\norange = 150\norange_num = 3\ntax = 1.1\n"
                                   "price = (apple * apple_num + orange * orange_num) * tax",
    "apple and orange": "apple = 100\napple_num = 2\norange = 150\norange_num = 3\n"
                        "price = (apple * apple_num + orange * orange_num) * 1.1",
    "tax first": "tax = 1.1\napple = 100\napple_num = 2\nprice = tax * (apple * apple_num)",
}


STYLES = {"book": ExportOptions(state="all"), "editor": ExportOptions(state="all", style="editor"),
          "worksheet": ExportOptions(state="all", blank="both")}


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("name", BOOK)
def test_the_books_formulas_lay_out_with_nothing_crossing_or_covered(name, style):
    report = measure(parse_formula(BOOK[name]), STYLES[style])
    assert report == Report(), report


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("name", ["doughnut", "doughnut_cupcake", "x_times_x", "sigmoid_neuron",
                                  "tanh_neuron", "one_neuron_fit"])
def test_tidy_lays_the_examples_out_with_nothing_crossing_or_covered(name, style):
    report = measure(layout(example_doc(name)), STYLES[style])
    assert report == Report(), report


@pytest.mark.parametrize("name", ["seed-add-node", "seed-local-derivative", "seed-mul-node", "doughnut"])
@pytest.mark.parametrize("labels", ["numbers", "symbols", "both"])
def test_the_seed_figures_as_shipped_have_nothing_crossing_or_covered(name, labels):
    report = measure(example_doc(name), ExportOptions(state="all", labels=labels))
    assert report == Report(), report


def test_a_fan_out_edge_that_skips_a_column_runs_beside_its_nodes_not_through_them():
    report = measure(parse_formula("a = 2\nb = 3\nc = a * b + a"))
    assert report.through_nodes == [] and report.labels_on_nodes == [] and report.labels_on_labels == []


def test_the_measure_finds_what_it_looks_for():
    # tax above the product it is multiplied with: its edge to the lower port crosses the other
    doc = parse_formula(BOOK["apple"])
    at = {n["id"]: n for n in doc["nodes"]}
    at["tax"]["y"], at["mul1"]["y"] = at["mul1"]["y"], at["tax"]["y"]
    crossed = measure(doc)
    assert crossed.crossings and crossed.labels_on_labels
    at["apple"]["x"], at["apple"]["y"] = at["price"]["x"] - 200, at["price"]["y"]  # a node on the way
    assert measure(doc).through_nodes or measure(doc).labels_on_nodes
