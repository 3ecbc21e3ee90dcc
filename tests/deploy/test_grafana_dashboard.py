"""The dashboards pass the rules of Grafana's dashboard linter (grafana/dashboard-linter).

The linter itself cannot be installed here: the Go module proxy refuses that module (403 for its
version list and for its one tagged release) and no other registry carries it. So its default
rule set is checked here, rule by rule, with the same names and the same requirements, and each
rule is shown to reject a dashboard that breaks it. PromQL validity (its target-promql and
template-label-promql rules) is promtool's job in test_observability_contract.py.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.unit

Dashboard = dict[str, Any]

# Panel types the linter's panel rules look at.
TITLED = {"stat", "singlestat", "graph", "table", "timeseries", "gauge"}
DATASOURCED = {"singlestat", "graph", "table", "timeseries"}
# The unit ids of Grafana's value formats that this repository's dashboards may use (the
# linter lists every one of Grafana's; these are the ones that make sense here).
UNITS = {
    "none", "short", "percent", "percentunit", "ops", "reqps", "cps", "cpm", "opm",
    "s", "ms", "m", "h", "d", "dtdurations", "dtdurationms", "bytes", "decbytes",
    "currencyUSD", "dateTimeAsIso", "dateTimeFromNow", "bool",
}  # fmt: skip
KEYWORDS = {
    "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
    "offset", "bool", "inf", "nan",
}  # fmt: skip


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))


def _variables(dashboard: Dashboard) -> list[dict[str, Any]]:
    variables: list[dict[str, Any]] = dashboard.get("templating", {}).get("list", [])
    return variables


def _targets(dashboard: Dashboard) -> Iterator[tuple[dict[str, Any], str]]:
    for panel in _panels(dashboard["panels"]):
        for target in panel.get("targets", []):
            yield panel, target["expr"]


def selectors(expr: str) -> list[tuple[str, str]]:
    """Every vector selector of a PromQL expression: (metric name, matchers text)."""
    masked = re.sub(r'"(?:[^"\\]|\\.)*"', lambda m: "\0" * len(m.group()), expr)
    masked = re.sub(r"\[[^\]]*\]", lambda m: " " * len(m.group()), masked)
    masked = re.sub(
        r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)",
        lambda m: " " * len(m.group()),
        masked,
    )
    found = []
    position = 0
    while match := re.compile(r"\{[^}]*\}|(?<![\w.:$\0])[A-Za-z_:][\w:]*").search(masked, position):
        position = match.end()
        token = match.group()
        if token.startswith("{"):  # a selector without a metric name
            found.append(("", expr[match.start() + 1 : match.end() - 1]))
            continue
        rest = masked[match.end() :]
        if re.match(r"\s*\(", rest) or token in KEYWORDS:
            continue  # a function or an operator
        braces = re.match(r"\s*\{[^}]*\}", rest)
        matchers = ""
        if braces:
            start = match.end() + braces.group().index("{")
            matchers = expr[start + 1 : match.end() + braces.end() - 1]
            position = match.end() + braces.end()
        found.append((token, matchers))
    return found


def _template_datasource(d: Dashboard) -> list[str]:
    sources = [v for v in _variables(d) if v.get("type") == "datasource"]
    if not sources:
        return ["no templated data source"]
    problems = []
    for source in sources:
        if source["name"] not in {"datasource", f"{source['query'].lower()}_datasource"}:
            problems.append(f"data source variable named {source['name']!r}")
        if source.get("label") not in {"Data source", f"{source['query'].title()} data source"}:
            problems.append(f"data source variable labelled {source.get('label')!r}")
    return problems


def _template(name: str) -> Callable[[Dashboard], list[str]]:
    def check(d: Dashboard) -> list[str]:
        found = [v for v in _variables(d) if v["name"] == name]
        if not found:
            return [f"no {name} variable"]
        (variable,) = found
        problems = []
        if variable.get("datasource", {}).get("uid") not in {"$datasource", "${datasource}"}:
            problems.append(f"{name}: datasource is not $datasource")
        if variable.get("type") != "query":
            problems.append(f"{name}: not a query variable")
        if variable.get("label") != name.title():
            problems.append(f"{name}: label {variable.get('label')!r}, not {name.title()!r}")
        if not variable.get("multi"):
            problems.append(f"{name}: not multi-select")
        if variable.get("allValue") != ".+":
            problems.append(f"{name}: allValue {variable.get('allValue')!r}, not '.+'")
        return problems

    return check


def _on_time_change_reload(d: Dashboard) -> list[str]:
    return [
        f"{v['name']}: refresh {v.get('refresh')}, not 2 (on time range change)"
        for v in _variables(d)
        if v.get("type") == "query" and v.get("refresh") != 2
    ]


def _panel_datasource(d: Dashboard) -> list[str]:
    names = {v["name"] for v in _variables(d) if v.get("type") == "datasource"}
    allowed = {f"${n}" for n in names} | {f"${{{n}}}" for n in names}
    return [
        f"panel {p['title']!r} uses data source {p.get('datasource', {}).get('uid')!r}"
        for p in _panels(d["panels"])
        if p["type"] in DATASOURCED and p.get("datasource", {}).get("uid") not in allowed
    ]


def _panel_title_description(d: Dashboard) -> list[str]:
    return [
        f"panel {p.get('id')} has no title or description"
        for p in _panels(d["panels"])
        if p["type"] in TITLED and not (p.get("title") and p.get("description"))
    ]


def _panel_units(d: Dashboard) -> list[str]:
    problems = []
    for panel in _panels(d["panels"]):
        if panel["type"] not in TITLED:
            continue
        unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit")
        if unit not in UNITS:
            problems.append(f"panel {panel['title']!r}: unit {unit!r}")
    return problems


def _panel_no_targets(d: Dashboard) -> list[str]:
    return [
        f"panel {p['title']!r} has no targets"
        for p in _panels(d["panels"])
        if p["type"] not in {"row", "text"} and not p.get("targets")
    ]


def _target_rate_interval(d: Dashboard) -> list[str]:
    return [
        f"panel {panel['title']!r}: rate without $__rate_interval in {expr!r}"
        for panel, expr in _targets(d)
        for fn, window in re.findall(r"\b(i?rate)\s*\([^\[]*\[([^\]]*)\]", expr)
        if window != "$__rate_interval"
    ]


def _target_matcher(label: str) -> Callable[[Dashboard], list[str]]:
    def check(d: Dashboard) -> list[str]:
        problems = []
        for panel, expr in _targets(d):
            for metric, matchers in selectors(expr):
                if not re.search(rf'(?:^|,)\s*{label}\s*=~\s*"\${label}"', matchers):
                    problems.append(
                        f'panel {panel["title"]!r}: {metric} has no {label}=~"${label}"'
                    )
        return problems

    return check


def _target_counter_agg(d: Dashboard) -> list[str]:
    """A counter (…_total) appears only as the range of rate, irate or increase."""
    problems = []
    for panel, expr in _targets(d):
        bare = re.sub(
            r"\b(?:rate|irate|increase)\s*\(\s*[A-Za-z_:][\w:]*_total\s*(?:\{[^}]*\})?\s*\[[^\]]*\]\s*\)",
            " ",
            expr,
        )
        for metric, _ in selectors(bare):
            if metric.endswith("_total"):
                problems.append(f"panel {panel['title']!r}: counter {metric} not in rate/increase")
    return problems


def _uneditable(d: Dashboard) -> list[str]:
    return [] if d.get("editable") is False else ["the dashboard is editable"]


RULES: dict[str, Callable[[Dashboard], list[str]]] = {
    "template-datasource-rule": _template_datasource,
    "template-job-rule": _template("job"),
    "template-instance-rule": _template("instance"),
    "template-on-time-change-reload-rule": _on_time_change_reload,
    "panel-datasource-rule": _panel_datasource,
    "panel-title-description-rule": _panel_title_description,
    "panel-units-rule": _panel_units,
    "panel-no-targets-rule": _panel_no_targets,
    "target-rate-interval-rule": _target_rate_interval,
    "target-job-rule": _target_matcher("job"),
    "target-instance-rule": _target_matcher("instance"),
    "target-counter-agg-rule": _target_counter_agg,
    "uneditable-dashboard": _uneditable,
}


def _dashboards(root: Path) -> list[tuple[str, Dashboard]]:
    paths = sorted((root / "deploy" / "grafana" / "dashboards").glob("*.json"))
    assert paths
    return [(path.name, json.loads(path.read_text(encoding="utf-8"))) for path in paths]


@pytest.mark.parametrize("rule", list(RULES))
def test_the_dashboards_pass_the_linter_rule(root: Path, rule: str) -> None:
    problems = [f"{name}: {p}" for name, d in _dashboards(root) for p in RULES[rule](d)]
    assert not problems, "\n".join(problems)


def test_every_query_is_scoped_by_job_and_instance(root: Path) -> None:
    for _, dashboard in _dashboards(root):
        targets = list(_targets(dashboard))
        assert len(targets) > 20
        for _, expr in targets:
            assert selectors(expr), expr
        variables = {v["name"]: v for v in _variables(dashboard)}
        # the job variable lists the pipeline's jobs; instance follows the chosen jobs
        assert 'up{job=~"era-.+"}' in variables["job"]["query"]["query"]
        assert 'job=~"$job"' in variables["instance"]["query"]["query"]


def _first(d: Dashboard, kind: str) -> dict[str, Any]:
    return next(p for p in _panels(d["panels"]) if p["type"] == kind)


BREAKAGES: dict[str, Callable[[Dashboard], None]] = {
    "template-datasource-rule": lambda d: d["templating"]["list"][0].update(name="prom"),
    "template-job-rule": lambda d: [v.update(allValue=".*") for v in _variables(d)],
    "template-instance-rule": lambda d: d["templating"]["list"].remove(
        next(v for v in _variables(d) if v["name"] == "instance")
    ),
    "template-on-time-change-reload-rule": lambda d: _variables(d)[1].update(refresh=1),
    "panel-datasource-rule": lambda d: _first(d, "timeseries").update(
        datasource={"type": "prometheus", "uid": "era-prometheus"}
    ),
    "panel-title-description-rule": lambda d: _first(d, "stat").update(description=""),
    "panel-units-rule": lambda d: _first(d, "timeseries")["fieldConfig"]["defaults"].pop("unit"),
    "panel-no-targets-rule": lambda d: _first(d, "stat").update(targets=[]),
    "target-rate-interval-rule": lambda d: _first(d, "timeseries")["targets"][0].update(
        expr='sum(rate(era_router_events_routed_total{job=~"$job",instance=~"$instance"}[5m]))'
    ),
    "target-job-rule": lambda d: _first(d, "stat")["targets"][0].update(
        expr='sum(increase(era_deadletter_records_total{instance=~"$instance"}[$__range]))'
    ),
    "target-instance-rule": lambda d: _first(d, "stat")["targets"][0].update(
        expr='time() - max(era_ingest_last_file_timestamp_seconds{job=~"$job"})'
    ),
    "target-counter-agg-rule": lambda d: _first(d, "stat")["targets"][0].update(
        expr='sum(era_deadletter_records_total{job=~"$job", instance=~"$instance"})'
    ),
    "uneditable-dashboard": lambda d: d.update(editable=True),
}


@pytest.mark.parametrize("rule", list(RULES))
def test_each_rule_rejects_a_dashboard_that_breaks_it(root: Path, rule: str) -> None:
    assert set(BREAKAGES) == set(RULES)
    _, dashboard = _dashboards(root)[0]
    broken = copy.deepcopy(dashboard)
    BREAKAGES[rule](broken)
    assert RULES[rule](broken), f"{rule} did not notice"


def test_selectors_reads_names_matchers_and_skips_functions_and_groupings() -> None:
    expr = (
        'histogram_quantile(0.99, sum by (le) (rate(a_bucket{job=~"$job", x="}"}[5m])))'
        " / on (payer) group_left b_total and time() - max(c offset 5m) > 24 * 3600"
    )
    assert selectors(expr) == [
        ("a_bucket", 'job=~"$job", x="}"'),
        ("b_total", ""),
        ("c", ""),
    ]
