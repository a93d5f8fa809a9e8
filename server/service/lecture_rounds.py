"""Lecture mode's predict-then-reveal rounds: what a question may ask, reading and marking answers.

Pure helpers for lecture.py's ``ask``, ``answer`` and ``reveal``: they read the graph's service
(where the step cursor is, what the page shows) but hold no lecture state and write no store.
"""
from __future__ import annotations

import math

from ..engine.display import fmt
from ..errors import Refused
from ..store.base import LectureRow

KINDS = ("value", "grad")
REL_TOL = 1e-6           # an answer within this relative distance of the truth is right


def counts(answers) -> list[dict]:
    """How many gave each distinct answer, by its display string, smallest first; no names."""
    tally: dict[str, list] = {}
    for a in answers:
        value = float(a.answer)
        tally.setdefault(fmt(value), [value, 0])[1] += 1
    return [{"answer": k, "value": v, "count": n} for k, (v, n) in sorted(tally.items(), key=lambda i: i[1][0])]


def is_right(answer: float, truth: float, truth_text: str) -> bool:
    """Right within a relative 1e-6, or equal to the truth as the page shows it (its display string)."""
    if math.isnan(truth):
        return math.isnan(answer)
    if math.isinf(truth) or math.isinf(answer):
        return answer == truth
    return math.isclose(answer, truth, rel_tol=REL_TOL, abs_tol=1e-12) or fmt(answer) == truth_text


def read_number(answer) -> float:
    """The number a participant answered: a JSON number, or a typed text such as "2.2" or "−3"."""
    if isinstance(answer, bool):
        raise Refused("the answer must be a number", reason="not_a_number", field="answer")
    if isinstance(answer, str) and len(answer) <= 60:
        try:
            answer = float(answer.strip().replace("\u2212", "-").replace(",", ""))
        except ValueError:
            pass
    if not isinstance(answer, (int, float)) or isinstance(answer, bool):
        raise Refused("the answer must be a number", reason="not_a_number", field="answer")
    try:
        value = float(answer)
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        raise Refused("the answer must be a finite number", reason="not_finite", field="answer", value=str(answer)[:30])
    return value


def truth_of(service, node: str, kind: str) -> tuple[float, str]:
    """The asked node's ``kind`` as the graph now has it, and as the page shows it (NaN if it
    could not be computed)."""
    state = service.state()
    section = "values" if kind == "value" else "grads"
    value = state[section].get(node)
    value = math.nan if value is None else float(value)  # None: the node could not be computed
    return value, state["display"][section].get(node) or fmt(value)


def open_round(row: LectureRow | None, round_no) -> LectureRow:
    if row is None:
        raise Refused("no lecture is running on this graph", reason="no_lecture")
    if row.round is None or round_no != row.round or isinstance(round_no, bool):
        raise Refused("that question is closed", reason="question_closed",
                      round=round_no if isinstance(round_no, int) and not isinstance(round_no, bool) else 0)
    return row


def steps_to(service, node, kind, refuse_shown: bool = True):
    """(direction, count): the steps that reveal ``node``'s ``kind`` from where the cursor is
    (count 0 if it is shown already; refused then, with ``refuse_shown``)."""
    if not isinstance(node, str) or node not in service.graph.g:
        raise Refused(f"no node with id {str(node)[:60]!r}", reason="no_node", node=str(node)[:60])
    fwd, bwd, at = service.pass_position()
    order, direction = (fwd, "forward") if kind == "value" else (bwd, "backward")
    if node not in order:
        raise Refused(f"'{node}' has no {kind} to predict in this graph", reason="invalid_question", kind=kind)
    target = order.index(node) + 1
    if kind == "value":
        shown = at["phase"] == "backward" or (at["phase"] == "forward" and at["step"] >= target)
        count = 0 if shown else target - (at["step"] if at["phase"] == "forward" else 0)
    else:
        shown = at["phase"] == "backward" and at["step"] >= target
        count = 0 if shown else target - (at["step"] if at["phase"] == "backward" else 0)
    if shown and refuse_shown:
        raise Refused(f"the {kind} of '{node}' is already shown", reason="already_shown", node=node, kind=kind)
    return direction, count
