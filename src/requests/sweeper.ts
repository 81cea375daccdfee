import type { Deps } from "../deps.js";
import { sweepRequests } from "./sweep-requests.js";

export interface Sweeper {
  runOnce(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

/** Runs sweepRequests every `sweepSeconds`, one run at a time; a failed run is logged and retried. */
export function createSweeper(deps: Deps): Sweeper {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  const runOnce = async () => {
    running ??= sweepRequests(deps).finally(() => {
      running = undefined;
    });
    return running;
  };
  return {
    runOnce,
    start() {
      timer ??= setInterval(() => {
        runOnce().catch((err: unknown) => deps.log.error({ err }, "sweeper run failed"));
      }, deps.config.sweepSeconds * 1000);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await running?.catch(() => undefined);
    },
  };
}
