import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { catalogOperations, operationCatalog } from "../src/audit/operation-catalog.js";

// Families the catalog does not list one by one: operator.<op> names come from the provider's
// services; "mailbox.read_item" is the SDK documentation's example of such a name.
const open = /^(operator\.|mailbox\.)/;

test("the operation catalog lists exactly the operations the code writes", () => {
  const root = path.join(import.meta.dirname, "../src");
  const written = new Set<string>();
  for (const file of fs.readdirSync(root, { recursive: true, encoding: "utf8" })) {
    if (!file.endsWith(".ts") || file.endsWith("operation-catalog.ts")) continue;
    const text = fs.readFileSync(path.join(root, file), "utf8");
    for (const m of text.matchAll(/"((?:request|operator|tenant|user|invitation|org|webhook|audit_sink|service|service_credential|token|approval_policy)\.[a-z_]+)"/g)) written.add(m[1]!);
  }
  const missing = [...written].filter((op) => !open.test(op) && !catalogOperations.includes(op)).sort();
  assert.deepEqual(missing, [], "operations written but not in the catalog");
  const unused = catalogOperations.filter((op) => !written.has(op)).sort();
  assert.deepEqual(unused, [], "operations in the catalog that nothing writes");
});

test("each group's operations belong to its family, and no operation is listed twice", () => {
  for (const g of operationCatalog) for (const op of g.operations) assert.ok(op.startsWith(`${g.family}.`), `${op} in ${g.family}`);
  assert.equal(new Set(catalogOperations).size, catalogOperations.length);
});
