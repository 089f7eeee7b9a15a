"""The services a load or fault run starts for itself, all on 127.0.0.1 and all stopped afterwards: a private
PostgreSQL cluster (initdb/pg_ctl from Debian's binaries, so the shared server is never restarted), a private
Redis, and gunicorn serving the app (``bench/serve.py``) in the production configuration.

Nothing here imports locust: the simulated residents run in a child process (``bench/swarm.py``), so the
fault test can call these helpers from inside pytest without gevent's monkey-patching.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# gunicorn's shape for a load run, as the README advises for production: one gthread worker per core (a worker
# is one Python process, so more of them than cores only take turns on the cores and hold more database
# connections), each with 4 threads so that a worker waiting on PostgreSQL serves another request meanwhile.
DEFAULT_WORKERS = max(2, os.cpu_count() or 2)
DEFAULT_THREADS = 4


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


def pg_bin() -> Path | None:
    """The newest Debian PostgreSQL server binaries, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    return Path(found[-1]).parent if found else None


def missing_tools() -> str | None:
    """Why a load or fault run cannot start here, or None."""
    if pg_bin() is None:
        return "PostgreSQL server binaries (initdb, pg_ctl) are not installed under /usr/lib/postgresql/*/bin"
    if shutil.which("redis-server") is None:
        return "redis-server is not installed"
    for module in ("gunicorn", "locust"):
        if importlib.util.find_spec(module) is None:
            return f"the Python package {module} is not installed (pip install -e '.[dev]')"
    return None


class PrivatePostgres:
    """A throw-away PostgreSQL cluster in a temporary directory.  As root, the server runs as the ``postgres``
    account (PostgreSQL refuses to run as root)."""

    def __init__(self) -> None:
        self.bin = pg_bin()
        if self.bin is None:
            raise RuntimeError("PostgreSQL server binaries not found")
        self.dir = Path(tempfile.mkdtemp(prefix="folkmoot-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/folkmoot_bench"

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, cwd=self.dir)

    def start(self) -> PrivatePostgres:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-instructions")
        self.pg_ctl("start")
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "folkmoot_bench")
        return self

    def pg_ctl(self, action: str, mode: str = "fast") -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.dir} -c max_connections=200"
        args = [str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "server.log"), "-w", "-t", "60"]
        if action in ("start", "restart"):
            args += ["-o", options]
        if action in ("stop", "restart"):
            args += ["-m", mode]
        self._run(*args, action)

    def restart(self) -> None:
        """A restart as an operator does it: fast shutdown (open transactions are rolled back), then start."""
        self.pg_ctl("restart")

    def stop(self) -> None:
        try:
            self.pg_ctl("stop", mode="immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivateRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--loglevel", "warning"], stdout=subprocess.DEVNULL)
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None


@dataclass
class Gunicorn:
    """gunicorn serving ``bench.serve:app`` (production configuration) on a free port; its log is a temporary
    file, removed when it stops unless BENCH_KEEP_LOGS is set."""

    database_url: str
    redis_url: str
    workers: int = DEFAULT_WORKERS
    threads: int = DEFAULT_THREADS
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Gunicorn:
        self.log = Path(tempfile.mkstemp(prefix="folkmoot-gunicorn-", suffix=".log")[1])
        env = {**os.environ, "DATABASE_URL": self.database_url, "REDIS_URL": self.redis_url,
               "SECRET_KEY": "bench-only-not-secret-" + "x" * 32, "FOLKMOOT_CONFIG": "production", "PYTHONPATH": str(ROOT)}
        # gthread workers: a slow client holds one thread, not a whole worker; --timeout restarts a stuck worker.
        cmd = [sys.executable, "-m", "gunicorn", "--workers", str(self.workers), "--worker-class", "gthread",
               "--threads", str(self.threads), "--bind", f"127.0.0.1:{self.port}", "--timeout", "30",
               "--graceful-timeout", "5", "--keep-alive", "5", "--log-level", "warning", "bench.serve:app"]
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        self.wait_healthy()
        return self

    def wait_healthy(self, timeout: float = 60.0) -> float:
        """Seconds until /health answers 200 (raises after ``timeout``)."""
        t = time.monotonic()
        while time.monotonic() - t < timeout:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}):\n{self.log_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=2) as resp:
                    if resp.status == 200:
                        return time.monotonic() - t
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer /health within {timeout:.0f} s")

    def worker_pids(self) -> list[int]:
        assert self.proc is not None
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

    def kill_worker(self) -> int:
        pid = self.worker_pids()[0]
        os.kill(pid, signal.SIGKILL)
        return pid

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
        if self.log is not None and not os.environ.get("BENCH_KEEP_LOGS"):
            self.log.unlink(missing_ok=True)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log and self.log.exists() else ""
