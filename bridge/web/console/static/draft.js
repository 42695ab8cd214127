// Draft editor: fields (editor role), the preview exactly as the regulator receives it, the
// versions and their diff, approve (with a confirmation naming regulator, recipient and
// version) or reject (with a reason), and settling a message in doubt. Buttons the person's
// roles or the draft's state do not allow are disabled with the reason; the API decides anyway.
import { fill, api, ApiError, can, CODE_HINT, confirmWithCode, el, live, localTime, page, regulatorName, reportName, showError, zoneOf } from "./console.js";
import { zonedTime } from "./time_field.js";

const root = document.getElementById("draft");
const id = page.draft;
const EDITABLE = ["draft", "approved", "held", "rejected", "failed"];
const APPROVABLE = ["draft", "held"];
const REJECTABLE = ["draft", "approved", "held", "failed"];

let draft = null; // the detail last fetched
let dirty = false; // fields edited and not saved
let message = null; // {kind: "notice"|"error", text}
let compared = null; // [from, to]: the versions the person last compared, shown again on redraw

// The page of what the draft reports on: an outage incident, or a privacy case.
function caseUrl(d) {
  return `/${d.track === "privacy" ? "privacy" : "incidents"}/${encodeURIComponent(d.incident)}`;
}

function say(kind, text) {
  message = { kind, text };
  const box = document.getElementById("message");
  if (box) fill(box, el("div", { class: kind, role: kind === "error" ? "alert" : "status" }, text));
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

function fieldsForm(d) {
  const mayEdit = can("editor", d.track);
  const editable = mayEdit && EDITABLE.includes(d.state);
  const why = !mayEdit ? `your roles do not include editor on the ${d.track} track` : `a ${d.state} draft cannot be edited`;
  const form = el(
    "form",
    { id: "fields", onsubmit: (e) => { e.preventDefault(); save(); } },
    d.latest.fields.map((f) =>
      el(
        "div",
        { class: `field${f.to_complete ? " to-complete" : ""}` },
        el("label", { for: `field-${f.key}` }, f.label, fieldTag(f, d), f.edited ? el("span", { class: "why" }, "edited") : null, f.hint ? el("span", { class: "why" }, f.hint) : null),
        el("textarea", { id: `field-${f.key}`, name: f.key, rows: Math.min(8, Math.max(2, Math.ceil((f.value || "").length / 70))), disabled: !editable, oninput: () => { dirty = true; } }, f.value),
      ),
    ),
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
  if (d.state === "in_doubt") {
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
          ? el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "Field"), el("th", {}, `v${diff.from}`), el("th", {}, `v${diff.to}`))),
              el("tbody", {}, diff.fields.map((f) => el("tr", {}, el("td", {}, f.label), el("td", {}, el("del", {}, f.old)), el("td", {}, el("ins", {}, f.new))))))
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
  );
}

// The fields still to complete that the approver may send as not yet known.
function optional(d) {
  return d.to_complete.filter((key) => !d.must_complete.includes(key));
}

function render(d) {
  const keepForm = dirty && draft && document.getElementById("fields");
  const moved = keepForm && draft.latest.number !== d.latest.number;
  const form = keepForm ? document.getElementById("fields") : fieldsForm(d);
  draft = d;
  fill(root, 
    el("h1", { title: d.kind }, `${reportName(d.regulator, d.kind)}${d.round > 1 ? ` (round ${d.round})` : ""}`),
    el(
      "p",
      { class: "meta" },
      el("span", { class: "pill state", id: "draft-state" }, d.state), " ",
      `version ${d.latest.number} · ${d.track === "privacy" ? "privacy case" : "incident"} `,
      el("a", { href: caseUrl(d) }, d.incident),
      d.flag ? el("span", { class: "why" }, d.flag) : null,
    ),
    el("div", { id: "message" }, message ? el("div", { class: message.kind }, message.text) : null),
    d.to_complete.length ? el("div", { class: "error" }, `Still to complete: ${d.to_complete.join(", ")}`) : null,
    d.must_complete.length ? el("div", { class: "error", id: "must-complete" }, `Must be written before approval (a notice to subscribers must state them, never as "${d.latest.placeholder}"): ${labelsOf(d, d.must_complete)}`) : null,
    moved ? el("div", { class: "error" }, `This draft changed meanwhile (now version ${d.latest.number}); saving your edits will be refused until you reload.`) : null,
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

async function act(promise, done) {
  try {
    const d = await promise;
    dirty = false;
    say("notice", done(d));
    render(d);
  } catch (e) {
    say("error", e instanceof ApiError ? `Refused (${e.status}): ${e.message}` : String(e));
    if (e.status === 409) { dirty = false; await refresh(null); }
  }
}

function save() {
  const changed = {};
  for (const f of draft.latest.fields) {
    const value = document.getElementById(`field-${f.key}`).value;
    if (value !== f.value) changed[f.key] = value;
  }
  if (!Object.keys(changed).length) { say("notice", "Nothing changed."); return; }
  act(api(`/api/v1/drafts/${encodeURIComponent(id)}`, { method: "PATCH", body: { version: draft.latest.number, fields: changed } }), (d) => `Saved as version ${d.latest.number}.`);
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
  const yes = document.getElementById("confirm-approve-yes");
  const blocked = mustWrite(d);
  yes.disabled = Boolean(blocked);
  const why = document.getElementById("confirm-approve-why");
  why.hidden = !blocked;
  why.textContent = blocked || "";
  yes.onclick = () => {
    dialog.close();
    const comment = document.getElementById("approve-comment").value;
    const sendUnknown = boxes.filter((b) => b.checked).map((b) => b.value);
    const code = document.getElementById("approve-totp");
    const totp = code.value.trim();
    code.value = "";  // a code is single use
    const body = { version: d.latest.number, comment, send_unknown: sendUnknown, ...(totp ? { totp } : {}) };
    act(api(`/api/v1/drafts/${encodeURIComponent(id)}/approve`, { method: "POST", body }),
      (x) => x.channel === "portal"
        ? `Approved version ${x.approved.version}: submit it on the portal, then record the submission.`
        : x.channel === "internal"
        ? `Approved version ${x.approved.version}: kept internally, sent to no one.`
        : page.relay === false
        ? `Approved version ${x.approved.version}, but NOT sent: this bridge has no mail relay (smtp); it waits in the outbox.`
        : `Approved version ${x.approved.version}; the outbox sends it to ${x.latest.recipient}.`);
  };
  document.getElementById("confirm-approve-no").onclick = () => dialog.close();
  dialog.showModal();
}

function confirmReject() {
  const dialog = document.getElementById("confirm-reject");
  const reason = document.getElementById("reject-reason");
  document.getElementById("confirm-reject-yes").onclick = () => {
    if (!reason.value.trim()) { reason.setCustomValidity("A reason is required"); reason.reportValidity(); return; }
    reason.setCustomValidity("");
    dialog.close();
    act(api(`/api/v1/drafts/${encodeURIComponent(id)}/reject`, { method: "POST", body: { reason: reason.value } }), () => "Rejected: no notice will be sent for this obligation.");
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
        act(api(`/api/v1/drafts/${encodeURIComponent(id)}/submission`, { method: "POST", body }), (x) => `Submission recorded: reference ${x.submission.reference}.`);
      } }, "Record submission"),
      el("button", { type: "button", id: "submission-no", class: "quiet", onclick: () => dialog.close() }, "Cancel")),
  );
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

async function resolve(action) {
  const what = action === "resend" ? "Resend this message with the same Message-ID?" : "Mark as sent (the regulator confirmed receipt)?";
  const answer = await confirmWithCode(what, action === "resend" ? "Resend" : "Mark as sent");
  if (!answer) return;
  const body = { action, comment: "", ...(answer.totp ? { totp: answer.totp } : {}) };
  act(api(`/api/v1/drafts/${encodeURIComponent(id)}/resolve`, { method: "POST", body }), () => (action === "resend" ? "Queued again." : "Marked as sent."));
}

async function refresh(change) {
  if (change && !change.drafts.includes(id)) return;
  const d = await api(`/api/v1/drafts/${encodeURIComponent(id)}`);
  const back = document.getElementById("back");
  if (back) { back.href = caseUrl(d); back.textContent = `← ${d.track === "privacy" ? "Privacy case" : "Incident"} ${d.incident}`; }
  render(d);
}

refresh(null).catch((e) => showError(root, e));
live(refresh);
