"""The dashboard and the alert rules query only metrics (and labels) the services export.

Every PromQL expression of deploy/grafana/dashboards/*.json and deploy/prometheus/alerts.yml is
read, the metric names and label names it uses are pulled out, and each must be exported by the
services' metrics classes, instantiated here on fresh registries: the check follows the code.
The dashboard's expressions are also parsed by promtool (Grafana's $__ variables replaced).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry
from prometheus_client.metrics import MetricWrapperBase

pytestmark = pytest.mark.unit

# Series Prometheus itself adds to every scrape; not exported by the services.
PROMETHEUS_BUILTINS = {"up"}
# Labels every shipped scrape configuration gives every series (test_scrape_job_names.py).
TARGET_LABELS = {"job", "instance"}

DENIAL_CATEGORIES = {
    "coverage",
    "coding_documentation",
    "authorization",
    "timely_filing",
    "bundling",
    "duplicate",
}


def _metrics_objects() -> list[object]:
    """One instance of every metrics class the services register, each on its own registry.
    The single place that says which classes make up the exported metrics."""
    from era_classifier.metrics import ClassifierMetrics
    from era_ingest.metrics import IngestMetrics
    from era_router.metrics import RouterMetrics
    from era_streams.metrics import StreamMetrics  # consumer lag, registered by both workers

    return [
        IngestMetrics(CollectorRegistry()),
        ClassifierMetrics(CollectorRegistry()),
        RouterMetrics(CollectorRegistry()),
        StreamMetrics(CollectorRegistry(), group="era-classifier"),
    ]


def exported_series() -> dict[str, set[str]]:
    """Series name (``_total``, ``_bucket``/``_sum``/``_count`` included) → its label names."""
    series: dict[str, set[str]] = {}
    for metrics in _metrics_objects():
        registry = CollectorRegistry()
        for metric in vars(metrics).values():
            if not isinstance(metric, MetricWrapperBase):
                continue
            registry.register(metric)
            label_names = metric._labelnames
            if label_names:  # a child, so that the labelled family has samples to read
                metric.labels(*["x"] * len(label_names))
        for family in registry.collect():
            for sample in family.samples:
                if sample.name.endswith("_created"):
                    continue
                series.setdefault(sample.name, set()).update(sample.labels)
    return series


# --- PromQL: the metric and label names an expression uses ---------------------------------

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_SELECTOR = re.compile(r"([A-Za-z_:][\w:]*)?\s*\{([^{}]*)\}")
_MATCHER = re.compile(r"([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^()]*)\)")
_RANGE = re.compile(r"\[[^\[\]]*\]")
_IDENTIFIER = re.compile(r"(?<![\w.$:])([A-Za-z_:][\w:]*)(\s*\()?")
_KEYWORDS = {
    "and",
    "or",
    "unless",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "offset",
    "bool",
    "inf",
    "nan",
    "atan2",
}


def promql_names(expr: str) -> tuple[set[str], dict[str, set[str]], set[str]]:
    """(metric names, metric → label names in its selector, label names in by/on/... clauses)."""
    text = _STRING.sub('""', expr)
    selector_labels: dict[str, set[str]] = {}
    for match in _SELECTOR.finditer(text):
        labels = set(_MATCHER.findall(match.group(2)))
        name = match.group(1)
        if name and name not in _KEYWORDS:
            selector_labels.setdefault(name, set()).update(labels)
    text = _SELECTOR.sub(lambda m: f" {m.group(1) or ''} ", text)
    grouping: set[str] = set()
    for match in _GROUPING.finditer(text):
        grouping.update(label.strip() for label in match.group(1).split(",") if label.strip())
    text = _GROUPING.sub(" ", text)
    text = _RANGE.sub(" ", text)
    metrics = {
        name for name, call in _IDENTIFIER.findall(text) if not call and name not in _KEYWORDS
    }
    return metrics, selector_labels, grouping


def test_promql_names_reads_selectors_grouping_and_functions() -> None:
    metrics, selectors, grouping = promql_names(
        'histogram_quantile(0.99, sum by (le) (rate(a_bucket{x="1", y=~"a|b"}[$__rate_interval])))'
        " / on (payer) group_left b_total and time() - max(c offset 5m) > 24 * 3600"
    )
    assert metrics == {"a_bucket", "b_total", "c"}
    assert selectors == {"a_bucket": {"x", "y"}}
    assert grouping == {"le", "payer"}


# --- the expressions of the dashboard and of the alerts ------------------------------------


def _dashboard_paths(root: Path) -> list[Path]:
    paths = sorted((root / "deploy" / "grafana" / "dashboards").glob("*.json"))
    assert paths, "no dashboard in deploy/grafana/dashboards"
    return paths


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))


def dashboard_exprs(root: Path) -> list[tuple[str, str]]:
    """(where, PromQL) for every target of every dashboard panel and every query variable."""
    exprs = []
    for path in _dashboard_paths(root):
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        for panel in _panels(dashboard["panels"]):
            for target in panel.get("targets", []):
                where = f"{path.name}: panel {panel['title']!r} {target.get('refId')}"
                exprs.append((where, target["expr"]))
        for variable in dashboard.get("templating", {}).get("list", []):
            if variable.get("type") == "query":
                query = variable["query"]
                query = query.get("query", "") if isinstance(query, dict) else query
                values_of = re.fullmatch(r"label_values\((.+),\s*\w+\)", query.strip())
                query = values_of.group(1) if values_of else query
                exprs.append((f"{path.name}: variable {variable['name']}", query))
    return exprs


def alert_exprs(root: Path) -> list[tuple[str, str]]:
    """(where, PromQL) for every alerting and recording rule."""
    rules = yaml.safe_load((root / "deploy" / "prometheus" / "alerts.yml").read_text())
    return [
        (f"alerts.yml: {rule.get('alert') or rule.get('record')}", rule["expr"])
        for group in rules["groups"]
        for rule in group["rules"]
    ]


def test_every_metric_in_the_dashboard_and_the_alerts_is_exported(root: Path) -> None:
    exported = exported_series()
    exprs = dashboard_exprs(root) + alert_exprs(root)
    assert len(exprs) > 20
    problems = []
    for where, expr in exprs:
        metrics, selector_labels, grouping = promql_names(expr)
        assert metrics, f"{where}: no metric in {expr!r}"
        for name in sorted(metrics - PROMETHEUS_BUILTINS):
            if name not in exported:
                problems.append(f"{where}: {name} is not exported")
        for name, labels in selector_labels.items():
            missing = labels - exported.get(name, set()) - TARGET_LABELS
            if name in exported and missing:
                problems.append(f"{where}: {name} has no label {sorted(missing)}")
        available = set().union(*(exported.get(name, set()) for name in metrics))
        available |= TARGET_LABELS
        if grouping - available:
            problems.append(f"{where}: labels {sorted(grouping - available)} not on {metrics}")
    assert not problems, "\n".join(problems)


def test_the_dashboard_covers_the_pipeline(root: Path) -> None:
    used = set()
    for _, expr in dashboard_exprs(root):
        used |= promql_names(expr)[0]
    assert {
        "era_router_events_routed_total",
        "era_router_dollars_routed_total",
        "era_pipeline_latency_seconds_bucket",
        "era_consumer_lag_records",
        "era_deadletter_records_total",
        "era_ingest_claims_total",
        "era_classifier_adjustments_total",
        "era_ingest_files_processed_total",
        "era_router_co_patient_blocks_total",
    } <= used
    text = " ".join(expr for _, expr in dashboard_exprs(root))
    for quantile in ("0.5", "0.99"):
        assert f"histogram_quantile({quantile}, sum by (le) (rate(era_pipeline_latency" in text
    by_carc = [expr for _, expr in dashboard_exprs(root) if "by (carc)" in expr and "/" in expr]
    assert by_carc, "no denial share by CARC"
    for expr in by_carc:
        categories = re.search(r'category=~"([^"]+)"', expr)
        assert categories and set(categories.group(1).split("|")) == DENIAL_CATEGORIES


def test_dashboard_is_grafana_json(root: Path) -> None:
    for path in _dashboard_paths(root):
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        assert dashboard["schemaVersion"] >= 39
        assert dashboard["uid"] and dashboard["title"]
        panels = list(_panels(dashboard["panels"]))
        ids = [panel["id"] for panel in panels]
        assert len(ids) == len(set(ids)), "panel ids repeat"
        variables = {v["name"] for v in dashboard["templating"]["list"]}
        occupied: set[tuple[int, int]] = set()
        for panel in panels:
            grid = panel["gridPos"]
            assert grid["x"] + grid["w"] <= 24, panel["title"]
            cells = {
                (x, y)
                for x in range(grid["x"], grid["x"] + grid["w"])
                for y in range(grid["y"], grid["y"] + grid["h"])
            }
            assert not cells & occupied, f"panel {panel['title']!r} overlaps another"
            occupied |= cells
            if panel["type"] == "row":
                continue
            assert panel["targets"], panel["title"]
            uid = panel["datasource"]["uid"]
            assert uid.strip("${}") in variables or uid == "era-prometheus", panel["title"]


def test_dashboard_promql_parses(root: Path, tmp_path: Path) -> None:
    """promtool parses each dashboard expression as a recording rule."""
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: install Debian's prometheus package"
    substitutions = {
        "$__rate_interval": "5m",
        "$__interval": "1m",
        "$__range": "6h",
        "$job": ".+",
        "$instance": ".+",
        "$location": ".+",
    }
    rules = []
    for index, (where, expr) in enumerate(dashboard_exprs(root)):
        query = expr
        for variable, value in substitutions.items():
            query = query.replace(variable, value)
        assert "$" not in query, f"{where}: unknown Grafana variable in {expr!r}"
        rules.append({"record": f"dashboard:expr_{index}", "expr": query})
    rules_file = tmp_path / "dashboard_rules.yml"
    rules_file.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = subprocess.run(
        [promtool, "check", "rules", str(rules_file)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
