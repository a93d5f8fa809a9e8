"""Example graphs shipped as package data: load one with ``example_doc(name)``.

Most are JSON documents (``NAME.json``); the book's shopping scripts are Python
(``buy_apple.py``, ``buy_apple_orange.py``), imported as a reader's script is
(teaching/pyimport.py: parsed, never run). ``example_source(name)`` is a Python
example's text.
"""
import json
from importlib import resources

NAMES = ("doughnut", "doughnut_cupcake", "sigmoid_neuron", "tanh_neuron", "x_times_x", "one_neuron_fit",
         "buy_apple", "buy_apple_orange", "affine_figure", "two_layer_net", "two_layer_net_moons",
         "seed-add-node", "seed-local-derivative", "seed-mul-node")
PYTHON = ("buy_apple", "buy_apple_orange")  # the examples written as Python layer scripts
BUILT = ("two_layer_net", "two_layer_net_moons")  # made by a builder (teaching/twolayer.py), with seeded numbers
# Examples made from data this process may not have (MNIST from --dataset): not in NAMES, and
# listed only where their data is (``list_examples(source)``).
WITH_DATA = {"two_layer_net_mnist": "mnist"}
FILES = {"seed-add-node": "seed_add_node", "seed-local-derivative": "seed_local_derivative",
         "seed-mul-node": "seed_mul_node"}  # a name whose file is named otherwise

# The Korean title beside each document's own English one, and how a figure is meant to be
# read: "symbols" for the post's symbolic figures (x, y in, z out, ∂L/∂z · y back), which the
# Examples menu opens with symbolic labels; "numbers" (the default) for the rest. The seed
# figures are those of "Backpropagation-2" (Deep Learning from Scratch, chapter 5).
TITLES_KO = {
    "doughnut": "도넛 쇼핑의 역전파",
    "doughnut_cupcake": "도넛과 컵케이크 쇼핑",
    "sigmoid_neuron": "시그모이드 뉴런",
    "tanh_neuron": "tanh 뉴런",
    "x_times_x": "x × x와 분기",
    "one_neuron_fit": "뉴런 하나의 학습",
    "buy_apple": "사과 쇼핑",
    "buy_apple_orange": "사과와 귤 쇼핑",
    "seed-add-node": "덧셈 노드의 순전파(검은색)와 역전파(회색)",
    "seed-local-derivative": "국소적 미분의 전파",
    "seed-mul-node": "곱셈 노드의 순전파(검은색)와 역전파(회색)",
    "affine_figure": "Affine 계층의 계산 그래프 (X · W + B)",
    "two_layer_net": "2층 신경망 (Affine → ReLU → Affine → Softmax-with-Loss)",
    "two_layer_net_moons": "2층 신경망: 두 개의 반달 (moons)",
    "two_layer_net_mnist": "2층 신경망: MNIST 손글씨 숫자 (784 → 50 → 10)",
}
# Japanese, in the words of the book's Japanese edition (順伝播, 逆伝播, 加算ノード, 乗算ノード).
TITLES_JA = {
    "doughnut": "ドーナツの買い物の逆伝播",
    "doughnut_cupcake": "ドーナツとカップケーキの買い物",
    "sigmoid_neuron": "シグモイドニューロン",
    "tanh_neuron": "tanh ニューロン",
    "x_times_x": "x × x と分岐",
    "one_neuron_fit": "1つのニューロンの学習",
    "buy_apple": "リンゴの買い物",
    "buy_apple_orange": "リンゴとみかんの買い物",
    "seed-add-node": "加算ノードの順伝播（黒）と逆伝播（灰色）",
    "seed-local-derivative": "局所的な微分の伝播",
    "seed-mul-node": "乗算ノードの順伝播（黒）と逆伝播（灰色）",
    "affine_figure": "Affine レイヤの計算グラフ（X · W + B）",
    "two_layer_net": "2層ニューラルネットワーク（Affine → ReLU → Affine → Softmax-with-Loss）",
    "two_layer_net_moons": "2層ニューラルネットワーク：2つの半月（moons）",
    "two_layer_net_mnist": "2層ニューラルネットワーク：MNIST 手書き数字（784 → 50 → 10）",
}
TITLES = {"ko": TITLES_KO, "ja": TITLES_JA}  # language → example name → title: a copy made in that language
LABELS = {"seed-add-node": "symbols", "seed-local-derivative": "symbols", "seed-mul-node": "symbols"}


def example_source(name: str) -> str:
    """The text of a Python example (``buy_apple.py``)."""
    if name not in PYTHON:
        raise KeyError(f"no Python example {name!r}; Python examples: {', '.join(PYTHON)}")
    return resources.files(__name__).joinpath(f"{name}.py").read_text("utf-8")


def example_doc(name: str, lang: str | None = None, source=None) -> dict:
    """The example's document; with ``lang`` ("ko", "ja"), titled in that language where it has a title in it.
    ``source`` (teaching/minibatch.Source): the datasets of the examples ``WITH_DATA``."""
    if name not in NAMES and not (name in WITH_DATA and has_data(source, WITH_DATA[name])):
        raise KeyError(f"no example {name!r}; examples: {', '.join(NAMES)}")
    if name in WITH_DATA:
        from ..twolayer import mnist_net
        doc = mnist_net(source)
    elif name in PYTHON:
        from ..pyimport import import_python
        doc = import_python(example_source(name), title=name)
    elif name in BUILT:
        from ..twolayer import spiral_net
        doc = spiral_net() if name == "two_layer_net" else spiral_net(name="moons")
    else:
        doc = json.loads(resources.files(__name__).joinpath(f"{FILES.get(name, name)}.json").read_text("utf-8"))
    local = TITLES.get(lang, {}).get(name) if isinstance(lang, str) else None
    if local:
        doc["title"] = local
    return doc


def example_labels(name: str) -> str:
    """How the example's figure is labelled: "symbols" or "numbers"."""
    return LABELS.get(name, "numbers")


def has_data(source, name: str) -> bool:
    return source is not None and name == "mnist" and getattr(source, "digits", None) is not None


def list_examples(source=None) -> list[dict]:
    """GET /api/examples: {name, title, title_ko, title_ja, labels} for each, in the menu's order
    (with those ``WITH_DATA`` whose data ``source`` has)."""
    names = [*NAMES, *(n for n, data in WITH_DATA.items() if has_data(source, data))]
    titles = {n: "Two-layer net on MNIST digits (784 → 50 → 10)" for n in WITH_DATA}  # not built to list it
    return [{"name": n, "title": titles.get(n) or example_doc(n)["title"], "title_ko": TITLES_KO.get(n, ""),
             "title_ja": TITLES_JA.get(n, ""), "labels": example_labels(n)} for n in names]
