"""The one place that sends Socket.IO messages: what services put in their outbox, and relays."""
from __future__ import annotations

from ..service import Message, Outcome
from .realtime import socketio


def send(message: Message):
    socketio.emit(message.event, message.payload, to=message.room, skip_sid=message.skip_sid)


def publish(outcome: Outcome) -> dict:
    """Send what the service queued for the room, in order; returns the caller's reply."""
    if outcome.outbox is not None:
        outcome.outbox.drain(send)
    return outcome.reply
