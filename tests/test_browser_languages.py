"""The UI in Korean and Japanese, in headless Chromium against a real server (issue 14): a
ja-JP browser starts in Japanese and ?lang=ja forces it; a server refusal is shown in the UI's
language, from its reason and params (static/js/refusal.js), not in the server's English; the
library and the message page speak Japanese too. Takes a screenshot on the way (docs/japanese.png on request)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from pages import DOUGHNUT, new_graph, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# docs/japanese.png is refreshed only on request (GRADCANVAS_SCREENSHOTS=docs), as in
# test_browser_devices: a test run leaves the tree as it found it
SHOT = (Path(__file__).resolve().parent.parent / "docs" if os.environ.get("GRADCANVAS_SCREENSHOTS") == "docs"
        else Path("/tmp")) / "japanese.png"

# The doughnut with an add node no one wired, marked as the output: it cannot be stepped backward.
UNWIRED = {**DOUGHNUT, "nodes": DOUGHNUT["nodes"] + [{"id": "a1", "op": "add", "x": 500, "y": 360}], "output": "a1"}
# The doughnut with a second sink: which one is the output is ambiguous.
TWO_SINKS = {**DOUGHNUT, "output": None,
             "nodes": DOUGHNUT["nodes"] + [{"id": "n1", "op": "neg", "x": 500, "y": 360}],
             "edges": DOUGHNUT["edges"] + [{"source": "tax", "target": "n1", "port": 0}]}


def shown_refusal(editor) -> str:
    editor.testid("error-message").wait_for(state="visible")
    return editor.page.locator('[data-testid="error-message"] .error-text').inner_text()


def test_a_japanese_browser_starts_in_japanese_and_is_told_a_refusal_in_japanese(editors):
    editor = editors(locale="ja-JP").open(UNWIRED)
    page = editor.page
    assert page.evaluate("document.documentElement.lang") == "ja"
    assert editor.text("step-forward") == "順伝播を1ステップ"
    assert editor.text("step-backward") == "逆伝播を1ステップ"
    # the explanation panel says why there is no output, from the state's output_problem
    page.locator(".explain-body .node-error", has_text="出力 a1 はまだ計算できません").wait_for()
    editor.click("step-backward")
    text = shown_refusal(editor)
    assert text == "逆伝播を進められません: 計算できません: a1 に接続されていない入力ポートがあります"
    assert editor.snapshot()["phase"] == "idle"  # refused: nothing was stepped


def test_a_korean_ui_is_told_a_refusal_in_korean(editors):
    editor = editors(locale="ko-KR").open(TWO_SINKS)
    assert editor.text("step-backward") == "역전파 한 단계"
    editor.click("step-backward")
    assert shown_refusal(editor) == ("역전파 단계를 진행할 수 없습니다: 출력이 모호합니다: 나가는 간선이 없는 노드가 "
                                     "2개입니다 (m2, n1). 하나를 출력으로 지정하세요")


def test_lang_ja_forces_japanese_in_an_english_browser_and_steps_the_doughnut(editors):
    editor = editors(locale="en-US").open(DOUGHNUT)
    page = editor.page
    assert editor.text("step-forward") == "Forward step"
    page.goto(page.url.split("?")[0] + "?lang=ja")
    wait_ready(page)
    assert editor.text("step-forward") == "順伝播を1ステップ" and editor.text("run-backward") == "逆伝播を最後まで"
    editor.run("forward")
    s = editor.step("backward", 3)
    assert s["phase"] == "backward" and s["step"] == 3
    assert editor.text("step-counter") == f"逆伝播 3 / {s['total']}"
    page.screenshot(path=str(SHOT))


def test_the_library_and_the_message_page_speak_japanese(editors):
    editor = editors(locale="ja-JP")
    graph = new_graph(editor.base, DOUGHNUT)
    editor.open(graph)
    page = editor.page
    page.goto(editor.base + "/library")
    page.locator('[data-testid="library-list"] li').first.wait_for()
    assert page.locator("h1").inner_text() == "自分のグラフ"
    assert "ノード 5 個" in page.locator('[data-testid="library-list"]').inner_text()
    page.goto(editor.base + f"/g/{graph}?view=not-the-token")
    page.wait_for_function("() => document.documentElement.lang === 'ja'")
    assert page.locator('[data-testid="message-title"]').inner_text() == "無効なリンク"
    assert page.locator('[data-testid="message-text"]').inner_text() == \
        "このリンクはこのグラフに有効ではありません。新しいリンクをもらってください"
