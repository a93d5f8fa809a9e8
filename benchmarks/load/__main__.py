"""Run: .venv/bin/python -m benchmarks.load [--clients 100 300 1000] [--servers 4] [--single 100]"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.load.drive import run  # noqa: E402
from benchmarks.load.report import tables  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description="A class on one graph: asyncio clients against real servers.")
    ap.add_argument("--clients", type=int, nargs="+", default=[100, 300, 1000],
                    help="class sizes to run on --servers processes sharing Redis")
    ap.add_argument("--servers", type=int, default=4, help="server processes (with Redis when more than one)")
    ap.add_argument("--single", type=int, nargs="*", default=[100],
                    help="class sizes to run on one process without Redis as well (none: skip)")
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--seconds", type=float, default=5.0, help="how long the editors edit")
    ap.add_argument("--editors", type=int, default=20)
    ap.add_argument("--client-procs", type=int, default=4, help="client processes the screens are spread over")
    ap.add_argument("--json", metavar="FILE", help="also write the raw results here")
    args = ap.parse_args()
    setups = [(1, n) for n in args.single] + [(args.servers, n) for n in args.clients]
    rows = []
    for servers, clients in setups:
        print(f"{servers} server process(es), {clients} clients", file=sys.stderr, flush=True)
        rows.append(run(servers, clients, steps=args.steps, seconds=args.seconds, editors=args.editors,
                        client_procs=args.client_procs))
        if args.json:
            Path(args.json).write_text(json.dumps(rows, indent=1))
    load = os.getloadavg()
    print(f"\n{os.cpu_count()} cores; load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}\n")
    print(tables(rows, args.steps, args.seconds))


if __name__ == "__main__":
    main()
