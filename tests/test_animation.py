"""Animated exports (issue 13, part 5): a GIF and a WebP of the forward then backward
stepping, and a ZIP of one PNG per step. Each file is made once per module (Chromium
draws every frame: seconds) and read back with Pillow."""
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from server.engine.graph import ComputationGraph
from server.engine.visible import full_cursor
from server.export import FORMATS, ExportOptions, animation, build_figure, export, png
from server.export.embed import document_from_file
from server.teaching.examples import example_doc
from server.teaching.formula import parse_formula

ROOT = Path(__file__).resolve().parent.parent
MB = 1_000_000
# The doughnut: idle, 5 forward steps (3 inputs, 2 products), 5 backward steps.
NAMES = ["00-idle", "01-forward-1-doughnut", "02-forward-2-count", "03-forward-3-tax", "04-forward-4-m1",
         "05-forward-5-m2", "06-backward-1-m2", "07-backward-2-m1", "08-backward-3-tax",
         "09-backward-4-count", "10-backward-5-doughnut"]
DURATIONS = [1000] + [900] * 4 + [1800] + [900] * 4 + [3000]


def doughnut():
    return ComputationGraph.from_dict(example_doc("doughnut"))


@pytest.fixture(scope="module")
def made():
    """{format: bytes} of the doughnut, as `export` makes them."""
    g = doughnut()
    return {fmt: export(g, fmt) for fmt in ("gif", "webp", "frames")}


def frames(data: bytes) -> list[tuple[Image.Image, int]]:
    """Each frame of an animated image, as RGB, with its duration in ms."""
    out = []
    with Image.open(io.BytesIO(data)) as im:
        for k in range(im.n_frames):
            im.seek(k)
            im.load()
            out.append((im.convert("RGB"), im.info["duration"]))
    return out


def the_full_figure(g) -> Image.Image:
    """The PNG export of everything revealed, with the last step as the current one."""
    fig = build_figure(g, ExportOptions(state="current"), full_cursor(g))
    return Image.open(io.BytesIO(png.render(fig))).convert("RGB")


def mean_difference(a: Image.Image, b: Image.Image) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


# -- fast: the frames' plan, no Chromium ---------------------------------------------------

def test_the_animation_has_a_frame_for_idle_then_each_forward_then_each_backward_step():
    plan = animation.frames_of(doughnut())
    assert [f.name for f in plan] == NAMES
    assert [f.duration for f in plan] == DURATIONS
    assert plan[4].caption == ("Forward 4/5", "m1 = doughnut × count = 100 × 2 = 200")
    assert plan[7].caption == ("Backward 2/5 · dout = 1.1 (arriving from m2)",
                               "dx = dout · y = 1.1 × 2 = 2.2   dy = dout · x = 1.1 × 100 = 110")
    assert plan[-1].caption[0] == "Backward 5/5 · ∂L/∂doughnut = 2.2"


def test_the_timing_is_documented_and_fixed():
    assert animation.TIMING == {"idle": 1000, "step": 900, "phase_end": 1800, "end": 3000}
    assert "1 s" in animation.__doc__ and "0.9 s" in animation.__doc__ and "3 s" in animation.__doc__


def test_a_graph_without_gradients_yet_animates_its_forward_pass_and_ends_there():
    doc = parse_formula("a = 2\nb = 3\nc = a * b\nd = c + a")
    doc["edges"] = [e for e in doc["edges"] if (e["target"], e["port"]) != ("d", 1)]  # d's second input: unwired
    plan = animation.frames_of(ComputationGraph.from_dict(doc))
    assert [f.name for f in plan] == ["00-idle", "01-forward-1-a", "02-forward-2-b", "03-forward-3-c"]
    assert [f.duration for f in plan] == [1000, 900, 900, 3000]


def test_the_animated_formats_are_listed_with_their_types():
    assert [(FORMATS[f].content_type, FORMATS[f].extension) for f in ("gif", "webp", "frames")] == \
        [("image/gif", "gif"), ("image/webp", "webp"), ("application/zip", "zip")]
    assert all(FORMATS[f].steps and FORMATS[f].binary for f in ("gif", "webp", "frames"))


def test_api_formats_lists_the_animations(client):
    names = [f["name"] for f in client.get("/api/formats").json]
    assert {"gif", "webp", "frames"} <= set(names)


# -- slow: Chromium draws the frames ---------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["gif", "webp"])
def test_the_animation_plays_forward_then_backward_at_the_documented_pace_and_loops(made, fmt):
    data = made[fmt]
    assert len(data) < MB, f"{fmt}: {len(data):,} bytes"
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == fmt.upper() and im.is_animated
        assert im.n_frames == len(NAMES) == 1 + 5 + 5
        assert im.info["loop"] == 0                       # forever
    shown = frames(data)
    assert [d for _, d in shown] == DURATIONS
    assert len({im.size for im, _ in shown}) == 1         # nothing jumps
    first, last = shown[0][0], shown[-1][0]
    assert first.getpixel((0, 0)) == (255, 255, 255)       # white paper
    assert mean_difference(first, last) > 1                # the values and gradients appear
    assert all(mean_difference(a, b) > 0.05 for (a, _), (b, _) in zip(shown, shown[1:]))  # every step shows


@pytest.mark.slow
def test_the_last_frame_is_the_full_figure(made):
    """The ZIP's last PNG, over its caption, is pixel for pixel the PNG export of the whole
    figure; the GIF's and WebP's last frames are that PNG in their palette."""
    z = zipfile.ZipFile(io.BytesIO(made["frames"]))
    last = Image.open(io.BytesIO(z.read(f"{NAMES[-1]}.png"))).convert("RGB")
    full = the_full_figure(doughnut())
    assert last.width == full.width and last.height > full.height   # the caption below
    assert ImageChops.difference(last.crop((0, 0) + full.size), full).getbbox() is None
    for fmt in ("gif", "webp"):
        assert mean_difference(frames(made[fmt])[-1][0], last) < 4, fmt


@pytest.mark.slow
def test_the_frames_zip_has_one_png_per_step_in_order_each_reopening_as_the_graph(made):
    z = zipfile.ZipFile(io.BytesIO(made["frames"]))
    assert z.namelist() == [f"{n}.png" for n in NAMES] + ["index.txt"]
    sizes = set()
    for name in NAMES:
        data = z.read(f"{name}.png")
        with Image.open(io.BytesIO(data)) as im:
            assert im.format == "PNG"
            sizes.add(im.size)
        assert document_from_file(data) == doughnut().to_dict()
    assert len(sizes) == 1
    index = z.read("index.txt").decode()
    assert "04-forward-4-m1.png\t900 ms\n  m1 = doughnut × count = 100 × 2 = 200" in index
    assert "10-backward-5-doughnut.png\t3000 ms\n  ∂L/∂doughnut = 2.2" in index


@pytest.mark.slow
def test_the_same_graph_makes_the_same_gif_and_the_cli_writes_it(made, tmp_path):
    out = tmp_path / "d.gif"
    r = subprocess.run([sys.executable, "-m", "server.cli", "export", "server/teaching/examples/doughnut.json",
                        "--format", "gif", "-o", str(out)], capture_output=True, cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == made["gif"]


@pytest.mark.slow
@pytest.mark.parametrize("fmt, mime, ext", [("gif", "image/gif", "gif"), ("frames", "application/zip", "zip")])
def test_the_export_endpoint_serves_the_animations(client, app, fmt, mime, ext):
    graph_id = app.extensions["gradcanvas.sessions"].create(example_doc("doughnut")).id
    r = client.get(f"/api/graphs/{graph_id}/export?format={fmt}")
    assert r.status_code == 200, r.json
    assert r.mimetype == mime
    assert r.headers["Content-Disposition"].endswith(f'.{ext}') or f'.{ext}"' in r.headers["Content-Disposition"]
    if fmt == "gif":
        assert Image.open(io.BytesIO(r.data)).n_frames == len(NAMES)
    else:
        assert len([n for n in zipfile.ZipFile(io.BytesIO(r.data)).namelist() if n.endswith(".png")]) == len(NAMES)
