import type { Clock } from "../../src/clock.js";

/** A clock the test moves by hand. Starts at a fixed, round moment so times read easily. */
export class FakeClock implements Clock {
  private at: number;
  constructor(start = "2026-01-05T09:00:00.000Z") {
    this.at = Date.parse(start);
  }
  now(): Date {
    return new Date(this.at);
  }
  advanceMinutes(minutes: number): void {
    this.at += minutes * 60_000;
  }
  advanceMs(ms: number): void {
    this.at += ms;
  }
  set(iso: string): void {
    this.at = Date.parse(iso);
  }
}
