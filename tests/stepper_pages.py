"""The read-only stepper (issue 17) for browser tests: the embed, the single HTML file and the
notebook's output are one page (templates/stepper.html, static/js/stepper.js), with the
editor's step data-testids and window.gradcanvas.snapshot(). `Stepper` is the `Editor` page
object (pages.py) for it: the same step/run/reset/settled, and ways to open the page."""
from __future__ import annotations

from pages import Editor

READY = "document.body.dataset.ready === 'true' || !!document.body.dataset.failed"


class Stepper(Editor):
    def visit(self, url: str, **_) -> "Stepper":
        """Open a stepper page (an /embed/ link, a file:// URL) and wait until it is ready."""
        self.page.goto(url if url.startswith(("http", "file:")) else self.base + url)
        self.wait_started(self.page)
        return self

    @staticmethod
    def wait_started(frame):
        frame.wait_for_function(READY)
        failed = frame.evaluate("document.body.dataset.failed || null")
        assert failed is None, f"the stepper did not start: {failed}"

    def explain(self) -> str:
        return self.text("explain-panel")

    def nodes(self) -> dict:
        """node id → (value_text, grad_text), as drawn now."""
        return {n["id"]: (n["value_text"], n["grad_text"]) for n in self.snapshot()["nodes"]}


def offline(context) -> list:
    """Block every request but file:, data: and blob: in ``context``; returns the list of every
    URL asked for (the aborted ones included)."""
    asked = []

    def route(r):
        asked.append(r.request.url)
        if r.request.url.startswith(("file:", "data:", "blob:")):
            r.continue_()
        else:
            r.abort()
    context.route("**/*", route)
    return asked
