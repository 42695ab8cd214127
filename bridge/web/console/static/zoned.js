// Wall-clock times in a named IANA zone (the console's, console.time_zone) and the instants they
// stand for, through the browser's Intl time-zone data: never the browser's own zone.
//
// wallTime(ms, zone)          → "YYYY-MM-DDTHH:MM:SS", the zone's wall clock at that instant
// offsetText(ms, zone)        → "+01:00", the zone's offset from UTC at that instant
// rfc3339(ms, zone)           → "2026-03-29T03:30:00+02:00": the instant, written in the zone
// instantsIn(wall, zone)      → { kind, all: [ms…] } for a wall time "YYYY-MM-DDTHH:MM[:SS]" (what
//   an <input type="datetime-local"> gives), or null when it is not one. kind "exact": the wall
//   time happens once (all: [it]); "twice": it happens twice, the clocks went back (all: [the
//   earlier, the later]); "skipped": it never happens, the clocks went forward (all: [its
//   earlier reading, with the offset after the change]: 02:30 on the day CET becomes CEST is
//   00:30 UTC, 01:30 CET, as the bridge's core reads a wall time (bridge/core/calendar.py
//   local_instant: the earlier instant, so a deadline counted from it never comes out later;
//   not RFC 5545's or Temporal's later reading, which would put such deadlines an hour late).
// instantIn(wall, zone, pick) → { ms, kind }: one of them; for "twice", pick "earlier" or
//   "later" says which.
// spoken(ms, zone)            → "3 Dec 2026 12:00 CET (UTC+1)": the instant as a person reads it
//   (seconds when not :00; the zone's name when Intl has one, not "GMT+5"), with the zone's
//   offset from UTC at that instant (utcOffset(ms, zone): "UTC+1", "UTC+5:30", "UTC-3").

const formats = new Map();

function format(zone) {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit", era: "short",
    });
    formats.set(zone, f);
  }
  return f;
}

// The zone's wall clock at `ms` as if it were UTC (milliseconds), whole seconds.
function wallAsUtc(ms, zone) {
  const p = {};
  for (const part of format(zone).formatToParts(new Date(ms))) p[part.type] = part.value;
  const year = p.era === "BC" || p.era === "B" ? 1 - Number(p.year) : Number(p.year);
  const hour = Number(p.hour) % 24; // some engines said 24 for midnight
  const d = new Date(0);
  d.setUTCFullYear(year, Number(p.month) - 1, Number(p.day));
  d.setUTCHours(hour, Number(p.minute), Number(p.second), 0);
  return d.getTime();
}

// The zone's offset from UTC at `ms`, in milliseconds (east positive).
function offset(ms, zone) {
  const whole = Math.floor(ms / 1000) * 1000;
  return wallAsUtc(whole, zone) - whole;
}

const two = (n) => String(n).padStart(2, "0");

export function wallTime(ms, zone) {
  const d = new Date(wallAsUtc(Math.floor(ms / 1000) * 1000, zone));
  return `${String(d.getUTCFullYear()).padStart(4, "0")}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}` +
    `T${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}

export function offsetText(ms, zone) {
  const minutes = Math.round(offset(ms, zone) / 60000);
  const sign = minutes < 0 ? "-" : "+";
  const m = Math.abs(minutes);
  return `${sign}${two(Math.floor(m / 60))}:${two(m % 60)}`;
}

export function rfc3339(ms, zone) {
  return `${wallTime(ms, zone)}${offsetText(ms, zone)}`;
}

const WALL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/;
const DAY = 86400000;

export function instantsIn(wall, zone) {
  const m = WALL.exec(String(wall || "").trim());
  if (!m) return null;
  const d = new Date(0);
  d.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  d.setUTCHours(Number(m[4]), Number(m[5]), Number(m[6] || 0), 0);
  const w = d.getTime();
  if (Number.isNaN(w) || d.getUTCDate() !== Number(m[3]) || d.getUTCHours() !== Number(m[4])) return null;
  // a zone changes its offset at most once in two days: the offsets a day either side are the
  // only ones this wall time can be read with
  const before = offset(w - DAY, zone);
  const after = offset(w + DAY, zone);
  const fits = [...new Set([w - before, w - after])].filter((t) => wallAsUtc(t, zone) === w).sort((a, b) => a - b);
  if (fits.length === 2) return { kind: "twice", all: fits };
  if (fits.length === 1) return { kind: "exact", all: fits };
  // skipped: the clocks went forward (after > before); its earlier reading, as the core's
  return { kind: "skipped", all: [w - Math.max(before, after)] };
}

export function instantIn(wall, zone, pick = "earlier") {
  const r = instantsIn(wall, zone);
  if (!r) return null;
  return { ms: r.kind === "twice" && pick === "later" ? r.all[1] : r.all[0], kind: r.kind };
}

const spokenFormats = new Map();

// "UTC+1", "UTC+5:30", "UTC-3", "UTC+0"
export function utcOffset(ms, zone) {
  const minutes = Math.round(offset(ms, zone) / 60000);
  const m = Math.abs(minutes);
  return `UTC${minutes < 0 ? "-" : "+"}${Math.floor(m / 60)}${m % 60 ? `:${two(m % 60)}` : ""}`;
}

export function spoken(ms, zone) {
  let f = spokenFormats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-GB", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "short", day: "numeric",
      hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short",
    });
    spokenFormats.set(zone, f);
  }
  const p = {};
  for (const part of f.formatToParts(new Date(ms))) p[part.type] = part.value;
  const seconds = p.second && p.second !== "00" ? `:${p.second}` : "";
  // a zone without a name of its own is called "GMT+5" by Intl: its offset says it already
  const name = /^(GMT|UTC)[+-]/.test(p.timeZoneName || "") ? "" : ` ${p.timeZoneName}`;
  return `${p.day} ${p.month} ${p.year} ${two(Number(p.hour) % 24)}:${p.minute}${seconds}${name} (${utcOffset(ms, zone)})`;
}
