// Board: every open incident with its verdict per regulator (and why), the reports it owes
// with a countdown in the regulator's local time, what is affected, and its warnings.
import { fill,
  affectedTable, api, el, live, localTime, number, obligationsTable, showError, verdict,
  warningsList, zoneOfJurisdiction,
} from "./console.js";

const board = document.getElementById("board");
const cache = new Map(); // incident id → full document

function card(doc) {
  const reportable = doc.assessments.some((a) => a.reportable);
  const zone = zoneOfJurisdiction(doc.jurisdictions);
  return el(
    "section",
    { class: `card${reportable ? " reportable" : ""}`, id: `incident-${doc.id}`, dataset: { incident: doc.id } },
    el("h2", {}, el("a", { href: `/incidents/${encodeURIComponent(doc.id)}` }, doc.id)),
    el(
      "div",
      { class: "meta" },
      `${doc.jurisdictions.join(", ") || "—"} · started ${localTime(doc.started_at, zone)} · `,
      `${number(doc.impact.current)} connections affected now (peak ${number(doc.impact.peak)}) · `,
      `${doc.alerts.length} alert(s)`,
    ),
    warningsList(doc.warnings),
    el(
      "div",
      { class: "grid2" },
      el("div", {}, el("h3", {}, "Verdicts"), doc.assessments.map((a) => verdict(a))),
      el("div", {}, el("h3", {}, "Affected now"), affectedTable(doc.impact)),
    ),
    el("h3", {}, "Reports owed"),
    obligationsTable(doc.obligations, doc.drafts),
  );
}

async function refresh(change) {
  const { incidents } = await api("/api/v1/incidents?state=open");
  const wanted = new Set(incidents.map((i) => i.id));
  for (const id of [...cache.keys()]) if (!wanted.has(id)) cache.delete(id);
  const stale = incidents
    .map((i) => i.id)
    .filter((id) => !cache.has(id) || !change || change.incidents.includes(id) || change.drafts.some((d) => d.startsWith(`${id}.`)));
  const docs = await Promise.all(stale.map((id) => api(`/api/v1/incidents/${encodeURIComponent(id)}`).catch(() => null)));
  docs.forEach((doc) => doc && cache.set(doc.id, doc));
  const shown = incidents.map((i) => cache.get(i.id)).filter(Boolean);
  shown.sort((a, b) => Number(b.assessments.some((x) => x.reportable)) - Number(a.assessments.some((x) => x.reportable)));
  fill(board, ...(shown.length ? shown.map(card) : [el("p", { class: "empty" }, "No open incidents.")]));
  board.dataset.loaded = "1";
}

refresh(null).catch((e) => showError(board, e));
live(refresh);
