"""Reading Python-like source with ``ast`` (never executing it), for formulas and layer scripts:
every way ast.parse can fail becomes a refusal of the caller's kind, with line and column."""
from __future__ import annotations

import ast


def parse_source(text: str, error, what: str) -> ast.Module:
    """The module's syntax tree; ``error(message)`` for anything that cannot be read."""
    try:
        return ast.parse(text, mode="exec")
    except SyntaxError as err:
        raise error(f"line {err.lineno}, column {err.offset}: {err.msg}", reason="syntax", line=err.lineno,
                    column=err.offset, detail=err.msg) from None
    except (RecursionError, MemoryError):
        raise error(f"the {what} is nested too deeply to parse") from None
    except ValueError as err:  # e.g. a NUL character
        raise error(f"the {what} cannot be parsed: {err}") from None
