"""One client process of the harness: many asyncio Socket.IO clients on one event loop.

The coordinator (drive.py) sends commands over a pipe; the answers go back the same way.
Times are `time.perf_counter()`, CLOCK_MONOTONIC on Linux: one clock for every process,
so the coordinator can subtract its send times from the arrival times recorded here.
"""
from __future__ import annotations

import asyncio
import json
import re
import time

import aiohttp
import socketio

# A broadcast as the Socket.IO layer hands it over: packet type 2 (event), then the JSON array.
STEP = '2["step",'
PATCH = '2["patch",'
VERSION = re.compile(r'"version":\s*(\d+)')
SAMPLE_EVERY = 25  # one patch in this many is also fully decoded, to check the quick read


class Screen(socketio.AsyncClient):
    """One class member's screen. It reads from a step or patch broadcast only what the harness
    needs (when it came, its version, its size) instead of decoding the whole JSON: otherwise the
    clients' decoding, not the server, would be measured."""

    def __init__(self, fleet: "Fleet", k: int, **options):
        super().__init__(reconnection=False, **options)
        self.fleet, self.k = fleet, k
        self.steps: list[float] = []     # arrival times of step broadcasts, in order
        self.versions: list[int] = []    # patch versions, in arrival order
        self.times: list[float] = []     # and when each arrived
        self.sizes: list[int] = []       # and its size in bytes (the Socket.IO message)
        self.mismatches = 0              # sampled patches whose quick read was wrong
        self.dropped = None              # why the server or the network ended the connection, if it did
        self.on("disconnect", self._dropped)

    def _dropped(self, reason=None):
        self.dropped = str(reason)

    async def _handle_eio_message(self, data):
        if isinstance(data, str):
            if data.startswith(STEP):
                self.steps.append(time.perf_counter())
                self.fleet.stepped(len(self.steps))
                return
            if data.startswith(PATCH):
                now = time.perf_counter()
                version = int(VERSION.search(data).group(1))
                if len(self.versions) % SAMPLE_EVERY == 0 and json.loads(data[1:])[1]["version"] != version:
                    self.mismatches += 1
                self.versions.append(version)
                self.times.append(now)
                self.sizes.append(len(data) if data.isascii() else len(data.encode()))
                return
        await super()._handle_eio_message(data)


class Fleet:
    def __init__(self, conn, spec: dict):
        self.conn, self.spec = conn, spec
        self.screens: list[Screen] = []
        self.step_counts: dict[int, int] = {}
        self.session = None

    # -- commands --------------------------------------------------------------------
    async def join(self):
        """Connect and join every screen, a few at a time (a real class trickles in too)."""
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        urls, gate, errors = self.spec["urls"], asyncio.Semaphore(25), []

        async def one(k):
            screen = Screen(self, k, http_session=self.session)
            async with gate:
                try:
                    await screen.connect(urls[k % len(urls)], transports=["websocket"], wait_timeout=60)
                    editor = k in self.spec["editors"]
                    ack = await screen.call("join", {"graph_id": self.spec["graph_id"], "client": f"load-{k:05d}",
                                                     **({"token": self.spec["token"]} if editor else {})},
                                            timeout=120)
                    if not ack.get("ok"):
                        raise RuntimeError(ack)
                    self.screens.append(screen)
                except Exception as err:  # reported to the coordinator, which stops the run
                    errors.append(f"client {k}: {err!r}"[:300])
        await asyncio.gather(*(one(k) for k in self.spec["clients"]))
        return ("joined", len(self.screens), errors[:5])

    def stepped(self, i: int):
        """A screen got its i-th step: once every screen here has it, tell the coordinator."""
        self.step_counts[i] = self.step_counts.get(i, 0) + 1
        if self.step_counts[i] == len(self.screens):
            self.conn.send(("stepped", i))

    async def edit(self, seconds: float):
        """The editors here edit as fast as their acks come back, for ``seconds``: each edit is one
        batch, alternately a drag of the editor's own node and a new value for the chain's input."""
        deadline = time.perf_counter() + seconds
        gid, acked, errors = self.spec["graph_id"], [], []

        async def editor(screen, e):
            k = 0
            while time.perf_counter() < deadline:
                op = {"type": "move_node", "id": f"n{e + 1}", "x": 200 * (e + 1), "y": k % 97} if k % 2 == 0 \
                    else {"type": "set_value", "id": "x0", "value": float(k % 1000)}
                t0 = time.perf_counter()
                try:
                    ack = await screen.call("edit", {"graph_id": gid, "ops": [op]}, timeout=60)
                except Exception as err:
                    errors.append(f"editor {e}: {err!r}"[:300])
                    return
                if not ack.get("ok"):
                    errors.append(f"editor {e}: {ack}"[:300])
                    return
                acked.append((ack["version"], "move" if k % 2 == 0 else "value", time.perf_counter() - t0))
                k += 1
        await asyncio.gather(*(editor(s, self.spec["editors"][s.k]) for s in self.screens
                               if s.k in self.spec["editors"]))
        return ("edited", acked, errors)

    async def check(self, first: int, last: int, timeout: float):
        """Wait (bounded) until every screen has every version first..last, then say what each got."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline and any(
                not s.versions or max(s.versions) < last for s in self.screens):
            await asyncio.sleep(0.01)  # polling a local list, bounded by the deadline
        expected = set(range(first, last + 1))
        report = {"screens": len(self.screens), "missing": 0, "duplicated": 0, "unexpected": 0,
                  "out_of_order": 0, "bytes": 0, "complete_at": 0.0, "mismatches": 0, "sizes": {},
                  "dropped": [s.dropped for s in self.screens if s.dropped is not None],
                  "incomplete": 0}
        for s in self.screens:
            got = [v for v in s.versions if first <= v <= last]
            report["missing"] += len(expected - set(got))
            report["duplicated"] += len(got) - len(set(got))
            report["unexpected"] += sum(1 for v in s.versions if v > last or v < first)
            report["out_of_order"] += got != sorted(got)
            report["bytes"] += sum(n for v, n in zip(s.versions, s.sizes) if first <= v <= last)
            report["mismatches"] += s.mismatches
            arrived = {}
            for v, t in zip(s.versions, s.times):
                arrived.setdefault(v, t)
            if expected <= arrived.keys():
                report["complete_at"] = max(report["complete_at"], max(arrived[v] for v in expected))
            else:
                report["incomplete"] += 1
        if self.screens:  # the size of each version's patch, as one screen got it
            s = self.screens[0]
            report["sizes"] = {v: n for v, n in zip(s.versions, s.sizes) if first <= v <= last}
        return ("checked", report)

    async def close(self):
        await asyncio.gather(*(s.disconnect() for s in self.screens), return_exceptions=True)
        if self.session:
            await self.session.close()
        return ("closed",)

    # -- the command loop ------------------------------------------------------------
    async def serve(self):
        loop = asyncio.get_running_loop()
        inbox: asyncio.Queue = asyncio.Queue()
        loop.add_reader(self.conn.fileno(), lambda: inbox.put_nowait(self.conn.recv()))
        while True:
            command, *args = await inbox.get()
            if command == "steps":
                for s in self.screens:
                    s.steps.clear()
                self.step_counts.clear()
                self.conn.send(("ready",))
            elif command == "arrivals":
                self.conn.send(("arrivals", [s.steps for s in self.screens]))
            elif command == "reset_patches":
                for s in self.screens:
                    s.versions.clear(), s.times.clear(), s.sizes.clear()
                self.conn.send(("ready",))
            else:
                # one command at a time: the coordinator waits for each reply before the next
                reply = await getattr(self, command)(*args)
                self.conn.send(reply)
                if command == "close":
                    return


def main(conn, spec: dict):
    """The entry point of one client process (multiprocessing)."""
    asyncio.run(Fleet(conn, spec).serve())
