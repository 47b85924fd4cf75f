"""The grading pipeline's parts that need no learner process: the wire format, LMS zips,
restoring a submission's locked cells, the report's grouping of failures."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

from instructor.grading import intake, lms, notebooks, report, shared, wire
from instructor.grading.checking import _write_back
from instructor.grading.sandbox import learner_error

# The wire format ----------------------------------------------------------------------------


def test_data_goes_through_the_wire_as_it_was():
    a = np.arange(6.0).reshape(2, 3)
    value = (None, True, 3, 2**70, 1.5, 2j, "text", b"raw", [1, {"pad": 2}], a, a, np.float64(0.25),
             np.bool_(True), np.arange(4, dtype=np.int32)[::2])
    out = wire.decode(wire.encode(value))
    assert out[:9] == value[:9]
    assert np.array_equal(out[9], a) and out[9] is out[10]  # aliasing survives
    assert type(out[11]) is np.float64 and type(out[12]) is np.bool_
    assert out[13].dtype == np.int32 and out[13].tolist() == [0, 2]
    assert out[9].flags.writeable


def test_objects_arrive_as_opaque_stand_ins():
    class Liar:
        def __eq__(self, other):
            return True

    out = wire.decode(wire.encode([Liar(), np.array([Liar()], dtype=object)]))
    assert all(isinstance(x, wire.Opaque) for x in out)
    assert type(out[0]).__name__ == "Liar" and (out[0] == 5) is False  # no borrowed __eq__


@pytest.mark.parametrize("payload, why", [
    (b"a" + struct.pack("<I", 3) + b"|O8" + struct.pack("<B", 0) + struct.pack("<Q", 8) + b"x" * 8, "dtype"),
    (b"l" + struct.pack("<I", 10**9), "count"),
    (b"d" + struct.pack("<I", 1) + b"l" + struct.pack("<I", 0) + b"N", "unhashable"),
    (b"a" + struct.pack("<I", 3) + b"<f8" + struct.pack("<B", 1) + struct.pack("<q", 4) + struct.pack("<Q", 8)
     + b"x" * 8, "size"),
    (b"l" * 70 + struct.pack("<I", 1) * 70, "nested"),
    (b"Z", "unknown"),
    (b"NN", "trailing"),
])
def test_the_grader_refuses_malformed_data(payload, why):
    with pytest.raises(wire.WireError):
        wire.decode(payload)


def test_the_grader_sends_in_the_same_codec_and_names_only_what_the_learner_may_take():
    """Both directions use one codec: the grader's slices, ranges, dtypes and builtin or
    numpy types arrive as themselves, its other objects as stand-ins; the grader refuses a
    name, and a handle with its own sign, from the learner's process."""
    grader, learner = shared.Shared(shared.GRADER), shared.Shared(shared.LEARNER, peer=object())

    class Reference:
        pass

    ref = Reference()
    value = (slice(1, None, 2), Ellipsis, range(2, 9, 3), np.dtype("<f4"), np.float32, float, ref)
    out = wire.decode(wire.encode(value, grader), learner)
    assert out[:6] == value[:6] and out[4] is np.float32 and out[5] is float
    assert isinstance(out[6], shared.Stub) and type(out[6]).__name__ == "Reference"
    assert wire.decode(wire.encode(out[6], learner), grader) is ref  # handed back: the grader's own
    assert repr(out[6]) == "<Reference object of the grader>"
    with pytest.raises(AttributeError):
        out[6]._secret  # noqa: B018  (never asked for)
    with pytest.raises(wire.WireError, match="by name"):
        wire.decode(b"n" + struct.pack("<I", 13) + b"builtins:eval", grader)
    with pytest.raises(wire.WireError, match="handle 7"):  # a handle only the grader makes
        wire.decode(b"h" + struct.pack("<q", 7) + struct.pack("<I", 1) + b"X", shared.Shared(shared.GRADER, object()))
    with pytest.raises(wire.WireError, match="range"):
        wire.decode(b"R" + b"i" + struct.pack("<q", 0) + b"s" + struct.pack("<I", 1) + b"x" + b"N", grader)


def test_nothing_is_unpickled_on_either_side():
    import ast

    for name in ("sandbox", "sandbox_child", "wire", "shared", "protocol"):
        tree = ast.parse((ROOT / "instructor" / "grading" / f"{name}.py").read_text(encoding="utf-8"))
        imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names}
        imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.module}
        assert not imported & {"pickle", "marshal", "shelve", "dill", "cloudpickle"}, name


def test_an_oversized_frame_is_refused_before_it_is_read():
    import os
    r, w = os.pipe()
    wire.write_frame(w, b"x" * 100)
    with pytest.raises(wire.WireError, match="over the limit"):
        wire.read_frame(r, limit=10)
    os.close(r)
    os.close(w)


def test_learner_errors_become_errors_of_the_grader():
    err = learner_error({"ename": "KeyError", "bases": ["KeyError", "LookupError", "Exception"],
                         "args": ["pad"], "evalue": "'pad'"})
    assert type(err) is KeyError and str(err) == "'pad'"
    err = learner_error({"ename": "AxisError", "bases": ["ValueError", "IndexError", "Exception"],
                         "args": ["axis 3"], "evalue": "axis 3"})
    assert isinstance(err, ValueError) and type(err).__name__ == "AxisError"
    for name in ("SystemExit", "KeyboardInterrupt"):
        err = learner_error({"ename": name, "bases": [name, "BaseException"], "args": [], "evalue": ""})
        assert isinstance(err, Exception) and type(err).__name__ == name


def test_containers_the_learner_changed_are_changed_back():
    A, W = np.zeros((2, 2)), np.ones(3)
    params, hp = {"A": A, "W": W, "old": 1}, {"pad": 1}
    new_W = np.full(3, 2.0)
    _write_back(((params, hp), [A]), ((({"A": A, "W": new_W}, {"pad": 0}), [A])))
    assert params["A"] is A and params["W"] is new_W and "old" not in params  # rebound and removed
    assert hp == {"pad": 0}


# LMS zips ----------------------------------------------------------------------------------

EXPECTED = {"part1_forward": {"zero_pad", "zero_pad_test"}, "part2_backward": {"conv_backward", "conv_backward_test"}}


def _nb(*grade_ids, text=""):
    cells = [{"cell_type": "code", "source": text, "metadata": {"nbgrader": {"grade_id": g}}, "outputs": []}
             for g in grade_ids]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


def _zip(entries: dict[str, bytes], when=(2026, 11, 20, 12, 0, 0)) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=when), data)
    return buf.getvalue()


def test_a_canvas_zip_becomes_nbgraders_layout(tmp_path):
    inner = _zip({"work/part2_backward.ipynb": _nb("conv_backward", text="mine")})
    path = tmp_path / "submissions.zip"
    path.write_bytes(_zip({
        "lovelaceada_101_9001_part1_forward.ipynb": _nb("zero_pad", text="first"),
        "lovelaceada_101_9002_part1_forward-1.ipynb": _nb("zero_pad", text="resubmitted"),
        "lovelaceada_101_9003_homework.zip": inner,
        "smithjo_LATE_202_9004_Untitled.ipynb": _nb("zero_pad", "zero_pad_test", text="renamed"),
        "smithjo_LATE_202_9005_notes.txt": b"not a notebook",
        "smithjo_303_9006_part1_forward.ipynb": _nb("zero_pad"),  # another Jo Smith
        "../../escape_404_1_part1_forward.ipynb": _nb("zero_pad"),
    }))
    roster = lms.Roster("nbgrader", students={"ada": lms.Student("ada", "Ada", "Lovelace", None, "101")})
    download = intake.read_download(path, "assignment1", EXPECTED, tmp_path / "submitted", roster)
    download.write()
    subs = download.submissions
    assert download.lms == "canvas"
    by = {s.student: s for s in subs}
    assert set(by) == {"ada", "smithjo-202", "smithjo-303", "escape"}
    ada = tmp_path / "submitted" / "ada" / "assignment1"
    assert json.loads((ada / "part1_forward.ipynb").read_text())["cells"][0]["source"] == "resubmitted"
    assert json.loads((ada / "part2_backward.ipynb").read_text())["cells"][0]["source"] == "mine"
    assert not (ada / "timestamp.txt").exists()  # Canvas's entry times are when the zip was built
    assert by["ada"].lms_late is False and by["smithjo-202"].lms_late is True
    jo = tmp_path / "submitted" / "smithjo-202" / "assignment1"
    assert sorted(p.name for p in jo.iterdir()) == ["part1_forward.ipynb"]
    assert any("Untitled.ipynb was graded as part1_forward.ipynb" in n for n in by["smithjo-202"].notes)
    assert not (tmp_path / "escape_404_1_part1_forward.ipynb").exists()
    assert {p.name for p in tmp_path.iterdir()} == {"submissions.zip", "submitted"}


def test_a_moodle_zip_becomes_nbgraders_layout(tmp_path):
    path = tmp_path / "moodle.zip"
    path.write_bytes(_zip({
        "Ada Lovelace_5501_assignsubmission_file_/part1_forward.ipynb": _nb("zero_pad"),
        "Ada Lovelace_5501_assignsubmission_file_/part2_backward.ipynb": _nb("conv_backward"),
        "Bo Brown_5502_assignsubmission_file_part1_forward.ipynb": _nb("zero_pad"),
    }))
    download = intake.read_download(path, "assignment1", EXPECTED, tmp_path / "submitted")
    download.write()
    subs = download.submissions
    assert download.lms == "moodle"
    assert {s.student for s in subs} == {"ada-lovelace", "bo-brown"}
    ada = next(s for s in subs if s.student == "ada-lovelace")
    assert ada.info.lms_user_id == "5501" and ada.info.first_name == "Ada"
    assert sorted(p.name for p in ada.folder.iterdir()) == ["part1_forward.ipynb", "part2_backward.ipynb"]
    assert ada.timestamp is None  # Moodle's zip carries no submission times


def test_an_unknown_zip_is_refused(tmp_path):
    path = tmp_path / "x.zip"
    path.write_bytes(_zip({"readme.txt": b"hello"}))
    with pytest.raises(intake.IntakeError):
        intake.read_download(path, "assignment1", EXPECTED, tmp_path / "submitted")


def test_a_roster_needs_nbgraders_id_column(tmp_path):
    (tmp_path / "r.csv").write_text("id,first_name,last_name,email,lms_user_id\nada,Ada,Lovelace,a@x.org,101\n")
    assert lms.read_roster(tmp_path / "r.csv").students["ada"].lms_user_id == "101"
    (tmp_path / "bad.csv").write_text("name\nada\n")
    with pytest.raises(lms.RosterError):
        lms.read_roster(tmp_path / "bad.csv")


# Restoring a submission ------------------------------------------------------------------------

def _source(tmp_path: Path) -> notebooks.SourceNotebook:
    def cell(kind, gid, source, cell_type="code", **meta):
        nbg = {"grade_id": gid, "grade": kind == "test", "solution": kind == "answer",
               "locked": kind in ("test", "locked"), **meta}
        return {"cell_type": cell_type, "source": source, "metadata": {"nbgrader": nbg}, "outputs": []}
    nb = {"cells": [cell("locked", "setup", "import numpy as np"),
                    cell("answer", "f", "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION"),
                    cell("test", "f_test", "assert f(1) == 1\n### BEGIN HIDDEN TESTS\nassert f(2) == 2\n"
                                           "### END HIDDEN TESTS", points=3)],
          "metadata": {"kernelspec": {"name": "python3"}}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb))
    return notebooks.load_source(path)


def test_the_source_says_what_is_graded(tmp_path):
    src = _source(tmp_path)
    assert [t.grade_id for t in src.tests] == ["f_test"] and src.tests[0].points == 3
    assert src.tests[0].visible.strip() == "assert f(1) == 1" and src.tests[0].hidden.strip() == "assert f(2) == 2"
    assert src.preamble == "import numpy as np"
    assert notebooks.check_contract(src, {"np"}) == []
    src.tests[0].hidden += "\nassert g(3)"
    assert "reads g" in notebooks.check_contract(src, {"np"})[0]


def test_locked_cells_come_back_and_tampering_is_reported(tmp_path):
    src = _source(tmp_path)
    submitted = [
        {"cell_type": "code", "source": "print('my own setup')",
         "metadata": {"nbgrader": {"grade_id": "setup", "locked": True}}},
        {"cell_type": "code", "source": "import numpy as np\nnp.allclose = lambda *a: True",
         "metadata": {}},
        {"cell_type": "code", "source": "def f(x):\n    return 0", "metadata": {"nbgrader": {
            "grade_id": "f", "solution": True, "grade": False, "locked": False}}},
        {"cell_type": "code", "source": "%time f(1)", "metadata": {}},
    ]  # the test cell is gone
    merged = notebooks.merge(src, submitted)
    assert [c["source"] for c in merged.cells] == [
        "import numpy as np", "import numpy as np\nnp.allclose = lambda *a: True", "def f(x):\n    return 0",
        src.cells[2].source, "%time f(1)"]
    assert merged.tests == {"f_test": 3}
    assert [k for k, _ in merged.program] == [0, 1, 2, 4]
    assert "get_ipython().run_line_magic('time', 'f(1)')" in merged.program[3][1]
    assert set(merged.signals) == {"the locked cell setup was edited", "the nbgrader metadata of setup was changed",
                                   "the locked cell f_test was deleted", "learner code assigns to np.allclose"}
    built = notebooks.build_notebook(src, merged, {3: [{"output_type": "stream", "name": "stdout", "text": "ok"}]})
    assert built["cells"][3]["outputs"][0]["text"] == "ok" and built["metadata"] == src.metadata


@pytest.mark.parametrize("message, key", [
    ("CheckFailed: conv_forward: Z is wrong at 3 of 48 positions, first at index (0, 1, 0, 0): got 1, expected 2 "
     "on the case stride 2, pad 0. Hint: the window ignores the stride", "the window ignores the stride"),
    ("NotImplementedYet: zero_pad is not implemented yet: write your code between ### START CODE HERE ###",
     "not implemented yet (the stub)"),
    ("NotImplementedYet: zero_pad is not implemented yet: it returned None", "returns None"),
    ("CheckFailed: f raised ValueError on the case a: bad (in f, line 3: `x = 1`)", "f raised ValueError"),
])
def test_failures_are_grouped_by_what_they_mean(message, key):
    assert report.failure_key(message) == key


def test_csv_cells_are_not_formulas():
    assert report._cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and report._cell("ada") == "ada"


def test_the_report_page_shows_student_text_as_text(tmp_path):
    """A file name and an error message from a submission, and a student id with quotes,
    appear on the class report as text: no markup of theirs reaches the page."""
    from html.parser import HTMLParser

    script = "<script>alert(document.cookie)</script>"
    from instructor.grading.job import Result, attention
    job_result = Result("s", "assignment1", signals=[f"handed in {script}.py beside the notebooks "
                                                     "(not used by the grader)"])
    reasons = attention(job_result)
    message = f"CheckFailed: zero_pad raised ValueError: {script}<img src=x onerror=alert(1)>"
    student = "o'brien\"<b>"
    summary = report.Summary(
        assignment="assignment1", exercises=[["zero_pad_test", "part1", 2.0]], submitted=1,
        distribution={"zero_pad_test": {"0": 1}}, full_marks={"zero_pad_test": 0},
        failures={"zero_pad_test": [[report.failure_label(report.failure_key(message), message), 1, message]]},
        hidden_only={"zero_pad_test": 0}, totals=[0.0], attention=[[student, reasons, 0.0]],
        failed_by={"zero_pad_test": [[student]]}, late=[[student, f"late by {script}"]], max_score=2.0)
    page = report.write_report(summary, tmp_path, unbounded=[f"files {script}"]).read_text(encoding="utf-8")

    class Tags(HTMLParser):
        def __init__(self):
            super().__init__()
            self.tags, self.attrs, self.text = set(), [], []

        def handle_starttag(self, tag, attrs):
            self.tags.add(tag)
            self.attrs += attrs

        def handle_data(self, data):
            self.text.append(data)

    parsed = Tags()
    parsed.feed(page)
    assert "script" not in parsed.tags and "b" not in parsed.tags and "onerror" not in {k for k, _ in parsed.attrs}
    images = [v for k, v in parsed.attrs if k == "src"]
    assert images == ["scores.png", "failures.png"]  # the only images are the report's own
    text = "".join(parsed.text)
    # the failure's label and message, the attention reason, the lateness, the missing bound
    assert text.count(script) == 5 and f"{script}<img src=x onerror=alert(1)>" in text
    assert ("data-student", student) in parsed.attrs and ("data-late", student) in parsed.attrs
    assert ("data-failed", "zero_pad_test") in parsed.attrs


class _Workers:
    """An engine whose workers' probes found what the test says."""

    def __init__(self, found):
        self.found, self.allowed = found, None

    def probe(self, limits, secrets, writes):
        return self.found

    def restrict(self, workers):
        self.allowed = workers


def test_a_missing_bound_stops_the_grader_unless_it_is_told_unbounded(monkeypatch, capsys):
    from types import SimpleNamespace

    from instructor.grading import cli
    from instructor.grading.bounds import WorkerBounds
    from instructor.grading.sandbox import Limits
    lacking = WorkerBounds("tcp://10.0.0.2:4000", "1024 MB", "NO (no Landlock)", "NO (no seccomp)", "grader",
                           ["files", "processes"])
    whole = WorkerBounds("tcp://10.0.0.1:4000", "1024 MB", "Landlock ABI 4", "seccomp (libseccomp)", "grader")
    checked = []
    monkeypatch.setattr(cli, "self_check", lambda *args: checked.append(args))
    run = SimpleNamespace(args=SimpleNamespace(unbounded=False), limits=Limits(), engine=_Workers([lacking]),
                          secrets=lambda: [], course=Path("/course"), job=lambda *args: None, source_dir=None,
                          files=None, book=None, ghash="")
    with pytest.raises(cli.Stop, match=r"not available on any worker: files, processes.*--unbounded"):
        cli.Run.preflight(run, True)
    assert not checked
    out = capsys.readouterr().out
    assert "tcp://10.0.0.2:4000 lacks: files, processes" in out and "NO (no Landlock)" in out

    run.args.unbounded = True
    cli.Run.preflight(run, True)
    assert checked and "WARNING (--unbounded): grading without these bounds: files, processes" in capsys.readouterr().out
    assert run.engine.allowed is None

    # A worker that lacks a bound is left out, named; the others grade.
    run.args.unbounded, run.engine = False, _Workers([whole, lacking])
    cli.Run.preflight(run, True)
    out = capsys.readouterr().out
    assert run.engine.allowed == ["tcp://10.0.0.1:4000"]
    assert "Left out of this run (1 of 2 workers lack a bound): tcp://10.0.0.2:4000 (files, processes)" in out
    with pytest.raises(SystemExit):
        cli.parser().parse_args(["assignment1", "--strict", "--unbounded"])


def test_the_report_names_the_bounds_submissions_were_graded_without():
    from types import SimpleNamespace

    from instructor.grading import cli
    held = {"limits": {"RLIMIT_AS": 1 << 30}, "files": {"ok": True}, "syscalls": {"ok": True}}
    loose = {"limits": {"RLIMIT_AS": 1 << 30}, "files": {"ok": False, "why": "no Landlock"}, "syscalls": {"ok": True}}
    rows = [SimpleNamespace(student="a", result={"notebooks": {"p1": {"bounds": held}, "p2": {"bounds": {}}}}),
            SimpleNamespace(student="b", result={"notebooks": {"p1": {"bounds": loose}, "p2": {"bounds": loose}}}),
            SimpleNamespace(student="c", result=None)]
    assert cli.unbounded(rows) == ["files (1 submissions)"]
    assert cli.unbounded(rows[:1]) == []
