"""LaTeX for the explanation panel: the book's rules, typeset-ready and injection-safe."""
from server.teaching.examples import example_doc
from server.engine.graph import ComputationGraph
from server.engine.latex import rule_latex, to_latex
from server.engine.visible import wire_event
from server.service import Sessions

from conftest import sent


def test_mul_rule_as_latex():
    assert rule_latex("x", "dout · y", "1.1 × 2", "2.2") == \
        r"\frac{\partial L}{\partial x} = \mathrm{dout} \cdot y = 1.1 \times 2 = 2.2"


def test_powers_greek_and_exponents():
    assert to_latex("dout · p · x^(p−1)") == r"\mathrm{dout} \cdot p \cdot x^{(p-1)}"
    assert to_latex("σ(z)") == r"\sigma(z)"
    assert to_latex("dout · (1 − out²)") == r"\mathrm{dout} \cdot (1 - \mathrm{out}^{2})"
    assert to_latex("1.5e−7") == r"1.5 \times 10^{-7}"


def test_labels_cannot_inject_commands():
    assert to_latex(r"\input{x}") == r"\backslash \mathrm{input}\{x\}"
    assert to_latex("a_b$#%&") == r"\mathrm{a\_b}\$\#\%\&"
    assert to_latex("가격") == r"\text{가격}"


def test_step_events_carry_latex():
    session = Sessions().create(example_doc("doughnut"))
    events = sent(session.step("backward", 2), "step")
    assert events[3]["latex"] == r"\mathrm{m1} = \mathrm{doughnut} \times \mathrm{count} = 100 \times 2 = 200"
    m1 = events[-1]
    assert m1["node"] == "m1"
    assert m1["rules"][0]["latex"].endswith(r"= 1.1 \times 2 = 2.2")


def test_a_command_never_runs_into_the_letter_after_it():
    # 'x·x' once became x\cdotx, which KaTeX reads as an unknown command \cdotx
    assert to_latex("x·x") == r"x\cdot x"
    assert to_latex("2×x") == r"2\times x"


def test_backward_steps_carry_the_first_lines_maths_as_latex():
    session = Sessions().create(example_doc("x_times_x"))
    events = sent(session.step("backward", "all"), "step")
    heads = {e["node"]: e["head"] for e in events if e["phase"] == "backward"}
    assert heads["x"]["kind"] == "sum" and heads["x"]["text"] == "dout = 3 + 3 + 1 = 7"
    assert heads["x"]["latex"] == r"\mathrm{dout} = 3 + 3 + 1 = 7"
    assert heads["out"]["latex"] == r"\frac{\partial L}{\partial (x\cdot x + x)} = 1"
    assert heads["sq"] == {**heads["sq"], "kind": "arriving", "latex": r"\mathrm{dout} = 1"}
    assert events[-1]["text"].startswith(heads["x"]["text"] + " (the sum of the 3 gradients")


def test_a_label_of_several_words_keeps_its_spaces():
    """KaTeX drops plain spaces in math mode: "apple count" must not be set as "applecount"."""
    assert to_latex("apple count") == r"\mathrm{apple}\ \mathrm{count}"
    assert to_latex("사과 개수 × 2") == r"\text{사과}\ \text{개수} \times 2"
    assert to_latex("x 2 = 3") == r"x\ 2 = 3"
    assert to_latex("dout · y = 1.1 × 2") == r"\mathrm{dout} \cdot y = 1.1 \times 2"  # operators keep plain spaces
    g = ComputationGraph.from_dict({"format": "gradcanvas", "version": 1, "nodes": [
        {"id": "a", "op": "input", "value": 100, "label": "apple"},
        {"id": "n", "op": "input", "value": 2, "label": "apple count"},
        {"id": "m", "op": "mul", "label": "apple price"}],
        "edges": [{"source": "a", "target": "m", "port": 0}, {"source": "n", "target": "m", "port": 1}]})
    fwd = [wire_event(e) for e in g.forward_steps()]
    assert fwd[2]["latex"] == (r"\mathrm{apple}\ \mathrm{price} = \mathrm{apple} \times \mathrm{apple}\ \mathrm{count}"
                               r" = 100 \times 2 = 200")
    head = [wire_event(e) for e in g.backward_steps()][1]["head"]  # the input "apple count"
    assert head["latex"] == r"\frac{\partial L}{\partial (\mathrm{apple}\ \mathrm{count})} = 100"
