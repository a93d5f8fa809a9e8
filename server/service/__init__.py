"""Graphs being edited: the services between the web handlers and the engine and store.

``GraphService`` (graph.py) is the thin service a handler calls. It holds the
graph's lock and composes a step cursor (cursor.py), an edit log (editlog.py)
and training (training.py). Each of its methods takes the lock itself and
returns an ``Outcome``: the reply for the caller and the messages for the room,
which the web layer's one ``publish()`` sends (outbox.py keeps them in order).
"""
from .graph import GraphService
from .outbox import Message, Outbox, Outcome
from .sessions import Sessions

__all__ = ["GraphService", "Message", "Outbox", "Outcome", "Sessions"]
