// Draft editor: fields (editor role), the preview exactly as the regulator receives it, the
// versions and their diff, approve (with a confirmation naming regulator, recipient and
// version) or reject (with a reason), and settling a message in doubt. Buttons the person's
// roles or the draft's state do not allow are disabled with the reason; the API decides anyway.
import { fill, api, ApiError, can, CODE_HINT, confirmWithCode, countdown, el, holdEdits, incidentName, live, localTime, page, regulatorName, reportName, sessionEnded, showError, stateWords, zoneOf, ZONE } from "./console.js";
import { zonedTime } from "./time_field.js";
import { serverNow } from "./clock.js";

const root = document.getElementById("draft");
const id = page.draft;
const EDITABLE = ["draft", "approved", "held", "rejected", "failed"];
const APPROVABLE = ["draft", "held"];
const REJECTABLE = ["draft", "approved", "held", "failed"];

let draft = null; // the detail last fetched
// The detail the fields were filled from: the version and state the person is editing. A save
// names them (PATCH version + state), so an edit begun before a colleague saved or approved is
// refused by the API (409) instead of overwriting that save or withdrawing that approval.
let base = null;
let dirty = false; // fields edited and not saved
let message = null; // {kind: "notice"|"error", text, holds(d)}: dropped once it no longer holds
let compared = null; // [from, to]: the versions the person last compared, shown again on redraw
let owed = null; // the deadline queue's item of this draft (due time, state), if it owes one
let caseName = null; // "#2 Fiberbrudd Oslo" (outage incidents; a privacy case: its id)
let offered = null; // unsaved edits kept in this tab from before a reload or sign-in, offered back

// Unsaved edits survive a reload or a sign-in in this tab in sessionStorage (gone with the tab),
// under the draft's id, with the version and state they were typed on and the person's name:
// offered back to that person only. Never for a privacy draft: its fields hold personal data,
// which must not outlive the page on a shared workstation; those edits live on the page only
// (the page never leaves them by itself, and asks before a reload or close).
const STORE = `bridge.draft-edits:${id}`;
const me = page.user ? page.user.name : "";

// The page of what the draft reports on: an outage incident, or a privacy case.
function caseUrl(d) {
  return `/${d.track === "privacy" ? "privacy" : "incidents"}/${encodeURIComponent(d.incident)}`;
}

// What a version and state of the draft look like, to tell a message still about them.
function stamp(d) {
  return d ? `${d.latest.number}/${d.state}` : "";
}

// A message beside the draft; `holds(d)`: whether it is still true of the draft `d` shown (by
// default: while its version and state are those of now). A redraw drops one that no longer holds.
function say(kind, text, holds = null) {
  const now = stamp(draft);
  message = { kind, text, holds: holds || ((d) => stamp(d) === now) };
  const box = document.getElementById("message");
  if (box) fill(box, messageBox());
}

function messageBox() {
  return message ? el("div", { class: message.kind, role: message.kind === "error" ? "alert" : "status" }, message.text) : null;
}

// The fields the person changed from what they were editing (key → text as typed).
function edits() {
  const changed = {};
  if (!base) return changed;
  for (const f of base.latest.fields) {
    const box = document.getElementById(`field-${f.key}`);
    if (box && box.value !== f.value) changed[f.key] = box.value;
  }
  return changed;
}

function storable() {
  return draft && draft.track !== "privacy" && me;
}

function remember() {
  if (!storable()) return;
  const typed = edits();
  try {
    if (Object.keys(typed).length) {
      sessionStorage.setItem(STORE, JSON.stringify({ user: me, version: base.latest.number, state: base.state, fields: typed }));
    } else {
      sessionStorage.removeItem(STORE);
    }
  } catch { /* storage full or refused: the text stays on the page */ }
}

function forget() {
  try { sessionStorage.removeItem(STORE); } catch { /* nothing kept */ }
}

function stored() {
  try {
    const kept = JSON.parse(sessionStorage.getItem(STORE) || "null");
    return kept && kept.user === me && kept.fields && Object.keys(kept.fields).length ? kept : null;
  } catch {
    return null;
  }
}

function typing() {
  offered = null; // typing anew: what this tab kept is replaced by what is typed now
  dirty = Object.keys(edits()).length > 0;
  remember();
}

function button(label, { id: bid, allowed, why, onclick, cls }) {
  return el(
    "span",
    {},
    el("button", { type: "button", id: bid, class: cls, disabled: !allowed, onclick }, label),
    allowed ? null : el("span", { class: "why", id: `${bid}-why` }, why),
  );
}

// What a notice to subscribers must state (the field's `required`) is never sent as "not yet
// known": still empty, it must be written before approval; written, it must stay so.
const MUST_STATE = "a notice to subscribers must state it";

function fieldTag(f, d) {
  if (f.to_complete && f.required) {
    return el("span", { class: "tag required", title: `${MUST_STATE}: it cannot be sent as "${d.latest.placeholder}"` }, "required: write it before approval");
  }
  if (f.to_complete) return el("span", { class: "tag" }, "to complete");
  if (f.to_review) return el("span", { class: "tag review", title: f.review_note }, "to review");
  return f.required ? el("span", { class: "why", title: `${MUST_STATE}: it cannot be sent as "${d.latest.placeholder}"` }, "required") : null;
}

// The labels of `keys`, in their order ("Vad har hänt?, Vad gör vi?").
function labelsOf(d, keys) {
  const labels = Object.fromEntries(d.latest.fields.map((f) => [f.key, f.label]));
  return keys.map((key) => labels[key] || key).join(", ");
}

// Why the draft cannot be approved yet, while a field it must state is still empty; else null.
function mustWrite(d) {
  return d.must_complete.length
    ? `Cannot be approved yet: write ${labelsOf(d, d.must_complete)} first (a notice to subscribers must state them; they are never sent as "${d.latest.placeholder}").`
    : null;
}

// The fields of `d`, each holding `typed[key]` where the person typed one (re-applied edits);
// `also[key]`: the field was changed meanwhile by someone else too (shown beside it).
function fieldsForm(d, typed = {}, also = {}) {
  const mayEdit = can("editor", d.track);
  const editable = mayEdit && EDITABLE.includes(d.state);
  const why = !mayEdit ? `your roles do not include editor on the ${d.track} track` : `a ${d.state} draft cannot be edited`;
  const form = el(
    "form",
    { id: "fields", onsubmit: (e) => { e.preventDefault(); save(); } },
    d.latest.fields.map((f) => {
      const value = f.key in typed ? typed[f.key] : f.value;
      return el(
        "div",
        { class: `field${f.to_complete ? " to-complete" : ""}${f.key in also ? " collided" : ""}` },
        el("label", { for: `field-${f.key}` }, f.label, fieldTag(f, d), f.edited ? el("span", { class: "why" }, "edited") : null, f.hint ? el("span", { class: "why" }, f.hint) : null, f.to_review ? el("span", { class: "why" }, f.review_note) : null),
        f.key in also ? el("p", { class: "error", id: `also-${f.key}` }, `Also changed meanwhile, to: “${f.value}”. Your text is below: check it before saving.`) : null,
        el("textarea", { id: `field-${f.key}`, name: f.key, rows: Math.min(8, Math.max(2, Math.ceil((value || "").length / 70))), disabled: !editable, oninput: typing }, value),
      );
    }),
    el("div", { class: "actions" }, button(`Save as version ${d.latest.number + 1}`, { id: "save", allowed: editable, why, cls: "" })),
  );
  return form;
}

// A report owed to no regulator (its law was repealed before the incident began): where it goes.
const KEPT_NOTE = "— no one: kept internally, not sent (owed to no regulator: the duty behind it was repealed) —";
function recipientWords(d) {
  if (d.channel === "portal") return "— the regulator's portal: a person submits it —";
  if (d.channel === "internal") return KEPT_NOTE;
  return d.latest.recipient || "— no recipient configured —";
}

function preview(d) {
  const v = d.latest;
  const portal = d.channel === "portal";
  const internal = d.channel === "internal" || Boolean(v.repealed);
  const attachment = d.regulator === "pts" || portal
    ? el("a", { href: `/api/v1/drafts/${encodeURIComponent(d.id)}/attachment`, id: "attachment" }, d.regulator === "pts" ? "report (DOCX)" : "report (HTML, to keep or upload)")
    : el("span", { class: "why" }, "none");
  return el(
    "section",
    { class: "preview", id: "preview" },
    el("h2", {}, internal
      ? `Preview of version ${v.number}: an internal report, not sent to ${regulatorName(d.regulator)}`
      : `Preview of version ${v.number}: what ${regulatorName(d.regulator)} receives`),
    v.repealed ? el("p", { class: "why", id: "repealed-note" }, v.repealed) : null,
    portal ? el("p", { class: "why", id: "portal-note" }, "Submitted by a person on the regulator's portal: copy the text below (or the document) into the portal once approved, then record the submission here. Only then is the deadline met.") : null,
    el("dl", {}, el("dt", {}, "To"), el("dd", { id: "preview-to" }, d.channel === "internal" ? KEPT_NOTE : v.recipient || "— no recipient configured —"), el("dt", {}, "Subject"), el("dd", { id: "preview-subject" }, v.subject), el("dt", {}, "Attachment"), el("dd", {}, attachment)),
    el("h3", {}, "Text part"),
    el("pre", { id: "preview-text" }, v.text),
    el("h3", {}, "HTML part"),
    // srcdoc + an empty sandbox: the notice's HTML is shown, nothing in it can run or navigate
    el("iframe", { id: "preview-html", sandbox: "", srcdoc: v.html, title: "HTML part of the notice" }),
  );
}

function actions(d) {
  const approver = can("approver", d.track);
  const role = `your roles do not include approver on the ${d.track} track`;
  const approvable = approver && APPROVABLE.includes(d.state);
  const parts = [
    button(`Approve version ${d.latest.number}…`, { id: "approve", allowed: approvable, why: approver ? `a ${d.state} draft cannot be approved` : role, onclick: confirmApprove }),
    // the dialog it opens says the same and offers no approval until they are written
    approvable && mustWrite(d) ? el("span", { class: "why", id: "approve-why" }, mustWrite(d)) : null,
    button("Reject…", { id: "reject", cls: "quiet", allowed: approver && REJECTABLE.includes(d.state), why: approver ? `a ${d.state} draft cannot be rejected` : role, onclick: confirmReject }),
  ];
  if (d.channel === "portal" && d.state === "approved") {
    parts.push(button("Record the portal submission…", { id: "record-submission", allowed: approver, why: role, onclick: recordSubmission }));
  }
  if (d.state === "in_doubt" && d.left_after_backup) {
    const c = d.left_after_backup;
    parts.push(
      el("span", { class: "error" }, `Sent after the backup the store was restored from: version ${c.version} at ${c.at} to ${c.recipient || "?"}, Message-ID ${c.message_id || "-"}. The store did not know.`),
      button("Mark as sent with that copy", { id: "mark-sent", allowed: approver, why: role, onclick: () => resolve("mark_sent", "Mark as sent with that copy (its time and Message-ID)?") }),
      button("Send it again knowingly…", { id: "resend", cls: "quiet", allowed: approver, why: role, onclick: () => resolve("resend", "It left already. Send it again knowingly? It goes back to draft, to be approved.") }),
    );
  } else if (d.state === "in_doubt") {
    parts.push(
      el("span", { class: "error" }, "The relay's answer was lost: the regulator may or may not have this message."),
      button("Resend (same Message-ID)", { id: "resend", allowed: approver, why: role, onclick: () => resolve("resend") }),
      button("Mark as sent", { id: "mark-sent", cls: "quiet", allowed: approver, why: role, onclick: () => resolve("mark_sent") }),
    );
  }
  return el("div", { class: "actions", id: "actions" }, parts);
}

function versions(d) {
  const options = () => d.versions.map((v) => el("option", { value: v.number }, `v${v.number}`));
  const from = el("select", { id: "diff-from" }, options());
  const to = el("select", { id: "diff-to" }, options());
  // a redraw (a live refresh, often the echo of the person's own save) keeps the comparison
  // the person asked for on screen instead of dropping it
  const numbers = d.versions.map((v) => String(v.number));
  const keep = compared !== null && compared.every((n) => numbers.includes(n));
  from.value = keep ? compared[0] : String(Math.max(1, d.latest.number - 1));
  to.value = keep ? compared[1] : String(d.latest.number);
  const out = el("div", { id: "diff", class: "diff" });
  const show = async () => {
    compared = [from.value, to.value];
    try {
      const diff = await api(`/api/v1/drafts/${encodeURIComponent(d.id)}/diff?from=${from.value}&to=${to.value}`);
      fill(out, 
        diff.fields.length
          ? el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "Field"), el("th", {}, `v${diff.from}`), el("th", {}, `v${diff.to}`), el("th", {}, "Changed in"))),
              el("tbody", {}, diff.fields.map((f) => el("tr", {}, el("td", {}, f.label), el("td", {}, el("del", {}, f.old)), el("td", {}, el("ins", {}, f.new)),
                // which version gave the field its new value, who (a person, or the bridge's own refresh from the incident) and when
                el("td", { class: "changed-by" }, f.version ? `v${f.version} · ${f.by} · ${localTime(f.at, zoneOf(d.regulator))}` : "")))))
          : el("p", { class: "empty" }, "No field differs."),
        diff.text ? el("pre", {}, diff.text.split("\n").map((line) => el(line.startsWith("+") ? "ins" : line.startsWith("-") ? "del" : "span", {}, line, "\n"))) : null,
      );
    } catch (e) { showError(out, e); }
  };
  const section = el(
    "section",
    { id: "versions" },
    el("h2", {}, "Versions"),
    el("table", {}, el("thead", {}, el("tr", {}, ["Version", "When", "By", "Why"].map((h) => el("th", {}, h)))),
      el("tbody", {}, d.versions.map((v) => el("tr", {}, el("td", {}, `v${v.number}`), el("td", {}, localTime(v.created_at, zoneOf(d.regulator))), el("td", {}, v.author), el("td", {}, v.reason || ""))))),
    d.versions.length > 1
      ? el("div", { class: "actions" }, el("label", { for: "diff-from" }, "Compare"), from, el("label", { for: "diff-to" }, "with"), to, el("button", { type: "button", id: "show-diff", class: "quiet", onclick: show }, "Show diff"))
      : null,
    out,
  );
  if (keep) show();
  return section;
}

// The archived copies of what was sent (GET …/sent): listed only when a person asks (each read
// is audited), kept on screen across live redraws; each file downloads the exact bytes.
let sentShown = location.hash === "#sent-copies";
let sentList = null; // the copies last read, or null
function sentCopies(d) {
  const zone = zoneOf(d.regulator);
  const out = el("div", { id: "sent-copies-list" });
  const draw = () => fill(out, sentList === null ? null : sentList.length
    ? el("table", {}, el("thead", {}, el("tr", {}, ["File (exact bytes)", "Version", "Handed over", "Accepted", "To", "Message-ID", "Size", "SHA-256"].map((h) => el("th", {}, h)))),
        el("tbody", {}, sentList.map((c) => el("tr", {},
          el("td", {}, el("a", { href: `/api/v1/drafts/${encodeURIComponent(d.id)}/sent/${encodeURIComponent(c.file)}`, class: "sent-file", download: c.file }, c.file)),
          el("td", {}, `v${c.version}`),
          el("td", {}, localTime(c.handed_over_at, zone)),
          el("td", {}, c.sent_at ? localTime(c.sent_at, zone) : "not known"),
          el("td", {}, c.recipient || ""),
          el("td", {}, el("code", {}, c.message_id || "")),
          el("td", {}, `${c.size} B`),
          el("td", {}, el("code", {}, c.sha256))))))
    : el("p", { class: "empty" }, "Nothing archived for this draft."));
  const load = async () => {
    sentShown = true;
    try { sentList = (await api(`/api/v1/drafts/${encodeURIComponent(d.id)}/sent`)).sent; draw(); } catch (e) { showError(out, e); }
  };
  if (sentShown && sentList === null) load(); else draw();
  return el("div", { id: "sent-copies" },
    el("div", { class: "actions" }, el("button", { type: "button", id: "show-sent", class: "quiet", onclick: load }, sentList === null ? "Show what was sent (archived copies)" : "Read the archived copies again"),
      el("span", { class: "why" }, "each read is audited")),
    out);
}

function delivery(d) {
  const zone = zoneOf(d.regulator);
  return el(
    "section",
    { id: "delivery" },
    el("h2", {}, "Delivery"),
    d.approved ? el("p", {}, `Approved: version ${d.approved.version} by ${d.approved.by}, ${localTime(d.approved.at, zone)}.`) : null,
    d.submission
      ? el("p", { id: "submission" }, `Submitted on the portal ${localTime(d.submission.at, zone)} by ${d.submission.by}, reference `, el("code", {}, d.submission.reference),
          d.submission.receipt ? [" · ", el("a", { href: `/api/v1/drafts/${encodeURIComponent(d.id)}/receipt` }, `receipt ${d.submission.receipt.name}`)] : null)
      : d.sent_at ? el("p", {}, `Sent ${localTime(d.sent_at, zone)}, Message-ID `, el("code", {}, d.message_id || "")) : null,
    d.delivery.next_attempt_at && d.state === "approved" ? el("p", {}, `Next attempt ${localTime(d.delivery.next_attempt_at, zone)}.`) : null,
    d.delivery.attempts.length
      ? el("ul", {}, d.delivery.attempts.map((a) => el("li", {}, `${localTime(a.at, zone)}: ${a.outcome} ${a.detail || ""}`)))
      : el("p", { class: "empty" }, "No delivery attempt yet."),
    d.sent_at || d.delivery.attempts.length ? sentCopies(d) : null,
  );
}

// The fields still to complete that the approver may send as not yet known.
function optional(d) {
  return d.to_complete.filter((key) => !d.must_complete.includes(key));
}

// What changed between the version and state the person is editing (`from`) and the draft now
// (`to`), with their edits kept: re-apply them on the new version, or discard them.
function conflictPanel(from, to) {
  const typed = edits();
  const labels = Object.fromEntries(to.latest.fields.map((f) => [f.key, f.label]));
  const before = Object.fromEntries(from.latest.fields.map((f) => [f.key, f.value]));
  const changed = to.latest.fields.filter((f) => before[f.key] !== f.value);
  const items = [];
  if (to.latest.number !== from.latest.number) {
    const made = to.versions.find((v) => v.number === to.latest.number);
    items.push(el("li", {}, `Version ${to.latest.number} was saved${made ? ` by ${made.author}, ${localTime(made.created_at, zoneOf(to.regulator))}` : ""}${changed.length ? ":" : " (no field differs)."}`,
      changed.length ? el("ul", {}, changed.map((f) => el("li", { dataset: { field: f.key } }, el("strong", {}, labels[f.key] || f.key), `: now “${f.value}”`, f.key in typed ? el("span", { class: "why" }, "you edited this field too") : null))) : null));
  }
  if (to.state !== from.state) {
    const approval = to.approved && to.state === "approved"
      ? ` by ${to.approved.by} (version ${to.approved.version}, ${localTime(to.approved.at, zoneOf(to.regulator))}): saving an edit withdraws that approval`
      : "";
    items.push(el("li", {}, `It is now ${to.state} (${stateWords(to.state)})${approval}; it was ${from.state} when you began editing.`));
  }
  const editable = can("editor", to.track) && EDITABLE.includes(to.state);
  return el(
    "div",
    { class: "error conflict", id: "conflict", role: "alert" },
    el("p", {}, el("strong", {}, "This draft changed while you were editing it. "),
      `Your edits (on version ${from.latest.number}) are kept below; saving them is refused until you re-apply them on version ${to.latest.number}.`),
    el("ul", {}, items),
    el("div", { class: "actions" },
      editable ? el("button", { type: "button", id: "reapply", onclick: reapply }, `Re-apply my edits on version ${to.latest.number}`) : el("span", {}, `A ${to.state} draft cannot be edited: copy your text if you still need it.`),
      el("button", { type: "button", id: "discard-edits", class: "quiet", onclick: discard }, "Discard my edits")),
  );
}

// The person's edits onto the draft as it is now: the fields they typed keep their text, the
// others show the new version's; a field changed on both sides is marked. Nothing is saved yet.
function reapply() {
  const typed = edits();
  const before = Object.fromEntries(base.latest.fields.map((f) => [f.key, f.value]));
  const also = {};
  for (const f of draft.latest.fields) if (f.key in typed && before[f.key] !== f.value) also[f.key] = true;
  const form = document.getElementById("fields");
  base = draft;
  form.replaceWith(fieldsForm(draft, typed, also));
  typing();
  say("notice", `Your edits are on version ${draft.latest.number} now; nothing is saved yet: check them${Object.keys(also).length ? " (marked: changed meanwhile too)" : ""} and save.`);
  render(draft);
}

function discard() {
  dirty = false;
  forget();
  message = null;
  render(draft);
}

// A due time in the console's zone and its countdown, as the board shows it.
function deadline(d) {
  if (!owed) return null;
  const done = ["sent", "kept", "rejected"].includes(owed.state);
  return el(
    "p",
    { class: "meta", id: "deadline" },
    `${reportName(d.regulator, d.kind)}: `,
    owed.due_at
      ? [`due ${localTime(owed.due_at)} `, el("span", { class: "why" }, `(${ZONE})`), " · ", countdown(owed.due_at, done)]
      : owed.waiting_for || "no deadline yet",
  );
}

function render(d) {
  const keepForm = dirty && base && document.getElementById("fields");
  if (!keepForm) base = d;
  const moved = keepForm && (base.latest.number !== d.latest.number || base.state !== d.state);
  const form = keepForm ? document.getElementById("fields") : fieldsForm(d);
  draft = d;
  if (message && !message.holds(d)) message = null; // e.g. "Approved version 7" once it is held
  fill(root, 
    el("h1", { title: d.kind }, `${reportName(d.regulator, d.kind)}${d.round > 1 ? ` (round ${d.round})` : ""}`),
    el(
      "p",
      { class: "meta" },
      el("span", { class: "pill state", id: "draft-state" }, d.state), " ",
      `version ${d.latest.number} · ${d.track === "privacy" ? "privacy case" : "incident"} `,
      el("a", { href: caseUrl(d), id: "case-link" }, caseName || d.incident),
      d.flag ? el("span", { class: "why" }, d.flag) : null,
    ),
    deadline(d),
    offerBox(),
    el("div", { id: "message" }, messageBox()),
    d.to_complete.length ? el("div", { class: "error" }, `Still to complete: ${d.to_complete.join(", ")}`) : null,
    d.must_complete.length ? el("div", { class: "error", id: "must-complete" }, `Must be written before approval (a notice to subscribers must state them, never as "${d.latest.placeholder}"): ${labelsOf(d, d.must_complete)}`) : null,
    d.to_review.length ? el("div", { class: "error", id: "to-review" }, `To review before approval (carried from a notice written while the incident was ongoing, or before a person corrected what was sent: check the tense and facts; save each again, or confirm it when approving): ${labelsOf(d, d.to_review)}`) : null,
    moved ? conflictPanel(base, d) : null,
    el("div", { class: "editor" }, el("section", {}, el("h2", {}, "Fields"), form), preview(d)),
    actions(d),
    versions(d),
    delivery(d),
  );
  const save = document.getElementById("save");
  if (save) save.type = "submit";
  root.dataset.loaded = "1";
  root.dataset.version = String(d.latest.number);
  root.dataset.state = d.state;
}

// `done(d)`: the notice once it worked; `holds(d, x)`: whether that notice is still true of a
// later detail x (default: same version and state).
async function act(promise, done, holds = null) {
  try {
    const d = await promise;
    dirty = false;
    forget();
    render(d);
    say("notice", done(d), holds ? (x) => holds(d, x) : null);
  } catch (e) {
    if (e.status === 409) await refresh(null).catch(() => {}); // what changed; typed text stays
    if (e.status === 401 && sessionEnded()) say("error", "Your session ended: nothing was saved. Your edits are kept here: sign in again (see above), then save.");
    else say("error", e instanceof ApiError ? `Refused (${e.status}): ${e.message}` : String(e));
  }
}

function save() {
  const changed = edits();
  if (!Object.keys(changed).length) { say("notice", "Nothing changed."); return; }
  // based on what the person edited, not on what a live refresh fetched meanwhile
  const body = { version: base.latest.number, state: base.state, fields: changed };
  act(api(`/api/v1/drafts/${encodeURIComponent(id)}`, { method: "PATCH", body }), (d) => `Saved as version ${d.latest.number}.`,
    (d, x) => x.latest.number === d.latest.number);
}

function confirmApprove() {
  if (dirty) { say("error", "Save your edits first: approval names a saved version."); return; }
  const d = draft;
  const dialog = document.getElementById("confirm-approve");
  document.getElementById("confirm-regulator").textContent = regulatorName(d.regulator);
  document.getElementById("confirm-recipient").textContent = recipientWords(d);
  document.getElementById("confirm-approve-title").textContent = d.channel === "portal" ? "Approve this report for submission on the regulator's portal?"
    : d.channel === "internal" ? "Approve this internal report? It is kept, not sent to anyone."
    : d.latest.repealed ? `Send this internal report to ${d.latest.recipient} (not to the regulator)?`
    : d.kind === "subscriber_notice" || d.kind === "nkom_privacy_subscriber" ? `Send this notice to the subscribers (${d.latest.recipient})?`
    : "Send this notice to the regulator?";
  document.getElementById("confirm-approve-yes").textContent = d.channel === "portal" || d.channel === "internal" ? "Approve" : "Approve and send";
  document.getElementById("confirm-version").textContent = `version ${d.latest.number}`;
  document.getElementById("confirm-subject").textContent = d.latest.subject;
  // A field the notice must state is never offered as not yet known: while one is empty the
  // approval waits. Every other field still to complete must be named, one by one, to be sent
  // as not yet known.
  const required = document.getElementById("confirm-required");
  required.hidden = !d.must_complete.length;
  fill(required,
    d.must_complete.length ? el("p", {}, `These fields must be written before approval: a notice to subscribers must state them, so they cannot be sent as "${d.latest.placeholder}". Write them in the draft (or in the case), then approve.`) : null,
    d.must_complete.length ? el("ul", {}, d.must_complete.map((key) => el("li", { "data-key": key }, labelsOf(d, [key])))) : null,
  );
  const incomplete = document.getElementById("confirm-incomplete");
  const keys = optional(d);
  const boxes = keys.map((key) => el("input", { type: "checkbox", id: `unknown-${key}`, value: key }));
  incomplete.hidden = !keys.length;
  fill(incomplete,
    keys.length ? el("p", {}, `These fields are still empty. Tick each one you want to send as "${d.latest.placeholder}"; the recipient reads exactly that. Unticked fields block the approval: complete them first.`) : null,
    ...keys.map((key, i) => el("label", { for: `unknown-${key}` }, boxes[i], ` ${labelsOf(d, [key])}`)),
  );
  // Text carried from a notice written while the incident was ongoing: each confirmed by name
  // as it stands (or saved again in the draft before approving); unticked, the approval waits.
  const review = document.getElementById("confirm-review");
  const reviewBoxes = d.to_review.map((key) => el("input", { type: "checkbox", id: `review-${key}`, value: key }));
  review.hidden = !d.to_review.length;
  fill(review,
    d.to_review.length ? el("p", {}, "These fields carry text a person wrote while the incident was ongoing. Tick each one you checked (tense and facts) and send as it stands; unticked fields block the approval: edit them first.") : null,
    ...d.to_review.map((key, i) => el("label", { for: `review-${key}` }, reviewBoxes[i], ` ${labelsOf(d, [key])}`)),
  );
  // Past its obligation's due time, the approval says why it is late (the API requires it:
  // late_reason, kept in the audit entry and shown on the incident's timeline).
  const late = document.getElementById("confirm-late");
  const lateReason = document.getElementById("approve-late-reason");
  const overdue = lateDue(owed);
  late.hidden = !overdue;
  document.getElementById("confirm-late-due").textContent = overdue
    ? `This report was due ${localTime(owed.due_at)} (${ZONE}): it is late. Say why; a regulator may ask.`
    : "";
  const yes = document.getElementById("confirm-approve-yes");
  const blocked = mustWrite(d);
  yes.disabled = Boolean(blocked); // and so is Enter: a form's disabled submit button submits nothing
  const why = document.getElementById("confirm-approve-why");
  why.hidden = !blocked;
  why.textContent = blocked || "";
  // a form: Enter in the code field approves, as the button does
  document.getElementById("confirm-approve-form").onsubmit = (event) => {
    event.preventDefault();
    if (yes.disabled) return;
    const lateWhy = overdue ? lateReason.value.trim() : "";
    if (overdue && !lateWhy) {
      why.hidden = false;
      why.textContent = "Say why the report is late before approving it.";
      lateReason.focus();
      return;
    }
    dialog.close();
    lateReason.value = "";
    const comment = document.getElementById("approve-comment").value;
    const sendUnknown = boxes.filter((b) => b.checked).map((b) => b.value);
    const confirmCarried = reviewBoxes.filter((b) => b.checked).map((b) => b.value);
    const code = document.getElementById("approve-totp");
    const totp = code.value.trim();
    code.value = "";  // a code is single use
    const body = { version: d.latest.number, comment, send_unknown: sendUnknown, confirm_carried: confirmCarried, ...(totp ? { totp } : {}), ...(lateWhy ? { late_reason: lateWhy } : {}) };
    act(api(`/api/v1/drafts/${encodeURIComponent(id)}/approve`, { method: "POST", body }),
      (x) => x.channel === "portal"
        ? `Approved version ${x.approved.version}: submit it on the portal, then record the submission.`
        : x.channel === "internal"
        ? `Approved version ${x.approved.version}: kept internally, sent to no one.`
        : page.relay === false
        ? `Approved version ${x.approved.version}, but NOT sent: this bridge has no mail relay (smtp); it waits in the outbox.`
        : `Approved version ${x.approved.version}; the outbox sends it to ${x.latest.recipient}.`,
      (x, now) => Boolean(now.approved) && now.approved.version === x.approved.version); // until it is held or withdrawn
  };
  document.getElementById("confirm-approve-no").onclick = () => dialog.close();
  dialog.showModal();
}

// Whether the queue's item of this draft is past its due time (by the bridge's clock) and not
// yet done with: the approval then needs the reason for the delay.
function lateDue(item) {
  if (!item || !item.due_at || ["sent", "kept", "rejected"].includes(item.state)) return false;
  return serverNow() >= Date.parse(item.due_at);
}

function confirmReject() {
  const dialog = document.getElementById("confirm-reject");
  const reason = document.getElementById("reject-reason");
  document.getElementById("confirm-reject-yes").onclick = () => {
    if (!reason.value.trim()) { reason.setCustomValidity("A reason is required"); reason.reportValidity(); return; }
    reason.setCustomValidity("");
    dialog.close();
    act(api(`/api/v1/drafts/${encodeURIComponent(id)}/reject`, { method: "POST", body: { reason: reason.value } }), () => "Rejected: no notice will be sent for this obligation.",
      (_, now) => now.state === "rejected");
  };
  document.getElementById("confirm-reject-no").onclick = () => dialog.close();
  dialog.showModal();
}

function fileAsBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

function recordSubmission() {
  const reference = el("input", { id: "submission-reference", size: "30", required: true });
  const when = el("input", { type: "datetime-local", id: "submission-at" });
  const whenTime = zonedTime(when, { empty: "now" });
  const file = el("input", { type: "file", id: "submission-receipt" });
  const code = el("input", { id: "submission-totp", inputmode: "numeric", autocomplete: "one-time-code", maxlength: "7", size: "8" });
  const dialog = el(
    "dialog",
    { class: "confirm", id: "submission-dialog" },
    el("h2", {}, `Record the submission on ${regulatorName(draft.regulator)}'s portal`),
    el("p", {}, `Version ${draft.approved ? draft.approved.version : draft.latest.number} was submitted; the deadline counts as met at the time you give.`),
    el("label", { for: "submission-reference" }, "The portal's case or receipt id"), reference,
    el("label", { for: "submission-at" }, `Submitted at (${zoneOf()}; empty: now)`), when, whenTime.echo,
    el("label", { for: "submission-receipt" }, "Receipt file (optional)"), file,
    el("label", { for: "submission-totp" }, CODE_HINT), code,
    el("div", { class: "actions" },
      el("button", { type: "button", id: "submission-yes", class: "danger", onclick: async () => {
        if (!reference.value.trim()) { reference.setCustomValidity("The portal's reference is required"); reference.reportValidity(); return; }
        const at = whenTime.check();
        if (at === undefined) return; // said at the field; the dialog stays
        const body = { reference: reference.value.trim(), ...(code.value.trim() ? { totp: code.value.trim() } : {}) };
        if (at) body.submitted_at = at;
        const chosen = file.files && file.files[0];
        if (chosen) body.receipt = { name: chosen.name, media_type: chosen.type || "application/octet-stream", content_base64: await fileAsBase64(chosen) };
        dialog.close();
        act(api(`/api/v1/drafts/${encodeURIComponent(id)}/submission`, { method: "POST", body }), (x) => `Submission recorded: reference ${x.submission.reference}.`,
          (_, now) => Boolean(now.submission));
      } }, "Record submission"),
      el("button", { type: "button", id: "submission-no", class: "quiet", onclick: () => dialog.close() }, "Cancel")),
  );
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

async function resolve(action, asked) {
  const what = asked || (action === "resend" ? "Resend this message with the same Message-ID?" : "Mark as sent (the regulator confirmed receipt)?");
  const answer = await confirmWithCode(what, action === "resend" ? "Resend" : "Mark as sent");
  if (!answer) return;
  const body = { action, comment: "", ...(answer.totp ? { totp: answer.totp } : {}) };
  act(api(`/api/v1/drafts/${encodeURIComponent(id)}/resolve`, { method: "POST", body }), (x) => (action !== "resend" ? "Marked as sent."
    : x.state === "draft" ? "Back to draft: review and approve it again to send it (the copy that left is kept)."
    : "Queued again."),
    (x, now) => now.latest.number === x.latest.number && now.state !== "in_doubt" && now.state !== "failed");
}

// The deadline queue's item of this draft (what the board shows: due time, state) and the
// incident's number and name; a privacy case is named by its id.
async function obligation(d) {
  const queue = await api(`/api/v1/queue?cases=${encodeURIComponent(d.incident)}`);
  const mine = queue.items.filter((i) => i.draft && i.draft.id === d.id);
  owed = mine.length ? mine[0] : null;
  if (d.track === "privacy") { caseName = d.incident; return; }
  const named = queue.items.find((i) => i.number);
  if (named) caseName = incidentName({ number: named.number, title: named.title, id: d.incident });
  else if (!caseName) caseName = incidentName(await api(`/api/v1/incidents/${encodeURIComponent(d.incident)}`));
}

async function refresh(change) {
  const incident = draft ? draft.incident : null;
  const mine = !change || change.drafts.includes(id);
  const itsCase = change && incident && [...(change.incidents || []), ...(change.privacy || [])].includes(incident);
  if (!mine && !itsCase) return;
  const d = mine ? await api(`/api/v1/drafts/${encodeURIComponent(id)}`) : draft;
  try { await obligation(d); } catch (e) { if (e.status === 401) throw e; owed = null; } // the draft shows without it
  const back = document.getElementById("back");
  if (back) { back.href = caseUrl(d); back.textContent = `← ${d.track === "privacy" ? "Privacy case" : "Incident"} ${caseName || d.incident}`; }
  render(d);
}

// Edits kept in this tab (a reload, or signing in again after the session ended): offered back
// (shown by every redraw until taken or discarded).
function offerBox() {
  if (!offered || dirty) return null;
  const kept = offered;
  return el(
    "div",
    { class: "notice", id: "restore-offer", role: "status" },
    `Unsaved edits you made on version ${kept.version} are kept in this tab. `,
    el("button", { type: "button", id: "restore-edits", onclick: () => restore(kept).catch((e) => say("error", String(e.message || e))) }, "Put them back"), " ",
    el("button", { type: "button", id: "drop-kept", class: "quiet", onclick: () => { offered = null; forget(); render(draft); } }, "Discard them"),
  );
}

async function restore(kept) {
  offered = null;
  // what they were typed on: the version (and state) then, so a change since shows as a conflict
  const then = kept.version === draft.latest.number
    ? draft
    : { ...draft, latest: await api(`/api/v1/drafts/${encodeURIComponent(id)}/versions/${kept.version}`) };
  const was = { ...then, state: kept.state || then.state };
  document.getElementById("fields").replaceWith(fieldsForm(was, kept.fields));
  base = was;
  typing();
  render(draft);
}

// Unsaved edits: never left by the page itself (a signed-out answer keeps them: console.js
// holdEdits), and a reload or close asks first. Leaving for the sign-in with them kept in this
// tab asks nothing: they come back after it.
holdEdits(() => dirty, { stored: true });
window.addEventListener("beforeunload", (event) => {
  if (!dirty) return;
  if (storable() && stored() && sessionEnded()) return;
  event.preventDefault();
  event.returnValue = "";
});
window.addEventListener("session-renewed", () => refresh(null).catch(() => {}));

refresh(null)
  .then(() => {
    holdEdits(() => dirty, { stored: Boolean(storable()) });
    offered = stored();
    if (offered && !dirty) render(draft);
  })
  .catch((e) => showError(root, e));
live(refresh);
