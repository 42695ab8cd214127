"""Realistic Alertmanager webhook v4 bodies, rendered fast enough not to load the client.

One body is one Alertmanager group: a site's alerts (``group_by: [site]``), each on an element of
that site's subtree (spilling over to the next sites when a group is larger than a site), with
labels an SNMP/blackbox exporter setup would give (alertname by element kind, element, site,
severity, instance, job, cluster) and a summary annotation. Every body ``seq`` gets fingerprints of
its own, so each request stores new alert episodes, spread over the key space as Alertmanager's
label hashes are; ``startsAt`` lies in the last ten minutes with
nanosecond precision (as Alertmanager sends it); about one alert in ten is already resolved.

Bodies are rendered by string templates (about a microsecond per alert) instead of building dicts
and calling ``json.dumps``; :func:`self_check` proves the result is the same JSON shape that
``tests/builders.py`` produces and that the bridge's parser accepts it.
"""

from __future__ import annotations

import importlib.util
import json
import random
import time
import zlib
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

from bench.inventory import Inventory, alertname_for

REPO = Path(__file__).resolve().parent.parent
SEVERITIES = ("critical", "major", "major", "warning")


@cache
def builders() -> ModuleType:
    """``tests/builders.py``, loaded by path (``tests`` is not an installed package)."""
    path = REPO / "tests" / "builders.py"
    spec = importlib.util.spec_from_file_location("bench_test_builders", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def redis_server_module() -> ModuleType:
    """``tests/redis_server.py`` (a redis-server child on a free loopback port), by path."""
    path = REPO / "tests" / "redis_server.py"
    spec = importlib.util.spec_from_file_location("bench_redis_server", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _site_of(element_id: str) -> str:
    return element_id.split("-olt-")[0].split("-cell-")[0]


def _labels(element_id: str) -> dict[str, str]:
    jurisdiction = element_id[:2]
    return {
        "alertname": alertname_for(element_id),
        "element": element_id,
        "site": _site_of(element_id),
        "severity": SEVERITIES[zlib.crc32(element_id.encode()) % len(SEVERITIES)],
        "instance": f"{element_id}:161",
        "job": "snmp",
        "cluster": f"noc-{jurisdiction}",
    }


def _annotations(element_id: str) -> dict[str, str]:
    return {
        "summary": f"{alertname_for(element_id)} on {element_id}",
        "runbook_url": "https://wiki.example/runbooks/outage",
    }


@lru_cache(maxsize=8192)
def _second(whole: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))


def _rfc3339_ns(epoch: float) -> str:
    whole = int(epoch)
    return f"{_second(whole)}.{int((epoch - whole) * 1e9):09d}Z"


MARK = b"@@@@@@@@@@"  # 10 bytes: the delivery number's place in every fingerprint


class BodyFactory:
    """``factory(seq) → bytes``: the webhook body of delivery ``seq`` (see the module doc).

    ``variants`` groups are rendered once (at :meth:`prepare`, before any clock runs); delivery
    ``seq`` is variant ``seq % variants`` with ``seq`` written into each fingerprint, so every
    delivery has fingerprints of its own at the cost of one ``bytes.replace``. With
    ``repeat=True`` the variants are sent as they are: the same deliveries again and again, as an
    Alertmanager that re-sends a group (or two HA replicas) would.
    """

    def __init__(
        self,
        inventory: Inventory,
        alerts_per_request: int,
        *,
        variants: int = 64,
        repeat: bool = False,
        seed: int = 7,
    ) -> None:
        self.n = alerts_per_request
        self.seed = seed
        self.repeat = repeat
        self.sites = inventory.sites
        self.members = inventory.by_site
        self.variants = variants
        self._templates: list[bytes] = []
        self._zero = builders().ZERO

    def prepare(self) -> BodyFactory:
        compact = (",", ":")
        labels = {
            el: json.dumps(_labels(el), separators=compact)
            for members in self.members.values()
            for el in members
        }
        annotations = {el: json.dumps(_annotations(el), separators=compact) for el in labels}
        self._templates = [self._render(v, labels, annotations) for v in range(self.variants)]
        if self.repeat:
            self._templates = [t.replace(MARK, b"%010x" % v) for v, t in enumerate(self._templates)]
        return self

    def elements(self, rnd: random.Random) -> tuple[str, list[str]]:
        """The group's site and ``n`` distinct elements from it (and the next sites if needed)."""
        first = rnd.randrange(len(self.sites))
        chosen: list[str] = []
        i = first
        while len(chosen) < self.n:
            members = self.members[self.sites[i % len(self.sites)]]
            need = self.n - len(chosen)
            chosen.extend(rnd.sample(members, need) if need < len(members) else members)
            i += 1
        return self.sites[first], chosen

    def _render(self, variant: int, labels: dict[str, str], annotations: dict[str, str]) -> bytes:
        rnd = random.Random(variant * 1_000_003 + self.seed)
        site, chosen = self.elements(rnd)
        now = time.time()
        parts: list[str] = []
        firing = False
        mark = MARK.decode()
        # Alertmanager's fingerprints are hashes of the labels: spread evenly over the key
        # space, so a store indexed by them writes each new alert at a place of its own. Each
        # alert's fingerprint here is a random prefix of its own followed by the delivery
        # number scrambled (see __call__), as spread as the real ones.
        prefixes = rnd.sample(range(16**6), len(chosen))
        for i, el in enumerate(chosen):
            starts = now - rnd.uniform(1, 600)
            if rnd.random() < 0.1:
                status, ends = "resolved", _rfc3339_ns(min(now, starts + rnd.uniform(30, 300)))
            else:
                status, ends, firing = "firing", self._zero, True
            parts.append(
                f'{{"status":"{status}","labels":{labels[el]},'
                f'"annotations":{annotations[el]},"startsAt":"{_rfc3339_ns(starts)}",'
                f'"endsAt":"{ends}","generatorURL":"http://prometheus.example/graph?g0.expr=up",'
                f'"fingerprint":"{prefixes[i]:06x}{mark}"}}'
            )
        group = json.dumps({"site": site}, separators=(",", ":"))
        head = (
            f'{{"version":"4","groupKey":"{{}}:{{site=\\"{site}\\"}}","truncatedAlerts":0,'
            f'"status":"{"firing" if firing else "resolved"}","receiver":"incident-bridge",'
            f'"groupLabels":{group},"commonLabels":{{}},"commonAnnotations":{{}},'
            f'"externalURL":"http://alertmanager.example:9093","alerts":['
        )
        return (head + ",".join(parts) + "]}").encode()

    def __call__(self, seq: int) -> bytes:
        template = self._templates[seq % self.variants]
        return template if self.repeat else template.replace(MARK, b"%010x" % _scrambled(seq))


def _scrambled(seq: int) -> int:
    """``seq`` mapped one to one onto 40 bits, consecutive numbers far apart (an odd
    multiplier is invertible modulo a power of two)."""
    return (seq * 0x9E3779B97F) % (1 << 40)


def self_check(factory: BodyFactory) -> None:
    """Fail loudly if rendered bodies drift from the builders' shape or the bridge rejects them."""
    from bridge.core.alerts import parse_webhook

    b = builders()
    body: dict[str, Any] = json.loads(factory(12345))
    delivery = parse_webhook(body, datetime.now(UTC))
    assert len(delivery.episodes) == factory.n, "every alert must be its own episode"
    first = body["alerts"][0]
    start = datetime.now(UTC) - timedelta(minutes=1)
    reference = b.webhook(
        b.alert(first["fingerprint"], start, **first["labels"], annotations=first["annotations"])
    )
    assert set(body) == set(reference), sorted(set(body) ^ set(reference))
    fields = set(reference["alerts"][0])
    for alert in body["alerts"]:
        assert set(alert) == fields, sorted(set(alert) ^ fields)
    assert len({a["fingerprint"] for a in body["alerts"]}) == factory.n
