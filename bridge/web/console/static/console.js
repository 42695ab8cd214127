// Shared helpers of the console pages: JSON API calls with the session's CSRF token, element
// building without innerHTML (text is never parsed as markup), local-time deadlines counted down
// on the bridge's clock (clock.js), and the live-update stream (/api/v1/events) that tells a page
// to refetch.
import { HEADER, heard, serverNow, watch } from "./clock.js";

export const page = JSON.parse(document.getElementById("page-data").textContent);

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.detail || body.error)) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

// Unsaved edits (docs/console.md "Editing a draft"): a page that holds text a person typed
// and has not saved registers it with holdEdits(); while it holds some, a signed-out answer never
// navigates away: the page says the session ended, keeps the text, and takes the new session's
// CSRF token once the same person signed in again (in this tab or another).
let held = { edits: () => false, stored: false };
let ended = false;
let otherPerson = null; // who this browser is signed in as now, when not this page's person

// `edits()`: true while the page holds unsaved text; `stored`: the page keeps that text in this
// tab's sessionStorage, so signing in again in this same tab brings it back (else the sign-in
// link opens a new tab and the text stays on this page).
export function holdEdits(edits, { stored = false } = {}) {
  held = { edits, stored };
}

export function sessionEnded() {
  return ended;
}

function endSession() {
  if (ended && document.getElementById("session-ended")) return; // said once (the stream retries)
  ended = true;
  const next = `/login?next=${encodeURIComponent(location.pathname)}`;
  const link = held.stored
    ? el("a", { href: next, id: "sign-in-again" }, "Sign in again")
    : el("a", { href: next, id: "sign-in-again", target: "_blank", rel: "noopener" }, "Sign in again in a new tab");
  const words = held.stored
    ? ": your unsaved edits are kept in this tab and offered back on this page after signing in."
    : ", then come back here and save: your unsaved edits stay on this page until then.";
  const banner = el(
    "div",
    { class: "banner bad", role: "alert", id: "session-ended" },
    el("strong", {}, "Your session ended"), " (signed out, or it expired): nothing more was saved. ", link, words,
  );
  const old = document.getElementById("session-ended");
  if (old) old.replaceWith(banner);
  else document.querySelector("header.top").after(banner);
  window.dispatchEvent(new CustomEvent("session-ended"));
}

// After a sign-in elsewhere: this page takes the new session's CSRF token from a fresh copy of
// itself, if the same person signed in (another person's session never saves this person's
// text). True when the page may go on.
export async function renewSession() {
  let response;
  try {
    response = await fetch(location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" } });
  } catch {
    return false;
  }
  const path = new URL(response.url).pathname;
  if (!response.ok || path.startsWith("/login") || path.startsWith("/enrol")) return false;
  const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
  const meta = fresh.querySelector('meta[name="csrf-token"]');
  const data = fresh.getElementById("page-data");
  const who = data ? (JSON.parse(data.textContent).user || {}).name : null;
  if (!meta || !who) return false;
  otherPerson = page.user && who !== page.user.name ? who : null;
  if (otherPerson) {
    if (ended) {
      document.getElementById("session-ended").append(
        el("p", { id: "other-person" }, `This browser is now signed in as ${who}, not ${page.user.name}: sign in as ${page.user.name} to save these edits.`),
      );
    }
    return false;
  }
  document.querySelector('meta[name="csrf-token"]').content = meta.content;
  if (ended) {
    ended = false;
    const banner = document.getElementById("session-ended");
    if (banner) banner.remove();
    window.dispatchEvent(new CustomEvent("session-renewed"));
  }
  return true;
}

// fetch the JSON API with the session cookie; state-changing calls carry X-CSRF-Token.
export async function api(path, { method = "GET", body } = {}, retried = false) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrfToken();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const before = Date.now();
  const response = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  heard(response.headers.get(HEADER), before, Date.now(), response.headers.get("Date")); // the bridge's clock (clock.js)
  if (response.status === 401) {
    if (held.edits()) {
      endSession();
      throw new ApiError(401, { detail: "your session ended: nothing was saved; sign in again, then save" });
    }
    window.location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
    throw new ApiError(401, { detail: "signed out" });
  }
  const type = response.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await response.json() : null;
  // a session started since this page was loaded (signed in again, here or in another tab) has
  // another CSRF token: nothing was done; take the new one and send once more (same person only)
  if (response.status === 403 && !retried && method !== "GET" && /CSRF token/.test((data && data.detail) || "")) {
    if (await renewSession()) return api(path, { method, body }, true);
    if (otherPerson) {
      throw new ApiError(403, { detail: `this browser is now signed in as ${otherPerson}, not ${page.user.name}: nothing was done; sign in as ${page.user.name} to go on` });
    }
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// A paged list (limit, cursor, next: docs/api.md): the items of up to `most` pages from `from`
// (a cursor, or none for the first page), and the cursor of the page after them (null: all read).
export async function pages(path, name, { most = 10, from = null, limit = 100 } = {}) {
  let items = [];
  let next = from;
  for (let n = 0; n < most; n += 1) {
    const q = new URLSearchParams({ limit: String(limit) });
    if (next) q.set("cursor", next);
    const body = await api(`${path}${path.includes("?") ? "&" : "?"}${q}`);
    items = items.concat(body[name]);
    next = body.next || null;
    if (!next) break;
  }
  return { items, next };
}

// el("a", {href: "/x", class: "y"}, "text", child) – attributes and text only, no markup parsing.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// Replace node's children, skipping null/false (replaceChildren would print them as text).
export function fill(node, ...children) {
  node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

export function can(role, track = "outage") {
  return Boolean(page.can && page.can[role] && page.can[role][track]);
}

// Every time people read is in one zone, the configured console.time_zone, and labelled:
// zoneOf and zoneOfJurisdiction keep their names for the pages that ask per regulator.
export const ZONE = page.zone || "UTC";
export function zoneOf() {
  return ZONE;
}

// "Mon 23 Nov, 14:05 CET" in the console's zone (console.time_zone).
export function localTime(iso) {
  if (!iso) return "—";
  return new Intl.DateTimeFormat("en-GB", {
    timeZone: ZONE,
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    timeZoneName: "short",
  }).format(new Date(iso));
}

export function span(ms) {
  const s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const two = (n) => String(n).padStart(2, "0");
  return d > 0 ? `${d}d ${h}h ${two(m)}m` : `${h}:${two(m)}:${two(sec)}`;
}

// A live countdown element to `iso`: "in 1:02:03", red "overdue by 0:05:00" once past, on the
// bridge's clock (clock.js: the PC's may be minutes off; the banner says so).
export function countdown(iso, done = false) {
  const node = el("span", { class: "countdown", dataset: { due: iso || "", done: done ? "1" : "" } });
  tickOne(node);
  return node;
}

function tickOne(node) {
  const due = node.dataset.due;
  if (!due) { node.textContent = "no deadline"; return; }
  if (node.dataset.done) { node.textContent = "done"; node.classList.remove("overdue"); return; }
  const left = new Date(due).getTime() - serverNow();
  node.textContent = left >= 0 ? `in ${span(left)}` : `overdue by ${span(left)}`;
  node.classList.toggle("overdue", left < 0);
  // a deadline's row (the queue, the reports owed) turns red with it, without a refetch; not
  // one that binds no regulator (an internal threshold's: data-binding="false")
  const row = node.closest("tr[data-kind]");
  if (row && left < 0 && row.dataset.binding !== "false") row.classList.add("overdue");
}

setInterval(() => { watch(); document.querySelectorAll(".countdown").forEach(tickOne); }, 1000);

export function number(n) {
  return new Intl.NumberFormat("en-GB").format(n || 0);
}

export function showError(container, error) {
  fill(container, el("div", { class: "error", role: "alert" }, String(error.message || error)));
}

// Two changes as one: the ids either names (null, everything, wins).
function joined(a, b) {
  if (a === null || b === null) return null;
  const both = (k) => [...new Set([...(a[k] || []), ...(b[k] || [])])];
  return { seq: Math.max(a.seq || 0, b.seq || 0), incidents: both("incidents"), drafts: both("drafts"), privacy: both("privacy") };
}

// Subscribe to the live stream; `refresh(change)` runs on every "changed" event, and
// `refresh(null)` (everything) once on (re)connect, since changes may have been missed meanwhile,
// and on a "resync" event (the server dropped changes this page was too slow to take). One
// refresh runs at a time: the changes that come meanwhile are joined into one refresh after it.
// Falls back to polling when the stream is unavailable.
export function live(refresh) {
  // the stream needs viewer on a track: an auditor without it reads the page as it was loaded
  if (!can("viewer", "outage") && !can("viewer", "privacy")) return;
  const badge = document.getElementById("live");
  const set = (state, text) => { if (badge) { badge.hidden = false; badge.dataset.state = state; badge.textContent = text; } };
  let busy = false;
  let waiting; // undefined: nothing; else the changes that came while busy, joined (null: everything)
  const run = async (change) => {
    if (busy) { waiting = waiting === undefined ? change : joined(waiting, change); return; }
    busy = true;
    try { await refresh(change); } catch (e) { console.error(e); }
    busy = false;
    if (waiting !== undefined) { const next = waiting; waiting = undefined; run(next); }
  };
  if (!window.EventSource) {
    set("live", "polling");
    setInterval(() => run(null), 5000);
    return;
  }
  let source = null;
  const connect = () => {
    source = new EventSource("/api/v1/events", { withCredentials: true });
    source.addEventListener("open", () => {
      set("live", "live");
      if (ended) renewSession(); // signed in again (another tab): this page goes on with it
      run(null);
    });
    // counted on the badge (data-changes): the changes told, whether or not the page re-read
    source.addEventListener("changed", (event) => { if (badge) badge.dataset.changes = String(Number(badge.dataset.changes || 0) + 1); run(JSON.parse(event.data)); });
    source.addEventListener("resync", () => run(null));
    source.addEventListener("error", () => {
      set("down", "reconnecting…");
      if (source.readyState !== EventSource.CLOSED) return; // the browser retries by itself
      // refused (e.g. the session ended): api() sends a signed-out person to the login page,
      // unless the page holds unsaved edits (then it says so and stays); otherwise, and then,
      // try again shortly
      api("/api/v1/incidents?state=open&limit=1").then(() => setTimeout(connect, 3000), () => setTimeout(connect, 5000));
    });
  };
  connect();
  window.addEventListener("pagehide", () => source && source.close());
}

export function zoneOfJurisdiction() {
  return ZONE;
}

// A column header naming the zone its times are in: "Due (Europe/Stockholm)".
export function inZone(what) {
  return `${what} (${ZONE})`;
}

// Times the core writes into reasons ("2026-11-23 10:05 UTC") shown in the console's zone.
export function localiseText(text) {
  return String(text || "").replace(/(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}) UTC/g, (_, d, t) => localTime(`${d}T${t}:00Z`));
}

const NAMES = page.names || { reports: {}, regulators: {}, waiting: {} };

// "Nkom (NO)", "PTS (SE)", "ENISA (EU)"
export function regulatorName(id) {
  const r = NAMES.regulators[id];
  return r ? `${r.name} (${r.country})` : id;
}

// "Nkom – første varsel": the report in the regulator's own language (bridge/core/report_names.py)
export function reportName(regulator, kind) {
  const r = NAMES.regulators[regulator];
  const names = NAMES.reports[kind];
  const words = names ? names[(r && r.language) || "en"] || names.en : String(kind).replace(/_/g, " ");
  return `${r ? r.name : regulator} – ${words}`;
}

// The report's English name, for a tooltip.
export function reportEnglish(kind) {
  const names = NAMES.reports[kind];
  return names ? names.en : String(kind).replace(/_/g, " ");
}

export function waitingWords(event) {
  if (!event) return "";
  return NAMES.waiting[event] || `owed once ${String(event).replace(/_/g, " ")} happens`;
}

// A criterion in plain words: the rule set's description of it.
export function criterionWords(ruleSet, id) {
  const known = page.criteria && page.criteria[ruleSet];
  return (known && known[id]) || String(id).replace(/[-_]/g, " ");
}

// The obligations still owing something: not sent, not rejected.
export function obligationDone(o) {
  return o.state === "sent" || o.state === "kept" || o.state === "rejected";
}

// The criterion that decided a verdict: reportable, the one met first; not reportable, the one
// nearest to being met (soonest forecast), else the first.
export function decidingCriterion(a) {
  if (a.reportable) {
    const met = a.criteria.filter((c) => c.met).sort((x, y) => String(x.since).localeCompare(String(y.since)));
    return met[0] || a.criteria[0];
  }
  const forecast = a.criteria.filter((c) => c.forecast_at).sort((x, y) => x.forecast_at.localeCompare(y.forecast_at));
  return forecast[0] || a.criteria[0];
}

function criterionItem(a, c) {
  return el(
    "li",
    { class: c.met ? "met" : "", dataset: { criterion: c.id } },
    c.met ? "met: " : "not met: ",
    criterionWords(a.rule_set, c.id),
    el("span", { class: "reason" }, " — ", localiseText(c.reason)),
    c.source ? el("span", { class: "why" }, c.source === "operator" ? "operator's own choice, not a regulator's criterion" : `source: ${c.source}`) : null,
  );
}

// The cybersecurity act's entry of an incident for an assessment (its rule set is track cyber:
// its criteria only mark the incident potentially significant; a person declares), or null.
export function cyberOf(doc, a) {
  return (doc.cyber || []).find((c) => c.rule_set === a.rule_set) || null;
}

// The pill of a cybersecurity-act verdict: declared significant by a person (the clocks run,
// even if the incident's start later moved before the act applied); not in force for an
// incident that began before the act applies; declared not significant; else marked by the
// criteria as potentially significant for a person to decide.
export function cyberPill(cyber, a) {
  const d = cyber.declaration;
  if (d && d.significant) return el("span", { class: "pill yes" }, "DECLARED SIGNIFICANT");
  if (cyber.in_force_from) return el("span", { class: "pill no" }, "not in force for this incident");
  if (d) return el("span", { class: "pill no" }, "declared not significant");
  // amber, not red: nothing is owed before a person declares (the queue has a row to decide)
  return a.reportable
    ? el("span", { class: "pill unknown" }, "POTENTIALLY SIGNIFICANT: a person decides")
    : el("span", { class: "pill no" }, "not marked");
}

// What a potentially significant incident would owe under the cybersecurity act if a person
// declared it significant now (nothing is owed, nor drafted, before that).
export function cyberPreview(doc) {
  const open = (doc.cyber || []).filter((c) => c.potentially_significant && !(c.declaration && c.declaration.significant) && c.if_declared_now.length);
  if (!open.length) return null;
  return el(
    "div",
    { class: "cyber-preview" },
    open.map((c) =>
      el(
        "p",
        {},
        el("strong", {}, `If declared significant now (${regulatorName(c.regulator)}): `),
        c.if_declared_now
          .map((o) => (o.due_at ? `${reportName(c.regulator, o.kind)} due ${localTime(o.due_at)}` : `${reportName(c.regulator, o.kind)}: ${waitingWords(o.waiting_for) || o.explanation}`))
          .join("; "),
      ),
    ),
  );
}

// A verdict's pill: REPORTABLE (red), impact unknown (amber: some alerts could not be placed,
// so "not reportable" would be a guess), not reportable (green).
export function verdictPill(a) {
  if (a.verdict === "potentially_significant") {
    return el("span", { class: "pill unknown", title: "a person decides whether it is significant" }, "potentially significant");
  }
  if (a.reportable) return el("span", { class: "pill yes" }, "REPORTABLE");
  if (a.verdict === "impact_unknown") {
    return el(
      "span",
      { class: "pill unknown", title: "some alerts could not be placed in the inventory: what they take down is unknown" },
      "impact unknown",
    );
  }
  return el("span", { class: "pill no" }, "not reportable");
}

// One verdict per regulator: the pill, then the one criterion that decided it (all: every one).
// ``cyber``: the incident's cybersecurity-act entry for this assessment (see cyberOf).
export function verdict(a, { all = false, cyber = null } = {}) {
  const deciding = decidingCriterion(a);
  const shown = all ? a.criteria : deciding ? [deciding] : [];
  return el(
    "div",
    { class: "verdict", dataset: { regulator: a.regulator } },
    el("strong", {}, regulatorName(a.regulator), " "),
    cyber ? cyberPill(cyber, a) : verdictPill(a),
    a.verified ? null : el("span", { class: "why" }, `rule set ${a.rule_set} unverified`),
    a.in_force_from
      ? el("span", { class: "why" }, `its law applies to incidents from ${a.in_force_from}: this one began earlier, so it marks and owes nothing`)
      : null,
    !a.reportable && a.forecast_at
      ? el("span", { class: "why" }, cyber ? "would be marked " : "would become reportable ", countdown(a.forecast_at))
      : null,
    el("ul", {}, shown.map((c) => criterionItem(a, c))),
  );
}

// The verdicts of the regulators that can apply to the incident (doc.applies, else all).
export function applicable(doc) {
  const applies = doc.applies;
  return applies ? doc.assessments.filter((a) => applies.includes(a.regulator)) : doc.assessments;
}

// What a draft's or obligation's state asks of people, in plain words.
export const STATE_WORDS = {
  draft: "draft to review and approve",
  held: "approved, but the incident changed: approve again",
  failed: "the mail server refused it",
  in_doubt: "delivery in doubt: resend or mark sent",
  approved: "approved, being sent",
  approved_to_submit: "approved: submit it on the regulator's portal, then record the submission",
  sending: "approved, being sent",
  sent: "sent",
  kept: "kept internally, not sent (owed to no regulator)",
  rejected: "rejected by a person",
  withdrawn: "withdrawn",
  open: "no draft yet",
  drafted: "drafted",
  overdue: "overdue",
  not_recorded: "handed over for distribution: record how it reached the subscribers",
};
export function stateWords(state) {
  // no smtp section: the outbox sends nothing, whatever was approved (the banner says why)
  if (page.relay === false && (state === "approved" || state === "sending")) {
    return "approved, NOT sent: no mail relay";
  }
  return STATE_WORDS[state] || String(state).replace(/_/g, " ");
}

// The obligations table: report, state, due (the console's zone), countdown, draft link.
export function obligationsTable(obligations, drafts) {
  if (!obligations.length) return el("p", { class: "empty" }, "No report owed.");
  const draftFor = (o) =>
    (drafts || []).filter((d) => d.kind === o.kind && d.regulator === o.regulator).pop();
  return el(
    "table",
    { class: "obligations" },
    el("thead", {}, el("tr", {}, ["Report", "State", inZone("Due"), "Time left", "Draft"].map((h) => el("th", {}, h)))),
    el(
      "tbody",
      {},
      obligations.map((o) => {
        const d = draftFor(o);
        return el(
          "tr",
          { dataset: { kind: o.kind }, class: o.state === "overdue" && o.binding !== false ? "overdue" : "" },
          el("td", { title: reportEnglish(o.kind) }, reportName(o.regulator, o.kind),
            // a repealed law's report of an incident since the repeal: the operator's own deadline
            o.binding === false ? el("span", { class: "pill internal", title: o.explanation || "" }, " internal threshold, owed to no regulator") : null),
          el("td", {}, el("span", { class: "pill state" }, stateWords(o.state))),
          el("td", {}, o.due_at ? localTime(o.due_at) : o.waiting_for ? waitingWords(o.waiting_for) : "—"),
          el("td", {}, o.due_at ? countdown(o.due_at, obligationDone(o)) : ""),
          el("td", {}, d ? el("a", { href: `/drafts/${encodeURIComponent(d.id)}` }, `${stateWords(d.state)} (v${d.version})`) : "—"),
        );
      }),
    ),
  );
}

// "#12 Fiberbrudd Oslo sentrum"
export function incidentName(x) {
  return `${x.number ? `#${x.number} ` : ""}${x.title || x.id || x.case}`;
}

// Who is on it: the assignee, else who acknowledged it, else nobody yet.
export function whoIsOnIt(x) {
  if (x.assignee) return el("span", { class: "on-it" }, x.assignee.name, x.acknowledged ? el("span", { class: "why" }, `acknowledged by ${x.acknowledged.by}`) : null);
  if (x.acknowledged) return el("span", { class: "on-it" }, `acknowledged by ${x.acknowledged.by}`);
  return el("span", { class: "nobody" }, "nobody yet");
}

export function affectedTable(impact) {
  const rows = impact.current_by_service_region || [];
  if (!rows.length) return el("p", { class: "empty" }, "No connections affected now.");
  const names = impact.region_names || {};
  return el(
    "table",
    { class: "affected" },
    el("thead", {}, el("tr", {}, el("th", {}, "Service"), el("th", {}, "Region"), el("th", { class: "num" }, "Connections"))),
    el(
      "tbody",
      {},
      rows.map((r) =>
        el("tr", {}, el("td", {}, r.service), el("td", {}, names[r.region] ? `${names[r.region]} (${r.region})` : r.region), el("td", { class: "num" }, number(r.connections))),
      ),
    ),
  );
}

// Warnings about the data (stale, unmapped, truncated); "rule set not verified" is left to the
// banner on every page and the tag beside each verdict.
export function warningsList(warnings) {
  warnings = (warnings || []).filter((w) => !/^rule set .* is not verified/.test(w));
  if (!warnings.length) return null;
  return el("ul", { class: "warnings", role: "status" }, warnings.map((w) => el("li", {}, "⚠ ", w)));
}

// A modal yes/no question (a <dialog>, not window.confirm): resolves true on the yes button.
// The label of the code field of actions that send or settle a notice (approve, resend, mark sent,
// the privacy exemption): the bridge asks for a fresh TOTP code for them.
export const CODE_HINT = "Authenticator code (needed unless you gave one in the last few minutes)";

// A confirmation that also takes an authenticator code: resolves to { totp } (the code as typed,
// possibly empty: then the one given in the last few minutes counts) or null when cancelled.
export function confirmWithCode(question, yes = "Yes", detail = "") {
  return new Promise((resolve) => {
    const code = el("input", { id: "confirm-totp", inputmode: "numeric", autocomplete: "one-time-code", maxlength: "7", size: "8" });
    let answered = false;
    const answer = (value) => { if (!answered) { answered = true; resolve(value); } };
    // a form: Enter in the code field answers yes, as the button does
    const dialog = el(
      "dialog",
      { class: "confirm", id: "confirm-dialog" },
      el(
        "form",
        { onsubmit: (e) => { e.preventDefault(); answer({ totp: code.value.trim() }); dialog.close(); } },
        el("h2", {}, question),
        detail ? el("p", {}, detail) : null,
        el("label", { for: "confirm-totp" }, CODE_HINT),
        code,
        el(
          "div",
          { class: "actions" },
          el("button", { type: "submit", id: "confirm-yes", class: "danger" }, yes),
          el("button", { type: "button", id: "confirm-no", class: "quiet", onclick: () => { answer(null); dialog.close(); } }, "Cancel"),
        ),
      ),
    );
    dialog.addEventListener("close", () => { dialog.remove(); answer(null); });
    document.body.append(dialog);
    dialog.showModal();
  });
}

export function confirmDialog(question, yes = "Yes", detail = "") {
  return new Promise((resolve) => {
    const dialog = el(
      "dialog",
      { class: "confirm", id: "confirm-dialog" },
      el("h2", {}, question),
      detail ? el("p", {}, detail) : null,
      el(
        "div",
        { class: "actions" },
        el("button", { type: "button", id: "confirm-yes", class: "danger", onclick: () => { resolve(true); dialog.close(); } }, yes),
        el("button", { type: "button", id: "confirm-no", class: "quiet", onclick: () => { resolve(false); dialog.close(); } }, "Cancel"),
      ),
    );
    dialog.addEventListener("close", () => { dialog.remove(); resolve(false); });
    document.body.append(dialog);
    dialog.showModal();
  });
}
