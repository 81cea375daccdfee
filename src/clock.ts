/** Time is a dependency so tests can move it; production uses the system clock. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function addMinutes(at: Date, minutes: number): Date {
  return new Date(at.getTime() + minutes * 60_000);
}

/** ISO-8601 UTC with milliseconds: the one time format of the API, the database and the audit. */
export function iso(at: Date): string {
  return at.toISOString();
}
