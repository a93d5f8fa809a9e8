"""The load harness (benchmarks/load) at a tiny size: two real servers sharing Redis, ten asyncio
clients in two client processes. It checks what the harness reports, not how fast anything was."""
from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.load.drive import run  # noqa: E402
from benchmarks.load.report import tables  # noqa: E402


def in_own_thread(fn, *args, **kwargs):
    """Call ``fn`` on a fresh thread: the harness runs its own asyncio loop, and in the whole
    suite this thread may already have one running (Playwright's sync API leaves it so)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args, **kwargs).result()


@pytest.mark.slow
def test_a_tiny_class_loses_nothing_and_the_report_says_so():
    r = in_own_thread(run, 2, 10, steps=3, seconds=1.0, editors=3, client_procs=2)

    assert (r["servers"], r["redis"], r["clients"], r["client_procs"], r["editors"]) == (2, True, 10, 2, 3)
    # every step reached every screen, each screen once per step
    assert r["steps"] == r["reached_all"] == 3 and r["screens"] == 10
    assert 0 < r["each_median"] <= r["each_p99"] and r["each_p99"] <= r["all_p99"]
    # the editors' acknowledged versions are one unbroken sequence, and every screen got every one
    assert r["edits"] > 0 and r["errors"] == []
    assert r["contiguous"] is True
    assert (r["lost"], r["duplicated"], r["unexpected"], r["quick_read_mismatches"]) == (0, 0, 0, 0)
    assert (r["incomplete_screens"], r["dropped_screens"]) == (0, 0)
    assert r["edits_per_s"] > 0 and r["server_cpu_per_edit"] > 0
    # a patch of this 4-node chain carries the whole visible state or a delta: some bytes, well under 1 MB
    for kind in ("move", "value"):
        assert 0 < r["patch_bytes_median"][kind] < 1_000_000
    text = tables([r], steps=3, seconds=1.0)
    assert "| 2 processes + Redis | 10 | 3 | " in text and "\nProblems:\n" not in text


def test_the_check_counts_what_a_screen_missed_or_got_twice():
    """The loss count the harness reports comes from this check: it must see a gap and a repeat."""
    import asyncio
    from types import SimpleNamespace

    from benchmarks.load.fleet import Fleet
    fleet = Fleet(conn=None, spec={})
    fleet.screens = [SimpleNamespace(versions=[5, 6, 8, 8], times=[1.0, 2.0, 3.0, 4.0], sizes=[10, 20, 30, 30],
                                     mismatches=0, dropped="transport close"),
                     SimpleNamespace(versions=[6, 5, 7, 8], times=[1.0, 2.0, 3.0, 4.0], sizes=[1, 1, 1, 1],
                                     mismatches=1, dropped=None)]
    _, report = in_own_thread(asyncio.run, fleet.check(5, 8, 0.0))
    assert (report["missing"], report["duplicated"], report["out_of_order"], report["mismatches"]) == (1, 1, 1, 1)
    assert report["incomplete"] == 1 and report["dropped"] == ["transport close"]
    assert report["bytes"] == 90 + 4 and report["complete_at"] == 4.0 and report["sizes"] == {5: 10, 6: 20, 8: 30}
