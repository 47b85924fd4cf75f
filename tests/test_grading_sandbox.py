"""The learner's process: what its bounds stop, and how the grader survives what it does."""

from __future__ import annotations

import os
import struct
import time

import numpy as np
import pytest

from conftest import ROOT
from instructor.grading import seccomp
from instructor.grading.sandbox import Limits, Sandbox, SandboxLost, SandboxTimeout

pytestmark = pytest.mark.slow


@pytest.fixture
def box(tmp_path):
    sandbox = Sandbox(tmp_path, Limits(cell_timeout=5, memory=512 << 20, max_message=1 << 20))
    sandbox.start()
    yield sandbox
    sandbox.kill()


def cells(box, *sources, timeout=5.0):
    runs = {}
    names = box.run_cells(list(enumerate(sources)), time.monotonic() + timeout, runs.__setitem__)
    return runs, names


def test_the_bounds_hold(box, tmp_path):
    if not box.applied["files"].get("ok") or not box.applied["syscalls"].get("ok"):
        if os.environ.get("CNNBOOK_REQUIRE_BOUNDS") == "1":  # set in CI (.ci/run)
            pytest.fail(f"a bound is missing: {box.applied}")
        pytest.skip(f"this kernel lacks a bound: {box.applied}")
    assert box.applied["syscalls"]["by"] == "libseccomp"
    assert {"EXECUTE", "WRITE_FILE", "READ_FILE"} <= set(box.applied["files"]["handled"])
    secret = ROOT / "instructor" / "oracles.py"
    outside = tmp_path.parent / f"outside-{os.getpid()}.txt"
    probe = box.probe({"read": [str(secret), str(ROOT / "solutions" / "assignment1" / "part1_forward.ipynb")],
                       "write": [str(outside), str(tmp_path / "mine.txt")], "grader": os.getpid()})
    assert probe[f"read {secret}"].startswith("denied")
    assert probe[f"read {ROOT / 'solutions' / 'assignment1' / 'part1_forward.ipynb'}"].startswith("denied")
    assert probe[f"write {outside}"].startswith("denied") and not outside.exists()
    assert probe[f"write {tmp_path / 'mine.txt'}"] == "allowed"
    for what in ("fork", "signal the grader", "signal its launcher", "open a socket", "raise the memory limit"):
        assert probe[what].startswith("denied"), what
    assert probe["memory limit"] == 512 << 20


LIMITS = Limits(cell_timeout=5, memory=512 << 20, max_message=1 << 20)


def test_the_learners_process_holds_its_two_pipes_and_nothing_else_of_the_launcher(box):
    """Forked from the launcher, it keeps no descriptor of the launcher's: not its socket
    to the grader, not another learner's process."""
    cells(box, "import os, sys\n"
               "def is_open(fd):\n    try:\n        os.fstat(fd)\n        return True\n"
               "    except OSError:\n        return False\n"
               "held = [fd for fd in range(3, 256) if is_open(fd)]\n"
               "pipes = sorted(int(a) for a in sys.argv[1:])\n")
    deadline = time.monotonic() + 5
    assert box.get("held", deadline) == box.get("pipes", deadline) and len(box.get("pipes", deadline)) == 2


def test_each_learners_process_starts_as_the_launcher_left_it(tmp_path):
    """One launcher forks them all, and what one learner's code changes in the modules they
    share (numpy, the checker's registry) never reaches the next."""
    first, second = Sandbox(tmp_path / "a", LIMITS), Sandbox(tmp_path / "b", LIMITS)
    for box in (first, second):
        box.workdir.mkdir()
    try:
        first.start()
        launcher, pid = first.proc.launcher, first.proc.pid
        runs, _ = cells(first, "import numpy, cnnbook.checks\nnumpy.pi = 3\ncnnbook.checks._EXERCISES.clear()")
        assert runs[0]["error"] is None
        first.kill()
        second.start()
        assert second.proc.launcher is launcher and second.proc.pid != pid
        cells(second, "import numpy, cnnbook.checks\npi = numpy.pi\nexercises = len(cnnbook.checks._EXERCISES)")
        deadline = time.monotonic() + 5
        assert second.get("pi", deadline) == np.pi and second.get("exercises", deadline) > 0
    finally:
        second.kill()


def test_a_launcher_that_dies_takes_its_learners_with_it_and_is_started_again(tmp_path):
    box = Sandbox(tmp_path / "a", LIMITS)
    box.workdir.mkdir()
    box.start()
    cells(box, "def f():\n    return 1\n")
    launcher = box.proc.launcher
    launcher.proc.kill()
    launcher.proc.wait()
    with pytest.raises(SandboxLost, match="killed"):
        box.call(("name", "f"), (), {}, {}, time.monotonic() + 5)
    again = Sandbox(tmp_path / "b", LIMITS)
    again.workdir.mkdir()
    try:
        again.start()
        assert again.proc.launcher is not launcher
        runs, _ = cells(again, "x = 1")
        assert runs[0]["error"] is None
    finally:
        again.kill()


def test_it_has_what_a_learner_has_and_not_the_instructors_package(box):
    runs, names = cells(box, "import public_tests, cnnbook.checker\nfrom cnnbook import digits\nok = 1",
                        "import instructor")
    assert runs[0]["error"] is None and names["ok"]["kind"] == "value"
    assert runs[1]["error"]["ename"] == "ModuleNotFoundError"


def test_memory_runs_out_inside_the_limit(box):
    runs, _ = cells(box, "import numpy as np\nx = np.ones(10**8)", "y = 1")
    assert runs[0]["error"]["ename"] == "MemoryError" and runs[1]["error"] is None
    assert box.alive


def test_an_endless_call_is_stopped_at_its_deadline(box):
    cells(box, "def spin():\n    while True:\n        pass\n")
    start = time.monotonic()
    with pytest.raises(SandboxTimeout):
        box.call(("name", "spin"), (), {}, {}, time.monotonic() + 1.5)
    assert 1.4 < time.monotonic() - start < 5 and not box.alive


def test_a_process_that_exits_is_reported(box):
    cells(box, "import os\ndef leave():\n    os._exit(7)\n")
    with pytest.raises(SandboxLost, match="exit code 7"):
        box.call(("name", "leave"), (), {}, {}, time.monotonic() + 5)


def test_a_forged_message_ends_the_process(box):
    # A frame header saying 5 bytes, then 5 bytes that are not the wire format.
    cells(box, "import os, sys\ndef forge():\n    os.write(int(sys.argv[2]), b'\\x05' + b'\\0' * 7 + b'ZZZZZ')\n"
               "    while True: pass\n")
    with pytest.raises(SandboxLost, match="refuses"):
        box.call(("name", "forge"), (), {}, {}, time.monotonic() + 5)
    assert not box.alive


def test_an_oversized_result_is_refused(box):
    cells(box, "import numpy as np\ndef big():\n    return np.zeros(10**6)\n")
    with pytest.raises(SandboxLost, match="over the limit"):
        box.call(("name", "big"), (), {}, {}, time.monotonic() + 5)


def test_swapped_helpers_are_served_by_the_grader(box):
    cells(box, "def outer(x):\n    return helper(x) + 1\n"
               "def sneaky(x):\n    return other(x)\n")
    seen = []

    def helper(x):
        seen.append(x.copy())
        return x * 10

    result, args, _ = box.call(("name", "outer"), (np.ones(2),), {}, {"helper": helper}, time.monotonic() + 5)
    assert result.tolist() == [11.0, 11.0] and len(seen) == 1
    with pytest.raises(NameError):  # a helper the grader did not offer does not exist there
        box.call(("name", "sneaky"), (np.ones(2),), {}, {"helper": helper}, time.monotonic() + 5)
    assert box.alive


def test_the_graders_arguments_arrive_as_data(box):
    """Slices, Ellipsis, ranges, dtypes and builtin or numpy types cross as themselves (the
    same codec both ways), so a check can pass them as in a notebook."""
    cells(box, "import numpy as np\n"
               "def pick(x, index, dtype, kind, steps):\n"
               "    return x[index].astype(dtype), type(index[1]).__name__, kind is float, list(steps)\n")
    (picked, index_type, is_float, steps), _, _ = box.call(
        ("name", "pick"), (np.arange(6.0).reshape(2, 3), (Ellipsis, slice(0, 2)), np.dtype("<f4"), float,
                           range(1, 7, 2)), {}, {}, time.monotonic() + 5)
    assert picked.dtype == np.float32 and picked.tolist() == [[0.0, 1.0], [3.0, 4.0]]
    assert (index_type, is_float, steps) == ("slice", True, [1, 3, 5])


def test_inputs_changed_by_the_learner_come_back(box):
    cells(box, "def scale(a, hp):\n    a *= 2\n    hp['pad'] = 0\n    return None\n")
    _, args, _ = box.call(("name", "scale"), (np.ones(2), {"pad": 1}), {}, {}, time.monotonic() + 5)
    assert args[0].tolist() == [2.0, 2.0] and args[1] == {"pad": 0}


def test_exit_and_interrupt_in_learner_code_are_ordinary_errors(box):
    runs, _ = cells(box, "raise SystemExit(3)", "raise KeyboardInterrupt", "def f():\n    exit()\n")
    assert runs[0]["error"]["ename"] == "SystemExit" and runs[1]["error"]["ename"] == "KeyboardInterrupt"
    with pytest.raises(Exception) as err:
        box.call(("name", "f"), (), {}, {}, time.monotonic() + 5)
    assert type(err.value).__name__ == "SystemExit" and isinstance(err.value, Exception)
    assert box.alive


def test_objects_and_arrays_behave_as_in_one_process(tmp_path):
    from instructor.grading.checking import RemoteLearner, make_proxies

    program = [(0, "import numpy as np\n"
                   "class Layer:\n"
                   "    def __init__(self, W):\n        self.W = W\n"
                   "    def forward(self, x):\n        return x @ self.W\n"
                   "    def grow(self):\n        self.W += 1\n"
                   "def build(factory, W):\n    return factory(W).forward(np.ones(2))\n")]
    learner = RemoteLearner(program, tmp_path, Limits(cell_timeout=5, memory=512 << 20), time.monotonic() + 60)
    try:
        names = learner.ensure()
        learner.deadline_for_call = time.monotonic() + 30
        proxies = make_proxies(learner, names)
        W = np.eye(2)
        layer = proxies["Layer"](W)
        assert type(layer).__name__ == "Layer" and layer.W is W  # the very array passed in
        W[0, 0] = 5.0  # the grader nudges it, as a gradient check does
        assert layer.forward(np.ones(2)).tolist() == [5.0, 1.0]
        layer.grow()  # the learner's code changes it in place
        assert W.tolist() == [[6.0, 1.0], [1.0, 2.0]]

        class Reference:  # one of the grader's objects, used by the learner's code
            def __init__(self, W):
                self.W = W

            def forward(self, x):
                return float(x @ self.W @ np.ones(2))
        assert proxies["build"](Reference, W) == 10.0
        # The learner's special methods and attributes never reach the grader.
        assert type(layer).__module__ == "instructor.grading.shared" and (layer == 5) is False
        with pytest.raises(AttributeError):
            layer.__dict__  # noqa: B018
    finally:
        learner.close()


def test_the_checker_reads_the_calls_an_error_came_through_as_in_a_notebook(tmp_path):
    """The grader's runner gives the checker what the notebook's does: the learner's calls
    with their variables (reported by the learner's process with the error), then the calls
    of a swapped helper of the grader's that raised; the learner's line from them; and the
    same object of the learner's as the same stand-in each time it comes back."""
    from cnnbook import checks, rebinding
    from instructor.grading.checking import RemoteLearner, make_proxies

    program = [(0, "def outer(x):\n    scale = 3\n    return helper(x * scale)\n"
                   "def broken(x):\n    return x.reshape(5)\n"
                   "class Box:\n    pass\n"
                   "def pair():\n    box = Box()\n    return box, box\n"
                   "def same(box):\n    return box\n")]
    learner = RemoteLearner(program, tmp_path, Limits(cell_timeout=5, memory=512 << 20), time.monotonic() + 60)

    def helper(y):  # the grader's reference, swapped in for the learner's helper
        limit = 1
        raise ValueError(f"{y.sum()} is over {limit}")
    try:
        learner.deadline_for_call = time.monotonic() + 30
        proxies = make_proxies(learner, learner.ensure())
        runner = rebinding.runner_of(proxies["outer"])
        assert runner is not rebinding.LOCAL and "helper" in runner.names_used(proxies["outer"])
        with pytest.raises(ValueError) as swapped_error:
            runner.with_globals(proxies["outer"], {"helper": helper})(np.ones(2))
        with pytest.raises(ValueError) as own_error:
            proxies["broken"](np.ones(2))
        running = checks.RUNNER.set(runner)
        try:
            frames = checks.raising_frames(swapped_error.value)
            line = checks.learner_line(own_error.value)
        finally:
            checks.RUNNER.reset(running)
        assert [f.function for f in frames] == ["outer", "helper"]
        assert frames[0].locals["scale"] == 3 and frames[0].locals["x"].tolist() == [1.0, 1.0]
        assert frames[1].locals["limit"] == 1 and frames[1].locals["y"].tolist() == [3.0, 3.0]
        assert line == " (in broken, line 5: `return x.reshape(5)`)"
        first, second = proxies["pair"]()
        assert first is second and proxies["same"](first) is first
    finally:
        learner.close()


def test_the_grader_lends_no_module_or_function_through_its_objects(tmp_path):
    from instructor.grading.checking import RemoteLearner, make_proxies

    program = [(0, "def reach(ref):\n    return ref.tools.load\n"
                   "def use(ref):\n    return ref.twice(3)\n")]
    learner = RemoteLearner(program, tmp_path, Limits(cell_timeout=5, memory=512 << 20), time.monotonic() + 60)

    class Reference:
        tools = np  # a module at hand: the learner's code must not get it

        def twice(self, x):
            return 2 * x
    try:
        learner.deadline_for_call = time.monotonic() + 30
        proxies = make_proxies(learner, learner.ensure())
        assert proxies["use"](Reference()) == 6
        with pytest.raises(AttributeError, match="not shared"):
            proxies["reach"](Reference())
    finally:
        learner.close()


@pytest.mark.parametrize("arch", sorted(seccomp.ARCHES))
def test_the_seccomp_filter_is_built_by_name_for_each_architecture(arch):
    """libseccomp builds the filter for x86_64 and aarch64 alike (only this machine's own is
    loaded); exported as BPF, it checks the architecture first and names every denied
    system call by that architecture's number."""
    try:
        flt = seccomp.Filter(arch)
    except seccomp.SeccompUnavailable as err:
        if os.environ.get("CNNBOOK_REQUIRE_BOUNDS") == "1":
            pytest.fail(str(err))
        pytest.skip(str(err))
    try:
        bpf = flt.export_bpf()
        lib, token = flt.lib, seccomp.ARCHES[arch]
        numbers = {}
        for names in seccomp.DENIED.values():
            for name in names:
                nr = lib.seccomp_syscall_resolve_name_arch(token, name.encode())
                if nr >= 0:
                    numbers[name] = nr
    finally:
        flt.release()
    program = [struct.unpack_from("<HBBI", bpf, i) for i in range(0, len(bpf), 8)]
    assert program[0] == (0x20, 0, 0, 4)            # load the architecture
    assert program[1][0] == 0x15 and program[1][3] == token  # and compare it first
    compared = {k for code, _, _, k in program if code == 0x15}
    assert set(numbers.values()) <= compared
    assert {"clone", "execve", "kill", "socket", "setrlimit", "ptrace", "bpf"} <= set(numbers)
    if arch == "aarch64":
        assert set(flt.skipped) == {n for names in seccomp.DENIED.values() for n in names} - set(numbers)
        assert "fork" in flt.skipped  # aarch64 has no fork: clone covers it


def test_the_death_signal_cannot_be_removed_with_high_bits(box):
    """prctl's option is an int: PR_SET_PDEATHSIG (1) with bits above the 32nd set is still
    PR_SET_PDEATHSIG to the kernel, and is refused as it is."""
    if not box.applied["syscalls"].get("ok"):
        if os.environ.get("CNNBOOK_REQUIRE_BOUNDS") == "1":
            pytest.fail(f"seccomp is missing: {box.applied['syscalls']}")
        pytest.skip(f"no seccomp here: {box.applied['syscalls']}")
    runs, names = cells(box, "import ctypes, errno, platform\n"
                             "libc = ctypes.CDLL(None, use_errno=True)\n"
                             "nr = {'x86_64': 157, 'aarch64': 167}[platform.machine()]\n"
                             "results = []\n"
                             "for option in (1, 0x100000001):\n"
                             "    ctypes.set_errno(0)\n"
                             "    r = libc.syscall(nr, ctypes.c_ulong(option), ctypes.c_ulong(0), ctypes.c_ulong(0),\n"
                             "                     ctypes.c_ulong(0), ctypes.c_ulong(0))\n"
                             "    results.append((r, ctypes.get_errno() == errno.EPERM))\n"
                             "results")
    assert runs[0]["error"] is None, runs[0]["error"]
    assert runs[0]["value"] == "[(-1, True), (-1, True)]"
