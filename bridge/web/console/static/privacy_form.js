// The facts of a privacy case as form controls, shared by the report form (/privacy) and the
// case page (/privacy/{id}): every field the API accepts (bridge/core/privacy.py EDITABLE), with
// the enumerations the server put in the page data (page.choices). values() reads what the
// API expects (RFC 3339 times, lists, whole numbers, true/false/null); changed() only the
// fields a person altered since the form was built; check() first (a time half typed, or typed
// in an hour that happens twice and not chosen, is said at its field). Times are wall times in the
// console's zone (time_field.js), never the browser's.
import { el, page, ZONE } from "./console.js";
import { zonedTime } from "./time_field.js";

const LABELS = {
  breach: "breach (personal data affected)",
  risk: "risk (a particular risk of a breach)",
  SE: "Sweden (PTS)",
  NO: "Norway (Nkom)",
  loss: "loss",
  theft: "theft",
  copying: "copying",
  unauthorised_access: "unauthorised access",
  unauthorised_disclosure: "unauthorised disclosure",
  alteration: "alteration",
  destruction: "destruction",
  other: "other",
  content: "content of communications",
  subscriber: "subscriber data",
  traffic: "traffic data",
  location: "location data",
  no_adverse_effect: "no adverse effect on the subscribers",
  data_unreadable: "data unreadable to outsiders",
  not_a_breach: "not a breach",
  handled: "handled",
};
export const label = (value) => LABELS[value] || value;

// key, label, kind (time | flag | choice | choices | text | count | tristate), enumeration
export const FIELDS = [
  { key: "detected_at", label: "Detected at", kind: "time", required: true, help: "every deadline counts from it" },
  { key: "occurred_at", label: "Occurred at", kind: "time" },
  { key: "occurred_estimated", label: "The time it occurred is an estimate", kind: "flag" },
  { key: "nature", label: "Nature", kind: "choice", choices: "natures" },
  { key: "jurisdictions", label: "Jurisdictions", kind: "choices", choices: "jurisdictions", help: "at least one" },
  { key: "circumstances", label: "Circumstances", kind: "choices", choices: "circumstances" },
  { key: "circumstances_text", label: "Circumstances in words", kind: "text" },
  { key: "description", label: "What happened", kind: "text" },
  { key: "location", label: "Where (physical location, storage media)", kind: "text" },
  { key: "causes", label: "Causes", kind: "text" },
  { key: "consequences", label: "Likely consequences", kind: "text" },
  { key: "data_categories", label: "Data categories", kind: "choices", choices: "data_categories" },
  { key: "data_description", label: "The data concerned", kind: "text" },
  { key: "affected", label: "Number of subscribers or users affected", kind: "count" },
  { key: "measures_taken", label: "Measures taken", kind: "text" },
  { key: "measures_planned", label: "Measures planned", kind: "text" },
  { key: "recurrence_prevention", label: "Measures so that it does not happen again", kind: "text", help: "PTS's report asks for it" },
  { key: "services", label: "Services concerned", kind: "text", help: "Nkom's varsel asks which ekom services are affected" },
  { key: "recommended_actions", label: "What subscribers should do", kind: "text", help: "the subscriber notices say it, in plain words" },
  { key: "other_providers", label: "Other providers involved", kind: "text" },
  { key: "cross_border", label: "Cross-border aspects", kind: "text" },
  { key: "unreadable", label: "Was the data unreadable to outsiders (e.g. encrypted)?", kind: "tristate" },
  { key: "unreadable_how", label: "How was it made unreadable?", kind: "text" },
];

function control(prefix, f, value, disabled) {
  const id = `${prefix}-${f.key}`;
  const help = f.help ? el("span", { class: "why" }, f.help) : null;
  if (f.kind === "choices") {
    const options = (page.choices[f.choices] || []).map((c) =>
      el("label", { class: "check" }, el("input", { type: "checkbox", id: `${id}-${c}`, name: f.key, value: c, checked: (value || []).includes(c), disabled }), " ", label(c)),
    );
    const node = el("fieldset", { id, class: "choices" }, el("legend", {}, f.label, help), options);
    return { node, get: () => options.map((o) => o.querySelector("input")).filter((i) => i.checked).map((i) => i.value) };
  }
  if (f.kind === "flag") {
    const input = el("input", { type: "checkbox", id, checked: Boolean(value), disabled });
    return { node: el("label", { class: "check", for: id }, input, " ", f.label), get: () => input.checked };
  }
  let input;
  let get;
  let time = null;
  if (f.kind === "time") {
    input = el("input", { type: "datetime-local", id, step: "1", required: f.required, disabled });
    time = zonedTime(input, { empty: "not given", initial: value });
    get = () => time.read().value ?? null;
  } else if (f.kind === "choice") {
    input = el("select", { id, disabled }, (page.choices[f.choices] || []).map((c) => el("option", { value: c, selected: c === value }, label(c))));
    get = () => input.value;
  } else if (f.kind === "count") {
    input = el("input", { type: "number", id, min: "0", step: "1", value: value === null || value === undefined ? "" : String(value), disabled });
    get = () => (input.value === "" ? null : Number(input.value));
  } else if (f.kind === "tristate") {
    const current = value === true ? "yes" : value === false ? "no" : "";
    input = el("select", { id, disabled }, [["", "not known"], ["yes", "yes"], ["no", "no"]].map(([v, t]) => el("option", { value: v, selected: v === current }, t)));
    get = () => (input.value === "yes" ? true : input.value === "no" ? false : null);
  } else {
    input = el("textarea", { id, rows: 2, disabled }, value || "");
    get = () => input.value;
  }
  const zone = time ? el("span", { class: "why" }, ZONE) : null;
  return { node: el("div", { class: "field" }, el("label", { for: id }, f.label, help, zone), input, time ? time.echo : null), get, check: () => !time || time.check() !== undefined };
}

// The controls for `values` (a case document, or {} for a new report); disabled: read only.
export function factsControls(prefix, values, disabled = false) {
  const controls = FIELDS.map((f) => ({ f, ...control(prefix, f, values[f.key], disabled) }));
  const initial = Object.fromEntries(controls.map((c) => [c.f.key, JSON.stringify(c.get())]));
  return {
    nodes: controls.map((c) => c.node),
    // every time readable; else false, its problem shown at the first that is not
    check() {
      return controls.every((c) => !c.check || c.check());
    },
    // every field with a value (a new report names only what it knows; nature and
    // jurisdictions always, so an empty choice is refused by name rather than defaulted)
    values() {
      const out = {};
      for (const { f, get } of controls) {
        const v = get();
        const empty = v === null || v === "" || (f.kind === "flag" && !v) || (Array.isArray(v) && !v.length);
        if (!empty || f.key === "jurisdictions" || f.key === "nature") out[f.key] = v;
      }
      return out;
    },
    // the fields whose value differs from the one the form was built with
    changed() {
      const out = {};
      for (const { f, get } of controls) {
        const v = get();
        if (JSON.stringify(v) !== initial[f.key]) out[f.key] = v;
      }
      return out;
    },
  };
}
