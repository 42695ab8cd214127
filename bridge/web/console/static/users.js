// Users (admin): people who sign in and API tokens, managed through /api/v1/users and
// /api/v1/tokens. One-time passwords and token secrets are shown once, here, and never again.
// Every change asks for an authenticator code (the same step-up as approving a notice), and a
// person or token whose roles reach the privacy track is changed only by an admin of that track:
// their buttons are disabled for others, with the reason (the API refuses anyway).
// Roles that approve or administer asked for through the API wait for a second admin: the row
// shows them with who asked and when, a Confirm button (disabled for the admin who asked and
// for the person themselves, with the reason) and a Cancel button.
import { serverNow } from "./clock.js";
import { api, ApiError, can, CODE_HINT, confirmWithCode, el, fill, localTime, page, showError } from "./console.js";

const root = document.getElementById("users");
const fmt = (iso) => localTime(iso); // the console's zone, named
const me = page.user ? page.user.name : "";
let message = null;

function say(kind, ...text) {
  message = el("div", { class: kind, role: kind === "error" ? "alert" : "status", id: "users-message" }, ...text);
  const box = document.getElementById("users-message-box");
  if (box) fill(box, message);
}

// the password step and the TOTP step lock apart (docs/people-and-sign-in.md)
function locks(u) {
  const now = serverNow();
  const out = [];
  if (u.locked_until && Date.parse(u.locked_until) > now) out.push(`locked until ${fmt(u.locked_until)}`);
  if (u.totp_locked_until && Date.parse(u.totp_locked_until) > now) {
    out.push(`TOTP codes locked until ${fmt(u.totp_locked_until)}`);
  }
  return out;
}

function locked(u) {
  return locks(u).length > 0;
}

function status(u) {
  if (u.disabled) return "disabled";
  return locks(u).join("; ") || "active";
}

function roles(text) {
  return text.split(/[\s,]+/).map((r) => r.trim()).filter(Boolean);
}

// a change: the answer shown, or the refusal; then the lists again
async function run(call, done) {
  try {
    const answer = await call();
    say("notice", ...done(answer));
  } catch (e) {
    say("error", e instanceof ApiError ? `Refused (${e.status}): ${e.message}` : String(e));
  }
  await load();
}

// a change confirmed in a dialog that also takes the authenticator code (call gets { totp? })
async function act(question, yes, call, done) {
  const answer = await confirmWithCode(question, yes);
  if (!answer) return;
  await run(() => call(answer.totp ? { totp: answer.totp } : {}), done);
}

// the reason a row's changes are not this admin's to make, or null
function outOfReach(tracks) {
  return (tracks || []).includes("privacy") && !can("admin", "privacy") ? "privacy track: needs admin:all" : null;
}

function codeField(id) {
  return [el("label", { for: id }, CODE_HINT), el("input", { id, inputmode: "numeric", autocomplete: "one-time-code", maxlength: "7", size: "8" })];
}

function codeOf(id) {
  const value = document.getElementById(id).value.trim();
  return value ? { totp: value } : {};
}

const patch = (name, body) => (code) => api(`/api/v1/users/${encodeURIComponent(name)}`, { method: "PATCH", body: { ...body, ...code } });
const oneTime = (name) => (answer) => [`One-time password for ${name} (shown once; hand it over in person): `, el("code", { id: "one-time-password" }, answer.password)];

const waiting = (name, verb, body) => (code) => api(`/api/v1/users/${encodeURIComponent(name)}/pending-roles/${verb}`, { method: "POST", body: { ...body, ...code } });

// the grant waiting for a second admin: what, who asked, and the buttons to confirm or cancel
function pendingCell(u) {
  const p = u.pending;
  if (!p) return null;
  const roles = p.roles.join(", ");
  const why = outOfReach([...(u.tracks || []), ...(p.tracks || [])]);
  const notYours = u.name === me ? "a grant to yourself: another admin confirms it" : p.requested_by === me ? "you asked for it: another admin confirms it" : null;
  return el(
    "div",
    { class: "pending", dataset: { pending: u.name } },
    el("span", {}, `Waiting for a second admin: ${roles} (asked by ${p.requested_by}, ${fmt(p.requested_at)}) `),
    el("button", { type: "button", class: "quiet", disabled: Boolean(why || notYours), title: why || notYours, onclick: () => act(`Give ${u.name} ${roles}, as ${p.requested_by} asked?`, "Confirm", waiting(u.name, "confirm", { roles: p.roles }), () => [`${u.name} now holds ${roles}.`]) }, "Confirm"),
    el("button", { type: "button", class: "quiet", disabled: Boolean(why), title: why, onclick: () => act(`Cancel ${roles} for ${u.name}?`, "Cancel the grant", waiting(u.name, "cancel", { roles: p.roles }), () => [`${roles} for ${u.name} cancelled.`]) }, "Cancel"),
    why || notYours ? el("span", { class: "why" }, why || notYours) : null,
  );
}

function userRow(u) {
  const self = u.name === me;
  const why = outOfReach(u.tracks);
  const button = (label, question, body, done, extra = {}) =>
    el("button", { type: "button", class: "quiet", disabled: Boolean(why) || Boolean(extra.disabled), title: why || extra.title || null, onclick: () => act(question, label, patch(u.name, body), done) }, label);
  return el(
    "tr",
    { dataset: { user: u.name } },
    el("td", {}, u.name),
    el("td", {}, u.display_name || ""),
    el("td", {}, u.roles.join(", ") || "—", pendingCell(u)),
    el("td", {}, u.totp_enrolled ? "TOTP" : "not enrolled"),
    el("td", { class: "status" }, status(u)),
    el(
      "td",
      { class: "row-actions" },
      u.disabled
        ? button("Enable", `Enable ${u.name}?`, { disabled: false }, () => [`${u.name} enabled.`])
        : button("Disable", `Disable ${u.name}?`, { disabled: true }, () => [`${u.name} disabled; their sessions ended.`], self ? { disabled: true, title: "you cannot disable yourself" } : {}),
      locked(u) ? button("Unlock", `Unlock ${u.name}?`, { unlock: true }, () => [`${u.name} unlocked.`]) : null,
      button("Reset TOTP", `Reset ${u.name}'s second factor?`, { reset_totp: true }, () => [`${u.name} enrols TOTP again at next sign-in.`]),
      button("Reset password", `Give ${u.name} a new one-time password?`, { reset_password: true }, oneTime(u.name)),
      why ? el("span", { class: "why" }, why) : null,
    ),
  );
}

function tokenRow(t) {
  const why = outOfReach(t.tracks);
  const revoke = (code) => api(`/api/v1/tokens/${encodeURIComponent(t.id)}/revoke`, { method: "POST", body: code });
  return el(
    "tr",
    { dataset: { token: t.id } },
    el("td", {}, t.name),
    el("td", {}, t.roles.join(", ")),
    el("td", {}, t.created_by || ""),
    el("td", {}, fmt(t.created_at)),
    el("td", {}, fmt(t.last_used_at)),
    el("td", {}, t.revoked_at ? `revoked ${fmt(t.revoked_at)}` : "live"),
    el("td", {}, t.revoked_at ? null : el("button", { type: "button", class: "quiet", disabled: Boolean(why), title: why, onclick: () => act(`Revoke token ${t.name}?`, "Revoke", revoke, () => [`Token ${t.name} revoked.`]) }, "Revoke"), t.revoked_at || !why ? null : el("span", { class: "why" }, why)),
  );
}

function addUserForm() {
  const name = el("input", { id: "new-user-name", required: true, autocomplete: "off" });
  const display = el("input", { id: "new-user-display", autocomplete: "off" });
  const grants = el("input", { id: "new-user-roles", required: true, placeholder: "viewer, editor, approver:outage …" });
  return el(
    "form",
    { id: "add-user", class: "inline-form", onsubmit: (e) => { e.preventDefault(); run(() => api("/api/v1/users", { method: "POST", body: { name: name.value.trim(), display_name: display.value.trim(), roles: roles(grants.value), ...codeOf("new-user-totp") } }), (a) => [...oneTime(a.user.name)(a), a.user.pending ? ` ${a.user.pending.roles.join(", ")} waits for a second admin to confirm.` : ""]); } },
    el("h3", {}, "Add a person"),
    el("label", { for: "new-user-name" }, "User name"), name,
    el("label", { for: "new-user-display" }, "Display name"), display,
    el("label", { for: "new-user-roles" }, "Roles"), grants,
    ...codeField("new-user-totp"),
    el("div", { class: "actions" }, el("button", { type: "submit" }, "Add")),
  );
}

function addTokenForm() {
  const name = el("input", { id: "new-token-name", required: true, autocomplete: "off", placeholder: "grafana-2 (a-z 0-9 . _ @ -; a new name per token)" });
  const grants = el("input", { id: "new-token-roles", required: true, placeholder: "viewer" });
  return el(
    "form",
    { id: "add-token", class: "inline-form", onsubmit: (e) => { e.preventDefault(); run(() => api("/api/v1/tokens", { method: "POST", body: { name: name.value.trim(), roles: roles(grants.value), ...codeOf("new-token-totp") } }), (a) => [`Secret of token ${a.token.name} (shown once; store it now): `, el("code", { id: "token-secret" }, a.secret)]); } },
    el("h3", {}, "Create an API token"),
    el("label", { for: "new-token-name" }, "Name"), name,
    el("label", { for: "new-token-roles" }, "Roles"), grants,
    ...codeField("new-token-totp"),
    el("div", { class: "actions" }, el("button", { type: "submit" }, "Create")),
  );
}

async function load() {
  const [{ users }, { tokens }] = await Promise.all([api("/api/v1/users"), api("/api/v1/tokens")]);
  fill(
    root,
    el("div", { id: "users-message-box" }, message),
    el("h2", {}, "People"),
    users.length
      ? el("table", { id: "users-table" }, el("thead", {}, el("tr", {}, ["Name", "Display name", "Roles", "Second factor", "Status", ""].map((h) => el("th", {}, h)))), el("tbody", {}, users.map(userRow)))
      : el("p", { class: "empty" }, "No users."),
    addUserForm(),
    el("h2", {}, "API tokens"),
    tokens.length
      ? el("table", { id: "tokens-table" }, el("thead", {}, el("tr", {}, ["Name", "Roles", "Created by", "Created", "Last used", "Status", ""].map((h) => el("th", {}, h)))), el("tbody", {}, tokens.map(tokenRow)))
      : el("p", { class: "empty" }, "No API tokens."),
    addTokenForm(),
  );
  root.dataset.loaded = "1";
}

load().catch((e) => showError(root, e));
