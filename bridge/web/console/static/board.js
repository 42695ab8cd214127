// Board: every open incident with its verdict per regulator (and why), the reports it owes
// with a countdown in the regulator's local time, what is affected, and its warnings.
import { fill,
  affectedTable, api, el, pages, live, localTime, number, obligationsTable, regulatorName, showError, verdict, cyberOf, cyberPreview, owes,
  warningsList, zoneOfJurisdiction,
} from "./console.js";

const board = document.getElementById("board");
const waiting = document.getElementById("waiting");
const NEEDS_A_PERSON = "draft,held,failed,in_doubt";
const WHY = {
  draft: "to review and approve",
  held: "approved, but the incident changed: approve again",
  failed: "the mail server refused it",
  in_doubt: "delivery in doubt: resend or mark sent",
};

// Drafts waiting for a person, closed incidents' included (they leave the board).
async function refreshWaiting() {
  const { items: drafts } = await pages(`/api/v1/drafts?state=${NEEDS_A_PERSON}`, "drafts");
  fill(
    waiting,
    drafts.length ? el("h2", {}, `Waiting for a person (${drafts.length})`) : null,
    drafts.length
      ? el(
          "table",
          { id: "waiting-table" },
          el("thead", {}, el("tr", {}, ["Regulator", "Report", "Incident", "State", "Why"].map((h) => el("th", {}, h)))),
          el(
            "tbody",
            {},
            drafts.map((d) =>
              el(
                "tr",
                { dataset: { draft: d.id } },
                el("td", {}, regulatorName(d.regulator)),
                el("td", {}, el("a", { href: `/drafts/${encodeURIComponent(d.id)}` }, `${d.kind} v${d.version}`)),
                el("td", {}, el("a", { href: `/incidents/${encodeURIComponent(d.incident)}` }, d.incident)),
                el("td", {}, el("span", { class: "pill state" }, d.state)),
                el("td", {}, WHY[d.state] || "", d.to_complete.length ? ` (to complete: ${d.to_complete.join(", ")})` : ""),
              ),
            ),
          ),
        )
      : null,
  );
}
const cache = new Map(); // incident id → full document

function card(doc) {
  const reportable = doc.assessments.some((a) => owes(doc, a) || (cyberOf(doc, a) && a.reportable));
  const zone = zoneOfJurisdiction(doc.jurisdictions);
  return el(
    "section",
    { class: `card${reportable ? " reportable" : ""}`, id: `incident-${doc.id}`, dataset: { incident: doc.id } },
    el("h2", {}, el("a", { href: `/incidents/${encodeURIComponent(doc.id)}` }, doc.id)),
    el(
      "div",
      { class: "meta" },
      `${doc.jurisdictions.join(", ") || "—"} · started ${localTime(doc.started_at, zone)} · `,
      // one definition (docs/notices.md): the most affected service's count, services never added
      `${number(doc.impact.current)} connections of the most affected service now (peak ${number(doc.impact.peak)}) · `,
      `${doc.alerts.length} alert(s)`,
    ),
    warningsList(doc.warnings),
    el(
      "div",
      { class: "grid2" },
      el("div", {}, el("h3", {}, "Verdicts"), doc.assessments.map((a) => verdict(a, { cyber: cyberOf(doc, a) })), cyberPreview(doc)),
      el("div", {}, el("h3", {}, "Affected now"), affectedTable(doc.impact)),
    ),
    el("h3", {}, "Reports owed"),
    obligationsTable(doc.obligations, doc.drafts),
  );
}

async function refresh(change) {
  if (!change || change.drafts.length) await refreshWaiting();
  const { items: incidents } = await pages("/api/v1/incidents?state=open", "incidents"); // the first 1000
  const wanted = new Set(incidents.map((i) => i.id));
  for (const id of [...cache.keys()]) if (!wanted.has(id)) cache.delete(id);
  const stale = incidents
    .map((i) => i.id)
    .filter((id) => !cache.has(id) || !change || change.incidents.includes(id) || change.drafts.some((d) => d.startsWith(`${id}.`)));
  const docs = await Promise.all(stale.map((id) => api(`/api/v1/incidents/${encodeURIComponent(id)}`).catch(() => null)));
  docs.forEach((doc) => doc && cache.set(doc.id, doc));
  const shown = incidents.map((i) => cache.get(i.id)).filter(Boolean);
  const urgent = (doc) => Number(doc.assessments.some((x) => x.reportable));
  shown.sort((a, b) => urgent(b) - urgent(a));
  fill(board, ...(shown.length ? shown.map(card) : [el("p", { class: "empty" }, "No open incidents.")]));
  board.dataset.loaded = "1";
}

refresh(null).catch((e) => showError(board, e));
live(refresh);
