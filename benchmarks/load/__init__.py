"""A class on one graph, measured from the server's side (issue 15).

asyncio Socket.IO clients (python-socketio's AsyncClient) spread over several
client processes, against real `gradcanvas serve` processes (gunicorn) that
share one Redis. Run it from the repository root:

    .venv/bin/python -m benchmarks.load [--clients 100 300 1000] [--servers 4] [--single 100]

Modules: servers.py starts Redis and the servers and reads their CPU time;
fleet.py is one client process; drive.py runs the scenarios from the
coordinating process; report.py turns the results into tables.
"""
