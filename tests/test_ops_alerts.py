"""The alert rules shipped for Prometheus (deploy/prometheus/alerts.yml): valid, and each alert fires when it should
and stays quiet when it should (deploy/prometheus/alerts_test.yml), checked by promtool."""

import re
import shutil
import subprocess

import yaml

from .helpers import ROOT

RULES = ROOT / "deploy" / "prometheus"
EXPECTED_ALERTS = {"IncentivesScrapeFailing", "IncentivesDatabaseDown", "IncentivesBrokerDown", "IncentivesCacheDown",
                   "IncentivesMailStuck", "IncentivesRenderStuck", "IncentivesBeatSilent", "IncentivesNoLiveWorker",
                   "IncentivesServerErrors", "IncentivesSlowResponses"}


def promtool() -> str:
    path = shutil.which("promtool")
    assert path, ("promtool is missing: it checks deploy/prometheus/alerts.yml. Install Debian's `prometheus` "
                  "package (apt-get install --no-install-recommends prometheus; ./test.sh does it, see bootstrap.sh)")
    return path


def test_the_alert_rules_are_valid():
    result = subprocess.run([promtool(), "check", "rules", "alerts.yml"], cwd=RULES, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 10 rules found" in result.stdout


def test_every_alert_fires_in_its_unit_test():
    result = subprocess.run([promtool(), "test", "rules", "alerts_test.yml"], cwd=RULES, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    rules = yaml.safe_load((RULES / "alerts.yml").read_text())
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    assert alerts == EXPECTED_ALERTS
    tests = yaml.safe_load((RULES / "alerts_test.yml").read_text())["tests"]
    fired = {case["alertname"] for test in tests for case in test.get("alert_rule_test", []) if case["exp_alerts"]}
    quiet = {case["alertname"] for test in tests for case in test.get("alert_rule_test", []) if not case["exp_alerts"]}
    assert fired == EXPECTED_ALERTS, f"alerts never seen firing in alerts_test.yml: {EXPECTED_ALERTS - fired}"
    assert quiet, "no case where an alert stays quiet"


def test_every_metric_an_alert_reads_is_one_the_application_serves():
    """A renamed metric would silence its alert for ever: each incentives_* name in the rules is in the code."""
    source = (ROOT / "reviews" / "metrics.py").read_text()
    names = set(re.findall(r"\bincentives_[a-z][a-z_]*[a-z]\b", (RULES / "alerts.yml").read_text()))
    assert names
    missing = {name for name in names if f'"{name}"' not in source}
    assert not missing, f"alerts.yml reads metrics /metrics does not serve: {sorted(missing)}"
