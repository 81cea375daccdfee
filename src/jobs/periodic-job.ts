import type { Logger } from "pino";

export interface PeriodicJob {
  /** Runs the job now, or joins the run already under way. */
  runOnce(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

/**
 * A background loop: runs `run` every `everyMs`, never two runs at once, logging a failed run
 * and trying again next time. The timer does not keep the process alive.
 */
export function createPeriodicJob(name: string, everyMs: number, run: () => Promise<number>, log: Logger): PeriodicJob {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  const runOnce = () => {
    running ??= run().finally(() => {
      running = undefined;
    });
    return running;
  };
  return {
    runOnce,
    start() {
      timer ??= setInterval(() => {
        runOnce().catch((err: unknown) => log.error({ err, job: name }, "background job failed"));
      }, everyMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await running?.catch(() => undefined);
    },
  };
}
