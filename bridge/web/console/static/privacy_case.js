// One privacy case (viewer:privacy): its facts (editable by editor:privacy, based on the
// revision the page loaded: a 409 says someone changed it and reloads), close/reopen, what it
// owes with deadlines counting down in the regulator's local time, its drafts (the draft editor
// approves them: approver:privacy), the exemption from notifying subscribers (approver:privacy,
// confirmed in a dialog), how each subscriber notice handed to the operator's address reached
// the subscribers (recorded by editor:privacy with a fresh second factor, in a dialog, as a
// portal submission is), and the history of revisions (who changed which fields).
import { api, ApiError, can, CODE_HINT, confirmDialog, confirmWithCode, el, fill, live, localTime, obligationsTable, page, regulatorName, reportName, showError, zoneOfJurisdiction } from "./console.js";
import { factsControls, label } from "./privacy_form.js";
import { zonedTime } from "./time_field.js";

const root = document.getElementById("case");
const id = page.case;
const url = `/api/v1/privacy/cases/${encodeURIComponent(id)}`;
let doc = null; // the detail last fetched
let facts = null; // the facts controls built for doc.revision
let dirty = false; // facts edited and not saved
let message = null;

function say(kind, text) {
  message = { kind, text };
  const box = document.getElementById("case-message");
  if (box) fill(box, el("div", { class: kind, role: kind === "error" ? "alert" : "status" }, text));
}

async function act(call, done) {
  try {
    const d = await call();
    dirty = false;
    say("notice", done(d));
    render(d);
  } catch (e) {
    if (e instanceof ApiError && e.status === 409) {
      dirty = false;
      say("error", `Someone changed this case meanwhile: reloaded with their changes. Make your change again. (${e.message})`);
      await refresh(null);
      return;
    }
    say("error", e instanceof ApiError ? `Refused (${e.status}): ${e.message}` : String(e));
  }
}

function factsSection(d) {
  const mayEdit = can("editor", "privacy");
  facts = factsControls("fact", d.case, !mayEdit);
  const save = () => {
    if (!facts.check()) return;
    const fields = facts.changed();
    if (!Object.keys(fields).length) { say("notice", "Nothing changed."); return; }
    act(() => api(url, { method: "PATCH", body: { revision: d.revision, fields } }), (x) => `Saved as revision ${x.revision} (${Object.keys(fields).join(", ")}).`);
  };
  return el(
    "section",
    { id: "facts" },
    el("h2", {}, "Facts"),
    el("p", { class: "why" }, `Revision ${d.revision}. Times in ${zoneOfJurisdiction(d.jurisdictions)}.`),
    // an alert's own words are kept from subscribers until a person saves "What happened"
    (d.alert_texts || []).includes("description")
      ? el("ul", { class: "warnings", id: "alert-text" }, el("li", {}, "⚠ “What happened” is still the alert's own text. The reports to PTS and Nkom start from it; the notices to subscribers leave it out until a person writes it here in plain words and saves it."))
      : null,
    el(
      "form",
      { id: "facts-form", class: "facts", oninput: () => { dirty = true; }, onchange: () => { dirty = true; }, onsubmit: (e) => { e.preventDefault(); save(); } },
      facts.nodes,
      el(
        "div",
        { class: "actions" },
        el("button", { type: "submit", id: "save-facts", disabled: !mayEdit }, `Save as revision ${d.revision + 1}`),
        mayEdit ? null : el("span", { class: "why", id: "save-facts-why" }, "your roles do not include editor on the privacy track"),
      ),
    ),
  );
}

function draftsTable(d) {
  if (!d.drafts.length) return el("p", { class: "empty" }, "No drafts.");
  return el(
    "table",
    { id: "case-drafts" },
    el("thead", {}, el("tr", {}, ["Regulator", "Report", "State", "Version", "Approved by", "Sent"].map((h) => el("th", {}, h)))),
    el(
      "tbody",
      {},
      d.drafts.map((x) =>
        el(
          "tr",
          { dataset: { draft: x.id, kind: x.kind } },
          el("td", {}, regulatorName(x.regulator)),
          el("td", {}, el("a", { href: `/drafts/${encodeURIComponent(x.id)}` }, reportName(x.regulator, x.kind))),
          el("td", {}, el("span", { class: "pill state" }, x.state)),
          el("td", {}, `v${x.version}`),
          el("td", {}, x.approved ? x.approved.by : "—"),
          el("td", {}, x.sent_at ? localTime(x.sent_at, zoneOfJurisdiction(d.jurisdictions)) : "—"),
        ),
      ),
    ),
  );
}

function exemptionSection(d) {
  const approver = can("approver", "privacy");
  const e = d.case.exemption;
  const zone = zoneOfJurisdiction(d.jurisdictions);
  const current = e
    ? el("p", { id: "exemption-current" }, `Recorded: ${label(e.reason)}, by ${e.by}, ${localTime(e.at, zone)}.`, e.comment ? ` Comment: ${e.comment}` : "")
    : el("p", { id: "exemption-current", class: "empty" }, "None: the subscribers are to be notified.");
  const why = approver ? null : el("span", { class: "why", id: "exemption-why" }, "your roles do not include approver on the privacy track");
  if (e) {
    const withdraw = async () => {
      const answer = await confirmWithCode("Withdraw the exemption?", "Withdraw", "The notices to subscribers are owed again, with their deadlines.");
      if (!answer) return;
      const code = answer.totp ? { totp: answer.totp } : {};
      act(() => api(`${url}/exemption`, { method: "POST", body: { revision: d.revision, reason: null, ...code } }), () => "Exemption withdrawn.");
    };
    return el("section", { id: "exemption" }, el("h2", {}, "Exemption from notifying subscribers"), current,
      el("div", { class: "actions" }, el("button", { type: "button", id: "withdraw-exemption", class: "danger", disabled: !approver, onclick: withdraw }, "Withdraw exemption…"), why));
  }
  const reason = el("select", { id: "exemption-reason", disabled: !approver }, page.choices.exemption_reasons.map((r) => el("option", { value: r }, label(r))));
  const comment = el("textarea", { id: "exemption-comment", rows: 2, disabled: !approver });
  const record = async (ev) => {
    ev.preventDefault();
    const question = `Record the exemption (${label(reason.value)})?`;
    const answer = await confirmWithCode(question, "Record exemption", "It waives the subscriber notices of the jurisdictions whose rules have this exemption (Sweden: Regulation (EU) 611/2013, with the copy to PTS). Norway's rule has none: a Norwegian subscriber notice stays owed.");
    if (!answer) return;
    const code = answer.totp ? { totp: answer.totp } : {};
    act(() => api(`${url}/exemption`, { method: "POST", body: { revision: d.revision, reason: reason.value, comment: comment.value, ...code } }), () => `Exemption recorded: ${label(reason.value)}.`);
  };
  return el(
    "section",
    { id: "exemption" },
    el("h2", {}, "Exemption from notifying subscribers"),
    current,
    el("form", { id: "exemption-form", onsubmit: record },
      el("label", { for: "exemption-reason" }, "Reason"), reason,
      el("label", { for: "exemption-comment" }, "Comment"), comment,
      el("div", { class: "actions" }, el("button", { type: "submit", id: "record-exemption", disabled: !approver }, "Record exemption…"), why)),
  );
}

const CHANNEL_WORDS = { email: "e-mail", sms: "SMS", letter: "letter", web: "web" };

// Each subscriber notice the bridge handed to the operator's address: how it reached the
// subscribers, or that it is not yet recorded (PTS asks for reasonable steps to make sure it
// does), with a form to record it.
function distributionSection(d) {
  const items = d.distribution || [];
  if (!items.length) return null;
  const editor = can("editor", "privacy");
  const zone = zoneOfJurisdiction(d.jurisdictions);
  return el(
    "section",
    { id: "distribution" },
    el("h2", {}, "Reaching the subscribers"),
    items.map((x) => {
      const r = x.record;
      const said = r
        ? el("p", { class: "distribution-state", dataset: { state: x.state } },
          `Went out ${localTime(r.went_out_at, zone)} by ${r.channels.map((c) => CHANNEL_WORDS[c] || c).join(", ")}: reached ${r.reached}, not reached ${r.unreached}`,
          r.unreached_action ? ` (${r.unreached_action})` : "", `. Handed to ${r.handed_to} ${localTime(r.handed_at, zone)}; recorded by ${r.by} ${localTime(r.recorded_at, zone)}.`,
          r.comment ? ` Comment: ${r.comment}` : "")
        : el("p", { class: "distribution-state warnings", dataset: { state: x.state } }, `⚠ ${reportName(x.regulator, x.kind)}: ${x.words} (${localTime(x.handed_at, zone)}).`);
      return el("div", { class: "distribution", dataset: { kind: x.kind } }, said,
        el("div", { class: "actions" },
          el("button", { type: "button", id: `record-distribution-${x.kind}`, disabled: !editor, onclick: () => recordDistribution(d, x) }, r ? "Record it again…" : "Record the distribution…"),
          editor ? null : el("span", { class: "why" }, "your roles do not include editor on the privacy track")));
    }),
  );
}

function recordDistribution(d, x) {
  const boxes = Object.entries(CHANNEL_WORDS).map(([value, words]) => el("label", { class: "check" }, el("input", { type: "checkbox", name: "distribution-channel", id: `distribution-channel-${value}`, value }), ` ${words}`));
  const when = el("input", { type: "datetime-local", id: "distribution-at", required: true });
  const whenTime = zonedTime(when);
  const reached = el("input", { type: "number", id: "distribution-reached", min: "0", step: "1", required: true });
  const unreached = el("input", { type: "number", id: "distribution-unreached", min: "0", step: "1", required: true, value: "0" });
  const action = el("textarea", { id: "distribution-unreached-action", rows: 2 });
  const comment = el("textarea", { id: "distribution-comment", rows: 2 });
  const code = el("input", { id: "distribution-totp", inputmode: "numeric", autocomplete: "one-time-code", maxlength: "7", size: "8" });
  const problem = el("div", { id: "distribution-problem", role: "alert" });
  const dialog = el(
    "dialog",
    { class: "confirm", id: "distribution-dialog" },
    el("h2", {}, `How did ${reportName(x.regulator, x.kind)} reach the subscribers?`),
    el("p", {}, `It was handed to ${x.handed_to} ${localTime(x.handed_at, zoneOfJurisdiction(d.jurisdictions))} for distribution.`),
    el("fieldset", {}, el("legend", {}, "Channels"), boxes),
    el("label", { for: "distribution-at" }, "Went out at"), when, whenTime.echo,
    el("label", { for: "distribution-reached" }, "Subscribers reached"), reached,
    el("label", { for: "distribution-unreached" }, "Subscribers who could not be reached"), unreached,
    el("label", { for: "distribution-unreached-action" }, "What was done for those not reached (required when any)"), action,
    el("label", { for: "distribution-comment" }, "Comment (optional)"), comment,
    el("label", { for: "distribution-totp" }, CODE_HINT), code,
    problem,
    el("div", { class: "actions" },
      el("button", { type: "button", id: "distribution-yes", class: "danger", onclick: () => {
        const at = whenTime.check();
        if (at === undefined) return; // said at the field; the dialog stays
        const body = {
          revision: d.revision,
          kind: x.kind,
          channels: boxes.map((b) => b.querySelector("input")).filter((i) => i.checked).map((i) => i.value),
          went_out_at: at,
          reached: reached.value === "" ? null : Number(reached.value),
          unreached: unreached.value === "" ? null : Number(unreached.value),
          unreached_action: action.value,
          comment: comment.value,
          ...(code.value.trim() ? { totp: code.value.trim() } : {}),
        };
        dialog.close();
        act(() => api(`${url}/distribution`, { method: "POST", body }), () => `Distribution recorded: reached ${body.reached}, not reached ${body.unreached}.`);
      } }, "Record distribution"),
      el("button", { type: "button", id: "distribution-no", class: "quiet", onclick: () => dialog.close() }, "Cancel")),
  );
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

// A case opened under every jurisdiction (the alert's label named none the bridge knows): what
// the label said, and a way to keep the jurisdictions it has (setting others: the facts form).
function attentionBox(d) {
  if (!d.attention) return null;
  const editor = can("editor", "privacy");
  const keep = async () => {
    const those = d.jurisdictions.join(", ");
    if (!(await confirmDialog(`Keep ${those}?`, "Keep", `The case stays owed to the regulators of ${those}.`))) return;
    act(() => api(url, { method: "PATCH", body: { revision: d.revision, fields: { jurisdictions: d.jurisdictions } } }), () => `Jurisdictions set: ${those}.`);
  };
  return el(
    "div",
    { class: "error", role: "alert", id: "case-attention" },
    d.attention,
    ` The alert said: “${d.case.jurisdiction_unrecognised}”. Set the jurisdictions under Facts, or `,
    el("button", { type: "button", id: "keep-jurisdictions", class: "quiet", disabled: !editor, onclick: keep }, `keep ${d.jurisdictions.join(", ")}`),
    editor ? null : el("span", { class: "why" }, "your roles do not include editor on the privacy track"),
  );
}

// Closing asks what was found (page.choices.outcomes) and why, in the person's words: both are
// required by the API, kept on the case, in its register row and in the audit entry.
function closeDialog() {
  return new Promise((resolve) => {
    const outcome = el("select", { id: "close-outcome", required: true }, page.choices.outcomes.map((o) => el("option", { value: o }, label(o))));
    const reason = el("textarea", { id: "close-reason", rows: 3, required: true });
    let answered = false;
    const answer = (value) => { if (!answered) { answered = true; resolve(value); } };
    const dialog = el(
      "dialog",
      { class: "confirm", id: "close-dialog" },
      el(
        "form",
        { onsubmit: (e) => { e.preventDefault(); answer({ outcome: outcome.value, reason: reason.value.trim() }); dialog.close(); } },
        el("h2", {}, "Close this case?"),
        el("p", {}, "It stays in the register and keeps what it owes. The outcome and the reason are kept with it and in the audit log: write the reason without personal data."),
        el("label", { for: "close-outcome" }, "Outcome"), outcome,
        el("label", { for: "close-reason" }, "Reason (required)"), reason,
        el(
          "div",
          { class: "actions" },
          el("button", { type: "submit", id: "close-yes", class: "danger" }, "Close"),
          el("button", { type: "button", id: "close-no", class: "quiet", onclick: () => { answer(null); dialog.close(); } }, "Cancel"),
        ),
      ),
    );
    reason.addEventListener("input", () => reason.setCustomValidity(reason.value.trim() ? "" : "Say why the case is closed."));
    reason.setCustomValidity("Say why the case is closed.");
    dialog.addEventListener("close", () => { dialog.remove(); answer(null); });
    document.body.append(dialog);
    dialog.showModal();
  });
}

function stateButton(d) {
  const editor = can("editor", "privacy");
  const to = d.state === "open" ? "closed" : "open";
  const change = async () => {
    if (to === "closed") {
      const closing = await closeDialog();
      if (!closing) return;
      act(() => api(`${url}/state`, { method: "POST", body: { revision: d.revision, state: to, ...closing } }), (x) => `The case is ${x.state} (${label(x.outcome)}).`);
      return;
    }
    if (!(await confirmDialog("Reopen this case?", "Reopen", "It stays in the register and keeps what it owes; its outcome and reason are cleared (the audit log keeps them)."))) return;
    act(() => api(`${url}/state`, { method: "POST", body: { revision: d.revision, state: to } }), (x) => `The case is ${x.state}.`);
  };
  return el("button", { type: "button", id: "set-state", class: "quiet", disabled: !editor, onclick: change }, to === "closed" ? "Close case…" : "Reopen case…");
}

// A closed case: what the person found, why, who and when.
function closureNote(d) {
  const c = d.case.closure;
  if (!c) return null;
  return el("p", { id: "case-closure" }, `Closed: ${label(c.outcome)}, by ${c.by}, ${localTime(c.at, zoneOfJurisdiction(d.jurisdictions))}. Reason: ${c.reason}`);
}

function history(d) {
  const zone = zoneOfJurisdiction(d.jurisdictions);
  return el(
    "section",
    { id: "history" },
    el("h2", {}, "Revisions"),
    el(
      "table",
      { id: "history-table" },
      el("thead", {}, el("tr", {}, ["Revision", "When (local)", "Who", "What", "Fields"].map((h) => el("th", {}, h)))),
      el("tbody", {}, [...d.case.history].reverse().map((c) => el("tr", { dataset: { revision: c.revision } }, el("td", { class: "num" }, c.revision), el("td", {}, localTime(c.at, zone)), el("td", {}, c.actor), el("td", {}, c.action), el("td", {}, c.fields.join(", "))))),
    ),
  );
}

function render(d) {
  const keep = dirty && doc && document.getElementById("facts");
  const moved = keep && doc.revision !== d.revision;
  const factsNode = keep ? document.getElementById("facts") : factsSection(d);
  if (!keep) doc = d;
  const zone = zoneOfJurisdiction(d.jurisdictions);
  fill(
    root,
    el("h1", {}, `Privacy case ${d.id}`),
    el(
      "p",
      { class: "meta" },
      el("span", { class: "pill state", id: "case-state" }, d.state), " ",
      `${label(d.nature)} · ${d.jurisdictions.join(", ")} · detected ${localTime(d.detected_at, zone)} · opened by ${d.case.created_by}${d.source === "alert" ? " (from an alert)" : ""} · revision ${d.revision} `,
      stateButton(d),
    ),
    closureNote(d),
    attentionBox(d),
    el("div", { id: "case-message" }, message ? el("div", { class: message.kind, role: message.kind === "error" ? "alert" : "status" }, message.text) : null),
    moved ? el("div", { class: "error" }, `This case changed meanwhile (now revision ${d.revision}); saving your edits will be refused until you reload.`) : null,
    el("h2", {}, "Reports owed"),
    obligationsTable(d.obligations, d.drafts),
    el("h2", {}, "Drafts"),
    draftsTable(d),
    distributionSection(d),
    exemptionSection(d),
    factsNode,
    history(d),
  );
  root.dataset.loaded = "1";
  root.dataset.revision = String(d.revision);
}

async function refresh(change) {
  if (change && !change.drafts.some((x) => x.startsWith(`${id}.`)) && !(change.privacy || []).includes(id)) return;
  render(await api(url));
}

refresh(null).catch((e) => showError(root, e));
live(refresh);
