"""The class report's page: a Jinja2 template rendered with autoescaping on, so that
what students control (their ids, file names, the messages their code raised) is text on
the page and never markup. Attributes are quoted and every value goes through the
escaping; nothing here is marked safe."""

from __future__ import annotations

import jinja2

PAGE = """\
<!doctype html><meta charset='utf-8'><title>{{ s.assignment }}: class report</title>
<style>body{font-family:sans-serif;max-width:70em;margin:2em auto}table{border-collapse:collapse;\
margin:0.5em 0 1.5em}td,th{border:1px solid #ccc;padding:0.2em 0.5em;text-align:left;vertical-align:top}\
td.n{text-align:right}td.who{max-width:25em}.unbounded{background:#fde2e1;border:2px solid #b5443b;\
padding:0.5em}</style>
{%- macro who(student, notebook, attr_name="", attr_value="") -%}
{%- set href = link(student, notebook) -%}
{%- if href -%}<a href='{{ href }}'{% if attr_name %} {{ attr_name }}='{{ attr_value }}'{% endif %}>{{ student }}</a>
{%- else -%}<span{% if attr_name %} {{ attr_name }}='{{ attr_value }}'{% endif %}>{{ student }}</span>
{%- endif -%}
{%- endmacro %}
{%- macro names(groups, k, gid, notebook) -%}
{%- for student in (groups[k] if k < groups | length else []) -%}
{%- if not loop.first %}, {% endif %}{{ who(student, notebook, "data-failed", gid) }}
{%- endfor -%}
{%- endmacro %}
{%- if unbounded %}
<p class='unbounded' id='unbounded'>Graded WITHOUT these bounds (--unbounded): {{ unbounded | join(", ") }}.</p>
{%- endif %}
<h1>{{ s.assignment }}: class report</h1>
<p>{{ s.submitted }} submissions graded.</p>
{%- if s.lateness %}
<p>Lateness: {{ s.lateness | join("; ") }}.</p>
{%- endif %}
<h2>Scores</h2><img src='scores.png' alt='score distribution per exercise'>
<table id='scores'><tr><th>exercise</th><th>points</th><th>full marks</th><th>students per score</th></tr>
{%- for gid, _, pts in s.exercises %}
<tr><td>{{ gid | short }}</td><td class='n'>{{ pts | num }}</td><td class='n' data-full='{{ gid }}'>\
{{ s.full_marks[gid] }}</td><td>
{%- for score, n in s.distribution[gid].items() %}{% if not loop.first %} {% endif -%}
<span class='count' data-exercise='{{ gid }}' data-score='{{ score }}'>{{ score }}: {{ n }}</span>
{%- endfor %}</td></tr>
{%- endfor %}
</table><h2>What went wrong</h2><img src='failures.png' alt='most frequent failures'>
{%- for gid, notebook, _ in s.exercises %}
{%- set items, hidden = s.failures[gid], s.hidden_only[gid] %}
{%- if items or hidden %}
{%- set groups = s.failed_by.get(gid, []) %}
<h3>{{ gid | short }}</h3><table class='failures'><tr><th>students</th><th>failure of the public tests</th>\
<th>one message</th><th>who</th></tr>
{%- for label, n, example in items %}
<tr><td class='n' data-failure='{{ gid }}'>{{ n }}</td><td>{{ label }}</td><td><small>{{ example }}</small></td>\
<td class='who'>{{ names(groups, loop.index0, gid, notebook) }}</td></tr>
{%- endfor %}
{%- if hidden %}
<tr><td class='n' data-hidden='{{ gid }}'>{{ hidden }}</td><td>passes the public tests, fails the hidden tests \
(other inputs)</td><td><small></small></td><td class='who'>{{ names(groups, items | length, gid, notebook) }}</td></tr>
{%- endif %}
</table>
{%- endif %}
{%- endfor %}
<h2>Needs attention ({{ s.attention | length }})</h2><table id='attention'><tr><th>student</th><th>total</th>\
<th>why</th></tr>
{%- for student, reasons, total in s.attention %}
<tr><td data-student='{{ student }}'>{{ who(student, first_notebook) }}</td><td class='n'>\
{{ total | num }}/{{ s.max_score | num }}</td><td><ul>{% for r in reasons %}<li>{{ r }}</li>{% endfor %}</ul></td></tr>
{%- endfor %}
</table>
<h2>Late ({{ s.late | length }})</h2><table id='late'><tr><th>student</th><th>how late</th></tr>
{%- for student, why in s.late %}
<tr><td data-late='{{ student }}'>{{ who(student, first_notebook) }}</td><td>{{ why }}</td></tr>
{%- endfor %}
</table>
"""

_env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=False)
_env.filters["num"] = lambda x: f"{x:g}"
_env.filters["short"] = lambda gid: gid.removesuffix("_test")
TEMPLATE = _env.from_string(PAGE)


def render(summary, link, unbounded=()) -> str:
    """The page for ``summary`` (a report.Summary); ``link(student, notebook)`` gives the
    relative address of a student's feedback page, or None; ``unbounded`` names the bounds
    the class was graded without."""
    first = summary.exercises[0][1] if summary.exercises else ""
    return TEMPLATE.render(s=summary, link=link, first_notebook=first, unbounded=list(unbounded))
