// Audit log (admin or auditor): who did what to which draft, newest first, 100 at a time
// (following the list's `next` cursor on "Older entries").
import { fill, api, el, live, showError, ZONE } from "./console.js";

const root = document.getElementById("audit");
// console.time_zone, as every other time in the console (not the browser's own zone), with the
// year, the seconds and the zone's name: what compliance staff quote months later
const zone = ZONE;
const when = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "long", timeZone: zone });
let entries = [];
let target = "";
let next = null; // the cursor of the page after those shown

function detail(d) {
  const parts = Object.entries(d || {}).map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
  return parts.join(" · ");
}

function render() {
  const filter = el("input", { id: "audit-target", placeholder: "e.g. draft:inc-….nkom_varsel", value: target });
  fill(root, 
    el("form", { class: "actions", onsubmit: (e) => { e.preventDefault(); target = filter.value.trim(); entries = []; load(); } },
      el("label", { for: "audit-target" }, "Target"), filter, el("button", { type: "submit", class: "quiet" }, "Filter")),
    el("p", { class: "why" }, `Times in ${zone}.`),
    entries.length
      ? el("table", { id: "audit-table" },
          el("thead", {}, el("tr", {}, ["#", "When", "Who", "What", "Target", "Detail"].map((h) => el("th", {}, h)))),
          el("tbody", {}, entries.map((e) => el("tr", {}, el("td", { class: "num" }, e.seq), el("td", {}, when.format(new Date(e.at))), el("td", {}, e.actor), el("td", {}, e.action), el("td", {}, e.target), el("td", {}, detail(e.detail))))))
      : el("p", { class: "empty" }, "No entries."),
    next ? el("div", { class: "actions" }, el("button", { type: "button", class: "quiet", id: "audit-more", onclick: () => load(next) }, "Older entries")) : null,
  );
  root.dataset.loaded = "1";
}

async function load(cursor) {
  const q = new URLSearchParams({ limit: "100" });
  if (cursor) q.set("cursor", cursor);
  if (target) q.set("target", target);
  try {
    const page = await api(`/api/v1/audit?${q}`);
    entries = cursor ? entries.concat(page.entries) : page.entries;
    next = page.next || null;
    render();
  } catch (e) { showError(root, e); }
}

load();
live(() => (entries.length <= 100 ? load() : null)); // new entries, unless paging back
