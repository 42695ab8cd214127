// Board: the deadline queue (everything owed across incidents, privacy cases and drafts,
// nearest due first, overdue on top in red: GET /api/v1/queue) and one compact row per open
// incident (its number and name, where, impact, one verdict per regulator that applies with the
// criterion that decided it, who is on it). Times in the console's zone. The incidents come from
// their summaries alone (GET /api/v1/incidents: verdicts with the deciding criterion, cyber,
// handling), one list read per refresh: never each incident's full document.
import {
  api, applicable, can, countdown, cyberOf, cyberPill, cyberPreview, criterionWords, el, fill, inZone, incidentName, live,
  localTime, localiseText, number, page, pages, regulatorName, reportEnglish, showError, stateWords, verdictPill, warningsList, whoIsOnIt,
} from "./console.js";

const queue = document.getElementById("queue");
const board = document.getElementById("board");

function caseLink(item) {
  const href = item.track === "privacy" ? `/privacy/${encodeURIComponent(item.case)}` : `/incidents/${encodeURIComponent(item.case)}`;
  const name = item.track === "privacy" ? `Privacy case ${item.case}` : incidentName(item);
  return el("a", { href, class: "case" }, name, item.case_state === "closed" ? el("span", { class: "why" }, "closed") : null);
}

function what(item) {
  if (item.draft) {
    const words = stateWords(item.draft.state);
    return el("a", { href: `/drafts/${encodeURIComponent(item.draft.id)}` }, `${words} (v${item.draft.version})`);
  }
  return item.due_at ? stateWords(item.state) : item.waiting_for || stateWords(item.state);
}

function queueRow(item) {
  return el(
    "tr",
    {
      class: item.overdue ? "overdue" : item.due_at ? "" : "later",
      dataset: { case: item.case, kind: item.kind, regulator: item.regulator, due: item.due_at || "" },
    },
    el("td", { class: "due" }, item.due_at ? localTime(item.due_at) : "—"),
    el("td", {}, item.due_at ? countdown(item.due_at) : el("span", { class: "why" }, "no deadline yet")),
    el("td", { class: "report", title: `${regulatorName(item.regulator)}: ${reportEnglish(item.kind)}` }, item.report,
      el("span", { class: "country" }, item.country)),
    el("td", {}, caseLink(item)),
    el("td", {}, what(item)),
    el("td", {}, item.track === "privacy" ? "—" : whoIsOnIt(item)),
  );
}

function queueTable(id, items) {
  return el(
    "table",
    { id, class: "queue" },
    el("thead", {}, el("tr", {}, [inZone("Due"), "Time left", "Report", "Incident", "State", "Who is on it"].map((h) => el("th", {}, h)))),
    el("tbody", {}, items.map(queueRow)),
  );
}

let laterOpen = false; // the person's choice survives a refresh

async function refreshQueue() {
  const { items } = await api("/api/v1/queue");
  const dated = items.filter((i) => i.due_at || i.draft);
  const later = items.filter((i) => !(i.due_at || i.draft));
  const details = later.length
    ? el(
        "details",
        { id: "queue-later", open: laterOpen, ontoggle: (e) => { laterOpen = e.target.open; } },
        el("summary", {}, `Owed later, once something happens (${later.length})`),
        queueTable("queue-later-table", later),
      )
    : null;
  fill(
    queue,
    dated.length ? queueTable("queue-table", dated) : el("p", { class: "empty" }, "Nothing due."),
    details,
  );
  queue.dataset.loaded = "1";
}

function verdictCell(doc) {
  return [...applicable(doc).map((a) => {
    const c = a.deciding; // the summary's: the criterion that decided the verdict
    const cyber = cyberOf(doc, a);
    return el(
      "div",
      { class: "verdict", dataset: { regulator: a.regulator } },
      el("strong", {}, regulatorName(a.regulator), " "),
      cyber ? cyberPill(cyber, a) : verdictPill(a),
      !a.reportable && a.forecast_at ? el("span", { class: "why" }, "would be ", countdown(a.forecast_at)) : null,
      c ? el("div", { class: "criterion", title: localiseText(c.reason) }, c.met ? "met: " : "nearest: ", criterionWords(a.rule_set, c.id)) : null,
    );
  }), cyberPreview(doc)];
}

async function act(doc, path, body) {
  try {
    await api(`/api/v1/incidents/${encodeURIComponent(doc.id)}/${path}`, { method: "POST", body });
    await refresh();
  } catch (e) {
    showError(board, e);
  }
}

function actions(doc) {
  if (!can("editor")) return null;
  return el(
    "div",
    { class: "row-actions" },
    doc.acknowledged ? null : el("button", { type: "button", class: "quiet ack", onclick: () => act(doc, "ack", {}) }, "Acknowledge"),
    !page.user || (doc.assignee && doc.assignee.name === page.user.name) ? null
      : el("button", { type: "button", class: "quiet take", onclick: () => act(doc, "assign", { assignee: page.user.name }) }, "Take it"),
  );
}

function row(doc) {
  const reportable = doc.assessments.some((a) => a.reportable && (!doc.applies || doc.applies.includes(a.regulator)));
  return el(
    "tr",
    { class: reportable ? "reportable" : "", id: `incident-${doc.id}`, dataset: { incident: doc.id } },
    el("td", { class: "num" }, doc.number ? `#${doc.number}` : ""),
    el("td", {},
      el("a", { href: `/incidents/${encodeURIComponent(doc.id)}`, class: "title" }, doc.title || doc.id),
      el("div", { class: "why id" }, doc.id),
      warningsList(doc.warnings)),
    el("td", {}, doc.jurisdictions.join(", ") || "—", el("div", { class: "why" }, localTime(doc.started_at))),
    // one definition (docs/notices.md): the most affected service's count, services never added
    el("td", { class: "num" }, number(doc.impact.current), el("div", { class: "why" }, `peak ${number(doc.impact.peak)}`),
      doc.impact_overridden ? el("div", { class: "why overridden", title: "a person overrode the impact: see the incident" }, "stated by a person") : null),
    el("td", {}, verdictCell(doc)),
    el("td", {}, whoIsOnIt(doc), actions(doc)),
  );
}

async function refreshIncidents() {
  // the first 1000 open incidents' summaries, in one read
  const { items: shown } = await pages("/api/v1/incidents?state=open", "incidents", { most: 1, limit: 1000 });
  const reportable = (d) => Number(applicable(d).some((x) => x.reportable));
  shown.sort((a, b) => reportable(b) - reportable(a) || (b.number || 0) - (a.number || 0));
  fill(
    board,
    shown.length
      ? el(
          "table",
          { id: "incidents", class: "incidents" },
          el("thead", {}, el("tr", {}, ["#", "Incident", inZone("Where, started"), "Affected now", "Verdicts", "Who is on it"].map((h) => el("th", {}, h)))),
          el("tbody", {}, shown.map(row)),
        )
      : el("p", { class: "empty" }, "No open incidents."),
  );
  board.dataset.loaded = "1";
}

async function refresh() {
  await Promise.all([refreshQueue(), refreshIncidents()]);
}

refresh().catch((e) => showError(board, e));
live(refresh);
