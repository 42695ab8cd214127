// Users (admin): people who sign in to the console and API tokens, from /api/v1/users and
// /api/v1/tokens. Shown read-only here; people are managed with `bridge users …` or the API.
import { fill, api, el, showError } from "./console.js";

const root = document.getElementById("users");
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
const fmt = (iso) => (iso ? new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: zone }).format(new Date(iso)) : "—");
const roles = (x) => (x.grants || x.roles || []).join(", ");

function status(u) {
  if (u.disabled) return "disabled";
  if (u.locked_until && new Date(u.locked_until) > new Date()) return `locked until ${fmt(u.locked_until)}`;
  return "active";
}

function table(headers, rows) {
  return el("table", {}, el("thead", {}, el("tr", {}, headers.map((h) => el("th", {}, h)))), el("tbody", {}, rows));
}

async function load() {
  const [users, tokens] = await Promise.all([api("/api/v1/users"), api("/api/v1/tokens").catch(() => ({ tokens: [] }))]);
  fill(root, 
    el("h2", {}, "People"),
    (users.users || []).length
      ? table(["Name", "Display name", "Roles", "Second factor", "Status"], users.users.map((u) =>
          el("tr", { dataset: { user: u.name } }, el("td", {}, u.name), el("td", {}, u.display_name || ""), el("td", {}, roles(u)), el("td", {}, u.totp_enrolled ? "TOTP" : "not enrolled"), el("td", {}, status(u)))))
      : el("p", { class: "empty" }, "No users."),
    el("h2", {}, "API tokens"),
    (tokens.tokens || []).length
      ? table(["Name", "Owner", "Roles", "Created", "Last used", "Status"], tokens.tokens.map((t) =>
          el("tr", {}, el("td", {}, t.name), el("td", {}, t.owner || t.created_by || ""), el("td", {}, roles(t)), el("td", {}, fmt(t.created_at)), el("td", {}, fmt(t.last_used_at)), el("td", {}, t.revoked_at ? "revoked" : "live"))))
      : el("p", { class: "empty" }, "No API tokens."),
    el("p", { class: "why" }, "Add people and reset passwords with `bridge users add|passwd`."),
  );
  root.dataset.loaded = "1";
}

load().catch((e) => showError(root, e));
