import type { Deps } from "../deps.js";
import { createPeriodicJob, type PeriodicJob } from "../jobs/periodic-job.js";
import { sweepRequests } from "./sweep-requests.js";

export type Sweeper = PeriodicJob;

/** Records ended requests every `sweepSeconds` (see sweepRequests). */
export function createSweeper(deps: Deps): Sweeper {
  return createPeriodicJob("sweeper", deps.config.sweepSeconds * 1000, () => sweepRequests(deps), deps.log);
}
