"""The package tree shows the architecture, and these tests keep it honest: imports
point down (engine ← teaching, export ← store ← service ← web), SQL lives only in
the store, and web handlers take no locks."""
from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVER = ROOT / "server"

# What each part may import from the rest of server/ (besides itself and server.errors).
ALLOWED = {
    "engine": set(),
    "teaching": {"engine"},
    "export": {"engine"},
    "store": set(),
    "service": {"engine", "teaching", "store"},
    "web": {"engine", "teaching", "export", "store", "service"},
}


def part_of(path: Path) -> str:
    rel = path.relative_to(SERVER)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def imported_parts(path: Path) -> set[tuple[str, int]]:
    """The server parts a module imports, with line numbers (relative imports resolved)."""
    tree = ast.parse(path.read_text(), str(path))
    package = list(path.relative_to(ROOT).with_suffix("").parts[:-1])
    if path.name == "__init__.py":
        package = list(path.relative_to(ROOT).parts[:-1])
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = base + (node.module.split(".") if node.module else [])
                names = [target + [a.name] for a in node.names] if not node.module else [target]
            else:
                names = [(node.module or "").split(".")]
        elif isinstance(node, ast.Import):
            names = [a.name.split(".") for a in node.names]
        else:
            continue
        for parts in names:
            if parts and parts[0] == "server" and len(parts) > 1:
                found.add((parts[1], node.lineno))
    return found


def modules():
    return sorted(p for p in SERVER.rglob("*.py"))


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_each_part_imports_only_the_parts_below_it(part):
    wrong = []
    for path in modules():
        if part_of(path) != part:
            continue
        for other, line in imported_parts(path):
            if other not in ALLOWED[part] | {part, "errors"}:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports server.{other}")
    assert not wrong, f"{part} may import only {sorted(ALLOWED[part])}:\n" + "\n".join(wrong)


def test_the_import_check_sees_relative_and_absolute_imports(tmp_path):
    # The check above must not pass by failing to see imports: feed it a module that has both.
    fake = SERVER / "engine" / "_probe_for_test.py"
    fake.write_text("from ..web import app\nimport server.store.sqlite\nfrom . import plan\n")
    try:
        assert {p for p, _ in imported_parts(fake)} == {"web", "store", "engine"}
    finally:
        fake.unlink()


SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE|"
                 r"BEGIN\s+IMMEDIATE|PRAGMA)\b", re.IGNORECASE)


def test_no_sql_outside_the_store():
    wrong = [f"{p.relative_to(ROOT)}:{i}" for p in modules() if part_of(p) != "store"
             for i, line in enumerate(p.read_text().splitlines(), 1) if SQL.search(line)]
    assert not wrong, "SQL outside server/store/: " + ", ".join(wrong)


def handler_modules():
    """The web modules that define handlers: HTTP routes or Socket.IO events."""
    for path in sorted((SERVER / "web").glob("*.py")):
        text = path.read_text()
        if re.search(r"^@(bp\.\w+|socketio\.on)\(", text, re.MULTILINE):
            yield path


def test_no_lock_is_taken_in_a_web_handler():
    paths = list(handler_modules())
    assert {p.name for p in paths} >= {"events.py", "api.py", "library.py", "files.py", "pages.py"}
    wrong = []
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.With):
                for item in node.items:
                    text = ast.unparse(item.context_expr)
                    if "lock" in text.lower():
                        wrong.append(f"{path.name}:{node.lineno} with {text}")
            if isinstance(node, ast.Attribute) and node.attr in ("lock", "acquire", "release"):
                wrong.append(f"{path.name}:{node.lineno} .{node.attr}")
    assert not wrong, "locks belong to the services: " + ", ".join(wrong)


def test_only_the_publish_module_emits():
    wrong = [f"{p.relative_to(ROOT)}:{i}" for p in modules() if p.name != "publish.py"
             for i, line in enumerate(p.read_text().splitlines(), 1) if "socketio.emit(" in line]
    assert not wrong, "emit through server/web/publish.py: " + ", ".join(wrong)


def test_every_package_under_server_is_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    packages = {".".join(p.parent.relative_to(ROOT).parts) for p in SERVER.rglob("__init__.py")}
    assert packages <= listed, f"missing from pyproject: {sorted(packages - listed)}"
