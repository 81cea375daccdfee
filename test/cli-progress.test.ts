import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { startProgress, trackActivity } from "../src/cli/progress.js";

/** A stream that records what was drawn; `isTTY` decides whether it counts as a terminal. */
function screen(isTTY: boolean) {
  const stream = Object.assign(new PassThrough(), { isTTY, columns: 100 });
  let text = "";
  stream.on("data", (c: Buffer) => (text += c.toString()));
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => text };
}

test("progress draws nothing when stderr is not a terminal (pipes, files, CI)", async () => {
  const s = screen(false);
  const p = startProgress({ label: "exporting", total: 10, unit: "events" }, s.stream);
  p.advance(10);
  p.stop();
  assert.equal(await trackActivity("migrating", async () => 42, s.stream), 42);
  assert.equal(s.text(), "");
});

test("on a terminal the bar shows the label, the count and 100% at the end, then clears", async () => {
  const s = screen(true);
  const p = startProgress({ label: "verifying", total: 2048, unit: "bytes" }, s.stream);
  p.advance(1024);
  p.advance(1024);
  p.stop();
  assert.match(s.text(), /verifying \[.*\] 100% 2\.0 KiB/);

  // A total learnt late turns the running count into a bar.
  const late = screen(true);
  const q = startProgress({ label: "exporting tenant:x", unit: "events" }, late.stream);
  q.advance(3);
  q.setTotal(4);
  q.advance(1);
  q.stop();
  assert.match(late.text(), /exporting tenant:x 0 events/);
  assert.match(late.text(), /exporting tenant:x \[.*\] 100% 4 events/);

  const t = screen(true);
  assert.equal(await trackActivity("migrating", async () => "done", t.stream), "done");
  assert.match(t.text(), /migrating \d+s/);
});
