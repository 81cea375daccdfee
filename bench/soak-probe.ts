/**
 * Loaded into the `lockbox serve` child of `npm run bench:soak` with `--import`: writes the
 * process's own memory figures to SOAK_PROBE_FILE once a second. A file, not a route: the soak
 * benchmark observes the server without the server exposing anything new.
 */
import fs from "node:fs";

const file = process.env.SOAK_PROBE_FILE;
if (file) {
  setInterval(() => {
    const m = process.memoryUsage();
    fs.writeFileSync(file, JSON.stringify({ at: Date.now(), rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external }));
  }, 1000).unref();
}
