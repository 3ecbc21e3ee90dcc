"""`era dashboard` parses its options into settings and hands them to the service."""

from __future__ import annotations

import pytest

import era_dashboard.service
from era_cli.main import build_parser
from era_dashboard.settings import DashboardSettings

pytestmark = pytest.mark.unit


def _run(monkeypatch: pytest.MonkeyPatch, *argv: str) -> tuple[int, list[DashboardSettings]]:
    served: list[DashboardSettings] = []

    def serve(settings: DashboardSettings) -> int:
        served.append(settings)
        return 0

    monkeypatch.setattr(era_dashboard.service, "run", serve)
    args = build_parser(["dashboard"]).parse_args(["dashboard", *argv])
    return args.func(args), served


def test_options_override_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERA_DASHBOARD_PORT", "18004")
    monkeypatch.delenv("ERA_PROMETHEUS_URL", raising=False)
    code, served = _run(monkeypatch, "--port", "0", "--prometheus-url", "http://p:9090")
    assert code == 0
    assert (served[0].host, served[0].port, served[0].prometheus_url) == (
        "127.0.0.1",
        0,
        "http://p:9090",
    )
    code, served = _run(monkeypatch)
    assert (served[0].port, served[0].prometheus_url) == (18004, None)


def test_invalid_settings_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, served = _run(monkeypatch, "--port", "70000")
    assert (code, served) == (2, [])
    assert "invalid configuration" in capsys.readouterr().err
