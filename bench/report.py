"""Plain-text tables of the results ``bench.webhook.run`` and ``bench.evaluation.run`` return."""

from __future__ import annotations

from typing import Any

from bench.webhook import cpu_ms_per_request


def table(headers: list[str], rows: list[list[str]], right: set[int] | None = None) -> str:
    right = right if right is not None else set(range(1, len(headers)))
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def _n(x: float | None, digits: int = 0) -> str:
    if x is None:
        return "-"
    return f"{x:,.{digits}f}".replace(",", " ")


def webhook(res: dict[str, Any]) -> str:
    with_redis = any("bridge_redis" in c for c in res["cases"])
    rows = []
    for c in res["cases"]:
        b, r = c["baseline"], c["bridge"]
        row = [
            c["name"],
            str(c["concurrency"]),
            _n(b["requests_per_s"]),
            _n(b["alerts_per_s"]),
            _n(b["latency_ms"]["p50"], 1),
            _n(b["latency_ms"]["p99"], 1),
            _n(r["requests_per_s"], 1),
            _n(r["alerts_per_s"]),
            _n(r["latency_ms"]["p50"], 1),
            _n(r["latency_ms"]["p99"], 1),
            f"{c['ratio_rps'] * 100:.1f} %",
        ]
        if with_redis:
            x = c.get("bridge_redis")
            row += (
                [
                    _n(x["requests_per_s"], 1),
                    _n(x["latency_ms"]["p50"], 1),
                    _n(x["latency_ms"]["p99"], 1),
                    f"{c['ratio_rps_redis'] * 100:.1f} %",
                ]
                if x
                else ["", "", "", ""]
            )
        rows.append(row)
    headers = [
        "case",
        "conn",
        "base req/s",
        "alerts/s",
        "p50 ms",
        "p99 ms",
        "sqlite req/s",
        "alerts/s",
        "p50 ms",
        "p99 ms",
        "sqlite/base",
    ]
    if with_redis:
        headers += ["redis req/s", "p50 ms", "p99 ms", "redis/base"]
    main = table(headers, rows)
    rows2 = []
    for c in res["cases"]:
        b, r, s = c["baseline"], c["bridge"], c["bridge_server"]
        lat = r["latency_ms"]
        per_incident = (s["alerts_received"] / s["incidents_open"]) if s["incidents_open"] else None
        errors = r["errors"] + b["errors"]
        rows2.append(
            [
                c["name"],
                _n(r["ok"]),
                _n(s["evaluation_ms_mean"], 2),
                f"{_n(lat['p50_first_tenth'], 1)} → {_n(lat['p50_last_tenth'], 1)}",
                _n(s["alerts_received"]),
                _n(s["incidents_open"]),
                _n(per_incident),
                _n(s["sqlite_bytes"] / 1e6, 1),
                f"{_n(r['server_cpu_pct'])} / {_n(b['server_cpu_pct'])}",
                f"{_n(cpu_ms_per_request(r), 2)} / {_n(cpu_ms_per_request(b), 2)}",
                f"{_n(r['client_cpu_pct'])} / {_n(b['client_cpu_pct'])}",
                " / ".join(_n(ms, 0) for ms in s.get("scrape_ms", ())),
                str(errors) if errors else "0",
            ]
        )
    detail = table(
        [
            "case",
            "bridge reqs",
            "eval ms/req",
            "p50 ms first→last 10 %",
            "alerts stored",
            "open incidents",
            "alerts/incident",
            "sqlite MB",
            "server CPU % br/base",
            "CPU ms/req br/base",
            "client CPU % br/base",
            "scrape ms 1st / 2nd",
            "errors",
        ],
        rows2,
    )
    return (
        f"Webhook POST /api/v1/alertmanager — bridge on SQLite (fsync per group commit)"
        f"{' and on Redis (AOF, appendfsync always)' if with_redis else ''} vs "
        f"parse-only baseline; inventory of {_n(res['inventory_elements'])} elements\n\n"
        f"{main}\n\nBridge side of each case, SQLite store (state starts empty and grows: every "
        f"delivery has "
        f"new fingerprints):\n\n{detail}"
    )


def evaluation(res: dict[str, Any]) -> str:
    t, k, ratio = res["timings"], res["counts"], res["ratio_to_full_recompute"]

    def row(label: str, key: str, note: str = "") -> list[str]:
        return [label, _n(t[key]["median_ms"], 2), _n(t[key]["max_ms"], 2), note]

    rows = [
        [
            "(a) apply all alerts, cold topology caches (once)",
            _n(res["apply_all_cold_ms"], 1),
            "",
            f"{k['incidents']} incidents",
        ],
        row("(a) apply all alerts into an empty engine", "apply_all"),
        row("(b) tick, nothing due", "tick_idle", f"{k['due_idle']} incidents due"),
    ]
    for size in sorted(int(key.split("_")[1]) for key in ratio):
        rows.append(
            row(
                f"(d) apply {size} changed alerts into the state",
                f"batch_{size}",
                f"{k[f'batch_{size}_touched_incidents']} incidents touched; "
                f"{ratio[f'batch_{size}'] * 100:.1f} % of full recompute",
            )
        )
    rows += [
        row(
            "    BASELINE: full recompute, fresh engine",
            "full_recompute",
            "all alerts again at the same now",
        ),
        row(
            "(c) tick +1 h: duration thresholds come due",
            "tick_due",
            f"{k['due_after_1h']} incidents due, {k['changed_after_1h']} changed",
        ),
        row(
            "(c2) tick +2 h 10 min: every alert stale",
            "tick_all_stale",
            f"{k['due_after_2h10m']} incidents due (worst case)",
        ),
    ]
    if "overall_again" in t:  # results of runs before step (f) have no such rows
        afresh = t["overall_afresh"]["median_ms"]
        rows += [
            row(
                "(f) overall affected now, first scrape",
                "overall_first",
                f"{_n(k['overall_targets'])} targets of open incidents",
            ),
            row(
                "(f) overall affected now, after the batches",
                "overall_again",
                f"{t['overall_again']['median_ms'] / afresh * 100:.1f} % of counting afresh",
            ),
            row("    BASELINE: the same counted afresh", "overall_afresh", "affected_once"),
        ]
    main = table(["step", "median ms", "max ms", "notes"], rows, right={1, 2})
    scale_rows = [
        [
            _n(s["incidents"]),
            _n(s["apply_all_s"], 2),
            _n(s["apply_all_per_alert_ms"], 3),
            _n(s["one_new_alert"]["median_ms"], 3),
            _n(s["one_new_alert"]["max_ms"], 3),
        ]
        for s in res["scaling"]
    ]
    scale = table(
        ["incidents held", "apply all s", "ms per alert", "1 new alert median ms", "max ms"],
        scale_rows,
        right={0, 1, 2, 3, 4},
    )
    return (
        f"Evaluation (in-process Engine): {_n(res['elements'])} elements, "
        f"{_n(res['alerts'])} firing alerts, correlation by site, "
        f"rule sets {', '.join(res['rule_sets'])}; "
        f"{res['repetitions']} repetitions\n\n{main}\n\n"
        f"(e) Scaling: one new alert that correlates with nothing, applied into a state holding "
        f"N one-alert incidents (ideal: flat in N)\n\n{scale}"
    )


def aims(items: list[dict[str, Any]]) -> str:
    return "Aims (informative; the run never fails on them)\n\n" + "\n".join(
        f"  [{'MET   ' if a['met'] else 'MISSED'}] {a['aim']}: {a['measured']}" for a in items
    )
