"""The grader against a learner's process that speaks the protocol badly on purpose.

A test child (forked by the real launcher in place of the real learner's process) says it is
ready, answers the grader's first request (running the cells) properly, and then, at the
grader's first call of the learner's function, sends one bad thing: a frame that does
not decode, an oversized or truncated frame, a message of an unknown kind, a message out
of order, a reference it was never given, silence, or nothing at all. Each must be
refused with a clear reason, scored 0 as a failed check, and the grader must neither
crash nor wait past its deadline.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from instructor.grading import protocol, sandbox, wire
from instructor.grading.checking import RemoteLearner, run_test
from instructor.grading.notebooks import TestCell
from instructor.grading.sandbox import Limits, Sandbox, SandboxLost

pytestmark = pytest.mark.slow

LAUNCHER = r'''
import importlib.util, os, struct, sys, time
spec = importlib.util.spec_from_file_location("sandbox_child", {child!r})
real = importlib.util.module_from_spec(spec)
spec.loader.exec_module(real)


def misbehave(rfd, wfd, setup):
    """In place of the real learner's process: say ready, then misbehave as mode.txt in
    the working folder says."""
    try:
        wire = real.wire
        with open(os.path.join(setup["workdir"], "mode.txt")) as f:
            MODE = f.read()
        send = lambda *message: wire.write_frame(wfd, wire.encode(message))
        send("ready", {{"limits": {{}}, "user": None, "files": {{"ok": False, "why": "test child"}},
                       "syscalls": {{"ok": False, "why": "test child"}}}}, {version!r})
        wire.read_frame(rfd)  # "cells"
        run = {{"error": None, "value": None, "stdout": "", "stderr": ""}}
        if MODE == "cells: a report of another cell":
            send("cell", 7, run)
        elif MODE == "cells: a malformed run":
            send("cell", 0, {{"error": {{"ename": 1}}, "stdout": 5}})
        elif MODE == "cells: an extra key":
            send("cell", 0, {{**run, "autograded": {{}}}})
        elif MODE == "cells: names of a strange kind":
            send("cell", 0, run)
            send("cells_done", {{"f": {{"kind": "module", "uses": []}}}})
        elif MODE == "cells: names not a dict":
            send("cell", 0, run)
            send("cells_done", [1])
        elif MODE == "cells: done too early":
            send("cells_done", {{}})
        elif MODE == "cells: a call's answer":
            send("return", 1, (), {{}}, [])
        else:  # answered as the real child does
            send("cell", 0, run)
            send("cells_done", {{"f": {{"kind": "function", "uses": []}}}})
        wire.read_frame(rfd)  # the first call of f: answered badly
        if MODE == "garbage":
            wire.write_frame(wfd, b"\xff\x00 not a message")
        elif MODE == "unknown tag":
            wire.write_frame(wfd, b"t\x01\x00\x00\x00Z")
        elif MODE == "trailing bytes":
            wire.write_frame(wfd, wire.encode(("return", 1, (), {{}}, [])) + b"N")
        elif MODE == "too deep":
            wire.write_frame(wfd, b"t\x01\x00\x00\x00" * 1000 + b"N")
        elif MODE == "bad count":
            wire.write_frame(wfd, b"l\xff\xff\xff\xff")
        elif MODE == "bad dtype":
            wire.write_frame(wfd, b"a" + struct.pack("<I", 3) + b"|O8" + b"\x00" + struct.pack("<Q", 0))
        elif MODE == "array size lies":
            wire.write_frame(wfd, b"a" + struct.pack("<I", 3) + b"<f8" + b"\x01" + struct.pack("<q", 10 ** 9)
                             + struct.pack("<Q", 8) + b"\x00" * 8)
        elif MODE == "oversized":
            os.write(wfd, struct.pack("<Q", 1 << 40))
            time.sleep(60)
        elif MODE == "truncated":
            os.write(wfd, struct.pack("<Q", 100) + b"t\x01")
            os._exit(0)
        elif MODE == "unknown kind":
            send("frobnicate", 1, 2)
        elif MODE == "not a message":
            wire.write_frame(wfd, wire.encode([1, 2, 3]))
        elif MODE == "empty message":
            wire.write_frame(wfd, wire.encode(()))
        elif MODE == "out of order":
            send("cells_done", {{}})
        elif MODE == "answer without changes":
            send("return")
        elif MODE == "an answer of the wrong kind":
            send("value", 1, [])
        elif MODE == "a raise without a proper error":
            send("raise", "not a dict", [])
        elif MODE == "callback of no helper":
            send("callback", "os_system", ("ls",), {{}})
        elif MODE == "grader object never given":
            send("grader_call", 12345, (), {{}})
        elif MODE == "private attribute":
            send("grader_getattr", 1, "__class__")
        elif MODE == "shared array with a grader token":
            wire.write_frame(wfd, b"K" + struct.pack("<q", 5) + b"\x00\x00\x00\x00")
        elif MODE == "changes of the wrong shape":
            send("return", 1, (), {{}}, [("token", "<f8", [1], b"")])
        elif MODE == "silent":
            time.sleep(60)
        elif MODE == "exits":
            os._exit(3)
        time.sleep(60)
    finally:
        os._exit(0)


real.become_learner = misbehave
real.main(sys.argv)
'''

REFUSED = ["garbage", "unknown tag", "trailing bytes", "too deep", "bad count", "bad dtype", "array size lies",
           "oversized", "unknown kind", "not a message", "empty message", "out of order",
           "answer without changes", "an answer of the wrong kind", "a raise without a proper error",
           "callback of no helper", "grader object never given", "private attribute",
           "shared array with a grader token", "changes of the wrong shape"]
ENDED = ["truncated", "exits"]
AT_CELLS = ["cells: a report of another cell", "cells: a malformed run", "cells: an extra key",
            "cells: names of a strange kind", "cells: names not a dict", "cells: done too early",
            "cells: a call's answer"]


@pytest.fixture(scope="module")
def bad_launcher(tmp_path_factory):
    """The real launcher, whose forked processes misbehave instead of serving the grader."""
    path = tmp_path_factory.mktemp("bad") / "bad_launcher.py"
    path.write_text(LAUNCHER.format(child=str(sandbox.CHILD), version=protocol.VERSION), encoding="utf-8")
    return path


@pytest.fixture
def bad_child(bad_launcher, tmp_path, monkeypatch):
    def make(mode: str) -> None:
        for folder in (tmp_path, tmp_path / "work"):  # the working folder of a Sandbox, of _grade
            folder.mkdir(exist_ok=True)
            (folder / "mode.txt").write_text(mode, encoding="utf-8")
        monkeypatch.setattr(sandbox, "CHILD", bad_launcher)
    return make


def _grade(tmp_path, cell_timeout: float = 3.0):
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    learner = RemoteLearner([(0, "def f():\n    return 1\n")], work,
                            Limits(cell_timeout=cell_timeout, memory=512 << 20, max_message=1 << 20),
                            time.monotonic() + 60)
    start = time.monotonic()
    try:
        result = run_test(TestCell("f_test", 2.0, "assert f() == 1", ""), {"__name__": "__main__"}, learner,
                          cell_timeout)
    finally:
        learner.close()
    return result, time.monotonic() - start, learner


@pytest.mark.parametrize("mode", REFUSED)
def test_a_bad_message_is_refused_and_scored_as_failed(mode, bad_child, tmp_path):
    bad_child(mode)
    result, seconds, learner = _grade(tmp_path)
    assert (result.status, result.score) == ("died", 0.0), (mode, result)
    message = result.public_message
    assert "the learner's Python process ended during this check" in message, message
    assert ("refuses" in message or "protocol" in message), (mode, message)
    assert seconds < 10, (mode, seconds)
    assert learner.sandbox.proc is None  # the misbehaving process is gone


@pytest.mark.parametrize("mode", AT_CELLS)
def test_a_bad_report_of_the_cells_is_refused_and_scored_as_failed(mode, bad_child, tmp_path):
    """Refused while the learner's cells run: the cell being reported is skipped (as a
    cell that ends the process is) or the process ends for the check, and the check fails,
    within the deadline."""
    bad_child(mode)
    result, seconds, learner = _grade(tmp_path)
    assert result.status in ("died", "failed") and result.score == 0.0, (mode, result)
    reasons = " ".join([result.public_message, *learner.skipped.values()])
    assert "it broke the grader's protocol" in reasons, (mode, reasons)
    assert seconds < 10


def test_another_protocol_version_is_a_setup_error(bad_child, tmp_path, monkeypatch):
    """Before any learner code runs, a mismatch is the grading setup's fault, not the
    submission's: the grader stops instead of scoring."""
    bad_child("silent")
    monkeypatch.setattr(protocol, "VERSION", protocol.VERSION + 1)
    with pytest.raises(sandbox.SandboxError, match="protocol"):
        Sandbox(tmp_path, Limits(cell_timeout=5, memory=512 << 20)).start()


@pytest.mark.parametrize("mode", ENDED)
def test_a_process_that_goes_away_mid_message_is_scored_as_failed(mode, bad_child, tmp_path):
    bad_child(mode)
    result, seconds, _ = _grade(tmp_path)
    assert (result.status, result.score) == ("died", 0.0), (mode, result)
    assert "ended" in result.public_message and seconds < 10


def test_silence_is_stopped_at_the_deadline(bad_child, tmp_path):
    bad_child("silent")
    result, seconds, learner = _grade(tmp_path, cell_timeout=2.0)
    assert (result.status, result.score) == ("timeout", 0.0)
    assert seconds < 8 and learner.sandbox.proc is None


def test_an_oversized_frame_is_refused_from_its_header(bad_child, tmp_path):
    """Nothing of a frame over the limit is read: the grader refuses it at once instead of
    waiting for bytes that would not fit in its memory."""
    bad_child("oversized")
    box = Sandbox(tmp_path, Limits(cell_timeout=30, memory=512 << 20, max_message=1 << 20))
    box.start()
    try:
        box.run_cells([(0, "def f():\n    return 1\n")], time.monotonic() + 30, lambda *a: None)
        start = time.monotonic()
        with pytest.raises(SandboxLost, match="over the limit"):
            box.call(("name", "f"), (), {}, {}, time.monotonic() + 30)
        assert time.monotonic() - start < 5
    finally:
        box.kill()
