"""How long a learner's first `python start.py` takes, from a fresh clone to JupyterLab serving.

    python benchmarks/startup.py [--installer auto|pip|uv] [--repeat N] [--warm-cache]

Clones this repository (its committed HEAD) into a temporary folder and runs
`python start.py --no-browser` there, as a new learner would, with empty pip and uv caches
(unless --warm-cache) so that every package comes from the registry or the machine's wheel
folders as on a first start. It timestamps each line start.py prints and stops when
JupyterLab answers on /api/status. Target: 60 s on a 2-core machine with the registry
reachable. CNNBOOK_INSTALLER chooses the installer start.py uses (see start.py).

Measured on the 2-core development machine, shared with other work, empty caches, December
2026: with pip 50.2, 59.8 and 86.2 s; with uv (installed into .venv first, then `uv pip
install`) 21.6, 24.8 and 24.8 s. So start.py's default (auto) is uv, with pip as the fallback.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 60.0
# Lines of start.py that mark a stage, and how the report names it.
STAGES = [("[1/3]", "virtual environment"), ("[2/3]", "install started"), ("[3/3]", "installed"),
          ("Opening JupyterLab", "notebooks copied")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_start(installer: str, warm_cache: bool) -> dict[str, float]:
    """Seconds from the start of `python start.py` to each stage and to JupyterLab serving."""
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "workbook"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        env = dict(os.environ, CNNBOOK_INSTALLER=installer)
        if not warm_cache:
            env["PIP_CACHE_DIR"] = str(Path(tmp) / "pip-cache")
            env["UV_CACHE_DIR"] = str(Path(tmp) / "uv-cache")
        for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR",
                     "JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR"):
            env[name] = str(Path(tmp) / "home" / name.lower())
        port = free_port()
        times: dict[str, float] = {}
        lines: list[str] = []
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "start.py", "--no-browser", "--ip=127.0.0.1",
                                 f"--port={port}", "--IdentityProvider.token="],
                                cwd=clone, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, errors="replace", start_new_session=True)

        def read() -> None:
            for line in proc.stdout:
                lines.append(line)
                for marker, stage in STAGES:
                    if line.startswith(marker) and stage not in times:
                        times[stage] = time.perf_counter() - start

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            while True:
                if proc.poll() is not None:
                    raise RuntimeError("start.py ended before JupyterLab served:\n" + "".join(lines[-40:]))
                if time.perf_counter() - start > 900:
                    raise RuntimeError("JupyterLab did not serve within 15 minutes")
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=2).close()
                    break
                except OSError:
                    time.sleep(0.25)
            times["JupyterLab serving"] = time.perf_counter() - start
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=60)
            reader.join(timeout=10)
        used = [line.strip() for line in lines if line.startswith("+ ") or "uv" in line.lower()]
        times["_log"] = used  # type: ignore[assignment]
        return times


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--installer", default="auto", choices=["auto", "pip", "uv"])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--warm-cache", action="store_true",
                        help="keep the user's pip and uv caches (not a learner's first start)")
    args = parser.parse_args(argv)
    print(f"first `python start.py` in a fresh clone, installer {args.installer}, "
          f"{'warm' if args.warm_cache else 'empty'} caches, {os.cpu_count()} cores")
    serving = []
    for k in range(args.repeat):
        times = first_start(args.installer, args.warm_cache)
        log = times.pop("_log")
        stages = ", ".join(f"{stage} {t:.1f} s" for stage, t in times.items())
        print(f"run {k + 1}: {stages}")
        for line in log:
            print(f"    {line[:140]}")
        serving.append(times["JupyterLab serving"])
    median = statistics.median(serving)
    print(f"JupyterLab serving after {median:.1f} s (median of {len(serving)}); target {TARGET_SECONDS:.0f} s: "
          f"{'met' if median <= TARGET_SECONDS else 'missed'}")
    return 0 if median <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
