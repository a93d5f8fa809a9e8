"""The servers under load: Redis and `gradcanvas serve` processes, and their CPU time."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.conftest import free_port, start_server, stop_server

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process, from /proc (Linux); 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def group_pids(pgid: int) -> list[int]:
    """Every process in a process group: a server is gunicorn's master and its worker."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(fields[2]) == pgid:
                pids.append(int(entry.name))
    return pids


class Servers:
    """``count`` server processes on one SQLite file, with Redis between them when more than one."""

    def __init__(self, count: int, threads: int, redis: bool | None = None):
        self.redis = self.redis_url = None
        if redis if redis is not None else count > 1:
            self.redis, self.redis_url = start_redis()
        data = tempfile.mkdtemp(prefix="gradcanvas-load-")
        # No per-browser edit rate: the harness's editors are the load, not abuse.
        flags = ["--edits-per-second", "1000000", "--threads", str(threads)]
        if self.redis_url:
            flags += ["--message-queue", self.redis_url]
        self.procs, self.urls = [], []
        try:
            for _ in range(count):
                proc, url = start_server(*flags, data_dir=data)
                self.procs.append(proc)
                self.urls.append(url)
        except BaseException:
            self.stop()
            raise
        # gunicorn's worker is forked after the master answers: both are in the group by now
        self.pids = [pid for proc in self.procs for pid in group_pids(proc.pid)]

    def cpu(self) -> float:
        """CPU seconds used so far by every server process."""
        return sum(cpu_seconds(pid) for pid in self.pids)

    def redis_cpu(self) -> float:
        return cpu_seconds(self.redis.pid) if self.redis else 0.0

    def stop(self):
        for proc in self.procs:
            stop_server(proc)
        if self.redis:
            self.redis.terminate()
            try:
                self.redis.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.redis.kill()
                self.redis.wait(timeout=5)


def start_redis():
    """A throwaway redis-server on a free loopback port (it holds nothing durable)."""
    port = free_port()
    proc = subprocess.Popen([shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(port),
                             "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            redis.Redis(port=port).ping()
            return proc, f"redis://127.0.0.1:{port}"
        except redis.ConnectionError:
            time.sleep(0.05)  # between two tries, bounded by the deadline
    proc.kill()
    raise RuntimeError("redis-server did not start")
