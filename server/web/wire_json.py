"""The JSON module Socket.IO decodes packets with: nothing a client sends can crash it.

The standard reader raises on 5,000-digit integers and on 100,000 nested arrays,
and python-socketio then drops the packet without an ack, leaving the client
waiting. Here long integers read as ±∞ (which every number check refuses), and a
payload that still cannot be read arrives as the event ``malformed``, so the
client is acknowledged with a refusal.
"""
from __future__ import annotations

import json
import re

from ..engine.text import loads_json

MALFORMED = "malformed"
_EVENT = re.compile(r'^\s*\[\s*"((?:[^"\\]|\\.){1,100})"')


def dumps(obj, **kw):
    return json.dumps(obj, **kw)


def loads(text, **kw):
    try:
        return loads_json(text)
    except ValueError:
        m = _EVENT.match(text if isinstance(text, str) else text.decode("utf-8", "replace"))
        return [MALFORMED, {"event": m.group(1) if m else None}]
