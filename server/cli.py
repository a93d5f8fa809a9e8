"""The ``gradcanvas`` command line: argparse subcommands, one small function each."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .engine.document import GraphError, Limits, jsonable
from .engine.graph import ComputationGraph


def _load(path: str, limits: Limits = Limits()) -> ComputationGraph:
    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as err:
        raise GraphError(f"{path}: cannot read ({err.strerror})") from None
    return ComputationGraph.from_json(data, limits)


def _limits(args) -> Limits:
    return Limits(max_nodes=args.max_nodes, max_bytes=args.max_bytes)


def add_limit_arguments(p):
    """--max-nodes and --max-bytes: no cap unless given (the caps are the server's policy)."""
    p.add_argument("--max-nodes", type=int, default=None, metavar="N",
                   help="refuse a document of more than N nodes (default: no limit)")
    p.add_argument("--max-bytes", type=int, default=None, metavar="N",
                   help="refuse a document of more than N bytes (default: no limit)")


def cmd_eval(args) -> int:
    graph = _load(args.file, _limits(args))
    values = graph.forward()
    grads = graph.backward(args.output)
    out = {"values": {k: jsonable(v) for k, v in values.items()},
           "grads": {k: jsonable(v) for k, v in grads.items()}}
    faults = graph.faults()
    if faults:
        out["faults"] = faults
        out["affected"] = sorted(graph.affected())  # downstream of a fault: NaN, ±∞ or untrustworthy
    grad_faults = graph.grad_faults(args.output)
    if grad_faults:
        out["grad_faults"] = grad_faults  # where a NaN or ±∞ gradient starts
    sys.stdout.write(_json_tensors_inline(out) + "\n")
    return 0


def _json_tensors_inline(out: dict) -> str:
    """JSON indented by entry, each tensor's nested list on its own line: [[1.0, 2.0], [3.0, 4.0]]."""
    lines = ["{"]
    sections = list(out.items())
    for k, (section, entries) in enumerate(sections):
        if not isinstance(entries, dict):
            lines.append(f"  {json.dumps(section)}: {json.dumps(entries, ensure_ascii=False)}"
                         + ("," if k < len(sections) - 1 else ""))
            continue
        lines.append(f"  {json.dumps(section)}: {{")
        items = list(entries.items())
        for j, (name, value) in enumerate(items):
            lines.append(f"    {json.dumps(name, ensure_ascii=False)}: {json.dumps(value, ensure_ascii=False)}"
                         + ("," if j < len(items) - 1 else ""))
        lines.append("  }" + ("," if k < len(sections) - 1 else ""))
    lines.append("}")
    return "\n".join(lines)


def cmd_export(args) -> int:
    from .export import FORMATS, ExportOptions, export
    from .export.figure import option_problem
    graph = _load(args.file, _limits(args))
    options = ExportOptions(values=not args.no_values, grads=not args.no_grads,
                            background=args.background, scale=args.scale,
                            style=args.style, labels=args.labels, blank=args.blank, answers=args.answers)
    problem = option_problem(options)
    if problem:
        raise GraphError(problem)
    data = export(graph, args.format, options)
    spec = FORMATS[args.format]
    if args.o in (None, "-") and spec.binary and sys.stdout.isatty():
        raise GraphError(f"{spec.title} is binary: give -o FILE.{spec.extension}")
    if args.o in (None, "-"):
        sys.stdout.buffer.write(data)
    else:
        Path(args.o).write_bytes(data)
        print(f"wrote {args.o} ({FORMATS[args.format].title}, {len(data):,} bytes)", file=sys.stderr)
    return 0


def cmd_new(args) -> int:
    from .teaching.formula import parse_formula
    source = args.formula
    if _names_a_file(source):
        source = Path(source).read_text("utf-8")
    return _write_document(parse_formula(source, title=args.title or ""), args.o)


def _write_document(doc: dict, out) -> int:
    """A made document to OUT (or standard output), and a line saying what was written."""
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if out in (None, "-"):
        sys.stdout.write(text)
    else:
        Path(out).write_text(text, "utf-8")
        print(f"wrote {out} ({len(doc['nodes'])} nodes, output {doc['output']!r})", file=sys.stderr)
    return 0


def cmd_import_python(args) -> int:
    from .teaching.pyimport import import_python
    try:
        data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    except OSError as err:
        raise GraphError(f"{args.file}: cannot read ({err.strerror})") from None
    title = args.title or ("" if args.file == "-" else Path(args.file).stem)
    doc = import_python(data, title=title, limits=_limits(args))
    if args.title:
        doc["title"] = args.title
    return _write_document(doc, args.o)


def _names_a_file(text: str) -> bool:
    """Whether --formula names a file rather than holding the formula (a formula of any length
    is no file name: asking the file system about it fails for names over 255 bytes)."""
    if "\n" in text:
        return False
    try:
        return Path(text).suffix in (".txt", ".py", ".gc", "") and Path(text).is_file()
    except (OSError, ValueError):  # too long for a file name, or a NUL in it
        return False


def cmd_check(args) -> int:
    from .engine.display import fmt
    from .teaching.gradcheck import check_gradients
    graph = _load(args.file, _limits(args))
    checks = check_gradients(graph, args.output)
    if graph._tensors:
        return _print_tensor_checks(checks)
    print(f"{'input':<16} {'value':>10} {'backprop':>12} {'numeric':>12} {'± bound':>10} {'rel. error':>10}  result")
    for c in checks:
        note = f"  ({c.note})" if c.note else ""
        print(f"{c.node:<16} {fmt(c.value):>10} {fmt(c.backprop):>12} {fmt(c.numeric):>12} {c.bound:10.1e} "
              f"{c.rel_error:10.1e}  {c.status}{note}")
    unsure = [c for c in checks if c.status == "not checkable"]
    if unsure:  # a warning, not a failure: the finite difference cannot judge these
        print(f"{len(unsure)} of {len(checks)} gradients are not checkable numerically here", file=sys.stderr)
    failed = [c for c in checks if c.status == "fail"]
    if failed:
        print(f"{len(failed)} of {len(checks)} gradients FAIL the check", file=sys.stderr)
        return 2
    return 0


def _print_tensor_checks(checks) -> int:
    """As the book's gradient_check.py prints it, ``W1:1.2e-10`` (the mean |backprop − numerical|),
    with each input's shape, its largest difference and the result beside it."""
    for c in checks:
        note = f"  ({c.note})" if c.note else ""
        print(f"{c.node}:{c.mean_abs_diff:.1e}  shape {c.shape}, max {c.max_abs_diff:.1e}, {c.status}{note}")
    failed = [c for c in checks if c.status == "fail"]
    if failed:
        print(f"{len(failed)} of {len(checks)} gradients FAIL the check", file=sys.stderr)
        return 2
    return 0


def cmd_train(args) -> int:
    """Gradient descent from the command line: mini-batch SGD when the document has a dataset."""
    from .teaching import learning, minibatch
    if args.steps < 1 or args.batch is not None and args.batch < 1 or args.every is not None and args.every < 1:
        raise GraphError("--steps, --batch and --every must be whole numbers of at least 1")
    source = minibatch.source_for(args.dataset)
    if (args.file is None) == (args.example is None):
        raise GraphError("give a document FILE or --example NAME (not both)")
    if args.example is not None:
        from .teaching.examples import example_doc
        try:
            doc = example_doc(args.example, source=source)
        except KeyError as err:
            raise GraphError(str(err.args[0])) from None
    else:
        doc = _load(args.file, _limits(args)).to_dict()
    if args.batch is not None:
        if doc.get("dataset") is None:
            raise GraphError("--batch: this document has no dataset to draw batches from")
        spec = {**doc["dataset"], "batch": args.batch}
        x, t = minibatch.draw(source.data(spec), spec, spec["drawn"])
        values = {spec["x"]: x.tolist(), spec["t"]: t.tolist()}
        doc["nodes"] = [{**n, "value": values[n["id"]]} if n["id"] in values else n for n in doc["nodes"]]
        doc["dataset"] = {**spec, "drawn": spec["drawn"] + 1}
    if args.lr is not None:
        doc["learning_rate"] = args.lr
    graph = ComputationGraph.from_dict(doc, _limits(args))
    every = args.every or max(1, args.steps // 10)
    data = source.data(minibatch.dataset_of(graph)) if graph.dataset else None

    def report(step, loss, accuracy):
        acc = f"  accuracy {minibatch.accuracy_text(accuracy)}" if accuracy is not None else ""
        print(f"step {step:>6}  loss {loss:.6f}{acc}")

    report(0, learning.loss(graph), minibatch.accuracy(graph, data) if data else None)
    done = 0
    while done < args.steps:
        count = min(learning.MAX_UPDATES, args.steps - done)
        if data is not None:
            ops, losses, accuracies = minibatch.train(graph, source, count)
        else:
            (ops, losses), accuracies = learning.train(graph, count), [None] * count
        graph.apply_batch(ops)
        for k, (loss, accuracy) in enumerate(zip(losses, accuracies), done + 1):
            if k % every == 0 or k == args.steps:
                report(k, loss, accuracy)
        done += count
    if args.o:
        _write_document(graph.to_dict(), args.o)
    return 0


def cmd_serve(args) -> int:
    from .web.serve import serve  # imported here so that `eval` never loads Flask
    return serve(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gradcanvas", description="Computational graphs for learning backpropagation.")
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("eval", help="evaluate a document: print values and gradients as JSON")
    p.add_argument("file", help="a gradcanvas JSON document, or - for standard input")
    p.add_argument("--output", help="the node to differentiate (default: the document's output or single sink)")
    add_limit_arguments(p)
    p.set_defaults(func=cmd_eval)

    from .export import FORMATS
    p = sub.add_parser("export", help="export a document as a figure, code or JSON")
    p.add_argument("file", help="a gradcanvas JSON document, or - for standard input")
    p.add_argument("--format", required=True, choices=list(FORMATS))
    p.add_argument("-o", metavar="OUT", help="output file (default: standard output)")
    p.add_argument("--no-values", action="store_true", help="leave out forward values")
    p.add_argument("--no-grads", action="store_true", help="leave out gradients")
    p.add_argument("--background", choices=("white", "transparent"), default="white")
    from .export.figure import BLANKS, LABELS, STYLES
    p.add_argument("--style", choices=STYLES, default="book",
                   help="book: the book's look (the default); editor: the canvas's, with ports and ring")
    p.add_argument("--labels", choices=LABELS, default="numbers",
                   help="numbers (2.2), symbols (∂L/∂z · y) or both (∂L/∂z · y = 2.2)")
    p.add_argument("--blank", choices=BLANKS, default="none",
                   help="a worksheet: computed values, gradients or both drawn as empty boxes")
    p.add_argument("--answers", action="store_true",
                   help="with --blank: the worksheet's answer key, the answers in the boxes in blue")
    p.add_argument("--scale", type=float, default=1.0,
                   help="size factor for SVG, PNG and the animations (gif, webp, frames: a ZIP of PNGs)")
    add_limit_arguments(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("new", help="make a document from a formula (Python-like, never eval'd)")
    p.add_argument("--formula", required=True, metavar="FILE|TEXT",
                   help="a file holding the formula, or the formula itself: 'a = 2\\nb = a * a'")
    p.add_argument("--title", help="the document's title (default: the last line)")
    p.add_argument("-o", metavar="OUT", help="output file (default: standard output)")
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("import-python", help="make a document from a script in the book's style "
                                             "(MulLayer()/.forward/.backward; parsed, never run)")
    p.add_argument("file", help="a Python script like the book's buy_apple.py, or - for standard input")
    p.add_argument("--title", help="the document's title (default: the script's docstring, else its name)")
    p.add_argument("-o", metavar="OUT", help="output file (default: standard output)")
    add_limit_arguments(p)
    p.set_defaults(func=cmd_import_python)

    p = sub.add_parser("check", help="compare backprop's gradients with finite differences "
                                     "(exit 2 if one fails)")
    p.add_argument("file", help="a gradcanvas JSON document, or - for standard input")
    p.add_argument("--output", help="the node to differentiate")
    add_limit_arguments(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("train", help="train a document's trainable inputs (mini-batch SGD when it has a "
                                     "dataset), printing the loss and accuracy")
    p.add_argument("file", nargs="?", help="a gradcanvas JSON document, or - for standard input")
    p.add_argument("--example", metavar="NAME", help="train an example instead (two_layer_net, "
                                                     "two_layer_net_moons, two_layer_net_mnist)")
    p.add_argument("--steps", type=int, default=100, help="training steps (default 100)")
    p.add_argument("--batch", type=int, help="the batch size (default: the document's)")
    p.add_argument("--lr", type=float, help="the learning rate (default: the document's)")
    p.add_argument("--dataset", metavar="FOLDER", help="a folder of MNIST idx files (train-images-idx3-ubyte, "
                                                       "train-labels-idx1-ubyte, maybe t10k-… and .gz)")
    p.add_argument("--every", type=int, help="print every N steps (default: a tenth of the steps)")
    p.add_argument("-o", metavar="OUT", help="write the trained document here")
    add_limit_arguments(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("serve", help="start the editor (the default command)")
    add_serve_arguments(p)
    p.set_defaults(func=cmd_serve)
    return parser


def add_serve_arguments(p):
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--open", action="store_true", help="open the editor in a web browser")
    p.add_argument("--open-example", metavar="NAME", help="print the URL of a fresh copy of this example")
    p.add_argument("--data-dir", help="where the graphs are stored (default: $GRADCANVAS_DATA, "
                                      "else the platform's user data folder)")
    p.add_argument("--database", metavar="URL",
                   help="postgresql://user@host/db: keep the graphs in PostgreSQL, shared by several hosts "
                        "(default: SQLite in --data-dir)")
    p.add_argument("--message-queue", metavar="URL",
                   help="redis://host:port: share broadcasts with other gradcanvas processes")
    p.add_argument("--cors-allowed-origins", metavar="ORIGIN", nargs="*",
                   help="origins allowed to open the socket besides the page's own ('*' for any)")
    p.add_argument("--max-graphs", type=int, default=10_000, help="graphs the store may hold")
    p.add_argument("--edits-per-second", type=float, default=50,
                   help="edits, steps and updates one browser may send a second (bursts of twice that)")
    p.add_argument("--allowed-hosts", metavar="HOST", nargs="+", default=[],
                   help="Host names to answer besides localhost, 127.0.0.1, ::1 and the bind address "
                        "('*' for any; needed behind a proxy or on a public name)")
    p.add_argument("--creations-per-minute", type=float, default=10,
                   help="new graphs one browser may make a minute, bursts of three times that (0: no limit)")
    p.add_argument("--creations-per-minute-per-address", type=float, default=60,
                   help="new graphs one network address may make a minute, bursts of twice that (0: no limit)")
    p.add_argument("--checks-per-minute", type=float, default=30,
                   help="gradient checks one browser may run a minute (0: no limit)")
    p.add_argument("--memory-budget-mb", type=float, default=512,
                   help="graphs held in memory beyond this are dropped, least recently used first")
    p.add_argument("--threads", type=int, default=100,
                   help="connections served at once (each websocket holds one)")
    p.add_argument("--dataset", metavar="FOLDER",
                   help="a folder of MNIST idx files (train-images-idx3-ubyte, train-labels-idx1-ubyte, maybe "
                        "t10k-… and .gz) for the example two_layer_net_mnist")
    p.add_argument("--debug", action="store_true",
                   help="Werkzeug's development server with its debugger instead of the production server")


def main(argv=None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        argv = ["serve", *argv]  # plain `gradcanvas` serves
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except GraphError as err:
        print(f"gradcanvas {args.command}: error:", file=sys.stderr)
        for problem in err.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
