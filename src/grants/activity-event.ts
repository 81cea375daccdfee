import { z } from "zod";
import { idSchema, isoTime } from "../http/common-schemas.js";

/**
 * An operation is a namespaced name (`mailbox.read_item`, `files.download`, `m-search`); it
 * becomes the audit operation `operator.<operation>`. `denied` is reserved for refusals.
 */
export const OPERATION_PATTERN = /^[a-z][a-z0-9_.-]{0,127}$/;

/** One reported event, as POST /v1/activity accepts it. Every string is bounded. */
export const activityEventSchema = z.strictObject({
  requestId: idSchema,
  operation: z
    .string()
    .regex(OPERATION_PATTERN, "a namespaced name: lowercase letters, digits, _ . and -, starting with a letter, at most 128")
    .refine((op) => op !== "denied", "`denied` is reserved for refused activity"),
  target: z.string().min(1).max(512),
  at: isoTime.refine((v) => !Number.isNaN(Date.parse(v)), "not a real date and time").optional(),
  refused: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/).optional().describe("the reporter refused the call itself: recorded as operator.denied"),
  details: z
    .record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]{0,31}$/), z.union([z.string().max(512), z.number().int().min(-(2 ** 53) + 1).max(2 ** 53 - 1), z.boolean()]))
    .refine((d) => Object.keys(d).length <= 16, "at most 16 keys")
    .optional(),
});

export type ActivityEvent = z.infer<typeof activityEventSchema>;

export interface EventProblem {
  field: string;
  message: string;
}

/** What can safely be kept of an event that failed validation, to record it as denied. */
export interface SalvagedEvent {
  requestId?: string;
  operation?: string;
  target?: string;
}

export type JudgedItem = { ok: true; event: ActivityEvent } | { ok: false; problems: EventProblem[]; salvaged: SalvagedEvent };

const MAX_PROBLEMS = 8;

/** A request id worth looking up: printable ASCII, bounded (a NUL would upset PostgreSQL). */
export const lookupableId = (v: unknown): v is string => typeof v === "string" && /^[\x21-\x7e]{1,64}$/.test(v);

const bounded = (v: unknown, max: number): string | undefined => (typeof v === "string" && v.length > 0 ? v.slice(0, max) : undefined);

/**
 * Judges one item of a batch on its own. A bad item never spoils its batch: the caller records
 * it as `operator.denied` (reason `invalid_event`) with the problems and what could be salvaged,
 * so a reporter's bug shows up in the customer's log instead of hiding real activity.
 */
export function judgeActivityItem(item: unknown): JudgedItem {
  const parsed = activityEventSchema.safeParse(item);
  if (parsed.success) return { ok: true, event: parsed.data };
  const problems: EventProblem[] = [];
  for (const issue of parsed.error.issues.slice(0, MAX_PROBLEMS)) {
    const path = issue.path.map(String).join(".");
    const keys = issue.code === "unrecognized_keys" ? issue.keys.join(",") : "";
    problems.push({ field: (path || keys || "event").slice(0, 128), message: issue.message.slice(0, 200) });
  }
  const raw = typeof item === "object" && item !== null && !Array.isArray(item) ? (item as Record<string, unknown>) : {};
  const salvaged: SalvagedEvent = {};
  if (lookupableId(raw.requestId)) salvaged.requestId = raw.requestId;
  const operation = bounded(raw.operation, 128);
  if (operation) salvaged.operation = operation;
  const target = bounded(raw.target, 512);
  if (target) salvaged.target = target;
  return { ok: false, problems, salvaged };
}

/** The problems in one bounded line, for the audit event's details. */
export function problemsLine(problems: EventProblem[]): string {
  return problems
    .map((p) => `${p.field}: ${p.message}`)
    .join("; ")
    .slice(0, 1000);
}
