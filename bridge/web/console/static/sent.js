// Sent archive: every notice handed to the regulator's mail server, newest first, and the ones
// whose delivery needs a person (in doubt, failed). The sent list is paged: the first page, and
// "More" follows the list's `next` cursor.
import { fill, el, live, localTime, pages, regulatorName, reportName, showError, zoneOf } from "./console.js";

const root = document.getElementById("sent");
let shown = 1; // pages of the sent list shown

function table(drafts, when) {
  if (!drafts.length) return el("p", { class: "empty" }, "None.");
  return el(
    "table",
    {},
    el("thead", {}, el("tr", {}, ["When (local)", "Regulator", "Report", "Incident", "Subject", "To", "Approved by", "Message-ID", "Copy"].map((h) => el("th", {}, h)))),
    el(
      "tbody",
      {},
      drafts.map((d) =>
        el(
          "tr",
          { dataset: { draft: d.id } },
          el("td", {}, localTime(when(d), zoneOf(d.regulator))),
          el("td", {}, regulatorName(d.regulator)),
          el("td", {}, el("a", { href: `/drafts/${encodeURIComponent(d.id)}` }, `${reportName(d.regulator, d.kind)} v${d.approved ? d.approved.version : d.version}`)),
          el("td", {}, el("a", { href: `/incidents/${encodeURIComponent(d.incident)}` }, d.incident)),
          el("td", {}, d.subject),
          el("td", {}, d.recipient),
          el("td", {}, d.approved ? d.approved.by : ""),
          el("td", {}, el("code", {}, d.message_id || "")),
          // the archived copies: the exact bytes sent, on the draft's page (each read audited)
          el("td", {}, el("a", { href: `/drafts/${encodeURIComponent(d.id)}#sent-copies`, class: "sent-copies" }, "exact copy")),
        ),
      ),
    ),
  );
}

async function refresh() {
  const [{ items: sent, next }, { items: trouble }] = await Promise.all([
    pages("/api/v1/drafts?state=sent", "drafts", { most: shown }),
    pages("/api/v1/drafts?state=in_doubt,failed,sending", "drafts"),
  ]);
  sent.sort((a, b) => (b.sent_at || "").localeCompare(a.sent_at || ""));
  const more = () => { shown += 1; refresh().catch((e) => showError(root, e)); };
  fill(root, 
    trouble.length ? el("h2", {}, "Needing a person") : null,
    trouble.length ? table(trouble, (d) => d.updated_at) : null,
    el("h2", {}, next ? `Sent (the latest ${sent.length})` : `Sent (${sent.length})`),
    table(sent, (d) => d.sent_at),
    next ? el("div", { class: "actions" }, el("button", { type: "button", class: "quiet", id: "sent-more", onclick: more }, "More")) : null,
  );
  root.dataset.loaded = "1";
}

refresh().catch((e) => showError(root, e));
live(refresh);
