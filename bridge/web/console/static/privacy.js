// Privacy incidents (viewer:privacy): open and closed cases with their next deadline counting
// down in the regulator's local time, the register downloads (links in the shell), and the
// "Report a privacy incident" form (editor:privacy) with every field the API accepts. Every
// read goes through /api/v1/privacy/…, which audits it; nothing here is kept beyond the page.
import { api, ApiError, can, countdown, el, fill, live, localTime, pages, regulatorName, reportName, showError, zoneOf, zoneOfJurisdiction } from "./console.js";
import { factsControls, label } from "./privacy_form.js";

const root = document.getElementById("privacy");
const report = document.getElementById("report");
let message = null;

function say(kind, ...text) {
  message = el("div", { class: kind, role: kind === "error" ? "alert" : "status", id: "report-message" }, ...text);
  fill(document.getElementById("report-message-box"), message);
}

function nextDeadline(c) {
  if (!c.next_due_at) return { when: "—", left: "", zone: null };
  const o = c.obligations.find((x) => x.due_at === c.next_due_at);
  const zone = o ? zoneOf(o.regulator) : zoneOfJurisdiction(c.jurisdictions);
  const what = o ? `${reportName(o.regulator, o.kind)}: ` : "";
  return { when: `${what}${localTime(c.next_due_at, zone)}`, left: countdown(c.next_due_at) };
}

function row(c) {
  const next = nextDeadline(c);
  const zone = zoneOfJurisdiction(c.jurisdictions);
  return el(
    "tr",
    { dataset: { case: c.id }, class: c.overdue.length ? "overdue" : "" },
    el("td", {}, el("a", { href: `/privacy/${encodeURIComponent(c.id)}` }, c.id)),
    el("td", {}, el("span", { class: "pill state" }, c.state)),
    el("td", {}, c.nature),
    el("td", {}, c.jurisdictions.join(", "), c.attention ? el("div", { class: "overdue attention", title: c.attention }, "to be set: open the case") : null),
    el("td", {}, localTime(c.detected_at, zone)),
    el("td", {}, next.when),
    el("td", {}, next.left),
    el("td", {}, c.overdue.length ? el("span", { class: "overdue" }, c.overdue.join(", ")) : "—"),
    el("td", {}, c.exemption ? label(c.exemption) : "—"),
    el("td", {}, c.source === "alert" ? "alert" : "person"),
  );
}

function table(id, cases) {
  if (!cases.length) return el("p", { class: "empty", id }, "None.");
  const heads = ["Case", "State", "Nature", "Where", "Detected (local)", "Next deadline (local)", "Time left", "Overdue", "Exemption", "Opened by"];
  return el("table", { id }, el("thead", {}, el("tr", {}, heads.map((h) => el("th", {}, h)))), el("tbody", {}, cases.map(row)));
}

async function refresh() {
  root.dataset.reads = String(Number(root.dataset.reads || 0) + 1); // each read is audited
  const { items: cases } = await pages("/api/v1/privacy/cases?state=all", "cases"); // the first 1000
  const open = cases.filter((c) => c.state === "open");
  const closed = cases.filter((c) => c.state !== "open");
  fill(
    root,
    el("h2", {}, `Open cases (${open.length})`),
    table("open-cases", open),
    el("h2", {}, `Closed cases (${closed.length})`),
    table("closed-cases", closed),
  );
  root.dataset.loaded = "1";
}

function reportForm() {
  if (!can("editor", "privacy")) {
    return [el("h2", {}, "Report a privacy incident"), el("p", { class: "why", id: "report-why" }, "Reporting needs the editor role on the privacy track.")];
  }
  const controls = factsControls("new", {});
  const submit = async (e) => {
    e.preventDefault();
    if (!controls.check()) return;
    try {
      const created = await api("/api/v1/privacy/cases", { method: "POST", body: controls.values() });
      say("notice", "Reported as ", el("a", { href: `/privacy/${encodeURIComponent(created.id)}`, id: "reported-case" }, created.id), `: ${created.obligations.length} report(s) owed.`);
      fill(report, ...reportForm());
      await refresh();
    } catch (error) {
      say("error", error instanceof ApiError ? `Refused (${error.status}): ${error.message}` : String(error));
    }
  };
  return [
    el("h2", {}, "Report a privacy incident"),
    el("div", { id: "report-message-box" }, message),
    el(
      "form",
      { id: "report-form", class: "facts", onsubmit: submit },
      controls.nodes,
      el("div", { class: "actions" }, el("button", { type: "submit", id: "report-submit" }, "Report")),
    ),
  ];
}

fill(report, ...reportForm());
refresh().catch((e) => showError(root, e));
// privacy cases change with their drafts (ids "priv-…"): refetch the list on those
live((change) => (!change || change.drafts.some((d) => d.startsWith("priv-")) || (change.privacy || []).length ? refresh() : null));
