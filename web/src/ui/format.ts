import type { RequestStatus } from "../api/types";

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dateTimeSeconds = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

/** A time in the viewer's own time zone. */
export function formatTime(iso: string, seconds = false): string {
  return (seconds ? dateTimeSeconds : dateTime).format(new Date(iso));
}

export function formatMinutes(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (h === 0) return `${m} min`;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

/**
 * For live countdowns: "11 h 52 min" while more than an hour is left (seconds ticking then
 * would be noise), "42 min 09 s" in the last hour.
 */
export function formatRemaining(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(total / 86400);
  const h = Math.floor((total % 86400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  if (d > 0) return `${d} d ${h} h ${pad(m)} min`;
  if (h > 0) return `${h} h ${pad(m)} min`;
  return `${m} min ${pad(s)} s`;
}

export const statusLabels: Record<RequestStatus, string> = {
  pending_manager: "Waiting for manager",
  pending_customer: "Waiting for customer",
  approved: "Approved",
  rejected: "Rejected by manager",
  denied: "Denied",
  expired: "Expired",
  canceled: "Canceled",
  revoked: "Revoked",
  completed: "Completed",
};

export const roleLabels: Record<string, string> = {
  engineer: "Engineer",
  manager: "Manager",
  provider_admin: "Provider admin",
  global_admin: "Global admin",
  lockbox_approver: "Lockbox approver",
  auditor: "Auditor",
};

/** ISO UTC from an <input type="datetime-local"> value, read in the viewer's time zone. */
export function fromLocalInput(value: string): string | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** Why a request ended, for people (the API's endReason). */
export const endReasonLabels: Record<string, string> = {
  revoked: "Revoked",
  released: "Released early by the engineer",
  canceled: "Canceled",
  denied: "Denied by the customer",
  rejected: "Rejected by the provider's manager",
  decision_window_over: "No decision before the deadline",
  access_window_over: "The access window ran out",
};
