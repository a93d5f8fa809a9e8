"""Canvas redraw time in headless Chromium, and the edit round trip on loopback.

For graphs of 100, 1,000, 2,000 and 10,000 nodes: the median time of a full
redraw (both canvas layers) at three zooms: 100 %, 50 % and fit-to-view (far
out for big graphs, where text is not drawn), centred on the middle of the
graph's bounds. The generated graphs are tall and wide, so for the big ones that
middle is nearly empty and those rows mostly measure culling; the "busy" rows
centre the view on the median node instead, where the screen is full of nodes,
also at 36 %, the farthest zoom that still draws every label. Each page is
warmed up first (its drawing code is not yet optimised by the JIT), and the
first two draws at each zoom are dropped (they fill the text and shape caches).
Then benchmarks/roundtrip.py.
Run: .venv/bin/python benchmarks/render.py [--sizes 2000,50000] [--repeats 25] [--no-roundtrip]
(50,000 nodes is the server's cap: issue 15.)
"""
from __future__ import annotations

import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from playwright.sync_api import sync_playwright  # noqa: E402

from graphs import layered_dag  # noqa: E402
from server.web.app import create_app  # noqa: E402
from server.web.serve import run_development as run  # noqa: E402
from tests.conftest import CHROMIUM, free_port  # noqa: E402

SIZES = (100, 1_000, 2_000, 10_000)
ZOOMS = (("100 %", 1.0, False), ("50 %", 0.5, False), ("fit", None, False),
         ("100 % busy", 1.0, True), ("50 % busy", 0.5, True), ("36 % busy", 0.36, True),
         ("fit busy", None, True))

PAN_ZOOMS = ("fit", "100 % busy", "36 % busy")


def main(repeats: int = 25, sizes=SIZES, roundtrip_too: bool = True):
    import tempfile
    app = create_app({"MAX_NODES": 60_000, "MAX_DOCUMENT_BYTES": 40_000_000,
                      "DATA_DIR": tempfile.mkdtemp(prefix="gradcanvas-bench-")})
    port = free_port()
    threading.Thread(target=run, args=(app, "127.0.0.1", port), daemon=True).start()
    time.sleep(1.0)
    url = f"http://127.0.0.1:{port}"
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        for n in sizes:
            doc = layered_dag(n)
            session = app.extensions["gradcanvas.sessions"].create(doc)
            session.step("backward", "all")  # every value and gradient revealed: the most text
            token = app.extensions["gradcanvas.store"].get(session.id).edit_token
            page.goto(f"{url}/g/{session.id}?edit={token}")  # the edit link: the page opens as editor
            page.wait_for_function(f"window.gradcanvas && window.gradcanvas.snapshot().nodes.length === {len(doc['nodes'])}",
                                   timeout=60_000)
            # a page just loaded runs its drawing code unoptimised for a few frames: warm up
            page.evaluate("() => window.gradcanvas.timeRedraw(10, 1)")
            for name, scale, busy in ZOOMS:
                result = page.evaluate("([r, s, b]) => window.gradcanvas.timeRedraw(r, s, b)", [repeats, scale, busy])
                times = result["times"][2:]  # the first draws warm caches (text widths, fonts)
                rows.append((len(doc["nodes"]), name, result["scale"], result.get("visible", -1),
                             statistics.median(times), max(times)))
                if name in PAN_ZOOMS:  # panning there, as the loop draws it (pancache.js)
                    result = page.evaluate("([r, s, b]) => window.gradcanvas.timePan(r, s, b)",
                                           [repeats, scale, busy])
                    times = result["times"]
                    rows.append((len(doc["nodes"]), name + " pan", result["scale"], -1,
                                 statistics.median(times), max(times)))
        browser.close()

    print(f"{'nodes':>7} {'zoom':>10} {'scale':>6} {'on screen':>9} {'median ms':>10} {'max ms':>8}"
          "  (full redraw, 1280×800, headless Chromium)")
    for n, name, scale, visible, med, worst in rows:
        print(f"{n:7,} {name:>10} {scale:6.2f} {visible:9,} {med:10.2f} {worst:8.2f}")
    if roundtrip_too:
        print()
        import roundtrip  # its own server: imported only when it runs
        roundtrip.main()


if __name__ == "__main__":
    import argparse
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--repeats", type=int, default=25)
    parser.add_argument("--no-roundtrip", action="store_true")
    args = parser.parse_args()
    main(args.repeats, [int(s) for s in args.sizes.split(",")], not args.no_roundtrip)
