"""Lecture mode in real browsers (docs/lecture.md): followers' step cursor, camera and highlighted
node follow the one in control, the server refuses a follower's steps until control is handed
over, and a prediction round with three participants shows the presenter a histogram and marks
each participant's answer."""
import pytest

from conftest import post_json
from pages import DOUGHNUT

pytestmark = pytest.mark.browser


def camera(s):
    c = s["camera"]
    return round(c["scale"], 3), round(c["offset"]["x"], 1), round(c["offset"]["y"], 1)


def same_camera(a) -> str:
    """A snapshot condition: this page's camera is ``a``'s (the same canvas size, so the same numbers)."""
    scale, ox, oy = camera(a)
    return (f"Math.abs(s.camera.scale - {scale}) < 0.002 && Math.abs(s.camera.offset.x - {ox}) < 0.5"
            f" && Math.abs(s.camera.offset.y - {oy}) < 0.5")


def empty_point(ed) -> tuple[float, float]:
    """A point of the canvas well away from every node (and the Undo bar): a drag there pans."""
    box = ed.testid("graph-canvas").bounding_box()
    nodes = [n["screen"] for n in ed.snapshot()["nodes"]]
    for fy in (0.5, 0.3, 0.7, 0.15, 0.85):
        for fx in (0.5, 0.35, 0.65, 0.2, 0.8):
            x, y = box["x"] + box["width"] * fx, box["y"] + box["height"] * fy
            if all(x < n["x"] - 60 or x > n["x"] + n["w"] + 60 or y < n["y"] - 60 or y > n["y"] + n["h"] + 60
                   for n in nodes):
                return x, y
    raise AssertionError("no empty place on the canvas")


def pan(ed, dx, dy):
    x, y = empty_point(ed)
    ed.page.mouse.move(x, y)
    ed.page.mouse.down()
    ed.page.mouse.move(x + dx, y + dy, steps=6)
    ed.page.mouse.up()


def click_node(ed, node_id):
    n = ed.node(node_id)
    ed.page.mouse.click(n["screen"]["cx"], n["screen"]["cy"])


def test_a_follower_follows_the_presenter_and_may_step_only_once_given_control(editors, live_server):
    made = post_json(live_server + "/api/graphs", DOUGHNUT)
    ann = editors().open(made["id"])
    bob = editors().open(made["id"])  # an editor too: only the lecture stops him stepping
    ann.click("lecture-start")
    ann.wait("s.lecture.active && s.lecture.presenting && s.lecture.controlling")
    bob.wait("s.lecture.active && s.lecture.following && s.lecture.presenter !== null")

    # the presenter zooms and pans, and highlights a node: the follower shows the same
    pan(ann, -40, -30)
    box = ann.testid("graph-canvas").bounding_box()
    ann.page.mouse.move(box["x"] + 300, box["y"] + 200)
    ann.page.mouse.wheel(0, -300)
    click_node(ann, "m1")
    a = ann.wait("s.selection.nodes.length === 1 && s.selection.nodes[0] === 'm1'")
    b = bob.wait(f"s.selection.nodes[0] === 'm1' && {same_camera(a)}")
    assert b["lecture"]["following"]

    # the step cursor is the room's: the presenter's step shows at the follower
    ann.step("forward")
    bob.settled("s.phase === 'forward' && s.step === 1")

    # the follower's own step is refused by the server, in words, and changes nothing
    bob.click("step-forward")
    bob.testid("error-message").wait_for()
    assert "only" in bob.text("error-message") and "has control" in bob.text("error-message")
    ack = bob.page.evaluate("window.gradcanvas.emit('step', {direction: 'forward', count: 1})")
    assert ack["ok"] is False and ack["reason"] == "not_presenter"
    assert ann.snapshot()["step"] == 1

    # exploring: the follower pans on their own, and comes back with one click
    pan(bob, -100, -80)
    bob.wait("s.lecture.exploring")
    assert camera(bob.snapshot()) != camera(a)
    bob.click("lecture-follow")
    bob.wait(f"s.lecture.following && {same_camera(a)}")

    # the presenter hands control to the follower by name, who may now step; then takes it back
    ann.page.locator('[data-testid="lecture-hand-to"]').select_option(label=bob.snapshot()["me"]["name"])
    ann.click("lecture-hand")
    bob.wait("s.lecture.controlling")
    ann.wait(f"s.lecture.controller === {bob.snapshot()['me']['name']!r} && s.lecture.following")
    bob.step("forward")
    ann.settled("s.phase === 'forward' && s.step === 2")
    ack = ann.page.evaluate("window.gradcanvas.emit('step', {direction: 'forward', count: 1})")
    assert ack["reason"] == "not_presenter"  # the presenter too, while someone else has control
    ann.click("lecture-take-back")
    ann.wait("s.lecture.controlling")
    ann.step("forward")
    bob.settled("s.phase === 'forward' && s.step === 3")
    assert ann.errors == [] and [e for e in bob.errors if "403" not in e] == []


def test_a_prediction_round_with_three_participants_shows_the_histogram_and_marks_each_answer(editors, live_server):
    made = post_json(live_server + "/api/graphs", DOUGHNUT)
    ann = editors().open(made["id"])
    students = [editors().visit(made["view_url"]) for _ in range(3)]
    ann.click("lecture-start")
    for st in students:
        st.wait("s.lecture.active && s.lecture.following")
    click_node(ann, "tax")
    ann.wait("s.selection.nodes[0] === 'tax'")
    ann.click("lecture-ask-grad")
    for st, answer in zip(students, ["200", "220", "2e2"]):
        st.testid("lecture-question").wait_for()
        assert "tax" in st.text("lecture-question")
        st.testid("lecture-answer-input").fill(answer)
        st.click("lecture-answer-submit")
        st.testid("lecture-answer-sent").wait_for()
    ann.wait("s.lecture.tally && s.lecture.tally.reduce((n, c) => n + c[1], 0) === 3")
    bars = ann.page.locator('[data-testid="lecture-histogram"] g.bar')
    assert [(bars.nth(i).get_attribute("data-answer"), bars.nth(i).get_attribute("data-count"))
            for i in range(bars.count())] == [("200", "2"), ("220", "1")]
    assert ann.text("lecture-answer-count").endswith("3")
    # the card folds to its first lines (so it covers no node) and unfolds, histogram and all
    ann.click("lecture-card-fold")
    ann.testid("lecture-histogram").wait_for(state="detached")
    assert ann.testid("lecture-reveal").is_visible()
    ann.click("lecture-card-fold")
    assert ann.page.locator('[data-testid="lecture-histogram"] g.bar').count() == 2

    ann.click("lecture-reveal")
    ann.testid("lecture-totals").wait_for()
    assert "2 right, 1 wrong of 3" in ann.text("lecture-totals")
    assert ann.page.locator('[data-testid="lecture-histogram"] g.bar.right').get_attribute("data-answer") == "200"
    marks = []
    for st in students:
        st.testid("lecture-mine").wait_for()
        marks.append(st.testid("lecture-mine").get_attribute("data-correct"))
        st.settled("s.phase === 'backward' && s.step === 3")  # stepped to tax's gradient
    assert marks == ["true", "false", "true"]
    assert "220" in students[1].text("lecture-mine")
    for ed in (ann, *students):
        assert ed.errors == []


def test_an_editor_takes_over_a_lecture_and_the_former_presenter_follows(editors, live_server):
    """The way out when a presenter's server process died (docs/lecture.md, "When a presenter is gone")."""
    made = post_json(live_server + "/api/graphs", DOUGHNUT)
    ann = editors().open(made["id"])
    bob = editors().open(made["id"])
    ann.click("lecture-start")
    ann.wait("s.lecture.presenting")
    bob.wait("s.lecture.active && !s.lecture.presenting")
    bob.click("lecture-take-over")
    bob.wait("s.lecture.presenting && s.lecture.controlling")
    ann.wait("s.lecture.active && !s.lecture.presenting && s.lecture.following")
    assert ann.testid("lecture-take-over").is_visible()
    bob.step("forward")
    ann.settled("s.phase === 'forward' && s.step === 1")
