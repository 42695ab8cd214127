"""`bridge check-config` as an operator runs it: a subprocess with exit code and output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from redis_server import UNSAFE, RedisServer

from bridge.cli.check_config import _contacts
from bridge.config.models import OperatorConfig

REPO = Path(__file__).resolve().parents[2]
CONFIG_DATA = REPO / "tests" / "data" / "config"


def bridge(*args: str, stdin: str = "", **env_extra: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bridge ARGS`` from the repository root (``env_extra`` added to the env,
    ``stdin`` as its standard input)."""
    # No BRIDGE_* variables from the developer's shell may leak into the run.
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}
    return subprocess.run(
        [sys.executable, "-m", "bridge", *args],
        cwd=REPO,
        env={**env, **env_extra},
        capture_output=True,
        input=stdin,
        text=True,
        timeout=60,
        check=False,
    )


def check_config(config: Path | str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bridge check-config -c CONFIG``."""
    return bridge("check-config", "-c", str(config))


@pytest.fixture(scope="module")
def shipped_summary() -> subprocess.CompletedProcess[str]:
    """``check-config -c config/bridge.yaml``, run once for the tests that read its summary
    (the same command on the same files prints the same)."""
    return check_config("config/bridge.yaml")


def test_check_config_accepts_the_shipped_config(
    shipped_summary: subprocess.CompletedProcess[str],
) -> None:
    """The shipped config exits 0 and summarises rule sets (flagged NOT VERIFIED), inventory
    size and the regulators that are on."""
    run = shipped_summary
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert out.startswith("configuration OK: config/bridge.yaml")
    assert "inventory: 11 elements" in out
    for regulator, rule_set in (
        ("pts", "pts-outage"),
        ("nkom", "nkom-varsel"),
        ("enisa", "enisa-matrix"),
    ):
        line = next(x for x in out.splitlines() if f" {regulator}: rule set {rule_set} " in x)
        assert line.strip().startswith("on ")
        assert "NOT VERIFIED" in line
    assert "recipient incidentrapport@pts.se" in out
    assert "  retention: alerts 400d, deliveries 400d, incidents 1827d, drafts 400d, " in out
    assert "notices 1827d; audit and privacy register never; pruned every 1h" in out
    assert "WARNING: unverified rule sets in use" in out
    assert "dev-only-webhook-token-change-me" not in out + run.stderr


def test_check_config_says_where_notices_go_and_what_came_from_the_environment(
    shipped_summary: subprocess.CompletedProcess[str],
) -> None:
    """check-config names the SMTP relay, its security and sender (or that nothing is sent) and
    the keys set by BRIDGE_ variables by name, never printing a secret value."""
    plain = shipped_summary
    assert plain.returncode == 0, plain.stderr
    assert "smtp: no smtp section: nothing will be sent" in plain.stdout
    assert "from the environment: nothing" in plain.stdout
    run = bridge(
        "check-config",
        "-c",
        "config/bridge.yaml",
        BRIDGE_SMTP="{host: relay.example.net, port: 587, security: tls, username: ib, "
        "sender: noc@example.net}",
        BRIDGE_SMTP__PASSWORD="hunter2-smtp-secret",
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "smtp: relay.example.net:587 (security tls, login as ib); sender noc@example.net" in out
    assert "from the environment: smtp (BRIDGE_SMTP), smtp.password (BRIDGE_SMTP__PASSWORD)" in out
    assert "hunter2-smtp-secret" not in out + run.stderr


def test_check_config_names_the_environment_variable_of_an_unknown_key() -> None:
    """An override naming an unknown key fails naming the BRIDGE_ variable, not the file."""
    run = bridge("check-config", "-c", "config/bridge.yaml", BRIDGE_SMTP__HOSTNAME="x")
    assert run.returncode == 1
    assert "environment BRIDGE_SMTP__HOSTNAME: smtp.hostname: unknown key" in run.stderr
    assert "config/bridge.yaml: smtp.hostname" not in run.stderr


def test_check_config_names_criterion_sources_contacts_and_services(
    shipped_summary: subprocess.CompletedProcess[str],
) -> None:
    """check-config names each criterion's source (the 112 one as the operator's own choice),
    the contact signing each track and each inventory service's display names."""
    out = shipped_summary.stdout
    line = next(x for x in out.splitlines() if "criterion e112-30m" in x)
    assert "operator's own choice" in line
    assert "criterion conn-10k-2h (connections): source: seed 002" in out
    assert "privacy (privacy reports' contact point): Dataskyddsombud" in out
    assert "internet = Bredband / Bredbånd" in out
    assert "WARNING: services without a display name" not in out


def test_check_config_warns_of_a_domestic_subscriber_number_for_both_countries(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A subscriber channel with one domestic number (0771-…) would show Norwegian subscribers
    a Swedish number: check-config warns until phones per language are given."""
    one = OperatorConfig.model_validate(
        {"contacts": {"subscriber": {"name": "Kundtjänst", "phone": "0771-00 00 00"}}}
    )
    _contacts(one)
    assert "WARNING: the subscriber notices' phone 0771-00 00 00 is a domestic number" in (
        capsys.readouterr().out
    )
    both = {"sv": "0771-00 00 00", "nb": "815 00 000"}
    per_language = OperatorConfig.model_validate(
        {"contacts": {"subscriber": {"name": "Kundtjänst", "phone": "0771", "phones": both}}}
    )
    _contacts(per_language)
    assert "domestic number" not in capsys.readouterr().out


def test_check_config_lists_every_problem() -> None:
    """A broken config exits 1 and prints each problem, naming file and key, on stderr."""
    path = CONFIG_DATA / "several_problems.yaml"
    run = check_config(path)
    assert run.returncode == 1
    assert run.stdout == ""
    err = run.stderr
    assert "configuration INVALID (3 problem(s))" in err
    assert f"{path}: server.listen: expected HOST:PORT" in err
    assert f"{path}: correlation.quiet_periode: unknown key" in err
    assert f"{path}: evaluation.interval: expected a duration" in err


def test_check_config_reports_inventory_problems() -> None:
    """A valid config whose inventory is broken exits 1 naming the inventory line and field."""
    run = check_config(CONFIG_DATA / "bad_inventory.yaml")
    assert run.returncode == 1
    assert "bad_conn_cell.csv: line 4.conn_internet: expected an integer" in run.stderr


def test_check_config_reports_a_missing_file() -> None:
    """A config path that does not exist exits 1 and names the file."""
    run = check_config("no/such/bridge.yaml")
    assert run.returncode == 1
    assert "no/such/bridge.yaml: cannot read" in run.stderr


def test_serve_refuses_an_invalid_config_naming_every_problem() -> None:
    """`bridge serve` with a broken config exits 1 before listening and lists the problems."""
    run = bridge("serve", "-c", str(CONFIG_DATA / "several_problems.yaml"))
    assert run.returncode == 1
    assert "configuration INVALID (3 problem(s))" in run.stderr
    assert "Running on" not in run.stdout + run.stderr


@pytest.mark.parametrize(
    "command", [["serve"], ["prune"], ["prune", "--dry-run"], ["users", "list"]], ids=" ".join
)
def test_a_redis_that_could_lose_acknowledged_alerts_is_refused(
    tmp_path: Path, command: list[str]
) -> None:
    """`bridge serve` (and every command opening the store) on a Redis without durable
    persistence exits 1 naming the setting, with no traceback (a real redis-server started with
    unsafe settings)."""
    with RedisServer(tmp_path / "redis", settings=UNSAFE) as server:
        run = bridge(*command, "-c", "config/bridge.yaml", BRIDGE_STORE=server.url())
    assert run.returncode == 1
    assert "appendfsync" in run.stderr or "appendonly" in run.stderr
    assert "Traceback" not in run.stderr


def test_check_config_says_what_changed_in_the_swedish_law(
    tmp_path: Path, shipped_summary: subprocess.CompletedProcess[str]
) -> None:
    """The PTS outage rule set is named as the repealed regime (kept for incidents before
    2026-01-15 and as an internal threshold), se-cyber as applying from that day; the shipped
    config reports to the CSIRT under se-cyber, each report with its source, channel and
    whether it was verified; a Swedish jurisdiction without se-cyber is a warning."""
    out = shipped_summary.stdout
    assert (
        "NOTE: rule set pts-outage encodes a repealed regime (repealed 2026-01-15; replaced by "
        "cybersäkerhetslagen (2025:1506), rule set se-cyber): kept for incidents before "
        "2026-01-15 and as an internal threshold"
    ) in out
    assert (
        "NOTE: rule set se-cyber applies to incidents from 2026-01-15 (in_force_from, SE "
        "calendar): one that began earlier owes it nothing and is not marked by its criteria"
    ) in out
    assert " csirt: rule set se-cyber (SE, 5 criteria, NOT VERIFIED)" in out
    warning = next(x for x in out.splitlines() if "report se_cyber_early_warning" in x)
    assert "channel portal" in warning and "2 kap. 5 §" in warning
    assert "NOT VERIFIED" not in warning
    progress = next(x for x in out.splitlines() if "report se_cyber_progress" in x)
    assert "NOT VERIFIED" in progress
    assert "without a cybersecurity rule set" not in out
    shipped = (REPO / "config" / "bridge.yaml").read_text(encoding="utf-8")
    without = tmp_path / "bridge.yaml"
    without.write_text(
        shipped.replace("  csirt: {enabled: true, rule_set: se-cyber, channel: portal}\n", "")
        .replace("rules_dir: rules", f"rules_dir: {REPO / 'config' / 'rules'}")
        .replace("path: inventory.yaml", f"path: {REPO / 'config' / 'inventory.yaml'}"),
        encoding="utf-8",
    )
    run = check_config(without)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "WARNING: Swedish jurisdiction configured" in run.stdout
    assert "add a regulator with rule_set: se-cyber" in run.stdout


def test_check_config_says_where_each_countrys_replies_go(
    tmp_path: Path, shipped_summary: subprocess.CompletedProcess[str]
) -> None:
    """Per country and per track: the shipped config asks Nkom's case handlers to answer an
    outage notice at the Norwegian NOC (operator.jurisdictions.NO.reply_to), the Swedish ones
    at operator.contact.email, and both countries' privacy reports and subscriber notices at
    the privacy contact point (the subscriber channel names no e-mail). A country whose
    identity names its own contacts but no reply_to is warned of: its regulators' answers
    would go to the operator's default address, perhaps another country's NOC."""
    out = shipped_summary.stdout
    no = out[out.index("    NO (") : out.index("    SE (")]
    assert (
        "      replies to outage notices: noc-no@example.net (operator.jurisdictions.NO.reply_to)"
        in no
    )
    assert (
        "      replies to privacy notices: dpo@example.net (operator.contacts.privacy.email)" in no
    )
    assert (
        "      replies to subscriber notices: dpo@example.net (operator.contacts.privacy.email)"
        in no
    )
    se = out[out.index("    SE (") :]
    assert "      replies to outage notices: noc@example.net (operator.contact.email)" in se
    assert (
        "      replies to privacy notices: dpo@example.net (operator.contacts.privacy.email)" in se
    )
    assert "reply_to" not in "".join(x for x in out.splitlines() if "WARNING" in x)
    assert "privacy notices go to" not in out
    shipped = (REPO / "config" / "bridge.yaml").read_text(encoding="utf-8")
    [line] = [x for x in shipped.splitlines(keepends=True) if x.strip().startswith("reply_to:")]
    without = tmp_path / "bridge.yaml"
    without.write_text(
        shipped.replace(line, "")
        .replace("rules_dir: rules", f"rules_dir: {REPO / 'config' / 'rules'}")
        .replace("path: inventory.yaml", f"path: {REPO / 'config' / 'inventory.yaml'}"),
        encoding="utf-8",
    )
    run = check_config(without)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "      replies to outage notices: noc@example.net (operator.contact.email)" in run.stdout
    [warning] = [x for x in run.stdout.splitlines() if "WARNING: operator.jurisdictions.NO" in x]
    assert "names its own contacts but no reply_to" in warning
    assert "Nkom's and Norwegian subscribers' notices" in warning and "noc@example.net" in warning


def test_check_config_warns_when_privacy_replies_would_reach_the_general_address(
    tmp_path: Path,
) -> None:
    """Without an e-mail of the privacy contact point, a privacy report's Reply-To falls back to
    the country's general address (the NOC): check-config says so for each country and names
    the key to set; subscriber notices too, when the subscriber channel names no e-mail
    either."""
    shipped = (REPO / "config" / "bridge.yaml").read_text(encoding="utf-8")
    [line] = [x for x in shipped.splitlines(keepends=True) if "email: dpo@example.net  " in x]
    without = tmp_path / "bridge.yaml"
    without.write_text(
        shipped.replace(line, "")
        .replace("rules_dir: rules", f"rules_dir: {REPO / 'config' / 'rules'}")
        .replace("path: inventory.yaml", f"path: {REPO / 'config' / 'inventory.yaml'}"),
        encoding="utf-8",
    )
    run = check_config(without)
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert (
        "      replies to privacy notices: noc-no@example.net "
        "(operator.jurisdictions.NO.reply_to: no privacy contact e-mail)"
    ) in out
    warnings = [x for x in out.splitlines() if "WARNING: replies to" in x]
    [no_privacy] = [x for x in warnings if "NO's privacy notices" in x]
    assert "go to noc-no@example.net, the general address" in no_privacy
    assert "set operator.contacts.privacy.email" in no_privacy
    assert "or operator.jurisdictions.NO.contacts.privacy.email" in no_privacy
    [se_subscriber] = [x for x in warnings if "SE's subscriber notices" in x]
    assert "go to noc@example.net, the general address" in se_subscriber
    assert "operator.contacts.subscriber.email" in se_subscriber
    assert len(warnings) == 4  # privacy and subscriber notices, in each country


def test_check_config_names_each_countrys_provider_and_warns_of_a_wrong_number(
    tmp_path: Path, shipped_summary: subprocess.CompletedProcess[str]
) -> None:
    """The shipped config names the Norwegian provider for Nkom's notices and the Swedish AB
    for the Swedish ones, each number of its country's form (no warning). Without
    operator.jurisdictions, Nkom's notices would carry the Swedish AB's number: a warning
    naming operator.org_number and the form Norway's notices need."""
    out = shipped_summary.stdout
    assert (
        "    NO (Nkom's and Norwegian subscribers' notices): Exempel Nett AS, org.nr 312 345 676 "
        "(operator.jurisdictions.NO)"
    ) in out
    assert "    SE (PTS's, the CSIRT's and Swedish subscribers' notices): Exempel Nät AB, " in out
    assert "org_number" not in "".join(x for x in out.splitlines() if "WARNING" in x)
    shipped = (REPO / "config" / "bridge.yaml").read_text(encoding="utf-8")
    start = shipped.index("  jurisdictions:\n")
    end = shipped.index("\n\n", start)
    single = tmp_path / "bridge.yaml"
    single.write_text(
        (shipped[:start] + shipped[end + 1 :])
        .replace("rules_dir: rules", f"rules_dir: {REPO / 'config' / 'rules'}")
        .replace("path: inventory.yaml", f"path: {REPO / 'config' / 'inventory.yaml'}"),
        encoding="utf-8",
    )
    run = check_config(single)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (
        "    NO (Nkom's and Norwegian subscribers' notices): Exempel Nät AB, org.nr 559999-9991 "
        "(operator.name, operator.org_number)"
    ) in run.stdout
    [warning] = [x for x in run.stdout.splitlines() if "WARNING: operator.org_number" in x]
    assert "'559999-9991' is not a Norwegian organisasjonsnummer" in warning
    assert "give operator.jurisdictions.NO (name, org_number)" in warning


def test_check_config_says_where_subscriber_notices_go(
    tmp_path: Path, shipped_summary: subprocess.CompletedProcess[str]
) -> None:
    """The bridge never e-mails subscribers: it hands each subscriber notice to one address of
    the operator's, which distributes it. check-config names that address and its key: the
    shipped config sets none, so the general contact (the NOC mailbox) receives them."""
    out = shipped_summary.stdout
    assert (
        "    subscriber notices go to: noc@example.net (operator.contact.email, the general "
        "address: set privacy.subscriber_notice_recipient to the team that distributes them)"
    ) in out
    shipped = (REPO / "config" / "bridge.yaml").read_text(encoding="utf-8")
    [line] = [x for x in shipped.splitlines(keepends=True) if "# subscriber_notice_recipient:" in x]
    own = tmp_path / "bridge.yaml"
    own.write_text(
        shipped.replace(line, "  subscriber_notice_recipient: kund@example.net\n")
        .replace("rules_dir: rules", f"rules_dir: {REPO / 'config' / 'rules'}")
        .replace("path: inventory.yaml", f"path: {REPO / 'config' / 'inventory.yaml'}"),
        encoding="utf-8",
    )
    run = check_config(own)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (
        "    subscriber notices go to: kund@example.net (privacy.subscriber_notice_recipient)"
    ) in run.stdout
