"""What the instructor takes away: grades.csv for the LMS, and the class report.

Every number here is read back from the gradebook (so a manual grade entered in
formgrader counts) and from the results the pipeline stored beside it (so the report
covers submissions graded in earlier runs as well).

The report (``report.html``, with ``scores.png`` and ``failures.png``, and the data both
are drawn from in ``summary.json``) shows the score distribution of each exercise, the
most frequent failure of the public tests per exercise, grouped by the hint the checker
gave (so "a third of the class ignored the stride" is one line), and the submissions that
need a person to look at them.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from instructor.grading.files import atomic_write, csv_cell as _cell

TOP_FAILURES = 5


@dataclass
class Row:
    student: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    lms_user_id: str | None = None
    submitted: bool = False
    scores: dict = field(default_factory=dict)   # grade id -> final score (manual wins)
    total: float = 0.0
    max_score: float = 0.0
    timestamp: str | None = None
    seconds_late: float = 0.0
    late: bool = False
    late_reason: str = ""
    attention: list = field(default_factory=list)   # needs a person's look (lateness apart)
    result: dict | None = None


def collect(book, roster: dict) -> tuple[list[tuple[str, str, float]], list[Row]]:
    """(graded cells, one row per student) from the gradebook and the stored results."""
    cells = book.grade_cells()
    states = book.states()
    students = {s.id: s for s in book.students()}
    rows = []
    for sid in sorted(set(students) | set(roster)):
        s = students.get(sid) or roster.get(sid)
        row = Row(sid, s.first_name, s.last_name, s.email, s.lms_user_id,
                  max_score=sum(p for _, _, p in cells))
        sub = book.submission(sid) if sid in students else None
        if sub is None:
            row.scores = {gid: 0.0 for _, gid, _ in cells}
            row.attention = ["no submission"]
            rows.append(row)
            continue
        row.submitted = True
        scores = {(nb.name, g.name): float(g.score) for nb in sub.notebooks for g in nb.grades}
        row.scores = {gid: scores.get((nb, gid), 0.0) for nb, gid, _ in cells}
        row.total = sum(row.scores.values())
        row.timestamp = sub.timestamp.isoformat(sep=" ") if sub.timestamp else None
        row.seconds_late = float(sub.total_seconds_late or 0)
        state = states.get(sid)
        row.result = json.loads(state["result"]) if state and state.get("result") else None
        lms_late = bool(row.result and row.result.get("lms_late"))
        row.late = row.seconds_late > 0 or lms_late
        reasons = list(row.result.get("attention", [])) if row.result else ["graded outside this pipeline"]
        reasons += (row.result or {}).get("intake_notes", [])
        if row.late:
            row.late_reason = "late" + (f" by {_duration(row.seconds_late)}" if row.seconds_late > 0 else
                                        " (the LMS marked it late)")
        if any(g.needs_manual_grade for nb in sub.notebooks for g in nb.grades):
            reasons.append("a cell needs manual grading or review in formgrader")
        row.attention = list(dict.fromkeys(reasons))
        rows.append(row)
    return cells, rows


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min" if minutes else f"{int(seconds)} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours < 48 else f"{hours // 24} days"


def _number(x: float) -> str:
    return f"{x:g}"


def write_grades(cells, rows: list[Row], path: Path) -> Path:
    """grades.csv: one row per student, one column per graded cell, the total out of the
    maximum, and the late and attention flags."""
    exercises = [gid.removesuffix("_test") for _, gid, _ in cells]
    header = (["student_id", "first_name", "last_name", "email", "lms_user_id", *exercises,
               "total", "max_score", "submitted", "timestamp", "late", "seconds_late", "needs_attention",
               "attention"])
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            w.writerow([_cell(r.student), _cell(r.first_name), _cell(r.last_name), _cell(r.email),
                        _cell(r.lms_user_id), *(_number(r.scores[gid]) for _, gid, _ in cells),
                        _number(r.total), _number(r.max_score), int(r.submitted), r.timestamp or "",
                        int(r.late), f"{round(r.seconds_late):d}", int(bool(r.attention)),
                        _cell("; ".join(r.attention + ([r.late_reason] if r.late_reason else [])))])
    return path


# The class report -------------------------------------------------------------------------

def _clean(message: str) -> str:
    """A failure's message without the exception's name, the learner's line and the case."""
    text = re.sub(r"^(CheckFailed|NotImplementedYet): ", "", message.strip())
    text = re.sub(r" \(in \w+, line \d+:.*?\)", "", text)
    text = re.sub(r"did not finish within [\d.]+ s", "did not finish within the time limit", text)
    return re.sub(r"on the case .*$", "", text).strip(" .:")


def failure_key(message: str) -> str:
    """Failures grouped by what they mean: the checker's hint when it gave one, otherwise
    the message without its numbers and the learner's own line."""
    text = re.sub(r"^(CheckFailed|NotImplementedYet): ", "", message.strip())
    if "is not implemented yet" in text:
        return "returns None" if re.search(r"returned None|is None", text) else "not implemented yet (the stub)"
    if "Hint: " in text:
        return text.split("Hint: ", 1)[1].strip()
    if "MemoryError" in text:
        return "ran out of memory (MemoryError at the memory limit)"
    return re.sub(r"-?\d+(\.\d+)?(e[-+]?\d+)?", "#", _clean(text))


def failure_label(key: str, example: str) -> str:
    """What the report shows for a group: its key, or where the key stands numbers in by #,
    one member's own message."""
    return _clean(example) if "#" in key else key


@dataclass
class Summary:
    assignment: str
    exercises: list            # [grade id, notebook, points]
    submitted: int
    distribution: dict         # grade id -> {score: number of students}
    full_marks: dict           # grade id -> number of students with full marks
    failures: dict             # grade id -> [[label, count, example message]]
    hidden_only: dict          # grade id -> number passing the public tests, failing the hidden
    totals: list               # total score of each submission
    attention: list            # [[student, reasons, total]]
    failed_by: dict = field(default_factory=dict)   # grade id -> [students] per failure, then hidden-only
    late: list = field(default_factory=list)        # [[student, why]]
    lateness: list = field(default_factory=list)    # how lateness was known, with how many submissions
    max_score: float = 0.0


def summarize(assignment: str, cells, rows: list[Row]) -> Summary:
    submitted = [r for r in rows if r.submitted]
    distribution, full, failures, hidden_only, failed_by = {}, {}, {}, {}, {}
    for nb, gid, points in cells:
        counts = Counter(_number(r.scores[gid]) for r in submitted)
        distribution[gid] = dict(sorted(counts.items(), key=lambda kv: float(kv[0])))
        full[gid] = sum(1 for r in submitted if r.scores[gid] >= points)
        keys, examples, who, hidden = Counter(), {}, {}, []
        for r in submitted:
            for t in (r.result or {}).get("tests", []):
                if t["grade_id"] != gid or t["status"] in ("passed", "missing"):
                    continue  # a notebook not handed in is listed under attention, not here
                if t.get("public_message"):
                    key = failure_key(t["public_message"])
                    keys[key] += 1
                    examples.setdefault(key, t["public_message"])
                    who.setdefault(key, []).append(r.student)
                elif t.get("hidden_message"):
                    hidden.append(r.student)
        top = keys.most_common(TOP_FAILURES)
        failures[gid] = [[failure_label(k, examples[k]), n, examples[k]] for k, n in top]
        failed_by[gid] = [who[k] for k, _ in top] + ([hidden] if hidden else [])
        hidden_only[gid] = len(hidden)
    lateness = Counter((r.result or {}).get("lateness") or "" for r in submitted)
    attention = [[r.student, r.attention, r.total] for r in rows if r.attention and r.attention != ["no submission"]]
    attention += [[r.student, r.attention, r.total] for r in rows if r.attention == ["no submission"]]
    return Summary(assignment, [[gid, nb, points] for nb, gid, points in cells], len(submitted),
                   distribution, full, failures, hidden_only, [r.total for r in submitted], attention,
                   failed_by, [[r.student, r.late_reason] for r in rows if r.late],
                   [f"{text} ({n} submissions)" for text, n in lateness.items() if text],
                   sum(p for _, _, p in cells))


def draw_scores(summary: Summary):
    """One bar chart per exercise (how many students got each score), and the totals."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    n = len(summary.exercises) + 1
    cols = 3
    rows = -(-n // cols)
    fig = Figure(figsize=(4 * cols, 2.6 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, (gid, _, points) in zip(axes, summary.exercises):
        dist = summary.distribution[gid]
        xs = [float(s) for s in dist]
        ax.bar(xs, list(dist.values()), width=max(points, 1) / 12, color="#3b75af")
        ax.set_title(f"{gid.removesuffix('_test')} ({points:g} points)", fontsize=10)
        ax.set_xlim(-points * 0.1 - 0.5, points * 1.1 + 0.5)
        ax.set_xlabel("score")
        ax.set_ylabel("students")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        if float(points).is_integer() and all(x.is_integer() for x in xs):
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax = axes[len(summary.exercises)]
    total = sum(p for _, _, p in summary.exercises)
    if summary.totals:
        ax.hist(summary.totals, bins=min(20, max(5, len(set(summary.totals)))), range=(0, total), color="#d1843b")
    ax.set_title(f"total ({total:g} points)", fontsize=10)
    ax.set_xlabel("score")
    ax.set_ylabel("students")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if float(total).is_integer() and all(float(t).is_integer() for t in summary.totals):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in axes[n:]:
        ax.set_visible(False)
    fig.suptitle(f"{summary.assignment}: scores of {summary.submitted} submissions")
    return fig


def draw_failures(summary: Summary):
    """One panel per exercise: its most frequent failures of the public tests, and how many
    pass the public tests but fail the hidden ones."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    panels = []
    for gid, _, _ in summary.exercises:
        bars = [(key, n) for key, n, _ in summary.failures[gid]]
        if summary.hidden_only[gid]:
            bars.append(("passes the public tests, fails the hidden tests", summary.hidden_only[gid]))
        panels.append((gid, bars))
    heights = [max(len(bars), 1) for _, bars in panels]
    fig = Figure(figsize=(11, 0.9 * len(panels) + 0.32 * sum(heights)), layout="constrained")
    axes = fig.subplots(len(panels), 1, squeeze=False, gridspec_kw={"height_ratios": heights}).ravel()
    most = max([n for _, bars in panels for _, n in bars] or [1])
    for ax, (gid, bars) in zip(axes, panels):
        labels = [key if len(key) <= 75 else key[:72] + "..." for key, _ in bars]
        ax.barh(range(len(bars)), [n for _, n in bars], color="#b5443b")
        ax.set_yticks(range(len(bars)), labels, fontsize=8)
        ax.set_ylim(len(bars) - 0.5 if bars else 0.5, -0.5)
        ax.set_xlim(0, most * 1.05)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(f"{gid.removesuffix('_test')}" + ("" if bars else ": no failures"), fontsize=9, loc="left")
    axes[-1].set_xlabel("students")
    fig.suptitle(f"{summary.assignment}: what failed, per exercise")
    return fig


def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=100, metadata={"Software": None})
    return path


def write_report(summary: Summary, out: Path, feedback: Path | None = None, unbounded=()) -> Path:
    """report.html beside its figures and summary.json; each student named in it links to
    their feedback (``feedback``: nbgrader's feedback folder, when it was written). The
    page comes from a template with autoescaping (``report_page``); ``unbounded`` names the
    bounds the class was graded without, shown at the top of the page."""
    import os

    from instructor.grading import report_page
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / "summary.json", json.dumps(asdict(summary), indent=1))
    _save(draw_scores(summary), out / "scores.png")
    _save(draw_failures(summary), out / "failures.png")

    def link(student: str, notebook: str) -> str | None:
        page = feedback / student / summary.assignment / f"{notebook}.html" if feedback else None
        if page is None or not page.is_file():
            return None
        return Path(os.path.relpath(page, out)).as_posix()

    return atomic_write(out / "report.html", report_page.render(summary, link, unbounded))
