// Report an outage by hand: the form of /report-outage → POST /api/v1/incidents (an editor's;
// the API validates and names a bad field), then the new incident's page.
import { api, el, page, showError } from "./console.js";

const form = document.getElementById("outage-form");
const errors = document.getElementById("report-error");
const service = document.getElementById("service");
for (const name of (page.services || "").split(",").filter(Boolean)) {
  service.append(el("option", { value: name }, name));
}

// <input type="datetime-local"> (the browser's zone) → RFC 3339
const instant = (value) => (value ? new Date(value).toISOString() : null);

function body() {
  const v = (id) => document.getElementById(id).value.trim();
  const out = { title: v("title"), description: v("description"), started_at: instant(v("started_at")) };
  const ended = instant(v("ended_at"));
  if (ended) out.ended_at = ended;
  if (v("region") || v("connections")) {
    out.impacts = [{
      service: service.value,
      region: v("region"),
      connections: Number(v("connections") || 0),
      societal: document.getElementById("societal").checked,
      emergency_112: document.getElementById("emergency_112").checked,
    }];
  }
  const elements = v("elements").split(/\s+/).filter(Boolean);
  if (elements.length) out.elements = elements;
  return out;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  errors.replaceChildren();
  try {
    const doc = await api("/api/v1/incidents", { method: "POST", body: body() });
    window.location.assign(`/incidents/${encodeURIComponent(doc.id)}`);
  } catch (e) {
    showError(errors, e);
  }
});
