"""Real servers for the grading tests, started by the tests on 127.0.0.1 and stopped after:
a Dask scheduler with its workers, and a throwaway PostgreSQL cluster. No system service,
no mock. Also the free port every test server takes."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

PG_HOW_TO = "apt-get install -y postgresql (Debian's server binaries; the tests start their own server)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, seconds: float, what: str):
    """The condition's first true value, polled; a clear failure after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"waited {seconds:g} s for {what}")


@contextmanager
def dask_cluster(root: Path, workers: int = 2):
    """``dask scheduler`` and ``workers`` × ``dask worker`` (one thread each) as their own
    processes; yields the scheduler's address. Their logs are ``root/dask-*.log``."""
    pytest.importorskip("distributed", reason="pip install -e '.[grading]'")
    from distributed import Client
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    address = f"tcp://127.0.0.1:{free_port()}"
    env = {**os.environ, "MPLBACKEND": "Agg"}
    procs, logs = [], []
    try:
        logs.append(open(root / "dask-scheduler.log", "w"))
        procs.append(subprocess.Popen(dask + ["--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                                              "--no-dashboard"], stdout=logs[-1], stderr=subprocess.STDOUT,
                                      env=env))
        for k in range(workers):
            log = open(root / f"dask-worker-{k}.log", "w")
            logs.append(log)
            procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                                           "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"],
                                          stdout=log, stderr=subprocess.STDOUT, env=env))
        with Client(address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=120)
        yield address
    finally:
        for proc in reversed(procs):
            proc.send_signal(signal.SIGINT)
        for proc in reversed(procs):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in logs:
            log.close()


def postgres_binaries() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


class Postgres:
    """A throwaway PostgreSQL cluster run by the ``postgres`` user on a data and socket
    folder made for it outside pytest's temporary folder (which that user cannot enter)."""

    def __init__(self):
        self.bin = postgres_binaries()
        if self.bin is None:
            if os.environ.get("CNNBOOK_REQUIRE_POSTGRES") == "1":  # set in CI (.ci/run)
                pytest.fail(f"CNNBOOK_REQUIRE_POSTGRES is set but no PostgreSQL server was found: {PG_HOW_TO}")
            pytest.skip(f"no PostgreSQL server binaries: {PG_HOW_TO}")
        pytest.importorskip("psycopg", reason="pip install -e '.[postgres]'")
        self.folder = Path(tempfile.mkdtemp(prefix="cnnbook-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        as_root = os.geteuid() == 0
        self.runner = ["runuser", "-u", "postgres", "--"] if as_root else []
        if as_root:
            shutil.chown(self.folder, "postgres", "postgres")
        self.folder.chmod(0o700)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run(self.runner + [str(self.bin / tool), *args], capture_output=True, text=True,
                              timeout=120, cwd=self.folder)
        assert done.returncode == 0, f"{tool}: {done.stdout}{done.stderr}"

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"), "-w", "-o",
                  f"-h 127.0.0.1 -p {self.port} -k {self.folder} -F", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def database(self, name: str) -> str:
        """A new empty database's URL."""
        import psycopg
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'create database "{name}"')
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def close(self) -> None:
        try:
            self.stop()
        except AssertionError:
            pass  # already stopped
        shutil.rmtree(self.folder, ignore_errors=True)
