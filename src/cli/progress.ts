import cliProgress from "cli-progress";

/**
 * Progress for long work (audit export, audit verify, migrate), drawn on stderr and only when
 * stderr is a terminal: piped or redirected output, CI logs and tests get nothing, so stdout
 * stays clean for scripts and no control characters land in files.
 */
export interface Progress {
  /** Moves the bar forward by `amount` units (bytes, events, …). */
  advance(amount?: number): void;
  /** Learns the total late (e.g. once the server says how long a chain is). */
  setTotal(total: number): void;
  /** Removes the bar; call it before printing anything else, and on failure too. */
  stop(): void;
}

export type ProgressUnit = "bytes" | "events";

const silent: Progress = { advance() {}, setTotal() {}, stop() {} };

export function progressEnabled(stream: NodeJS.WriteStream = process.stderr): boolean {
  return stream.isTTY === true && process.env.TERM !== "dumb";
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

/**
 * A bar when the total is known (`total` > 0), otherwise a running count with elapsed time.
 * The total may grow later through setTotal; a count past a stale total is still shown as is.
 */
export function startProgress(
  options: { label: string; total?: number; unit: ProgressUnit },
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  if (!progressEnabled(stream)) return silent;
  const show = (v: number) => (options.unit === "bytes" ? formatBytes(v) : `${v} events`);
  const counted = `${options.label} {shown} {duration_formatted}`;
  const barred = `${options.label} [{bar}] {percentage}% {shown} eta {eta_formatted}`;
  let hasTotal = (options.total ?? 0) > 0;
  let value = 0;
  const bar = new cliProgress.SingleBar(
    {
      stream,
      // Chosen at each render: the total may only become known after the work started.
      format: (opts, params, payload) => cliProgress.Format.Formatter({ ...opts, format: hasTotal ? barred : counted }, params, payload),
      hideCursor: true,
      clearOnComplete: true,
      barsize: 30,
      fps: 8,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(hasTotal ? options.total! : 1, 0, { shown: show(0) });
  return {
    advance(amount = 1) {
      value += amount;
      bar.update(hasTotal ? value : 0, { shown: show(value) });
    },
    setTotal(total) {
      if (total <= 0) return;
      hasTotal = true;
      bar.setTotal(total);
      bar.update(value, { shown: show(value) });
    },
    stop() {
      bar.stop();
    },
  };
}

/** Elapsed time for work that reports no steps (a migration run): a label and a clock. */
export async function trackActivity<T>(label: string, work: () => Promise<T>, stream: NodeJS.WriteStream = process.stderr): Promise<T> {
  if (!progressEnabled(stream)) return work();
  const bar = new cliProgress.SingleBar({ stream, format: `${label} {duration_formatted}`, hideCursor: true, clearOnComplete: true, fps: 4 });
  // The bar's own render timer redraws the elapsed time; nothing else moves it.
  bar.start(1, 0);
  try {
    return await work();
  } finally {
    bar.stop();
  }
}
