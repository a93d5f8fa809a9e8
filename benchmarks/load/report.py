"""The results as markdown tables."""
from __future__ import annotations


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def setup_name(r: dict) -> str:
    return f"{r['servers']} process{'es' if r['servers'] > 1 else ''}" + (" + Redis" if r["redis"] else "")


def tables(rows: list[dict], steps: int, seconds: float) -> str:
    out = [f"A teacher steps {steps} times, then the editors edit for {seconds:g} s. "
           "Baseline: the teacher's `join` round trip in the same run, the class connected and idle.", "",
           "| setup | clients | join (baseline) | step → each client, median / p99 | "
           "step → all clients, median / p99 | p99 all ÷ baseline | steps that reached everyone |",
           "|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {setup_name(r)} | {r['clients']} | {ms(r['baseline'])} ms | "
                   f"{ms(r['each_median'])} / {ms(r['each_p99'])} ms | {ms(r['all_median'])} / {ms(r['all_p99'])} ms | "
                   f"{r['all_p99'] / r['baseline']:.0f}× | {r['reached_all']} of {r['steps']} |")
    out += ["", "| setup | clients | editors | edits | edits/s, all delivered | edit ack, median / p99 | lost | duplicated | versions "
            "contiguous | server CPU per edit | per step | patch bytes per edit (drag / value) | "
            "harness CPU per edit | share of the cores this run got |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        size = r["patch_bytes_median"]
        kb = lambda n: "–" if n is None else f"{n / 1000:.1f} KB"  # noqa: E731
        out.append(f"| {setup_name(r)} | {r['clients']} | {r['editors']} | {r['edits']} | {r['edits_per_s']:.1f} | "
                   f"{ms(r['edit_rtt_median'])} / {ms(r['edit_rtt_p99'])} ms | {r['lost']} | {r['duplicated']} | {'yes' if r['contiguous'] else 'NO'} | "
                   f"{ms(r['server_cpu_per_edit'])} ms | {ms(r['server_cpu_per_step'])} ms | "
                   f"{kb(size['move'])} / {kb(size['value'])} | {ms(r['client_cpu_per_edit'])} ms | "
                   f"{r['machine_busy'] * 100:.0f} % |")
    out += ["", "*edits/s, all delivered*: acknowledged edits ÷ the time from the first edit until every client "
            "held every one of them (when one never did, see Problems: until all the others did). *lost*: (client, acknowledged version) pairs never received. "
            "*server CPU*: every server process (gunicorn's master and worker), from /proc, over the same "
            "window; *per step* likewise over the stepping. *patch bytes*: the Socket.IO message as a client "
            "received it (median). *share of the cores*: servers + Redis + client processes' CPU ÷ (window × cores); well under 100 % "
            "means the rest went to other work on the machine."]
    problems = [f"{setup_name(r)}, {r['clients']} clients: {r['errors']}" for r in rows if r["errors"]]
    problems += [f"{setup_name(r)}, {r['clients']} clients: {r['incomplete_screens']} clients never got every edit; "
                 f"{r['dropped_screens']} lost their connection ({', '.join(r['dropped'])})"
                 for r in rows if r["incomplete_screens"] or r["dropped_screens"]]
    problems += [f"{setup_name(r)}, {r['clients']} clients: {r['quick_read_mismatches']} patch versions misread"
                 for r in rows if r["quick_read_mismatches"]]
    if problems:
        out += ["", "Problems:", *[f"- {p}" for p in problems]]
    return "\n".join(out)
