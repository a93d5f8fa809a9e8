"""The Flask-SocketIO extension object, shared by the app factory and the event handlers."""
from flask_socketio import SocketIO

# threading mode with simple-websocket: a real websocket, no monkey-patching.
socketio = SocketIO(async_mode="threading")
