import Table from "cli-table3";

/**
 * Human output: borderless aligned tables, local times with a relative hint, and colour only
 * when stdout is a terminal and NO_COLOR is unset (https://no-color.org). `--json` bypasses all
 * of this and prints the API's JSON as it came.
 */
export function colourEnabled(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  return stream.isTTY === true && env.TERM !== "dumb";
}

const codes = { bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39], cyan: [36, 39] } as const;
export type Style = keyof typeof codes;

export function paint(style: Style, text: string): string {
  if (!colourEnabled()) return text;
  const [on, off] = codes[style];
  return `\u001b[${on}m${text}\u001b[${off}m`;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function print(text: string): void {
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

const borderless = {
  top: "",
  "top-mid": "",
  "top-left": "",
  "top-right": "",
  bottom: "",
  "bottom-mid": "",
  "bottom-left": "",
  "bottom-right": "",
  left: "",
  "left-mid": "",
  mid: "",
  "mid-mid": "",
  right: "",
  "right-mid": "",
  middle: "  ",
};

/** Columns aligned like `kubectl get`: a header row, no borders, no trailing blanks. */
export function table(head: string[] | null, rows: string[][]): string {
  const t = new Table({
    ...(head ? { head: head.map((h) => paint("bold", h)) } : {}),
    chars: borderless,
    style: { head: [], border: [], "padding-left": 0, "padding-right": 0 },
    wordWrap: false,
  });
  t.push(...rows);
  return t
    .toString()
    .split("\n")
    .map((line) => line.trimEnd())
    .join("\n");
}

const pad = (n: number) => String(n).padStart(2, "0");

/** 2026-01-05 10:00 CET: the viewer's local time (TZ), to the minute. */
export function localTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const zone = new Intl.DateTimeFormat("en-US", { timeZoneName: "short" }).formatToParts(d).find((p) => p.type === "timeZoneName")?.value;
  const text = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return zone ? `${text} ${zone}` : text;
}

/** A span as its two largest units: "3d 4h", "3h 12m", "45m", "under a minute". */
export function span(ms: number): string {
  const minutes = Math.floor(Math.abs(ms) / 60_000);
  if (minutes === 0) return "under a minute";
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  if (d > 0) return h > 0 ? `${d}d ${h}h` : `${d}d`;
  if (h > 0) return m > 0 ? `${h}h ${m}m` : `${h}h`;
  return `${m}m`;
}

/** "in 3h 12m" or "3h 12m ago", against the local clock. */
export function relative(iso: string, now: number = Date.now()): string {
  const diff = Date.parse(iso) - now;
  if (Number.isNaN(diff)) return "";
  const s = span(diff);
  if (s === "under a minute") return diff >= 0 ? "in under a minute" : "just now";
  return diff >= 0 ? `in ${s}` : `${s} ago`;
}

/** "2026-01-05 10:00 UTC (in 3h 12m)"; "-" for no time. */
export function when(iso: string | null | undefined): string {
  if (!iso) return "-";
  return `${localTime(iso)} (${relative(iso)})`;
}

export function minutes(n: number): string {
  return n % 60 === 0 && n >= 60 ? `${n / 60}h` : n > 60 ? `${Math.floor(n / 60)}h ${n % 60}m` : `${n}m`;
}
