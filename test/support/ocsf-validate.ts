import fs from "node:fs";

/**
 * Checks an OCSF record against the class definitions kept in test/siem-ocsf-1.8.0.json
 * (required attributes, their types, the class's activity ids, type_uid, `at_least_one` and
 * `just_one` constraints, recursively for required objects). Returns the problems found.
 */
const fixture = JSON.parse(fs.readFileSync(new URL("../siem-ocsf-1.8.0.json", import.meta.url), "utf8"));

const isInt = (v: unknown) => typeof v === "number" && Number.isSafeInteger(v);
const primitive: Record<string, (v: unknown) => boolean> = {
  integer_t: isInt,
  long_t: isInt,
  timestamp_t: isInt,
  string_t: (v) => typeof v === "string",
  ip_t: (v) => typeof v === "string" && /^[0-9a-fA-F:.]+$/.test(v as string),
  email_t: (v) => typeof v === "string" && (v as string).includes("@"),
  hostname_t: (v) => typeof v === "string",
  boolean_t: (v) => typeof v === "boolean",
};

function checkValue(path: string, type: string, value: unknown, problems: string[]): void {
  const array = type.endsWith("[]");
  const base = array ? type.slice(0, -2) : type;
  if (array) {
    if (!Array.isArray(value)) return void problems.push(`${path}: expected an array of ${base}`);
    value.forEach((v, i) => checkValue(`${path}[${i}]`, base, v, problems));
    return;
  }
  if (base.startsWith("object:")) {
    if (!value || typeof value !== "object" || Array.isArray(value)) return void problems.push(`${path}: expected an object`);
    const name = base.slice("object:".length);
    const def = fixture.objects[name];
    if (def) checkAttributes(path, def.required, def.constraints, value as Record<string, unknown>, problems);
    return;
  }
  const check = primitive[base];
  if (!check) return void problems.push(`${path}: unknown type ${base}`);
  if (!check(value)) problems.push(`${path}: expected ${base}, got ${JSON.stringify(value)}`);
}

function checkAttributes(
  path: string,
  required: Record<string, string>,
  constraints: { at_least_one?: string[]; just_one?: string[] } | undefined,
  record: Record<string, unknown>,
  problems: string[],
): void {
  for (const [name, type] of Object.entries(required)) {
    if (record[name] === undefined || record[name] === null) problems.push(`${path}.${name}: required`);
    else checkValue(`${path}.${name}`, type, record[name], problems);
  }
  // Every attribute present that the fixture knows a type for must have that type.
  for (const [name, value] of Object.entries(record)) {
    if (required[name] || name === "unmapped") continue;
    const type = fixture.attributeTypes[name];
    if (type && !type.startsWith("object:")) checkValue(`${path}.${name}`, type, value, problems);
  }
  const present = (n: string) => record[n] !== undefined && record[n] !== null;
  if (constraints?.at_least_one && !constraints.at_least_one.some(present)) {
    problems.push(`${path}: needs at least one of ${constraints.at_least_one.join(", ")}`);
  }
  if (constraints?.just_one && constraints.just_one.filter(present).length !== 1) {
    problems.push(`${path}: needs exactly one of ${constraints.just_one.join(", ")}`);
  }
}

export const ocsfSchemaVersion: string = fixture.schema;
export const ocsfClassUids = Object.keys(fixture.classes).map(Number);

export function validateOcsf(record: Record<string, any>): string[] {
  const problems: string[] = [];
  const cls = fixture.classes[String(record.class_uid)];
  if (!cls) return [`class_uid ${record.class_uid} is not one of ${ocsfClassUids.join(", ")}`];
  checkAttributes("", cls.required, cls.constraints, record, problems);
  if (record.category_uid !== cls.category_uid) problems.push(`category_uid ${record.category_uid} != ${cls.category_uid}`);
  if (![...cls.activity_ids, 0, 99].includes(record.activity_id)) problems.push(`activity_id ${record.activity_id} not in ${cls.name}`);
  if (record.type_uid !== record.class_uid * 100 + record.activity_id) problems.push("type_uid != class_uid * 100 + activity_id");
  if (![0, 1, 2, 3, 4, 5, 6, 99].includes(record.severity_id)) problems.push(`severity_id ${record.severity_id}`);
  if (record.status_id !== undefined && ![0, 1, 2, 99].includes(record.status_id)) problems.push(`status_id ${record.status_id}`);
  if (record.metadata?.version !== "1.8.0") problems.push(`metadata.version ${record.metadata?.version}`);
  return problems;
}
