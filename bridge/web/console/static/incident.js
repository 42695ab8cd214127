// Incident detail: warnings, every criterion of every regulator with its reason, the reports
// owed (explanations, countdowns, drafts), impact by service and region, and one timeline of
// alert and impact events in the incident's local time.
import { fill,
  affectedTable, api, ApiError, can, CODE_HINT, cyberOf, cyberPreview, el, live, localTime, number,
  obligationsTable, page, regulatorName, showError, verdict, warningsList, zoneOf, zoneOfJurisdiction,
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

// The cybersecurity act: whether the criteria mark the incident potentially significant, the
// declaration (who, when aware, why), and for an approver the declaration itself (significant,
// with the awareness instant: now or earlier; or not, with a reason), with an authenticator code.
function cyberSection(doc) {
  if (!(doc.cyber || []).length) return null;
  const approver = can("approver", "outage");
  return doc.cyber.map((c) => {
    const zone = zoneOf(c.regulator);
    const d = c.declaration;
    const said = d
      ? el("p", { id: "declaration" }, d.significant
          ? `Declared significant by ${d.by} at ${localTime(d.at, zone)}; aware since ${localTime(d.aware_at, zone)}: the clocks run from then.`
          : `Declared not significant by ${d.by} at ${localTime(d.at, zone)}: ${d.reason}`)
      : el("p", { id: "declaration" }, c.potentially_significant
          ? "Potentially significant (see the criteria): nothing is owed until a person declares it significant."
          : "Not marked by the criteria; a person may still declare it significant.");
    const significant = d && d.significant;
    return el(
      "section",
      { class: "cyber", id: "cyber" },
      el("h2", {}, `${regulatorName(c.regulator)}: significant incident?`),
      said,
      cyberPreview(doc),
      approver && !significant
        ? el("div", { class: "actions" },
            el("button", { type: "button", id: "declare-significant", class: "danger", onclick: () => declare(true) }, "Declare significant…"),
            el("button", { type: "button", id: "declare-not", class: "quiet", onclick: () => declare(false) }, "Declare not significant…"))
        : null,
      approver && significant
        ? el("div", { class: "actions" }, el("button", { type: "button", id: "declare-earlier", class: "quiet", onclick: () => declare(true) }, "Correct the awareness instant (earlier only)…"))
        : null,
      el("div", { id: "declare-message" }),
    );
  });
}

// "2026-11-23T09:05" typed in the person's own time (a datetime-local input) → ISO with offset.
function isoOfLocal(value) {
  return value ? new Date(value).toISOString() : null;
}

function declare(significant) {
  const when = el("input", { type: "datetime-local", id: "declare-aware-at" });
  const reason = el("textarea", { id: "declare-reason", rows: "3", cols: "50" });
  const code = el("input", { id: "declare-totp", inputmode: "numeric", autocomplete: "one-time-code", maxlength: "7", size: "8" });
  const out = document.getElementById("declare-message");
  const dialog = el(
    "dialog",
    { class: "confirm", id: "declare-dialog" },
    el("h2", {}, significant ? "Declare this incident significant (cybersäkerhetslagen)?" : "Declare this incident not significant?"),
    significant
      ? el("p", {}, "The 24 h early warning and 72 h notification run from when you became aware. Leave the time empty for now; an earlier time may be entered, never a later one. This cannot be undone.")
      : el("p", {}, "Say why: the reason is kept in the audit log."),
    significant ? [el("label", { for: "declare-aware-at" }, "Aware since (your local time; empty: now)"), when] : [el("label", { for: "declare-reason" }, "Reason"), reason],
    el("label", { for: "declare-totp" }, CODE_HINT),
    code,
    el("div", { class: "actions" },
      el("button", { type: "button", id: "declare-yes", class: "danger", onclick: async () => {
        const body = { significant, ...(code.value.trim() ? { totp: code.value.trim() } : {}) };
        if (significant && when.value) body.aware_at = isoOfLocal(when.value);
        if (!significant) body.reason = reason.value;
        dialog.close();
        try {
          render(await api(`/api/v1/incidents/${encodeURIComponent(id)}/declaration`, { method: "POST", body }));
        } catch (e) {
          fill(document.getElementById("declare-message") || out, el("div", { class: "error" }, e instanceof ApiError ? `Refused (${e.status}): ${e.message}` : String(e)));
        }
      } }, significant ? "Declare significant" : "Declare not significant"),
      el("button", { type: "button", id: "declare-no", class: "quiet", onclick: () => dialog.close() }, "Cancel")),
  );
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
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
    doc.assessments.map((a) => verdict(a, { all: true, cyber: cyberOf(doc, a) })),
    cyberSection(doc),
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
