// A time a person types (an <input type="datetime-local">) is a wall time in the console's zone
// (console.time_zone), never the browser's: one function for every such field of the console
// (the dialogs of the incident and draft pages, the privacy form, the outage report; the audit
// search reads its range with the same zoned.js). zonedTime(input, {empty, initial}) gives:
//
// - echo: an element to put after the input, saying before anything is sent which instant the
//   field records, in the zone with its UTC offset ("Recorded as 3 Dec 2026 12:00 CET (UTC+1)"),
//   or what an empty field means (`empty`: "now", "the incident's start"; none: required);
//   a wall time that happens twice in the zone (the night the clocks go back) offers both
//   instants to choose from, none taken until the person chooses; one that never happens (the
//   night they go forward) says so and which instant it is read as (the hour after);
// - read(): { value } — the instant in RFC 3339 with the zone's offset ("2026-12-03T12:00:00
//   +01:00"), or null when empty — or { problem } (a half-typed time, an unchosen repeated hour);
// - check(): read()'s value, or undefined after showing its problem at the input.
//
// `initial` (RFC 3339): the field's value to start with, shown as the zone's wall time (a
// repeated hour preset to the instant it is).
import { el, fill, ZONE } from "./console.js";
import { instantsIn, rfc3339, spoken, wallTime } from "./zoned.js";

// "2026-10-25T02:30:00" → "2026-10-25 02:30"
const words = (wall) => wall.replace("T", " ").replace(/^(.{16}):00$/, "$1");

export function zonedTime(input, { empty = "", initial = null } = {}) {
  const said = el("span", { id: `${input.id}-echo`, "aria-live": "polite" });
  const wrong = el("span", { class: "field-error", id: `${input.id}-problem`, role: "alert" });
  const echo = el("div", { class: "why zoned-echo" }, said, wrong);
  input.setAttribute("aria-describedby", `${said.id} ${wrong.id}`);
  let picked = null; // the instant chosen of a repeated hour (ms)
  const at = initial ? Date.parse(initial) : NaN;
  if (!Number.isNaN(at)) {
    input.value = wallTime(at, ZONE);
    picked = at;
  }

  const read = () => {
    if (input.validity && input.validity.badInput) return { problem: "Enter a whole date and time (or none)." };
    if (!input.value) {
      return empty ? { value: null } : { problem: `Enter a date and time (${ZONE}).` };
    }
    const r = instantsIn(input.value, ZONE);
    if (!r) return { problem: "Enter a whole date and time." };
    if (r.kind === "twice") {
      if (!r.all.includes(picked)) return { problem: `${words(input.value)} happens twice in ${ZONE}: choose which.` };
      return { value: rfc3339(picked, ZONE) };
    }
    return { value: rfc3339(r.all[0], ZONE) };
  };

  const show = () => {
    input.setCustomValidity("");
    wrong.textContent = "";
    delete said.dataset.kind;
    if (input.validity && input.validity.badInput) { fill(said, "A whole date and time, please."); return; }
    if (!input.value) { fill(said, empty ? `In ${ZONE}. Empty: ${empty}.` : `In ${ZONE}.`); return; }
    const r = instantsIn(input.value, ZONE);
    if (!r) { fill(said, "A whole date and time, please."); return; }
    said.dataset.kind = r.kind;
    if (r.kind === "exact") { fill(said, `Recorded as ${spoken(r.all[0], ZONE)}`); return; }
    if (r.kind === "skipped") {
      fill(said, `No such time in ${ZONE}: the clocks go forward that night. Recorded as ${spoken(r.all[0], ZONE)}, the earlier reading, as the bridge reads wall times`);
      return;
    }
    const [first, second] = r.all;
    if (!r.all.includes(picked)) picked = null;
    const choice = (ms, which) => el("label", { class: "check" },
      el("input", {
        type: "radio", name: `${input.id}-which`, id: `${input.id}-${which}`, value: which, checked: picked === ms,
        disabled: input.disabled, onchange: () => { picked = ms; input.setCustomValidity(""); wrong.textContent = ""; chosen(); },
      }),
      ` the ${which === "first" ? "first" : "second"}: ${spoken(ms, ZONE)}`);
    const status = el("span", { id: `${input.id}-chosen` });
    const chosen = () => { status.textContent = picked === null ? " Choose one: nothing is recorded until you do." : ` Recorded as ${spoken(picked, ZONE)}`; };
    fill(said,
      el("span", {}, `${words(input.value)} happens twice in ${ZONE} (the clocks go back that night). Which one?`),
      el("span", { class: "zoned-choice", role: "radiogroup" }, choice(first, "first"), choice(second, "second")),
      status);
    chosen();
  };

  input.addEventListener("input", show);
  input.addEventListener("change", show);
  show();

  const check = () => {
    const r = read();
    if (r.problem) {
      wrong.textContent = r.problem;
      input.setCustomValidity(r.problem);
      input.reportValidity();
      return undefined;
    }
    return r.value;
  };
  return { echo, read, check };
}
