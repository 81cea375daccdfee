import { addMinutes } from "../clock.js";

/**
 * The access window a grant opens (SPEC 17): at the final approval, or at the scheduled start if
 * that is later; it lasts the granted minutes from its start. Every way a request becomes
 * approved (manager alone, the customer's last approval, a policy) sets its window here.
 */
export function accessWindow(
  row: { start_at?: string | null },
  now: Date,
  grantedMinutes: number,
): { access_starts_at: string; access_ends_at: string } {
  const startMs = Math.max(now.getTime(), row.start_at ? Date.parse(row.start_at) : 0);
  const start = new Date(startMs);
  return { access_starts_at: start.toISOString(), access_ends_at: addMinutes(start, grantedMinutes).toISOString() };
}
