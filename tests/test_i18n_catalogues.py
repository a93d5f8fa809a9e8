"""The UI's language catalogues (static/js/lang/*.js) hold the same keys with the same {placeholders}:
a key missing from one language, or a {name} it forgets or invents, is caught here, not by a reader.

English has no entry for the names the server itself sends in English (op titles and notes, format
titles, parameter names: op.*, note.*, files.format.*, param.*); the other languages translate them
all, so they are compared with each other and with what the server names."""
import re
from pathlib import Path

import pytest

from server.engine.registry import OPS
from server.export import FORMATS

LANG = Path(__file__).resolve().parent.parent / "static" / "js" / "lang"
LANGUAGES = ("en", "ko", "ja")
SERVER_NAMED = ("op.", "note.", "files.format.", "param.")
ENTRY = re.compile(r"""^\s*'((?:[^'\\]|\\.)+)':\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`(?:[^`\\]|\\.)*`),?\s*$""", re.M)
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def catalogue(lang: str) -> dict[str, str]:
    text = (LANG / f"{lang}.js").read_text("utf-8")
    entries = ENTRY.findall(text)
    keys = [k for k, _ in entries]
    assert len(keys) == len(set(keys)), f"{lang}.js defines a key twice"
    # every line that looks like an entry was read: none is skipped by the pattern
    assert len(entries) == len(re.findall(r"^\s*'[^']+':", text, re.M)), f"{lang}.js has an entry the test cannot read"
    return {k: v[1:-1] for k, v in entries}


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


@pytest.fixture(scope="module")
def catalogues():
    return {lang: catalogue(lang) for lang in LANGUAGES}


@pytest.mark.parametrize("lang", ["ko", "ja"])
def test_every_language_has_exactly_the_english_keys(catalogues, lang):
    own = {k for k in catalogues[lang] if not k.startswith(SERVER_NAMED)}
    english = set(catalogues["en"])
    assert sorted(english - own) == [], f"missing in {lang}.js"
    assert sorted(own - english) == [], f"in {lang}.js but not in en.js"


def test_english_leaves_the_names_the_server_sends_to_the_server(catalogues):
    assert [k for k in catalogues["en"] if k.startswith(SERVER_NAMED)] == []


def test_korean_and_japanese_translate_the_same_server_names_and_every_op(catalogues):
    named = {lang: {k for k in catalogues[lang] if k.startswith(SERVER_NAMED)} for lang in ("ko", "ja")}
    assert named["ko"] == named["ja"]
    assert {k[3:] for k in named["ja"] if k.startswith("op.")} == set(OPS)
    assert {k[len("files.format."):] for k in named["ja"] if k.startswith("files.format.")} == set(FORMATS)


@pytest.mark.parametrize("lang", ["ko", "ja"])
def test_every_translation_has_the_english_placeholders(catalogues, lang):
    wrong = {k: (sorted(placeholders(v)), sorted(placeholders(catalogues[lang][k])))
             for k, v in catalogues["en"].items() if placeholders(v) != placeholders(catalogues[lang].get(k, v))}
    assert wrong == {}, f"{{placeholders}} differ in {lang}.js (english, {lang})"


def test_korean_and_japanese_server_names_have_the_same_placeholders(catalogues):
    ko, ja = catalogues["ko"], catalogues["ja"]
    assert {k: placeholders(v) for k, v in ko.items() if k.startswith(SERVER_NAMED)} == \
           {k: placeholders(ja[k]) for k in ko if k.startswith(SERVER_NAMED)}


def test_japanese_uses_the_words_of_the_books_japanese_edition(catalogues):
    ja = catalogues["ja"]
    assert "順伝播" in ja["toolbar.step_forward"] and "逆伝播" in ja["toolbar.step_backward"]
    assert "勾配" in ja["files.grads"] and "計算グラフ" in ja["canvas.label"]
    assert (ja["op.mul"], ja["op.add"]) == ("乗算", "加算")


def test_examples_are_listed_and_copied_with_japanese_titles(client):
    from server.teaching.examples import NAMES, TITLES_JA
    listed = {e["name"]: e for e in client.get("/api/examples").json}
    assert {n: listed[n]["title_ja"] for n in NAMES} == {n: TITLES_JA[n] for n in NAMES}
    assert listed["seed-mul-node"]["title_ja"] == "乗算ノードの順伝播（黒）と逆伝播（灰色）"
    made = client.post("/api/examples/doughnut?lang=ja").json
    assert client.get(f"/api/graphs/{made['id']}").json["title"] == "ドーナツの買い物の逆伝播"
