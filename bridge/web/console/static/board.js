// Board: the deadline queue (everything owed across incidents, privacy cases and drafts,
// nearest due first, overdue on top in red: GET /api/v1/queue; what binds no regulator, a
// repealed law's internal threshold, muted and labelled, never red; the incidents a person must
// declare significant or not under the cybersecurity act in amber rows of their own, with what
// they would owe if declared now) and one compact row per open
// incident (its number and name, where, impact, one verdict per regulator that applies with the
// criterion that decided it, who is on it). Times in the console's zone. The incidents come from
// their summaries alone (GET /api/v1/incidents: verdicts with the deciding criterion, cyber,
// handling): never each incident's full document. On load, a (re)connect and a "resync" the
// board reads the whole queue and every open incident's summary in one list read each; on a live
// change it reads only the queue items of the cases the change names (?cases=: its incidents,
// privacy cases and drafts' cases) and the summaries of the incidents it names (?ids=), then
// patches those rows: a case's queue rows are replaced by what it owes now (a newly owed item
// comes in, a sent one goes), a new open incident comes in, one no longer open (absent from the
// answer) goes, and both are sorted again as the whole read sorts them.
import {
  api, applicable, can, countdown, cyberOf, cyberPill, cyberPreview, criterionWords, el, fill, inZone, incidentName, live,
  localTime, localiseText, number, page, pages, regulatorName, reportEnglish, showError, stateWords, verdictPill, warningsList, whoIsOnIt,
} from "./console.js";

const queue = document.getElementById("queue");
const board = document.getElementById("board");

function caseLink(item) {
  const href = item.track === "privacy" ? `/privacy/${encodeURIComponent(item.case)}` : `/incidents/${encodeURIComponent(item.case)}`;
  const name = item.track === "privacy" ? `Privacy case ${item.case}` : incidentName(item);
  return el(
    "span", {},
    el("a", { href, class: "case" }, name, item.case_state === "closed" ? el("span", { class: "why" }, "closed") : null),
    // e.g. a privacy case owed to every country until a person sets its jurisdictions
    item.attention ? el("div", { class: item.track === "privacy" ? "overdue attention" : "attention country-unknown", title: item.attention }, attentionWords(item)) : null,
  );
}

// What a person must look at on the case first, in short (the whole in the tooltip).
function attentionWords(item) {
  if (item.track === "privacy") return "jurisdictions to be set: open the case";
  return "country unknown: alerts not placed in the inventory; owed only if in this country";
}

// Whether an item binds: owed to a regulator by law in force (an item without the flag, from an
// older bridge, reads as binding).
const binds = (item) => item.binding !== false;

// The label of what binds no regulator: muted, never the red of a legal duty.
function internalPill(note) {
  return el("span", { class: "pill internal", title: note || "" }, "internal, owed to no regulator");
}

function what(item) {
  if (item.draft) {
    // approved for a portal: not on its way, a person still submits it (the obligation says so)
    const words = stateWords(item.state === "approved_to_submit" ? item.state : item.draft.state);
    return el("a", { href: `/drafts/${encodeURIComponent(item.draft.id)}` }, `${words} (v${item.draft.version})`);
  }
  return item.due_at ? stateWords(item.state) : item.waiting_for || stateWords(item.state);
}

function queueRow(item) {
  if (item.decision) return decisionRow(item);
  const classes = [item.overdue && binds(item) ? "overdue" : item.due_at ? "" : "later", binds(item) ? "" : "internal"];
  return el(
    "tr",
    {
      class: classes.filter(Boolean).join(" "),
      dataset: { case: item.case, kind: item.kind, regulator: item.regulator, due: item.due_at || "", binding: String(binds(item)) },
    },
    el("td", { class: "due" }, item.due_at ? localTime(item.due_at) : "—"),
    el("td", {}, item.due_at ? countdown(item.due_at) : el("span", { class: "why" }, "no deadline yet")),
    el("td", { class: "report", title: `${regulatorName(item.regulator)}: ${reportEnglish(item.kind)}` }, item.report,
      el("span", { class: "country" }, item.country), binds(item) ? null : internalPill(item.binding_note)),
    el("td", {}, caseLink(item)),
    el("td", {}, what(item)),
    el("td", {}, item.track === "privacy" ? "—" : whoIsOnIt(item)),
  );
}

// A decision a person owes the operator, not a deadline a regulator set: amber, no countdown
// (nothing runs until a person declares), what it would owe if declared now.
function decisionRow(item) {
  const owed = item.decision.if_declared_now.map((o) => (o.due_at ? `${o.report} due ${localTime(o.due_at)}` : `${o.report}: ${o.waiting_for || "later"}`));
  return el(
    "tr",
    { class: "decide", dataset: { case: item.case, kind: item.kind, regulator: item.regulator, due: "", binding: "false" } },
    el("td", { class: "due" }, el("span", { class: "pill unknown", title: item.binding_note || "" }, "to decide")),
    el("td", {}, el("span", { class: "why" }, "no deadline runs until declared")),
    el("td", { class: "report", title: (item.decision.reasons || []).join("; ") }, `Decide: significant under the cybersecurity act? (${regulatorName(item.regulator)})`,
      el("span", { class: "country" }, item.country),
      owed.length ? el("div", { class: "why if-declared" }, `If declared now: ${owed.join("; ")}`) : null),
    el("td", {}, caseLink(item)),
    el("td", {}, el("a", { href: `/incidents/${encodeURIComponent(item.case)}#cyber` }, "decide on the incident")),
    el("td", {}, whoIsOnIt(item)),
  );
}

function queueTable(id, rows) {
  return el(
    "table",
    { id, class: "queue" },
    el("thead", {}, el("tr", {}, [inZone("Due"), "Time left", "Report", "Incident", "State", "Who is on it"].map((h) => el("th", {}, h)))),
    el("tbody", {}, rows),
  );
}

// The most ids one read takes (GET /api/v1/incidents?ids=, GET /api/v1/queue?cases=:
// docs/api.md); a change naming more reads everything instead.
const MOST_IDS = 100;

// The queue's items as last read, in queueOrder, and the row drawn for each: an item kept from
// the read before keeps its row as it is.
let owed = [];
const drawn = new WeakMap();
// Whether the next refresh must read the whole queue: until a whole read succeeded.
let queueAll = true;
let laterOpen = false; // the person's choice survives a refresh

// An instant as [milliseconds, the microseconds past them]: the queue's times carry microseconds.
function instant(iso) {
  const fraction = /\.(\d+)/.exec(iso);
  return [Date.parse(iso), fraction ? Number(fraction[1].padEnd(6, "0").slice(3, 6)) : 0];
}
const byText = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

// The queue's order, the server's (bridge/core/queue.py): with a deadline first, nearest due
// first (so the overdue on top, the most overdue first), then the decisions, then the ones
// without; ties by case, regulator, kind (a case's items that tie stay in the order read: the
// sort is stable). The one comparison for a whole read and a patch.
const group = (i) => (i.due_at ? 0 : i.decision ? 1 : 2);
function queueOrder(a, b) {
  if (group(a) !== group(b)) return group(a) - group(b);
  if (a.due_at) {
    const [x, y] = [instant(a.due_at), instant(b.due_at)];
    if (x[0] !== y[0] || x[1] !== y[1]) return x[0] - y[0] || x[1] - y[1];
  }
  return byText(a.case, b.case) || byText(a.regulator, b.regulator) || byText(a.kind, b.kind);
}

// Draw `owed`: the dated items (and drafts waiting for a person) in a table, those owed once
// something happens folded below; each item's row is the one drawn before when it was kept.
function drawQueue() {
  const rows = (items) => items.map((i) => drawn.get(i) || drawn.set(i, queueRow(i)).get(i));
  const table = (id, items) => {
    const found = queue.querySelector(`#${id}`);
    if (!found) return queueTable(id, rows(items));
    fill(found.tBodies[0], rows(items));
    return found;
  };
  const dated = owed.filter((i) => i.due_at || i.draft);
  const decide = owed.filter((i) => i.decision);
  const later = owed.filter((i) => !(i.due_at || i.draft || i.decision));
  let decisions = null;
  if (decide.length) {
    const heading = el("h3", {}, `To decide: significant under the cybersecurity act? (${decide.length})`,
      el("span", { class: "why" }, " a person decides; nothing is owed, and no deadline runs, until declared"));
    decisions = queue.querySelector("#queue-decide");
    if (decisions) fill(decisions, heading, table("queue-decide-table", decide));
    else decisions = el("section", { id: "queue-decide", class: "decide" }, heading, table("queue-decide-table", decide));
  }
  let details = null;
  if (later.length) {
    const summary = el("summary", {}, `Owed later, once something happens (${later.length})`);
    details = queue.querySelector("#queue-later");
    if (details) fill(details, summary, table("queue-later-table", later));
    else {
      details = el(
        "details",
        { id: "queue-later", open: laterOpen, ontoggle: (e) => { laterOpen = e.target.open; } },
        summary,
        table("queue-later-table", later),
      );
    }
  }
  fill(queue, dated.length ? table("queue-table", dated) : el("p", { class: "empty" }, "Nothing due."), decisions, details);
  queue.dataset.loaded = "1";
}

// The cases a change names: its incidents, its privacy cases and its drafts' (a draft's id is
// its case's, then `.kind`, then `.round` after the first: bridge/core/casework.py).
function casesOf(change) {
  const drafts = (change.drafts || []).map((d) => d.split(".")[0]);
  return [...new Set([...(change.incidents || []), ...(change.privacy || []), ...drafts])];
}

async function readQueue() {
  const { items } = await api("/api/v1/queue");
  owed = items.slice().sort(queueOrder); // as read: the comparison is the server's
  queueAll = false;
  drawQueue();
}

// The outage track's items read whole, the privacy items kept: for a change naming more cases
// than a patch takes, none of them a privacy case (a storm), so no privacy data is read again
// (each read of it is audited and kept for ever).
async function readOutage() {
  const { items } = await api("/api/v1/queue?track=outage");
  owed = [...owed.filter((i) => i.track !== "outage"), ...items].sort(queueOrder);
  drawQueue();
}

// Whether a change names a privacy case (or one of its drafts: "priv-….kind").
function namesPrivacy(change) {
  return (change.privacy || []).length > 0 || (change.drafts || []).some((d) => d.startsWith("priv-"));
}

async function patchQueue(cases) {
  const { items } = await api(`/api/v1/queue?cases=${cases.map(encodeURIComponent).join(",")}`);
  const named = new Set(cases);
  owed = [...owed.filter((i) => !named.has(i.case)), ...items].sort(queueOrder);
  drawQueue();
}

// `change`: a live change (the ids it names), or null: the whole queue. A change reads only the
// queue items of the cases it names (?cases=) and replaces theirs; more than MOST_IDS cases
// reads the whole queue (the outage track's alone when the change names no privacy case), and
// so does a failed patch.
async function refreshQueue(change) {
  const cases = change ? casesOf(change) : null;
  if (cases && !cases.length && !queueAll) return;
  if (!cases || queueAll) {
    await readQueue();
    return;
  }
  if (cases.length > MOST_IDS) {
    try {
      await (namesPrivacy(change) ? readQueue() : readOutage());
    } catch (e) {
      queueAll = true; // what the rows show is no longer known: the next refresh reads it all
      throw e;
    }
    return;
  }
  try {
    await patchQueue(cases);
  } catch (e) {
    queueAll = true; // what the rows show is no longer known: read it all now
    console.error(e);
    await readQueue();
  }
}

// Whether a verdict owes a regulator a report by law in force: met and binding (neither a
// repealed law's internal threshold nor a reference matrix: the summary's `binding`); a
// cybersecurity-act verdict only once a person declared the incident significant.
function owes(doc, a) {
  if (a.track === "cyber") {
    const cyber = cyberOf(doc, a);
    return Boolean(cyber && cyber.declaration && cyber.declaration.significant);
  }
  return a.reportable && a.binding !== false;
}

// A met verdict that binds no regulator: muted and labelled, never the red of a legal duty.
function unboundPill(a) {
  if (a.reference) return el("span", { class: "pill internal", title: "a reference matrix: it opens no report" }, "met: reference only, opens no report");
  const why = a.repealed_on ? `the law behind ${a.rule_set} was repealed on ${a.repealed_on}: the operator's own threshold` : "owed to no regulator";
  return el("span", { class: "pill internal", title: why }, "met: internal, owed to no regulator");
}

function verdictCell(doc) {
  return [...applicable(doc).map((a) => {
    const c = a.deciding; // the summary's: the criterion that decided the verdict
    const cyber = cyberOf(doc, a);
    const unbound = !cyber && a.reportable && a.binding === false;
    return el(
      "div",
      { class: unbound ? "verdict internal" : "verdict", dataset: { regulator: a.regulator, binding: String(cyber ? owes(doc, a) : a.binding !== false) } },
      el("strong", {}, regulatorName(a.regulator), " "),
      cyber ? cyberPill(cyber, a) : unbound ? unboundPill(a) : verdictPill(a),
      !a.reportable && a.forecast_at ? el("span", { class: "why" }, "would be ", countdown(a.forecast_at)) : null,
      c ? el("div", { class: "criterion", title: localiseText(c.reason) }, c.met ? "met: " : "nearest: ", criterionWords(a.rule_set, c.id)) : null,
    );
  }), cyberPreview(doc)];
}

async function act(doc, path, body) {
  try {
    await api(`/api/v1/incidents/${encodeURIComponent(doc.id)}/${path}`, { method: "POST", body });
    await refresh({ incidents: [doc.id], drafts: [], privacy: [] });
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

// Where an incident is: its countries, or (none of its alerts placed in the inventory) that
// its country is unknown, so every regulator's verdict is shown: none can be ruled out.
function where(doc) {
  if (doc.jurisdictions.length) return doc.jurisdictions.join(", ");
  if (doc.jurisdictions_known === false) {
    return el("span", { class: "country-unknown", title: "none of its alerts could be placed in the inventory: every regulator's verdict is shown until a person states its impact and jurisdiction" }, "country unknown");
  }
  return "—";
}

function row(doc) {
  const reportable = applicable(doc).some((a) => owes(doc, a));
  return el(
    "tr",
    { class: reportable ? "reportable" : "", id: `incident-${doc.id}`, dataset: { incident: doc.id } },
    el("td", { class: "num" }, doc.number ? `#${doc.number}` : ""),
    el("td", {},
      el("a", { href: `/incidents/${encodeURIComponent(doc.id)}`, class: "title" }, doc.title || doc.id),
      el("div", { class: "why id" }, doc.id),
      warningsList(doc.warnings)),
    el("td", {}, where(doc), el("div", { class: "why" }, localTime(doc.started_at))),
    // one definition (docs/notices.md): the most affected service's count, services never added
    el("td", { class: "num" }, number(doc.impact.current), el("div", { class: "why" }, `peak ${number(doc.impact.peak)}`),
      doc.impact_overridden ? el("div", { class: "why overridden", title: "a person overrode the impact: see the incident" }, "stated by a person") : null),
    el("td", {}, verdictCell(doc)),
    el("td", {}, whoIsOnIt(doc), actions(doc)),
  );
}

// The open incidents' summaries as last read, by id: the rows drawn from them.
let held = new Map();
// Whether the next refresh must read every open incident: until a whole read succeeded, after
// a patch failed, and while more than 1000 are open (the board holds the first 1000 the list
// gives, so a row leaving must let the next one in: only a whole read knows it).
let readAll = true;
const anyReportable = (d) => Number(applicable(d).some((x) => owes(d, x)));
const started = (d) => Date.parse(d.started_at) || 0;

// The board's order: owing a regulator first (binding and met, or declared significant), then the highest number, then the list's (newest first).
function order(a, b) {
  return anyReportable(b) - anyReportable(a) || (b.number || 0) - (a.number || 0)
    || started(b) - started(a) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

// Draw the held incidents in order; `changed` (a Set of ids, null: all) are drawn anew, the
// other rows are kept as they are (moved into place).
function draw(changed) {
  const shown = [...held.values()].sort(order);
  const table = board.querySelector("#incidents");
  if (!shown.length) {
    fill(board, el("p", { class: "empty" }, "No open incidents."));
  } else if (changed && table) {
    const body = table.tBodies[0];
    const kept = new Map([...body.rows].map((tr) => [tr.dataset.incident, tr]));
    fill(body, shown.map((doc) => (!changed.has(doc.id) && kept.get(doc.id)) || row(doc)));
  } else {
    fill(
      board,
      el(
        "table",
        { id: "incidents", class: "incidents" },
        el("thead", {}, el("tr", {}, ["#", "Incident", inZone("Where, started"), "Affected now", "Verdicts", "Who is on it"].map((h) => el("th", {}, h)))),
        el("tbody", {}, shown.map(row)),
      ),
    );
  }
  board.dataset.loaded = "1";
}

async function readEvery() {
  // the first 1000 open incidents' summaries, in one read
  const { items, next } = await pages("/api/v1/incidents?state=open", "incidents", { most: 1, limit: 1000 });
  held = new Map(items.map((d) => [d.id, d]));
  readAll = Boolean(next);
  draw(null);
}

async function readSome(ids) {
  const { incidents } = await api(`/api/v1/incidents?state=open&ids=${ids.map(encodeURIComponent).join(",")}`);
  for (const id of ids) held.delete(id); // absent from the answer: no longer open
  for (const doc of incidents) held.set(doc.id, doc);
  draw(new Set(ids));
}

// `change`: a live change (the ids it names), or null: everything.
async function refreshIncidents(change) {
  const ids = change ? change.incidents : null;
  if (ids && !ids.length && !readAll) return; // a draft's or a privacy case's change: the queue's
  if (!ids || readAll || ids.length > MOST_IDS) {
    await readEvery();
    return;
  }
  try {
    await readSome(ids);
  } catch (e) {
    readAll = true; // what the rows show is no longer known: the next refresh reads everything
    throw e;
  }
}

// One refresh at a time (the first load, an action's, the live stream's): each reads after the
// one before has drawn.
// Counted on the board: refreshes waiting or running (data-pending) and done (data-refreshes).
let last = Promise.resolve();
function refresh(change = null) {
  const count = (name, by) => { board.dataset[name] = String(Number(board.dataset[name] || 0) + by); };
  count("pending", 1);
  const next = last.then(() => Promise.all([refreshQueue(change), refreshIncidents(change)]));
  last = next.catch(() => {}).then(() => { count("pending", -1); count("refreshes", 1); });
  return next;
}

refresh().catch((e) => showError(board, e));
live(refresh);
