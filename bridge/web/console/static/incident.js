// Incident detail: its number and name (rename), who is on it (acknowledge, assign), warnings,
// every criterion of every regulator that applies with its reason, the reports owed, impact by
// service and region (a person's override of it, and the form: overrideSection), the alerts (a
// page at a time from GET …/alerts, with their counts: the incident's document leaves them out),
// notes, and one timeline (GET …/timeline?view=grouped: alerts and impact a minute at a time,
// verdicts, obligations, drafts, notes, acknowledgements, assignments, each of those on its own
// line; Export JSON / CSV download every alert, the default view) beside a chart of the
// affected connections per service with each threshold and the instants it became reportable
// (inline SVG drawn here: no external script). Times in the console's zone.
import { fill,
  affectedTable, api, ApiError, applicable, can, CODE_HINT, cyberOf, cyberPreview, el, inZone, incidentName, live, localiseText, localTime, number, obligationsTable, page, regulatorName,
  reportEnglish, reportName, showError, verdict, waitingWords, warningsList, whoIsOnIt, ZONE,
} from "./console.js";
import { serverNow } from "./clock.js";
import { zonedTime } from "./time_field.js";

const root = document.getElementById("incident");
const id = page.incident;
const base = `/api/v1/incidents/${encodeURIComponent(id)}`;

function timelineTable(events) {
  return el(
    "table",
    { class: "timeline", id: "timeline" },
    el("thead", {}, el("tr", {}, el("th", {}, inZone("When")), el("th", {}, "What"), el("th", {}, "Who"))),
    el("tbody", {}, events.map((e) => el(
      "tr",
      // a grouped event stands for `count` alerts (or changes); its first fingerprints on hover
      { dataset: e.count > 1 ? { kind: e.kind, count: String(e.count) } : { kind: e.kind }, title: e.count > 1 && e.fingerprints ? `${e.fingerprints.join(", ")}${e.count > e.fingerprints.length ? " …" : ""}` : null },
      el("td", {}, localTime(e.at)), el("td", {}, e.summary), el("td", {}, e.actor)))),
  );
}

// ---- the chart: inline SVG ------------------------------------------------------------------
const SVG = "http://www.w3.org/2000/svg";
const COLOURS = ["#0b57d0", "#b06000", "#0b6e2e", "#7b1fa2", "#00838f", "#5d4037"];
const REG_COLOURS = { nkom: "#b00020", pts: "#6a1b9a", enisa: "#37474f" };

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) node.setAttribute(k, String(v));
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

// What a mark means, in bridge replay's words, from what the server says of its assessment
// (binding, reference, repealed_on: GET …/timeline's chart): a reference matrix or a repealed
// law's internal threshold owes no regulator, so it is never "reportable to …". A mark without
// those fields (an incident stored before them) reads as binding.
export function metWords(m) {
  if (m.reference) return `reference matrix met: ${m.rule_set} (opens no report)`;
  if (m.binding === false) {
    const owed = m.repealed_on ? `internal threshold (repealed ${m.repealed_on}), owed to no regulator` : "owed to no regulator";
    return `${m.rule_set} met: ${owed}`;
  }
  return `reportable to ${regulatorName(m.regulator)}`;
}

export function chart(data, now = serverNow()) {
  const W = 640, H = 320, L = 64, R = 16, T = 16, B = 40;
  const pts = data.points.map((p) => ({ ...p, t: new Date(p.at).getTime() }));
  const marks = data.reportable.map((r) => ({ ...r, t: new Date(r.at).getTime() }));
  const times = [...pts.map((p) => p.t), ...marks.map((m) => m.t)];
  if (!times.length) return el("p", { class: "empty" }, "Nothing measured yet.");
  const t0 = Math.min(...times);
  const t1 = Math.max(now, ...times, t0 + 60_000);
  const peak = Math.max(1, ...pts.flatMap((p) => data.services.map((s) => p[s] || 0)));
  const near = data.thresholds.filter((th) => th.connections <= peak * 3);
  const top = Math.max(peak, ...near.map((th) => th.connections)) * 1.15;
  const x = (t) => L + ((t - t0) / (t1 - t0)) * (W - L - R);
  const y = (v) => T + (1 - v / top) * (H - T - B);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "Affected connections over time per service", id: "impact-chart" });
  root.append(svg("title", {}, "Affected connections over time per service, thresholds and when it became reportable"));
  root.append(svg("line", { class: "axis", x1: L, y1: H - B, x2: W - R, y2: H - B }));
  root.append(svg("line", { class: "axis", x1: L, y1: T, x2: L, y2: H - B }));
  for (const v of [0, peak]) {
    root.append(svg("line", { class: "axis", x1: L - 3, x2: L, y1: y(v), y2: y(v) }));
    root.append(svg("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end" }, number(v)));
  }
  root.append(svg("text", { x: L, y: H - B + 16 }, localTime(new Date(t0).toISOString())));
  root.append(svg("text", { x: W - R, y: H - B + 16, "text-anchor": "end" }, localTime(new Date(t1).toISOString())));
  data.services.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    let d = "";
    pts.forEach((p, n) => {
      const v = p[s] || 0;
      d += n === 0 ? `M${x(p.t)},${y(v)}` : `H${x(p.t)}V${y(v)}`;
    });
    if (pts.length) d += `H${x(t1)}`;
    root.append(svg("path", { d, fill: "none", stroke: colour, "stroke-width": 2.5, class: "series", "data-service": s }));
    root.append(svg("text", { x: W - R - 4, y: T + 14 + 14 * i, "text-anchor": "end", fill: colour, style: `fill:${colour}` }, s));
  });
  near.forEach((th) => {
    const colour = REG_COLOURS[th.regulator] || "#555";
    root.append(svg("line", { class: "threshold", x1: L, x2: W - R, y1: y(th.connections), y2: y(th.connections), stroke: colour, "data-criterion": th.criterion }));
    root.append(svg("text", { x: L + 4, y: y(th.connections) - 4, style: `fill:${colour}` }, `${regulatorName(th.regulator)} ${number(th.connections)} for ${th.minutes >= 60 && th.minutes % 60 === 0 ? `${th.minutes / 60} h` : `${th.minutes} min`}`));
  });
  marks.forEach((m) => {
    root.append(svg("line", { class: "reportable-at", x1: x(m.t), x2: x(m.t), y1: T, y2: H - B, "data-regulator": m.regulator, "data-binding": m.binding === false ? "false" : "true" }));
    root.append(svg("text", { x: x(m.t) + 4, y: H - B - 6, style: m.binding === false ? "fill:#555" : "fill:#b00020" }, metWords(m)));
  });
  const off = data.thresholds.filter((th) => !near.includes(th));
  return el(
    "figure",
    { class: "chart" },
    root,
    off.length ? el("figcaption", { class: "why" }, "Thresholds far above this incident: ", off.map((th) => `${regulatorName(th.regulator)} ${number(th.connections)}`).join(", ")) : null,
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

// The alerts shown so far (newest first), and the cursor of the page after them (null: all).
// A live refresh reads as many again from the top (at most MOST_ALERTS), so "Show more" survives it.
const ALERT_PAGE = 100;
const MOST_ALERTS = 1000;
const alerts = { items: [], next: null, total: 0 };

async function firstAlerts() {
  const limit = Math.min(MOST_ALERTS, Math.max(ALERT_PAGE, alerts.items.length));
  const got = await api(`${base}/alerts?limit=${limit}`);
  return { items: got.alerts, next: got.next || null, total: got.total };
}

// Split picks sit in the alerts' rows (only for an editor who may split, and more than one alert).
function splittable(doc) {
  return can("editor", "outage") && !doc.merged_into && !doc.archived && alerts.total > 1;
}

function alertRow(a, pick) {
  return el(
    "tr",
    { dataset: { fingerprint: a.fingerprint } },
    pick ? el("td", {}, el("input", { type: "checkbox", class: "split-pick", value: a.fingerprint, "aria-label": `Split out ${a.labels.alertname || a.fingerprint}` })) : null,
    el("td", {}, a.labels.alertname || a.fingerprint, a.labels.severity ? el("span", { class: "why" }, a.labels.severity) : null),
    el("td", {}, a.labels.element || a.labels.instance_element || a.labels.instance || "—"),
    el("td", {}, a.status),
    el("td", {}, localTime(a.starts_at)),
    el("td", {}, localTime(a.last_seen)),
    el("td", { class: a.stale || a.unmapped ? "overdue" : "" }, a.stale ? "stale: its resolve may be lost" : a.unmapped ? `unmapped: ${a.unmapped}` : ""),
    alertLinks(a),
  );
}

function alertCounts(doc) {
  const c = doc.alert_counts || { total: alerts.total };
  const parts = [c.firing !== undefined ? `${number(c.firing)} firing, ${number(c.resolved)} resolved` : null,
    c.stale ? `${number(c.stale)} stale` : null, c.unmapped ? `${number(c.unmapped)} unmapped` : null].filter(Boolean);
  return `${number(c.total)} alert${c.total === 1 ? "" : "s"}${parts.length ? ` (${parts.join("; ")})` : ""}`;
}

function shownWords() {
  return `showing the newest ${number(alerts.items.length)} of ${number(alerts.total)}`;
}

function alertsSection(doc) {
  const pick = splittable(doc);
  const body = el("tbody", {}, alerts.items.map((a) => alertRow(a, pick)));
  const shown = el("span", { id: "alerts-shown", class: "why" }, alerts.next ? shownWords() : "");
  const more = alerts.next
    ? el("button", { type: "button", id: "more-alerts", class: "quiet", onclick: async (event) => {
        const button = event.currentTarget;
        button.disabled = true;
        try {
          const got = await api(`${base}/alerts?limit=${ALERT_PAGE}&cursor=${encodeURIComponent(alerts.next)}`);
          alerts.items = alerts.items.concat(got.alerts);
          alerts.next = got.next || null;
          alerts.total = got.total;
          body.append(...got.alerts.map((a) => alertRow(a, pick)));
          shown.textContent = alerts.next ? shownWords() : "";
          if (alerts.next) button.disabled = false; else button.remove();
        } catch (e) {
          button.disabled = false;
          fill(document.getElementById("alerts-error"), el("div", { class: "error", role: "alert" }, String(e.message || e)));
        }
      } }, `Show ${ALERT_PAGE} more`)
    : null;
  return [
    el("p", { id: "alert-counts" }, alertCounts(doc), " ", shown),
    el(
      "table",
      { id: "alerts" },
      el("thead", {}, el("tr", {}, [pick ? "Split" : null, "Alert", "Element", "Status", inZone("Started"), "Last heard of", "Problem", "Links"].filter(Boolean).map((h) => el("th", {}, h)))),
      body,
    ),
    el("p", { class: "actions" }, more),
    el("div", { id: "alerts-error" }),
  ];
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

// What a person is typing survives a live refresh (the page is drawn again on every change);
// a field is forgotten once what it said was saved.
const typed = {};
function keep(field, node) {
  if (typed[field] !== undefined) node.value = typed[field];
  node.addEventListener("input", () => { typed[field] = node.value; });
  return node;
}

async function post(path, body, field) {
  try {
    await api(`${base}/${path}`, { method: "POST", body });
    if (field) delete typed[field];
    await refresh(null, true);
  } catch (e) {
    const box = document.getElementById("handling-error");
    if (box) fill(box, el("div", { class: "error", role: "alert" }, String(e.message || e)));
  }
}

let people = null;
async function assignees() {
  if (people === null) people = can("editor") ? (await api("/api/v1/assignees").catch(() => ({ people: [] }))).people : [];
  return people;
}

function handlingBar(doc, names) {
  const editor = can("editor");
  const title = keep("title", el("input", { id: "title-input", value: doc.title || "", maxlength: "120", "aria-label": "Title" }));
  const who = keep("assignee", el("input", { id: "assignee-input", list: "assignee-names", value: doc.assignee ? doc.assignee.name : "", "aria-label": "Assignee" }));
  return el(
    "div",
    { class: "handling", id: "handling" },
    el("span", { id: "on-it" }, "On it: ", whoIsOnIt(doc)),
    editor && !doc.acknowledged ? el("button", { type: "button", id: "ack", onclick: () => post("ack", {}) }, "Acknowledge") : null,
    editor ? el("span", {}, who, el("datalist", { id: "assignee-names" }, names.map((p) => el("option", { value: p.name }, p.display_name || p.name))),
      el("button", { type: "button", id: "assign", class: "quiet", onclick: () => post("assign", { assignee: who.value.trim() || null }, "assignee") }, "Assign"),
      page.user ? el("button", { type: "button", id: "take", class: "quiet", onclick: () => post("assign", { assignee: page.user.name }) }, "Take it") : null) : null,
    editor ? el("span", {}, title, el("button", { type: "button", id: "rename", class: "quiet", onclick: () => post("title", { title: title.value }, "title") }, "Rename")) : null,
    el("div", { id: "handling-error" }),
  );
}

function notes(doc) {
  const text = keep("note", el("textarea", { id: "note-text", maxlength: "4000", "aria-label": "Note" }));
  return el(
    "section",
    { id: "notes" },
    el("h2", {}, "Notes"),
    doc.notes && doc.notes.length
      ? el("ul", { class: "notes" }, doc.notes.map((n) => el("li", {}, el("strong", {}, n.author), el("span", { class: "why" }, localTime(n.at)), el("div", {}, n.text))))
      : el("p", { class: "empty" }, "No notes yet."),
    can("editor") ? el("div", {}, text, el("button", { type: "button", id: "add-note", onclick: () => text.value.trim() && post("notes", { text: text.value }, "note") }, "Add note")) : null,
  );
}

// A person's override of the impact (PUT/DELETE …/impact-override): what stands (who, when,
// why, from when) beside the inventory's own figure; for an editor the form that states the
// impact (service × region × connections, flags) with a reason, and lifts it with a reason.
// An incident whose impact is unknown (alerts on elements the inventory lacks) says so here.
const FLAG_NAMES = { societal: "societal function", emergency_112: "112", wholesale: "wholesale" };

function keepChecked(field, node) {
  if (typed[field] !== undefined) node.checked = typed[field];
  node.addEventListener("change", () => { typed[field] = node.checked; });
  return node;
}

function impactRow(n, given) {
  const service = keep(`ov-service-${n}`, el("select", { class: "ov-service", "aria-label": `Service ${n + 1}` },
    (page.services || "").split(",").filter(Boolean).map((s) => el("option", { value: s }, s))));
  if (given && typed[`ov-service-${n}`] === undefined) service.value = given.service;
  const region = keep(`ov-region-${n}`, el("input", { class: "ov-region", value: given ? given.region : "", maxlength: "64", size: "10", "aria-label": `Region ${n + 1}`, placeholder: "SE-2380" }));
  const count = keep(`ov-connections-${n}`, el("input", { class: "ov-connections", type: "number", min: "0", step: "1", value: given ? String(given.connections) : "", "aria-label": `Connections ${n + 1}` }));
  const flags = Object.entries(FLAG_NAMES).map(([flag, words]) => el("label", { class: "flag" },
    keepChecked(`ov-${flag}-${n}`, el("input", { type: "checkbox", class: `ov-${flag}`, ...(given && given[flag] ? { checked: "" } : {}) })), ` ${words}`));
  return el("tr", { class: "ov-row" }, el("td", {}, service), el("td", {}, region), el("td", {}, count), el("td", {}, flags));
}

function statedImpacts(table) {
  return [...table.querySelectorAll("tr.ov-row")].map((row) => {
    const out = {
      service: row.querySelector(".ov-service").value,
      region: row.querySelector(".ov-region").value.trim(),
      connections: Number(row.querySelector(".ov-connections").value || "0"),
    };
    for (const flag of Object.keys(FLAG_NAMES)) if (row.querySelector(`.ov-${flag}`).checked) out[flag] = true;
    return out;
  }).filter((i) => i.region || i.connections);
}

function forgetOverrideForm() {
  for (const key of Object.keys(typed)) if (key.startsWith("ov-")) delete typed[key];
}

async function changeOverride(method, body) {
  const out = document.getElementById("override-error");
  try {
    await api(`${base}/impact-override`, { method, body });
    forgetOverrideForm();
    await refresh(null, true);
  } catch (e) {
    if (out) fill(out, el("div", { class: "error", role: "alert" }, e instanceof ApiError ? `Refused (${e.status}): ${e.message}` : String(e)));
  }
}

function overrideSection(doc) {
  const o = doc.impact_override;
  const own = doc.impact.inventory;
  const standing = o
    ? el("p", { id: "override-standing", class: "overridden" },
        el("strong", {}, "Impact overridden"), ` by ${o.by} at ${localTime(o.at)}${o.from ? `, from ${localTime(o.from)}` : ""}: `,
        el("q", { id: "override-reason" }, o.reason), " ",
        o.correction ? el("span", { id: "override-correction" }, "Correction for the regulator: ", el("q", {}, o.correction), " ") : null,
        own ? el("span", { class: "why", id: "inventory-figure" }, own.known
          ? `The inventory's own figure: ${number(own.current)} now, peak ${number(own.peak)}.`
          : `The inventory cannot say: some alerts are on elements it lacks (it places ${number(own.peak)} at peak).`) : null)
    : doc.impact_known === false
      ? el("p", { id: "override-standing", class: "impact-unknown" }, "Impact unknown: some alerts are on elements the inventory lacks, so what they take down is unknown. If you know what is down, state it below with a reason.")
      : null;
  if (!can("editor")) return standing ? el("section", { id: "impact-override" }, standing) : null;
  const given = o ? o.impacts : [];
  const rows = Math.max(1, Number(typed["ov-rows"] || 0), given.length);
  const body = el("tbody", {}, Array.from({ length: rows }, (_, n) => impactRow(n, given[n])));
  const table = el("table", { id: "override-impacts" },
    el("thead", {}, el("tr", {}, el("th", {}, "Service"), el("th", {}, "Region"), el("th", {}, "Connections"), el("th", {}, "Flags"))), body);
  const reason = keep("ov-reason", el("textarea", { id: "override-reason-input", maxlength: "1000", rows: "2", cols: "60", "aria-label": "Reason" }));
  // what the regulator is told was wrong in a notice already sent: kept while the override stands
  const correction = keep("ov-correction", el("textarea", { id: "override-correction-input", maxlength: "1000", rows: "3", cols: "60", "aria-label": "Correction for the regulator" }, o && o.correction ? o.correction : ""));
  const from = keep("ov-from", el("input", { type: "datetime-local", id: "override-from", "aria-label": "From" }));
  const fromTime = zonedTime(from, { empty: "the incident's start" });
  return el(
    "section",
    { id: "impact-override" },
    standing,
    el("details", {
      id: "override-form",
      open: typed["ov-open"] !== undefined ? typed["ov-open"] : doc.impact_known === false,
      ontoggle: (event) => { typed["ov-open"] = event.target.open; },
    },
      el("summary", {}, o ? "Change or lift the impact override…" : "Override the impact…"),
      el("p", { class: "why" }, "What you state stands in for the inventory's impact from the incident's start (or the time below) until it ends; rules, reports owed and drafts follow. Your name, the reason and the figures are kept in the audit log."),
      table,
      el("button", { type: "button", id: "override-add-row", class: "quiet", onclick: () => {
        typed["ov-rows"] = body.children.length + 1;
        body.append(impactRow(body.children.length, null));
      } }, "Add a service or region"),
      el("label", { for: "override-from" }, `From (${ZONE}; empty: the incident's start)`), from, fromTime.echo,
      el("label", { for: "override-reason-input" }, "Reason (required)"), reason,
      el("label", { for: "override-correction-input" }, "Correction for the regulator (optional: only when a notice already sent was wrong)"),
      el("p", { class: "why" }, "Written for the regulator, in its language (Nkom: Norwegian). The next Nkom notice opens with \u201cRettelse\u201d: your text, what was stated and what is right. With 0 connections everywhere it tells Nkom the varsel was a false alarm, and no notice will claim an outage with a duration."),
      correction,
      el("div", { class: "actions" },
        el("button", { type: "button", id: "override-save", onclick: () => {
          const at = fromTime.check();
          if (at === undefined) return;
          const stated = { impacts: statedImpacts(table), reason: reason.value };
          if (correction.value.trim()) stated.correction = correction.value;
          if (at) stated.from = at;
          changeOverride("PUT", stated);
        } }, o ? "Save the override" : "Override the impact"),
        o ? el("button", { type: "button", id: "override-lift", class: "quiet", onclick: () => changeOverride("DELETE", { reason: reason.value }) }, "Lift the override") : null),
      el("div", { id: "override-error" })),
  );
}

// The cybersecurity act: whether the criteria mark the incident potentially significant, the
// declaration (who, when aware, why), and for an approver the declaration itself (significant,
// with the awareness instant: now or earlier; or not, with a reason), with an authenticator code.
function cyberSection(doc) {
  if (!(doc.cyber || []).length) return null;
  const approver = can("approver", "outage");
  return doc.cyber.map((c) => {
    if (c.in_force_from && !(c.declaration && c.declaration.significant)) {
      return el(
        "section",
        { class: "cyber", id: "cyber" },
        el("h2", {}, `${regulatorName(c.regulator)}: significant incident?`),
        el("p", { id: "declaration" }, `The act applies to incidents from ${c.in_force_from}; this one began earlier: nothing to declare, nothing owed under it.`),
      );
    }
    const d = c.declaration;
    const said = d
      ? el("p", { id: "declaration" }, d.significant
          ? `Declared significant by ${d.by} at ${localTime(d.at)}; aware since ${localTime(d.aware_at)}: the clocks run from then.`
          : `Declared not significant by ${d.by} at ${localTime(d.at)}: ${d.reason}`)
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

// Reports a regulator asked for: the requests recorded so far, and for an editor the dialog
// that records one (received, the regulator's deadline, its reference): Nkom's hendelsesrapport
// on an incident in Norway, the CSIRT's intermediate report on one declared significant under
// the cybersecurity act. The report is then owed by that deadline and drafted; nothing is sent
// without an approval.
const ASKERS = {
  nkom_hendelsesrapport: { who: "Nkom", what: "a hendelsesrapport", button: "record-nkom-request",
    explain: "The report is then owed by Nkom's deadline and drafted in Nkom's template, prefilled from what the bridge knows; the measures and lessons are yours to write." },
  se_cyber_intermediate: { who: "the CSIRT", what: "an intermediate report", button: "record-csirt-request",
    explain: "The intermediate report (delrapport, 2 kap. 7 § cybersäkerhetslagen) is then owed by the CSIRT's deadline and drafted in Swedish; what only a person knows is yours to complete." },
};

function requestsSection(doc) {
  const requests = doc.report_requests || [];
  const norway = (doc.jurisdictions || []).includes("NO");
  const declared = (doc.cyber || []).some((c) => c.declaration && c.declaration.significant);
  const editor = can("editor", "outage");
  const kinds = editor ? [norway ? "nkom_hendelsesrapport" : null, declared ? "se_cyber_intermediate" : null].filter(Boolean) : [];
  if (!requests.length && !kinds.length) return null;
  return el(
    "section",
    { id: "report-requests" },
    el("h2", {}, "Reports a regulator asked for"),
    requests.length
      ? el("ul", { class: "requests" }, requests.map((r) => el("li", { dataset: { kind: r.kind } },
          `${reportName(r.kind === "nkom_hendelsesrapport" ? "nkom" : "csirt", r.kind)}: asked ${localTime(r.received_at)}, due ${localTime(r.deadline)}`,
          r.reference ? ` (their reference ${r.reference})` : "",
          el("span", { class: "why" }, ` recorded by ${r.by}`))))
      : el("p", { class: "empty" }, norway
          ? "Nkom may ask for a hendelsesrapport after any incident, reportable or not."
          : "The CSIRT may ask for an intermediate report on an incident declared significant."),
    kinds.length
      ? el("div", { class: "actions" }, kinds.map((kind) => el("button",
          { type: "button", id: ASKERS[kind].button, onclick: () => recordRequest(kind) },
          `Record ${ASKERS[kind].who}'s request for ${ASKERS[kind].what}…`)))
      : null,
    el("div", { id: "request-message" }),
  );
}

function recordRequest(kind) {
  const asker = ASKERS[kind];
  const received = el("input", { type: "datetime-local", id: "request-received" });
  const deadline = el("input", { type: "datetime-local", id: "request-deadline", required: "" });
  const receivedTime = zonedTime(received, { empty: "now" });
  const deadlineTime = zonedTime(deadline);
  const reference = el("input", { id: "request-reference", maxlength: "200", size: "30" });
  const dialog = el(
    "dialog",
    { class: "confirm", id: "request-dialog" },
    el("h2", {}, `Record ${asker.who}'s request for ${asker.what}`),
    el("p", {}, asker.explain),
    el("label", { for: "request-received" }, `Received (${ZONE}; empty: now)`), received, receivedTime.echo,
    el("label", { for: "request-deadline" }, `${asker.who}'s deadline (${ZONE})`), deadline, deadlineTime.echo,
    el("label", { for: "request-reference" }, `${asker.who}'s reference`), reference,
    el("div", { class: "actions" },
      el("button", { type: "button", id: "request-yes", onclick: async () => {
        const due = deadlineTime.check();
        const got = due === undefined ? undefined : receivedTime.check();
        if (due === undefined || got === undefined) return; // said at the field; the dialog stays
        const body = { kind, deadline: due, reference: reference.value };
        if (got) body.received_at = got;
        dialog.close();
        try {
          await api(`${base}/report-requests`, { method: "POST", body });
          await refresh(null, true);
        } catch (e) {
          const out = document.getElementById("request-message");
          if (out) fill(out, el("div", { class: "error" }, e instanceof ApiError ? `Refused (${e.status}): ${e.message}` : String(e)));
        }
      } }, "Record the request"),
      el("button", { type: "button", id: "request-no", class: "quiet", onclick: () => dialog.close() }, "Cancel")),
  );
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

function declare(significant) {
  const when = el("input", { type: "datetime-local", id: "declare-aware-at" });
  const whenTime = zonedTime(when, { empty: "now" });
  const reason = el("textarea", { id: "declare-reason", rows: "3", cols: "50" });
  const code = el("input", { id: "declare-totp", inputmode: "numeric", autocomplete: "one-time-code", maxlength: "7", size: "8" });
  const dialog = el(
    "dialog",
    { class: "confirm", id: "declare-dialog" },
    el("h2", {}, significant ? "Declare this incident significant (cybersäkerhetslagen)?" : "Declare this incident not significant?"),
    significant
      ? el("p", {}, "The 24 h early warning and 72 h notification run from when you became aware. Leave the time empty for now; an earlier time may be entered, never a later one. This cannot be undone.")
      : el("p", {}, "Say why: the reason is kept in the audit log."),
    significant ? [el("label", { for: "declare-aware-at" }, `Aware since (${ZONE}; empty: now)`), when, whenTime.echo] : [el("label", { for: "declare-reason" }, "Reason"), reason],
    el("label", { for: "declare-totp" }, CODE_HINT),
    code,
    el("div", { class: "actions" },
      el("button", { type: "button", id: "declare-yes", class: "danger", onclick: async () => {
        const aware = significant ? whenTime.check() : null;
        if (aware === undefined) return; // said at the field; the dialog stays
        const body = { significant, ...(code.value.trim() ? { totp: code.value.trim() } : {}) };
        if (aware) body.aware_at = aware;
        if (!significant) body.reason = reason.value;
        dialog.close();
        try {
          await api(`${base}/declaration`, { method: "POST", body });
          await refresh(null, true);
        } catch (e) {
          const out = document.getElementById("declare-message");
          if (out) fill(out, el("div", { class: "error" }, e instanceof ApiError ? `Refused (${e.status}): ${e.message}` : String(e)));
        }
      } }, significant ? "Declare significant" : "Declare not significant"),
      el("button", { type: "button", id: "declare-no", class: "quiet", onclick: () => dialog.close() }, "Cancel")),
  );
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

// Merged and split by hand: a merged incident says which one holds it now (its page redirects
// there); the one that holds others lists them. An editor merges this incident into another
// (its id, a reason) or splits chosen alerts out into one of their own (a reason). Both are
// audited; notices already sent are never sent again.
let splitInto = null; // the incident the last split on this page made
function regroupSection(doc) {
  const merged = doc.merged_into
    ? el("p", { id: "merged-into", class: "warning" }, "Merged into ", el("a", { href: `/incidents/${encodeURIComponent(doc.merged_into)}` }, doc.merged_into), ".")
    : null;
  const absorbed = (doc.absorbed || []).length
    ? el("p", { id: "absorbed" }, `Merged into this one: ${doc.absorbed.join(", ")} (their notices sent are this incident's).`)
    : null;
  if (!can("editor", "outage") || doc.merged_into || doc.archived) return merged || absorbed ? el("section", { id: "regroup" }, merged, absorbed) : null;
  const into = keep("merge-into", el("input", { id: "merge-into", size: "28", placeholder: "#2 or inc-…", "aria-label": "Incident to merge into" }));
  const reason = keep("regroup-reason", el("input", { id: "regroup-reason", size: "48", maxlength: "1000", "aria-label": "Reason" }));
  const picks = splittable(doc); // the picks are in the alerts' rows above
  const said = (e) => fill(document.getElementById("regroup-error"), el("div", { class: "error", role: "alert" }, e instanceof ApiError ? `Refused (${e.status}): ${e.message}` : String(e.message || e)));
  return el(
    "section",
    { id: "regroup" },
    el("h2", {}, "Merge or split"),
    absorbed,
    el("label", { for: "regroup-reason" }, "Reason (kept in the audit log)"), reason,
    el("div", { class: "actions" },
      el("label", { for: "merge-into" }, "Merge this incident into "), into,
      el("button", { type: "button", id: "merge", onclick: async () => {
        try {
          const done = await api(`${base}/merge`, { method: "POST", body: { into: into.value.trim(), reason: reason.value } });
          delete typed["merge-into"]; delete typed["regroup-reason"];
          window.location.assign(`/incidents/${encodeURIComponent(done.into)}`);
        } catch (e) { said(e); }
      } }, "Merge")),
    picks
      ? el("div", { class: "actions" }, el("span", {}, "Split out the alerts ticked above: "),
          el("button", { type: "button", id: "split", class: "quiet", onclick: async () => {
            const chosen = [...document.querySelectorAll(".split-pick:checked")].map((n) => n.value);
            try {
              const done = await api(`${base}/split`, { method: "POST", body: { alerts: chosen, reason: reason.value } });
              delete typed["regroup-reason"];
              splitInto = done.split_into; // shown by the page drawn again below
              await refresh(null, true);
            } catch (e) { said(e); }
          } }, "Split out"))
      : null,
    el("div", { id: "regroup-error" },
      splitInto ? el("p", { id: "split-done" }, "Split into ", el("a", { href: `/incidents/${encodeURIComponent(splitInto)}` }, splitInto), ".") : null),
  );
}

function render(doc, story, names) {
  fill(root,
    el("h1", {}, incidentName(doc), " ", el("span", { class: "why", id: "incident-id" }, doc.id)),
    el(
      "p",
      { class: "meta" },
      el("span", { class: "pill state" }, doc.state), " ",
      `${doc.jurisdictions.join(", ")} · started ${localTime(doc.started_at)}`,
      doc.ended_at ? ` · ended ${localTime(doc.ended_at)}` : "",
      ` · ${number(doc.impact.current)} affected now, peak ${number(doc.impact.peak)}`,
      doc.impact.peak_at ? ` at ${localTime(doc.impact.peak_at)}` : "",
      doc.title_source === "person" && doc.renamed ? el("span", { class: "why" }, `named by ${doc.renamed.by}`) : null,
    ),
    handlingBar(doc, names),
    warningsList(doc.warnings),
    el("h2", {}, "Criteria"),
    applicable(doc).map((a) => verdict(a, { all: true, cyber: cyberOf(doc, a) })),
    cyberSection(doc),
    requestsSection(doc),
    el("h2", {}, "Reports owed"),
    obligationsTable(doc.obligations, doc.drafts),
    el("ul", {}, doc.obligations.map((o) => el("li", { title: reportEnglish(o.kind) }, `${reportName(o.regulator, o.kind)}: `, o.waiting_for && !o.due_at ? waitingWords(o.waiting_for) : localiseText(o.explanation || "")))),
    el("h2", {}, "Affected now"),
    overrideSection(doc),
    affectedTable(doc.impact),
    el("div", { class: "grid2" }, byTable("Service", doc.impact.by_service), byTable("Region", doc.impact.by_region, doc.impact.region_names)),
    el("h2", {}, "Alerts"),
    alertsSection(doc),
    regroupSection(doc),
    notes(doc),
    el("h2", {}, "Timeline"),
    el("p", { class: "actions" },
      el("a", { class: "button", id: "export-json", href: `${base}/timeline`, download: `timeline-${doc.id}.json` }, "Export JSON"),
      el("a", { class: "button", id: "export-csv", href: `${base}/timeline?format=csv`, download: `timeline-${doc.id}.csv` }, "Export CSV")),
    el("div", { class: "timeline-grid" }, timelineTable(story.events), el("div", {}, chart(story.chart))),
  );
  root.dataset.loaded = "1";
}

// While a person types in one of the page's fields, a live change waits until the field loses
// focus (drawing the page again would take the cursor away).
let deferred = false;
function typing() {
  const active = document.activeElement;
  return Boolean(active && root.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName));
}
root.addEventListener("focusout", (event) => {
  // Focus moving to one of the page's buttons is a click under way (Assign, Rename, Add note):
  // drawing the page now would replace the button between the press and the release, and the
  // click would be lost. Its action draws the page itself; a later change draws it otherwise.
  const next = event.relatedTarget;
  if (next && root.contains(next) && next.tagName === "BUTTON") return;
  if (deferred) setTimeout(() => { if (!typing() && deferred) { deferred = false; refresh(null).catch((e) => showError(root, e)); } }, 0);
});

async function refresh(change, force = false) {
  if (change && !change.incidents.includes(id) && !change.drafts.some((d) => d.startsWith(`${id}.`))) return;
  if (!force && typing()) { deferred = true; return; }
  deferred = false;
  const [doc, story, names, listed] = await Promise.all([api(base), api(`${base}/timeline?view=grouped`), assignees(), firstAlerts()]);
  Object.assign(alerts, listed);
  render(doc, story, names);
}

refresh(null).catch((e) => showError(root, e));
live(refresh);
