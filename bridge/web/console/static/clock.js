// The bridge's clock, as the console knows it: every answer of the bridge carries its clock in
// X-Bridge-Time (RFC 3339, milliseconds); heard() takes it with this PC's clock read before the
// request and after the answer. The bridge read its clock between the two, so the bridge's clock
// minus this PC's lies in [time − after, time − before]; each answer narrows that interval (the
// intersection with the ones before), and one that does not meet it (either clock was set
// meanwhile) starts it again. serverNow() is this PC's clock plus the interval's middle:
// countdowns and "is it past?" follow it, never the PC's clock alone, which may be minutes off
// (a deadline is the bridge's, and the bridge says when it is overdue). An answer without
// X-Bridge-Time (a proxy dropped it) is read by its HTTP Date header instead, a whole second.
//
// When the PC's clock is off by more than SKEW_SHOWN whatever the uncertainty, the banner
// #clock-banner (base.html) says so. When the PC's clock jumps (it was set, or the PC slept)
// the monotonic clock tells, and the bridge is asked again (a HEAD of /healthz).
//
// Pure but for the banner and the re-asking; no import of console.js (a test imports it alone).

export const HEADER = "X-Bridge-Time";
export const SKEW_SHOWN = 60_000; // ms: warn past a minute
const JUMP = 2_000; // ms: the PC's clock moved this much against the monotonic clock

let lo = null; // the bridge's clock minus this PC's: at least lo, at most hi (ms)
let hi = null;
let anchor = null; // { wall: Date.now(), mono: performance.now() } at the last answer
let asking = false;

// An answer's X-Bridge-Time `text` (or, without it, its Date header `date`), the PC's clock
// `before` the request and `after` the answer.
export function heard(text, before, after, date = null) {
  const exact = Date.parse(text || "");
  const at = Number.isNaN(exact) ? Date.parse(date || "") : exact;
  if (Number.isNaN(at) || !(after >= before)) return;
  const a = at - after;
  const b = at - before + (Number.isNaN(exact) ? 999 : 0); // Date: the second it began
  if (lo === null || a > hi || b < lo) { lo = a; hi = b; } else { lo = Math.max(lo, a); hi = Math.min(hi, b); }
  anchor = { wall: Date.now(), mono: performance.now() };
  banner();
}

// The bridge's clock minus this PC's (ms), the best guess; 0 before any answer.
export function offset() {
  return lo === null ? 0 : Math.round((lo + hi) / 2);
}

// The bridge's clock now (ms since the epoch), as best known.
export function serverNow() {
  return Date.now() + offset();
}

// How far the PC's clock is off for sure: > 0 slow (behind the bridge), < 0 fast, 0 within
// SKEW_SHOWN or not known.
export function skew() {
  if (lo === null) return 0;
  if (lo > SKEW_SHOWN) return lo;
  if (hi < -SKEW_SHOWN) return hi;
  return 0;
}

// "25 min", "1 h 05 min", "3 days 2 h"
export function amount(ms) {
  const minutes = Math.round(Math.abs(ms) / 60000);
  if (minutes < 60) return `${Math.max(1, minutes)} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${String(minutes % 60).padStart(2, "0")} min`;
  return `${Math.floor(hours / 24)} days ${hours % 24} h`;
}

function banner() {
  const node = typeof document === "undefined" ? null : document.getElementById("clock-banner");
  if (!node) return;
  const off = skew();
  node.hidden = off === 0;
  node.dataset.skew = String(Math.round(off / 1000));
  node.textContent = off === 0 ? "" : `⚠ This PC's clock is ${amount(off)} ${off > 0 ? "slow" : "fast"} against the bridge's. ` +
    "Countdowns and deadlines here follow the bridge's clock; have the PC's clock set right (other programs on it are off too).";
}

// Ask the bridge for its clock again (one request at a time).
export async function ask() {
  if (asking) return;
  asking = true;
  try {
    const before = Date.now();
    const answer = await fetch("/healthz", { method: "HEAD", cache: "no-store", credentials: "same-origin" });
    heard(answer.headers.get(HEADER), before, Date.now(), answer.headers.get("Date"));
  } catch (e) {
    // unreachable now: the next answer of any request measures again
  } finally {
    asking = false;
  }
}

// Called every second by the countdowns: the PC's clock jumped against the monotonic clock
// since the last answer (set by hand or by NTP, or the PC slept): ask again.
export function watch() {
  if (!anchor) return;
  const moved = (Date.now() - anchor.wall) - (performance.now() - anchor.mono);
  if (Math.abs(moved) > JUMP) { anchor = null; ask(); }
}
