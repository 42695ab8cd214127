// Audit log (admin or auditor): the search of GET /api/v1/audit (docs/api.md) for compliance
// staff. The filters live in the page's own query (the API's names and values: from/to in RFC
// 3339 with the console zone's offset), so a search is a link to share or bookmark and survives a
// reload; the form reads from/to as wall times in console.time_zone (never the browser's zone),
// DST included (zoned.js). Results come newest first, PAGE at a time: the store looks at a
// bounded stretch of the log per request, so a page may come back short with `next`; a search
// or a "Load more" keeps asking until PAGE rows or the end, but never more than MOST_REQUESTS
// requests per click. A 400 (or a 403 about a target or incident) shows at the field it names.
// The export links carry the filters the results were searched with.
import { api, can, el, fill, live, page, ZONE } from "./console.js";
import { serverNow } from "./clock.js";
import { instantIn, rfc3339, wallTime } from "./zoned.js";

const FILTERS = ["from", "to", "actor", "action", "target", "incident"];
const PAGE = 100; // rows a search or a "Load more" adds
const MOST_REQUESTS = 5; // requests per search or click (each looks at ≤ 1000 entries)

const root = document.getElementById("audit");
// console.time_zone, with the year, the seconds and the zone's name: what compliance staff quote
// months later
const when = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "long", timeZone: ZONE });

let applied = {}; // the filters of the results shown (the page's query)
let entries = [];
let next = null; // the cursor after the entries shown; null: the end of the log
let generation = 0; // a newer search makes an older one's answers void

// ---- the form --------------------------------------------------------------------------------

const inputs = {};
const errors = {};
const hints = {};

function field(name, label, input, hint = "") {
  inputs[name] = input;
  errors[name] = el("span", { class: "field-error", id: `audit-${name}-error`, role: "alert" });
  hints[name] = el("span", { class: "why", id: `audit-${name}-hint` }, hint);
  input.setAttribute("aria-describedby", `audit-${name}-hint audit-${name}-error`);
  return el("div", { class: "field", dataset: { field: name } }, el("label", { for: input.id }, label), input, hints[name], errors[name]);
}

const text = (name, placeholder, more = {}) => el("input", { id: `audit-${name}`, name, placeholder, autocomplete: "off", maxlength: "200", ...more });
const time = (name) => el("input", { id: `audit-${name}`, name, type: "datetime-local", step: "1", oninput: () => timeHint(name) });

const suggestions = el("datalist", { id: "audit-actions" }, (page.actions || []).map((a) => el("option", { value: a })));
const formError = el("div", { id: "audit-error", role: "alert" });
const form = el(
  "form",
  { id: "audit-filters", class: "filters", onsubmit: (e) => { e.preventDefault(); submit(); } },
  field("from", `From (${ZONE})`, time("from"), "included"),
  field("to", `To (${ZONE})`, time("to"), "excluded"),
  field("actor", "Who (actor)", text("actor", "e.g. ada or token:ci")),
  field("action", "What (action)", text("action", "e.g. draft.approved or draft.", { list: "audit-actions" }),
    `exact, or every action it starts when it ends with a dot: ${(page.actions || []).filter((a) => a.endsWith(".")).join(" ")}`),
  field("incident", "Incident", text("incident", "#42, 42 or an id"), "its entries, its drafts' and its notices'"),
  field("target", "Target", text("target", "e.g. draft:inc-….nkom_varsel"), "exact"),
  suggestions,
  el("div", { class: "actions" },
    el("button", { type: "submit", id: "audit-search" }, "Search"),
    el("a", { href: "/audit", id: "audit-clear" }, "Clear filters")),
  formError,
);

// What a from/to field's wall time stands for, in the zone and in UTC (or why it is odd).
function timeHint(name) {
  const input = inputs[name];
  const base = name === "from" ? "included" : "excluded";
  const r = instantIn(input.value, ZONE, name === "to" ? "later" : "earlier");
  if (!r) { hints[name].textContent = base; return; }
  const shown = `${base}: ${when.format(new Date(r.ms))} = ${new Date(r.ms).toISOString().replace(".000Z", "Z")}`;
  const odd = r.kind === "twice"
    ? ` (this time happens twice in ${ZONE} as the clocks go back: the ${name === "to" ? "later" : "earlier"} one is taken)`
    : r.kind === "skipped" ? ` (there is no such time in ${ZONE}: the clocks went forward; taken as this)` : "";
  hints[name].textContent = shown + odd;
}

// The form's filters as the API takes them, or null when a time is incomplete (said at it).
function read() {
  const out = {};
  for (const name of FILTERS) {
    const input = inputs[name];
    if (name === "from" || name === "to") {
      if (input.validity.badInput) { fieldError(name, `${name}: enter a whole date and time (or none)`); return null; }
      const r = instantIn(input.value, ZONE, name === "to" ? "later" : "earlier");
      if (r) out[name] = rfc3339(r.ms, ZONE);
    } else if (input.value.trim()) {
      out[name] = input.value.trim();
    }
  }
  return out;
}

// Put `filters` in the form (from/to as the console zone's wall time).
function show(filters) {
  for (const name of FILTERS) {
    const value = filters[name] || "";
    if (name === "from" || name === "to") {
      const ms = Date.parse(value);
      inputs[name].value = value && !Number.isNaN(ms) ? wallTime(ms, ZONE) : "";
      timeHint(name);
    } else {
      inputs[name].value = value;
    }
  }
}

function fromQuery(search) {
  const q = new URLSearchParams(search);
  const out = {};
  for (const name of FILTERS) if (q.get(name)) out[name] = q.get(name);
  return out;
}

function query(filters) {
  const q = new URLSearchParams();
  for (const name of FILTERS) if (filters[name]) q.set(name, filters[name]);
  return q;
}

function clearErrors() {
  for (const name of FILTERS) { errors[name].textContent = ""; inputs[name].removeAttribute("aria-invalid"); }
  formError.replaceChildren();
}

function fieldError(name, message) {
  errors[name].textContent = message;
  inputs[name].setAttribute("aria-invalid", "true");
}

// A refusal at the field it names ("to: must be later than from"; a 403 ends "(the target asked
// for)"), else under the form.
function problem(e) {
  const message = String(e.message || e);
  const named = /^([a-z_]+): /.exec(message);
  const about = /\(the (target|incident) asked for\)$/.exec(message);
  const name = named && FILTERS.includes(named[1]) ? named[1] : about ? about[1] : null;
  if (name && (e.status === 400 || e.status === 403)) fieldError(name, message);
  else fill(formError, el("div", { class: "error" }, message));
}

// ---- the results -----------------------------------------------------------------------------

const exports = el("div", { class: "actions", id: "audit-exports" });
const status = el("p", { class: "why", id: "audit-status", role: "status", "aria-live": "polite" });
const newer = el("p", { class: "notice", id: "audit-newer", hidden: true },
  "There has been activity since this search. ", el("button", { type: "button", class: "quiet", onclick: () => search(applied, false) }, "Search again"));
const table = el("div", { id: "audit-results" });
const moreButton = el("button", { type: "button", class: "quiet", id: "audit-more", hidden: true, onclick: () => more(false) }, "Load more");

function detail(d) {
  const parts = Object.entries(d || {}).map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
  return parts.join(" · ");
}

function row(e) {
  return el("tr", { dataset: { seq: e.seq } },
    el("td", { class: "num" }, e.seq), el("td", {}, when.format(new Date(e.at))), el("td", {}, e.actor),
    el("td", {}, e.action),
    // a list's read names every case it showed (also): each one a search finds it by
    el("td", {}, e.target, (e.also || []).length ? el("div", { class: "why also" }, `and ${e.also.join(", ")}`) : null),
    el("td", {}, detail(e.detail)));
}

function renderExports(ok) {
  if (!ok) { fill(exports); return; }
  const link = (format, id, words) => {
    const q = query(applied);
    q.set("format", format);
    return el("a", { class: "button", id, href: `/api/v1/audit/export?${q}`, download: "" }, words);
  };
  fill(exports,
    link("csv", "audit-export-csv", "Export CSV"),
    link("jsonl", "audit-export-jsonl", "Export JSON Lines"),
    el("span", { class: "why", id: "audit-export-note" },
      `Every entry these filters find, newest first; the CSV gives each time in UTC and in ${ZONE}. ` +
      "Each export is itself recorded in the audit log (audit.exported: who, these filters, the format)."));
}

function renderTable() {
  fill(table, entries.length
    ? el("table", { id: "audit-table" },
        el("thead", {}, el("tr", {}, ["#", `When (${ZONE})`, "Who", "What", "Target", "Detail"].map((h) => el("th", {}, h)))),
        el("tbody", {}, entries.map(row)))
    : el("p", { class: "empty", id: "audit-none" }, next ? "No matching entries yet." : "No entries match."));
}

function done(added, first) {
  renderTable();
  moreButton.hidden = !next;
  moreButton.disabled = false;
  if (!next) status.textContent = entries.length ? `All ${entries.length} matching entries shown.` : "";
  else if (added < PAGE) {
    status.textContent = `${added ? `Only ${added}${first ? "" : " more"}` : "No"} matching entries in the part of the log searched so far; ` +
      "older entries remain: Load more searches further back.";
  } else status.textContent = `${entries.length} entries shown; Load more for older ones.`;
  root.dataset.state = "done";
  root.dataset.loaded = "1";
}

// The next rows: up to PAGE of them (a short page with `next` is followed), at most
// MOST_REQUESTS requests. `first`: a new search (from the newest), else from `next`.
async function more(first) {
  const mine = ++generation;
  root.dataset.state = "busy";
  moreButton.disabled = true;
  status.textContent = first ? "Searching…" : "Searching older entries…";
  let got = [];
  let cursor = first ? null : next;
  try {
    for (let n = 0; n < MOST_REQUESTS; n += 1) {
      if (n > 0) status.textContent = "Searching older entries…";
      const q = query(applied);
      q.set("limit", String(PAGE - got.length));
      if (cursor) q.set("cursor", cursor);
      const body = await api(`/api/v1/audit?${q}`);
      if (mine !== generation) return;
      got = got.concat(body.entries);
      cursor = body.next || null;
      if (!cursor || got.length >= PAGE) break;
    }
  } catch (e) {
    if (mine !== generation) return;
    problem(e);
    if (first) { entries = []; next = null; renderExports(false); fill(table); }
    status.textContent = "";
    moreButton.hidden = !next;
    moreButton.disabled = false;
    root.dataset.state = "done";
    root.dataset.loaded = "1";
    return;
  }
  entries = first ? got : entries.concat(got);
  next = cursor;
  done(got.length, first);
}

function search(filters, push) {
  applied = filters;
  entries = [];
  next = null;
  newer.hidden = true;
  clearErrors();
  if (push) {
    const q = query(filters).toString();
    history.pushState(null, "", q ? `/audit?${q}` : "/audit");
  }
  renderExports(true);
  return more(true);
}

function submit() {
  clearErrors();
  const filters = read();
  if (filters) search(filters, true);
}

// ---- the page --------------------------------------------------------------------------------

const tracks = page.tracks || [];
fill(root,
  form,
  el("p", { class: "why", id: "audit-scope" },
    `Times in ${ZONE}. You see the entries of the ${tracks.join(" and ")} track${tracks.length > 1 ? "s" : ""}.`),
  exports,
  newer,
  table,
  el("div", { class: "actions" }, moreButton, status),
);

function fromLocation() {
  const filters = fromQuery(location.search);
  show(filters);
  return search(filters, false);
}

window.addEventListener("popstate", fromLocation);
fromLocation();
// something changed since: offer to search again (a search reaching into the future only; the
// rows shown are never swapped under the reader's eyes). The live stream needs viewer on a track:
// an auditor without it is not sent there to be refused every few seconds.
if (can("viewer", "outage") || can("viewer", "privacy")) {
  live((change) => {
    const open = !applied.to || Date.parse(applied.to) > serverNow();
    if (change && open && root.dataset.state === "done") newer.hidden = false;
  });
}
