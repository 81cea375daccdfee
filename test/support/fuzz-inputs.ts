import fc from "fast-check";

/**
 * Input generators for the route fuzzer (test/fuzz-routes.test.ts), derived from the JSON schemas
 * the app publishes in /openapi.json. Each generated input says whether it is certainly invalid
 * for the route's schema (`invalid`): those must never be answered 2xx. The others (odd but
 * possibly valid values, e.g. odd unicode) must only never crash the server.
 */

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
  default?: unknown;
}

/** A request body as sent on the wire. `contentType: null` sends none. */
export interface FuzzBody {
  label: string;
  payload?: string | Buffer;
  contentType?: string | null;
  invalid: boolean;
}

export interface FuzzQuery {
  label: string;
  query: string;
  invalid: boolean;
}

/** Values for fields whose valid form the schema alone cannot give (ids, keys, URLs). */
export type Hints = Record<string, unknown>;

const JSON_TYPE = "application/json";

/** Percent-encodes the UTF-8 bytes of any string (lone surrogates included, as U+FFFD). */
export function pct(text: string): string {
  return [...Buffer.from(text, "utf8")].map((b) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, "0").toUpperCase()}`)).join("");
}

/** The object branch of `X | null` bodies (optional bodies of approve, deny, …). */
export function objectBranch(schema: JsonSchema): JsonSchema {
  return schema.anyOf?.find((s) => s.type === "object") ?? schema;
}

/** A value the schema accepts, built from its constraints, with `hints` for named fields. */
export function validValue(schema: JsonSchema, name: string, hints: Hints): unknown {
  if (name in hints) return hints[name];
  if (schema.anyOf) return validValue(schema.anyOf[0]!, name, hints);
  if (schema.enum) return schema.enum[0];
  switch (schema.type) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [key, prop] of Object.entries(schema.properties ?? {})) {
        if (schema.required?.includes(key) || key in hints) out[key] = validValue(prop, key, hints);
      }
      return out;
    }
    case "array":
      return Array.from({ length: Math.max(1, schema.minItems ?? 0) }, () => validValue(schema.items ?? {}, name, hints));
    case "integer":
    case "number":
      return Math.max(schema.minimum ?? 1, Math.min(schema.maximum ?? 30, 30));
    case "boolean":
      return true;
    default:
      if (schema.format === "email") return "fuzz@example.com";
      if (schema.format === "date-time") return "2026-01-05T09:00:00.000Z";
      return "fuzz".padEnd(schema.minLength ?? 1, "z").slice(0, schema.maxLength ?? 64);
  }
}

/** The JSON types a schema accepts (anyOf flattened). */
function typesOf(schema: JsonSchema): Set<string> {
  if (schema.anyOf) return new Set(schema.anyOf.flatMap((s) => [...typesOf(s)]));
  const t = schema.type;
  if (!t) return new Set(["string", "number", "integer", "boolean", "object", "array", "null"]);
  const list = Array.isArray(t) ? t : [t];
  return new Set(list.flatMap((x) => (x === "number" ? ["number", "integer"] : [x])));
}

/** Values of every JSON type, each tagged with its type. */
const samplesByType: [string, unknown][] = [
  ["string", "12"],
  ["integer", 12],
  ["number", 1.5],
  ["boolean", true],
  ["null", null],
  ["object", { a: 1 }],
  ["array", ["x"]],
];

/** Odd but well-formed text: control and format characters, lone surrogates, long graphemes. */
export const oddUnicode = fc.constantFrom(
  "nul\u0000byte",
  "\u0000",
  "lone \ud800 surrogate",
  "\udfff",
  "rtl \u202e override",
  "\ufeffbom",
  "zero\u200bwidth",
  "e\u0301\u0301\u0301\u0301",
  "💥🔥👩‍👩‍👧‍👦",
  "\u{10ffff}",
  "<script>alert(1)</script>",
  "' OR '1'='1' --",
  "${jndi:ldap://x}",
  "%00%ff%2e%2e",
  "\r\nSet-Cookie: x=1",
);

interface FieldPath {
  path: (string | number)[];
  schema: JsonSchema;
  required: boolean;
}

/** Every field of a body schema (nested objects and the first item of arrays), up to depth 3. */
export function fieldsOf(schema: JsonSchema, path: (string | number)[] = [], depth = 0): FieldPath[] {
  const s = objectBranch(schema);
  if (depth > 3 || s.type !== "object") return [];
  const out: FieldPath[] = [];
  for (const [key, prop] of Object.entries(s.properties ?? {})) {
    const here = [...path, key];
    out.push({ path: here, schema: prop, required: s.required?.includes(key) ?? false });
    const p = objectBranch(prop);
    if (p.type === "object") out.push(...fieldsOf(p, here, depth + 1));
    // Items that may also be anything at all (an anyOf with a `{}` branch, like activity events,
    // judged one by one) have no field whose mutation makes the body invalid.
    const anyItem = p.items?.anyOf?.some((b) => Object.keys(b).every((k) => k === "description")) ?? false;
    if (p.type === "array" && p.items && !anyItem && objectBranch(p.items).type === "object") out.push(...fieldsOf(p.items, [...here, 0], depth + 1));
  }
  return out;
}

function setAt(base: unknown, path: (string | number)[], value: unknown, remove = false): unknown {
  const copy = structuredClone(base) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) {
    if (node[key] === undefined || node[key] === null || typeof node[key] !== "object") node[key] = typeof key === "number" ? [] : {};
    node = node[key] as Record<string | number, unknown>;
  }
  const last = path[path.length - 1]!;
  if (remove) delete node[last];
  else node[last] = value;
  return copy;
}

const RAW = "__fuzz_raw_token__";
const json = (label: string, value: unknown, invalid: boolean, raw?: string): FuzzBody => {
  let text = JSON.stringify(value);
  if (raw !== undefined) text = text.replace(JSON.stringify(RAW), raw);
  return { label, payload: text, contentType: JSON_TYPE, invalid };
};

/**
 * Mutations of one field of a valid body: wrong types, a missing required field, overlong and
 * odd strings, huge, negative and fractional numbers, values outside an enum, too many items,
 * deep nesting. Each arbitrary yields inputs for one field.
 */
export function fieldMutations(base: unknown, field: FieldPath): fc.Arbitrary<FuzzBody>[] {
  const { path, schema } = field;
  const name = path.join(".");
  const types = typesOf(schema);
  const s = objectBranch(schema);
  const arbs: fc.Arbitrary<FuzzBody>[] = [];
  const wrong = samplesByType.filter(([type]) => !types.has(type) && !(type === "integer" && types.has("number")));
  if (wrong.length > 0) arbs.push(fc.constantFrom(...wrong).map(([type, v]) => json(`${name}: ${type} instead of ${[...types].join("|")}`, setAt(base, path, v), true)));
  if (field.required) arbs.push(fc.constant(json(`${name}: missing`, setAt(base, path, undefined, true), true)));
  if (types.has("string") && !s.anyOf) {
    if (s.maxLength !== undefined) {
      const max = s.maxLength;
      arbs.push(
        fc
          .oneof(fc.constant(max + 1), fc.integer({ min: max + 2, max: max + 100 }), fc.constant(200_000))
          .chain((n) => fc.constantFrom("x", "é", "💥").map((ch) => ({ n, ch })))
          .map(({ n, ch }) => json(`${name}: ${n} × ${JSON.stringify(ch)} (max ${max})`, setAt(base, path, ch.repeat(n)), n > max && ch.length === 1)),
      );
    }
    if (s.minLength !== undefined && s.minLength > 0) arbs.push(fc.constant(json(`${name}: empty`, setAt(base, path, ""), true)));
    arbs.push(oddUnicode.map((v) => json(`${name}: odd unicode ${JSON.stringify(v)}`, setAt(base, path, v), false)));
    if (s.enum) arbs.push(fc.constantFrom("ADMIN", `${String(s.enum[0])} `, "", "*").map((v) => json(`${name}: ${JSON.stringify(v)} outside the enum`, setAt(base, path, v), true)));
  }
  if (types.has("integer") || types.has("number")) {
    const integer = types.has("integer") && !types.has("number");
    const max = s.maximum;
    const min = s.minimum;
    const numbers: [string, string, boolean][] = [
      ["1e308", "1e308", max !== undefined],
      ["1e400 (Infinity)", "1e400", true],
      ["2^64", "18446744073709551616", max !== undefined],
      ["MAX_SAFE+2", "9007199254740993", max !== undefined],
      ["-1", "-1", min !== undefined && min > -1],
      ["-2^31", "-2147483648", min !== undefined && min > -2147483648],
      ["-0", "-0", min !== undefined && min > 0],
      ["1.5", "1.5", integer],
      ["0.1", "0.1", integer],
      ["1e-7", "1e-7", integer],
      ["1.0", "1.0", false],
    ];
    arbs.push(fc.constantFrom(...numbers).map(([label, raw, invalid]) => json(`${name}: ${label}`, setAt(base, path, RAW), invalid, raw)));
    if (max !== undefined) arbs.push(fc.integer({ min: max + 1, max: max + 1_000_000 }).map((n) => json(`${name}: ${n} > max ${max}`, setAt(base, path, n), true)));
  }
  if (types.has("array") && !types.has("string")) {
    const items = s.items ?? {};
    if (s.maxItems !== undefined) {
      const n = s.maxItems + 1;
      arbs.push(fc.constant(json(`${name}: ${n} items (max ${s.maxItems})`, setAt(base, path, Array.from({ length: n }, () => validValue(items, "", {}))), true)));
    }
    if (s.minItems) arbs.push(fc.constant(json(`${name}: no items`, setAt(base, path, []), true)));
    arbs.push(fc.constant(json(`${name}: an object for an array`, setAt(base, path, { 0: "x" }), true)));
  }
  if (types.has("object")) arbs.push(fc.constant(json(`${name}: an array for an object`, setAt(base, path, [structuredClone(base)]), true)));
  arbs.push(
    fc.integer({ min: 50, max: 5000 }).map((depth) => {
      const nested = `${"[".repeat(depth)}${"]".repeat(depth)}`;
      return json(`${name}: ${depth}-deep nesting`, setAt(base, path, RAW), !types.has("array"), nested);
    }),
  );
  return arbs;
}

/** Mutations of a whole body: extra and poisoned keys, the wrong shape, scalars. */
export function shapeMutations(base: unknown, schema: JsonSchema): FuzzBody[] {
  const s = objectBranch(schema);
  const strict = s.additionalProperties === false;
  const nullable = typesOf(schema).has("null");
  const obj = (base ?? {}) as Record<string, unknown>;
  return [
    json("an extra field", { ...obj, isAdmin: true }, strict),
    json("an extra field of 10 000 chars", { ...obj, ["k".repeat(10_000)]: 1 }, strict),
    { label: "a __proto__ key", payload: JSON.stringify(obj).replace(/^\{/, '{"__proto__":{"isAdmin":true},'), contentType: JSON_TYPE, invalid: true },
    { label: "a constructor.prototype key", payload: JSON.stringify({ ...obj, constructor: { prototype: { isAdmin: true } } }), contentType: JSON_TYPE, invalid: true },
    json("an array for the body", [obj], true),
    json("an empty object", {}, (s.required?.length ?? 0) > 0),
    json("null", null, !nullable),
    json("a number", 42, true),
    json("a string", "body", true),
    json("true", true, true),
  ];
}

/**
 * Bodies that are wrong on the wire whatever the route: not JSON, invalid UTF-8, wrong or missing
 * content type, too deep, too big. `invalid` is set where the route takes a body schema.
 */
export function wireBodies(hasBodySchema: boolean, base: unknown, nullable: boolean): FuzzBody[] {
  const text = JSON.stringify(base ?? {});
  const needs = hasBodySchema;
  return [
    { label: "not JSON", payload: "{not json", contentType: JSON_TYPE, invalid: true },
    { label: "truncated JSON", payload: text.slice(0, Math.max(1, text.length - 1)), contentType: JSON_TYPE, invalid: text.length > 1 },
    { label: "trailing garbage", payload: `${text}}}`, contentType: JSON_TYPE, invalid: true },
    // Decoded leniently (each bad byte becomes U+FFFD): may be valid where a `name` is all it takes.
    { label: "invalid UTF-8 bytes", payload: Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82]), Buffer.from('"}')]), contentType: JSON_TYPE, invalid: false },
    { label: "a UTF-16 body", payload: Buffer.from(text, "utf16le"), contentType: "application/json; charset=utf-16", invalid: needs },
    { label: "an empty JSON body", payload: "", contentType: JSON_TYPE, invalid: needs && !nullable },
    { label: "whitespace only", payload: " \n\t ", contentType: JSON_TYPE, invalid: needs && !nullable },
    { label: "JSON as text/plain", payload: text, contentType: "text/plain", invalid: needs },
    { label: "JSON as a form", payload: "name=x&roles=admin", contentType: "application/x-www-form-urlencoded", invalid: needs },
    { label: "multipart junk", payload: "--b\r\nContent-Disposition: form-data; name=x\r\n\r\ny\r\n--b--", contentType: "multipart/form-data; boundary=b", invalid: needs },
    { label: "JSON with no content type", payload: text, contentType: null, invalid: needs },
    { label: "an odd content type", payload: text, contentType: "application/json-patch+json;;;=", invalid: needs },
    { label: "a 100 000-deep array", payload: `${"[".repeat(100_000)}${"]".repeat(100_000)}`, contentType: JSON_TYPE, invalid: needs },
    { label: "a 50 000-deep object", payload: `${'{"a":'.repeat(50_000)}1${"}".repeat(50_000)}`, contentType: JSON_TYPE, invalid: needs },
    { label: "a body over 1 MiB", payload: JSON.stringify({ ...(base as object), pad: "x".repeat(1024 * 1024 + 10) }), contentType: JSON_TYPE, invalid: true },
    { label: "a 3 MiB body", payload: "[" + "1,".repeat(1_500_000) + "1]", contentType: JSON_TYPE, invalid: true },
  ];
}

export interface QueryParam {
  name: string;
  schema: JsonSchema;
  required?: boolean;
}

/** Query strings: unknown, repeated and bracketed keys, overlong, out-of-range and junk values. */
export function queryMutations(params: QueryParam[]): fc.Arbitrary<FuzzQuery>[] {
  const q = (label: string, query: string, invalid: boolean): FuzzQuery => ({ label, query, invalid });
  const arbs: fc.Arbitrary<FuzzQuery>[] = [
    fc.constantFrom(
      q("an unknown key", "nope=1", false),
      q("a key with no value", "nope", false),
      q("junk percent-encoding", "a=%ff%fe%", false),
      q("a NUL in a key", "a%00b=1", false),
      q("a 10 000-char key", `${"k".repeat(10_000)}=1`, false),
      q("__proto__ keys", "__proto__[isAdmin]=1&constructor[prototype][x]=1", false),
      q("many keys", Array.from({ length: 2000 }, (_, i) => `k${i}=${i}`).join("&"), false),
      q("only separators", "&&&==&", false),
    ),
  ];
  for (const p of params) {
    const s = objectBranch(p.schema);
    const name = pct(p.name);
    const enumOrNumber = s.enum !== undefined || s.type === "integer" || s.type === "number";
    arbs.push(fc.constant(q(`${p.name} repeated`, `${name}=1&${name}=2`, enumOrNumber || s.type === "string")));
    arbs.push(fc.constant(q(`${p.name}[] as an array`, `${name}[]=1&${name}[]=2`, false)));
    arbs.push(fc.constant(q(`${p.name}[x] as an object`, `${name}[x]=1`, false)));
    arbs.push(oddUnicode.map((v) => q(`${p.name} odd unicode`, `${name}=${pct(v)}`, false)));
    if (s.maxLength !== undefined) {
      const max = s.maxLength;
      arbs.push(fc.oneof(fc.constant(max + 1), fc.integer({ min: max + 2, max: 20_000 })).map((n) => q(`${p.name} of ${n} chars (max ${max})`, `${name}=${"x".repeat(n)}`, true)));
    }
    if (s.minLength !== undefined && s.minLength > 0) arbs.push(fc.constant(q(`${p.name} empty`, `${name}=`, true)));
    if (s.enum) arbs.push(fc.constantFrom("ADMIN", "%20", "null").map((v) => q(`${p.name}=${v} outside the enum`, `${name}=${v}`, true)));
    if (s.type === "integer" || s.type === "number") {
      const out = [
        ["-1", s.minimum !== undefined && s.minimum > -1],
        ["0", s.minimum !== undefined && s.minimum > 0],
        ["1.5", s.type === "integer"],
        ["1e400", true],
        ["99999999999999999999999", s.maximum !== undefined],
        ["abc", true],
        ["0x10", false],
        ["NaN", true],
      ] as const;
      arbs.push(fc.constantFrom(...out).map(([v, invalid]) => q(`${p.name}=${v}`, `${name}=${v}`, invalid)));
    }
    if (s.format === "date-time") {
      arbs.push(fc.constantFrom("yesterday", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00.000Z", "9999999-01-01", "2026-01-05T09:00:00.000+01:00").map((v) => q(`${p.name}=${v}`, `${name}=${pct(v)}`, true)));
    }
  }
  return arbs;
}

/** Path segments that name nothing: overlong, traversal, encoded junk, near-misses of real ids. */
export function oddIds(realId: string): fc.Arbitrary<{ label: string; segment: string }> {
  const id = (label: string, segment: string) => ({ label, segment });
  return fc.oneof(
    fc.constantFrom(
      id("65 chars", "x".repeat(65)),
      id("201 chars", "x".repeat(201)),
      id("5000 chars", "x".repeat(5000)),
      id("a NUL", "%00"),
      id("invalid percent-encoding", "%ff%fe"),
      id("a truncated escape", "abc%e2%82"),
      id("a bare percent", "%"),
      id("traversal", "..%2F..%2Fetc%2Fpasswd"),
      id("dot dot", ".."),
      id("SQL", pct("' OR '1'='1")),
      id("__proto__", "__proto__"),
      id("constructor", "constructor"),
      id("unicode", pct("名前💥")),
      id("RTL override", pct("\u202eid")),
      id("the real id uppercased", pct(realId.toUpperCase() === realId ? `${realId}X` : realId.toUpperCase())),
      id("the real id with a trailing space", `${pct(realId)}%20`),
      id("the real id with a NUL", `${pct(realId)}%00`),
      id("-1", "-1"),
      id("1e309", "1e309"),
    ),
    fc.string({ unit: "binary", minLength: 1, maxLength: 80 }).map((s) => id(`random ${JSON.stringify(s).slice(0, 30)}`, pct(s))),
  );
}

/** Authorization, cookie and CSRF headers that must never authenticate anyone. */
export function badCredentials(realCookie: string): { label: string; headers: Record<string, string>; csrfOnly?: boolean }[] {
  const h = (label: string, headers: Record<string, string>, csrfOnly = false) => ({ label, headers, csrfOnly });
  return [
    h("Bearer with no token", { authorization: "Bearer" }),
    h("Bearer and a space", { authorization: "Bearer " }),
    h("Basic credentials", { authorization: "Basic YWRtaW46YWRtaW4=" }),
    h("a made-up personal token", { authorization: "Bearer lbx_0000000000000000000000000000000000000000" }),
    h("a made-up service token", { authorization: "Bearer lbs_0000000000000000000000000000000000000000" }),
    h("a 300-char token", { authorization: `Bearer lbx_${"a".repeat(300)}` }),
    h("a 20 000-char header", { authorization: `Bearer ${"a".repeat(20_000)}` }),
    h("lower-case scheme, junk token", { authorization: "bearer junk" }),
    h("two schemes", { authorization: "Bearer lbx_a, Bearer lbx_b" }),
    h("a JWT", { authorization: "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9." }),
    h("a made-up session cookie", { cookie: "lockbox_session=0000000000000000" }),
    h("a 5000-char session cookie", { cookie: `lockbox_session=${"a".repeat(5000)}` }),
    h("a malformed cookie header", { cookie: "lockbox_session" }),
    h("a cookie with junk escapes", { cookie: "lockbox_session=%ff%00%zz" }),
    h("a real session without CSRF", { cookie: `lockbox_session=${realCookie}` }, true),
    h("a real session with a wrong CSRF", { cookie: `lockbox_session=${realCookie}`, "x-csrf-token": "wrong" }, true),
    h("a real session with an overlong CSRF", { cookie: `lockbox_session=${realCookie}`, "x-csrf-token": "x".repeat(10_000) }, true),
    h("a real session with an empty CSRF", { cookie: `lockbox_session=${realCookie}`, "x-csrf-token": "" }, true),
  ];
}

/** Headers that are not credentials but still odd: spoofed ids, encodings, lengths, media types. */
export function oddHeaders(): { label: string; headers: Record<string, string>; invalid: boolean; unsafeOnly?: boolean }[] {
  const h = (label: string, headers: Record<string, string>, invalid = false, unsafeOnly = false) => ({ label, headers, invalid, unsafeOnly });
  return [
    h("a client-chosen x-request-id", { "x-request-id": "injected-id" }),
    h("a spoofed x-forwarded-for", { "x-forwarded-for": "10.0.0.1, <script>" }),
    h("accept: application/xml", { accept: "application/xml" }),
    h("accept-encoding: junk", { "accept-encoding": "br;q=junk, *;q=-1" }),
    h("a 10 000-char user agent", { "user-agent": "u".repeat(10_000) }),
    // Fastify ignores Content-Encoding (the body is read as sent) and, under inject, a
    // non-numeric Content-Length: odd, not unsafe, so only "no 5xx, the envelope" is asked here.
    h("content-encoding: gzip on a plain body", { "content-encoding": "gzip" }, false, true),
    h("content-encoding: junk", { "content-encoding": "x-junk" }, false, true),
    h("content-length shorter than the body", { "content-length": "1" }, true, true),
    h("a content-length that is not a number", { "content-length": "abc" }, false, true),
  ];
}
