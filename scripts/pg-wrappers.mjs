// Writes test/postgres/<suite>.test.ts for every integration suite in test/ (those that start an
// app), so the same suite runs on SQLite and on PostgreSQL in one `npm test`.
import fs from "node:fs";

const suites = fs
  .readdirSync("test")
  .filter((f) => f.endsWith(".test.ts"))
  // Suites that start an app, except those that already run on PostgreSQL by themselves.
  .filter((f) => {
    const text = fs.readFileSync(`test/${f}`, "utf8");
    return /startTestApp/.test(text) && !/postgresReachable/.test(text);
  });
fs.mkdirSync("test/postgres", { recursive: true });
for (const old of fs.readdirSync("test/postgres")) if (old.endsWith(".test.ts")) fs.rmSync(`test/postgres/${old}`);
for (const suite of suites) {
  fs.writeFileSync(
    `test/postgres/${suite}`,
    `import { onPostgres } from "../support/on-postgres.js";\n\nawait onPostgres(${JSON.stringify(suite)});\n`,
  );
}
console.log(`${suites.length} PostgreSQL wrappers written`);
