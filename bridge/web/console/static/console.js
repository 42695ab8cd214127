// Shared helpers of the console pages: JSON API calls with the session's CSRF token, element
// building without innerHTML (text is never parsed as markup), local-time deadlines, and the
// live-update stream (/api/v1/events) that tells a page to refetch.

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

// fetch the JSON API with the session cookie; state-changing calls carry X-CSRF-Token.
export async function api(path, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrfToken();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) {
    window.location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
    throw new ApiError(401, { detail: "signed out" });
  }
  const type = response.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await response.json() : null;
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

export function zoneOf(regulator) {
  return (page.zones && page.zones[regulator]) || "UTC";
}

// "Mon 23 Nov, 14:05 CET" in the regulator's zone (Europe/Stockholm, Europe/Oslo).
export function localTime(iso, zone) {
  if (!iso) return "—";
  return new Intl.DateTimeFormat("en-GB", {
    timeZone: zone,
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

// A live countdown element to `iso`: "in 1:02:03", red "overdue by 0:05:00" once past.
export function countdown(iso, done = false) {
  const node = el("span", { class: "countdown", dataset: { due: iso || "", done: done ? "1" : "" } });
  tickOne(node);
  return node;
}

function tickOne(node) {
  const due = node.dataset.due;
  if (!due) { node.textContent = "no deadline"; return; }
  if (node.dataset.done) { node.textContent = "done"; node.classList.remove("overdue"); return; }
  const left = new Date(due).getTime() - Date.now();
  node.textContent = left >= 0 ? `in ${span(left)}` : `overdue by ${span(left)}`;
  node.classList.toggle("overdue", left < 0);
}

setInterval(() => document.querySelectorAll(".countdown").forEach(tickOne), 1000);

export function number(n) {
  return new Intl.NumberFormat("en-GB").format(n || 0);
}

export function showError(container, error) {
  fill(container, el("div", { class: "error", role: "alert" }, String(error.message || error)));
}

// Subscribe to the live stream; `refresh(change)` runs on every "changed" event (and once on
// (re)connect, since changes may have been missed meanwhile). Falls back to polling when the
// stream is unavailable.
export function live(refresh) {
  const badge = document.getElementById("live");
  const set = (state, text) => { if (badge) { badge.hidden = false; badge.dataset.state = state; badge.textContent = text; } };
  let busy = false;
  let again = false;
  const run = async (change) => {
    if (busy) { again = true; return; }
    busy = true;
    try { await refresh(change); } catch (e) { console.error(e); }
    busy = false;
    if (again) { again = false; run(null); }
  };
  if (!window.EventSource) {
    set("live", "polling");
    setInterval(() => run(null), 5000);
    return;
  }
  let source = null;
  const connect = () => {
    source = new EventSource("/api/v1/events", { withCredentials: true });
    source.addEventListener("open", () => { set("live", "live"); run(null); });
    source.addEventListener("changed", (event) => run(JSON.parse(event.data)));
    source.addEventListener("error", () => {
      set("down", "reconnecting…");
      if (source.readyState !== EventSource.CLOSED) return; // the browser retries by itself
      // refused (e.g. the session ended): api() sends a signed-out person to the login page;
      // otherwise try again shortly
      api("/api/v1/incidents?state=open").then(() => setTimeout(connect, 3000), () => setTimeout(connect, 5000));
    });
  };
  connect();
  window.addEventListener("pagehide", () => source && source.close());
}

export function zoneOfJurisdiction(jurisdictions) {
  const first = (jurisdictions || [])[0];
  return (page.jurisdiction_zones && page.jurisdiction_zones[first]) || "UTC";
}

export const REGULATOR_NAMES = { pts: "PTS (SE)", nkom: "Nkom (NO)", csirt: "CSIRT (SE, cybersäkerhetslagen)", enisa: "ENISA (reference)" };
export function regulatorName(id) {
  return REGULATOR_NAMES[id] || id;
}

// The obligations still owing something: not sent, not rejected.
export function obligationDone(o) {
  return o.state === "sent" || o.state === "rejected";
}

// The cybersecurity act's entry of an incident for an assessment (its rule set is track cyber:
// its criteria only mark the incident potentially significant; a person declares), or null.
export function cyberOf(doc, a) {
  return (doc.cyber || []).find((c) => c.rule_set === a.rule_set) || null;
}

// Whether an assessment makes the incident owe something now: reportable, or for the
// cybersecurity act declared significant by a person.
export function owes(doc, a) {
  const cyber = cyberOf(doc, a);
  return cyber ? Boolean(cyber.declaration && cyber.declaration.significant) : a.reportable;
}

function cyberPill(cyber, a) {
  const d = cyber.declaration;
  if (d && d.significant) return el("span", { class: "pill yes" }, "DECLARED SIGNIFICANT");
  if (d) return el("span", { class: "pill no" }, "declared not significant");
  return a.reportable
    ? el("span", { class: "pill yes" }, "POTENTIALLY SIGNIFICANT: a person decides")
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
          .map((o) => (o.due_at ? `${o.kind} due ${localTime(o.due_at, zoneOf(c.regulator))}` : `${o.kind} ${o.explanation}`))
          .join("; "),
      ),
    ),
  );
}

// One verdict per regulator: the pill, then the criteria that decided it with their reasons.
// ``cyber``: the incident's cybersecurity-act entry for this assessment (see cyberOf).
export function verdict(a, { all = false, cyber = null } = {}) {
  // all: every criterion; else the met ones, or (not reportable) the one nearest to being met
  const nearest = [...a.criteria].sort((x, y) => (x.forecast_at ? 0 : 1) - (y.forecast_at ? 0 : 1));
  const shown = all ? a.criteria : a.reportable ? a.criteria.filter((c) => c.met) : nearest.slice(0, 1);
  const items = shown.map((c) =>
    el("li", { class: c.met ? "met" : "" }, c.met ? "met: " : "not met: ", c.reason,
      c.source ? el("span", { class: "why" }, c.source === "operator" ? "operator's own choice, not a regulator's criterion" : `source: ${c.source}`) : null),
  );
  return el(
    "div",
    { class: "verdict", dataset: { regulator: a.regulator } },
    el("strong", {}, regulatorName(a.regulator), " "),
    cyber
      ? cyberPill(cyber, a)
      : a.reportable
        ? el("span", { class: "pill yes" }, "REPORTABLE")
        : el("span", { class: "pill no" }, "not reportable"),
    a.verified ? null : el("span", { class: "why" }, `rule set ${a.rule_set} unverified`),
    !a.reportable && a.forecast_at
      ? el("span", { class: "why" }, cyber ? "would be marked " : "would become reportable ", countdown(a.forecast_at))
      : null,
    el("ul", {}, items),
  );
}

// The obligations table: regulator, report, state, due (local time), countdown, draft link.
export function obligationsTable(obligations, drafts) {
  if (!obligations.length) return el("p", { class: "empty" }, "No report owed.");
  const draftFor = (o) =>
    (drafts || []).filter((d) => d.kind === o.kind && d.regulator === o.regulator).pop();
  return el(
    "table",
    { class: "obligations" },
    el("thead", {}, el("tr", {}, ["Regulator", "Report", "State", "Due (local)", "Time left", "Draft"].map((h) => el("th", {}, h)))),
    el(
      "tbody",
      {},
      obligations.map((o) => {
        const d = draftFor(o);
        const zone = zoneOf(o.regulator);
        return el(
          "tr",
          { dataset: { kind: o.kind }, class: o.state === "overdue" ? "overdue" : "" },
          el("td", {}, regulatorName(o.regulator)),
          el("td", {}, o.kind),
          el("td", {}, el("span", { class: "pill state" }, o.state)),
          el("td", {}, o.due_at ? localTime(o.due_at, zone) : o.waiting_for ? `waiting for ${o.waiting_for}` : "—"),
          el("td", {}, o.due_at ? countdown(o.due_at, obligationDone(o)) : ""),
          el("td", {}, d ? el("a", { href: `/drafts/${encodeURIComponent(d.id)}` }, `${d.state} v${d.version}`) : "—"),
        );
      }),
    ),
  );
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
    const dialog = el(
      "dialog",
      { class: "confirm", id: "confirm-dialog" },
      el("h2", {}, question),
      detail ? el("p", {}, detail) : null,
      el("label", { for: "confirm-totp" }, CODE_HINT),
      code,
      el(
        "div",
        { class: "actions" },
        el("button", { type: "button", id: "confirm-yes", class: "danger", onclick: () => { answer({ totp: code.value.trim() }); dialog.close(); } }, yes),
        el("button", { type: "button", id: "confirm-no", class: "quiet", onclick: () => { answer(null); dialog.close(); } }, "Cancel"),
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
