// Report an outage by hand: the form of /report-outage → POST /api/v1/incidents (an editor's;
// the API validates and names a bad field), then the new incident's page. The times are wall
// times in the console's zone (time_field.js), never the browser's.
import { api, el, page, showError, ZONE } from "./console.js";
import { zonedTime } from "./time_field.js";

const form = document.getElementById("outage-form");
const errors = document.getElementById("report-error");
const service = document.getElementById("service");
for (const name of (page.services || "").split(",").filter(Boolean)) {
  service.append(el("option", { value: name }, name));
}

const times = {};
for (const [name, empty] of [["started_at", "not given"], ["ended_at", "still going"]]) {
  const input = document.getElementById(name);
  times[name] = zonedTime(input, { empty });
  (input.closest("label") || input).after(times[name].echo);
  document.getElementById(`${name}-zone`).textContent = ZONE;
}

// the form as the API takes it, or null when a time is unreadable (said at its field)
function body() {
  const v = (id) => document.getElementById(id).value.trim();
  const started = times.started_at.check();
  const ended = started === undefined ? undefined : times.ended_at.check();
  if (started === undefined || ended === undefined) return null;
  const out = { title: v("title"), description: v("description"), started_at: started };
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
  const sent = body();
  if (!sent) return;
  try {
    const doc = await api("/api/v1/incidents", { method: "POST", body: sent });
    window.location.assign(`/incidents/${encodeURIComponent(doc.id)}`);
  } catch (e) {
    showError(errors, e);
  }
});
