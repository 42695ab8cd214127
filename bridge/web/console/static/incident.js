// Incident detail: warnings, every criterion of every regulator with its reason, the reports
// owed (explanations, countdowns, drafts), impact by service and region, and one timeline of
// alert and impact events in the incident's local time.
import { fill,
  affectedTable, api, el, live, localTime, number, obligationsTable, page, showError, verdict,
  warningsList, zoneOfJurisdiction,
} from "./console.js";

const root = document.getElementById("incident");
const id = page.incident;

function timeline(doc, zone) {
  const events = [];
  for (const a of doc.alert_details || []) {
    const name = a.labels.alertname || a.fingerprint;
    const where = a.labels.element || a.labels.instance || "";
    events.push({ at: a.starts_at, what: `${name} ${where} firing`, note: a.unmapped ? `unmapped: ${a.unmapped}` : a.stale ? "stale: not heard of within the stale limit" : "" });
    if (a.ends_at && a.status === "resolved") events.push({ at: a.ends_at, what: `${name} ${where} resolved`, note: "" });
  }
  for (const p of doc.impact.timeline || []) {
    events.push({ at: p.at, what: `impact: ${number(p.outage)} out, ${number(p.degradation)} degraded`, note: "" });
  }
  events.sort((x, y) => new Date(x.at) - new Date(y.at));
  return el(
    "table",
    { class: "timeline" },
    el("thead", {}, el("tr", {}, el("th", {}, "When (local)"), el("th", {}, "What"), el("th", {}, "Note"))),
    el("tbody", {}, events.map((e) => el("tr", {}, el("td", {}, localTime(e.at, zone)), el("td", {}, e.what), el("td", {}, e.note)))),
  );
}

// Only http(s) links leave the console: a generatorURL of any other scheme (javascript:, data:)
// is shown as nothing.
export function httpUrl(raw) {
  if (!raw) return null;
  try {
    const url = new URL(raw);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

// A new silence in the Alertmanager UI matching every label of the alert exactly.
export function silenceUrl(base, labels) {
  if (!httpUrl(base)) return null;
  const quote = (v) => String(v).replace(/\\/g, "\\\\").replace(/"/g, '\\"');
  const matchers = Object.keys(labels || {}).sort().map((k) => `${k}="${quote(labels[k])}"`);
  return `${base.replace(/\/+$/, "")}/#/silences/new?filter=${encodeURIComponent(`{${matchers.join(",")}}`)}`;
}

function alertLinks(a) {
  const source = httpUrl(a.generator_url);
  const silence = silenceUrl(page.alertmanager, a.labels);
  const out = el("td", { class: "links" });
  if (source) out.append(el("a", { href: source, class: "source", rel: "noopener noreferrer", target: "_blank" }, "source"));
  if (source && silence) out.append(" · ");
  if (silence) out.append(el("a", { href: silence, class: "silence", rel: "noopener noreferrer", target: "_blank" }, "silence…"));
  if (!source && !silence) out.append("—");
  return out;
}

function alertsTable(doc, zone) {
  const alerts = doc.alert_details || [];
  return el(
    "table",
    { id: "alerts" },
    el("thead", {}, el("tr", {}, ["Alert", "Element", "Status", "Started", "Last heard of", "Problem", "Links"].map((h) => el("th", {}, h)))),
    el(
      "tbody",
      {},
      alerts.map((a) =>
        el(
          "tr",
          { dataset: { fingerprint: a.fingerprint } },
          el("td", {}, a.labels.alertname || a.fingerprint, a.labels.severity ? el("span", { class: "why" }, a.labels.severity) : null),
          el("td", {}, a.labels.element || a.labels.instance_element || a.labels.instance || "—"),
          el("td", {}, a.status),
          el("td", {}, localTime(a.starts_at, zone)),
          el("td", {}, localTime(a.last_seen, zone)),
          el("td", { class: a.stale || a.unmapped ? "overdue" : "" }, a.stale ? "stale: its resolve may be lost" : a.unmapped ? `unmapped: ${a.unmapped}` : ""),
          alertLinks(a),
        ),
      ),
    ),
  );
}

function byTable(title, values, names = {}) {
  const rows = Object.entries(values || {});
  if (!rows.length) return null;
  return el(
    "table",
    {},
    el("thead", {}, el("tr", {}, el("th", {}, title), el("th", { class: "num" }, "Peak connections"))),
    el("tbody", {}, rows.map(([k, v]) => el("tr", {}, el("td", {}, names[k] ? `${names[k]} (${k})` : k), el("td", { class: "num" }, number(v))))),
  );
}

function render(doc) {
  const zone = zoneOfJurisdiction(doc.jurisdictions);
  fill(root, 
    el("h1", {}, `Incident ${doc.id}`),
    el(
      "p",
      { class: "meta" },
      el("span", { class: "pill state" }, doc.state), " ",
      `${doc.jurisdictions.join(", ")} · started ${localTime(doc.started_at, zone)}`,
      doc.ended_at ? ` · ended ${localTime(doc.ended_at, zone)}` : "",
      ` · ${number(doc.impact.current)} affected now, peak ${number(doc.impact.peak)}`,
      doc.impact.peak_at ? ` at ${localTime(doc.impact.peak_at, zone)}` : "",
    ),
    warningsList(doc.warnings),
    el("h2", {}, "Criteria"),
    doc.assessments.map((a) => verdict(a, { all: true })),
    el("h2", {}, "Reports owed"),
    obligationsTable(doc.obligations, doc.drafts),
    el("ul", {}, doc.obligations.map((o) => el("li", {}, `${o.kind}: `, o.explanation || ""))),
    el("h2", {}, "Affected now"),
    affectedTable(doc.impact),
    el("div", { class: "grid2" }, byTable("Service", doc.impact.by_service), byTable("Region", doc.impact.by_region, doc.impact.region_names)),
    el("h2", {}, "Alerts"),
    alertsTable(doc, zone),
    el("h2", {}, "Timeline"),
    timeline(doc, zone),
  );
  root.dataset.loaded = "1";
}

async function refresh(change) {
  if (change && !change.incidents.includes(id) && !change.drafts.some((d) => d.startsWith(`${id}.`))) return;
  render(await api(`/api/v1/incidents/${encodeURIComponent(id)}`));
}

refresh(null).catch((e) => showError(root, e));
live(refresh);
