/**
 * zod's issues as people read them. One form for every field — its name as in the API
 * (`ticket`, `notificationEmails.0`), never prefixed with where it came from (`body.`) — and a
 * message that says what is allowed instead of zod's own wording ("Too small: expected string to
 * have >=1 characters" becomes "ticket: must not be empty").
 */
export interface ValidationIssue {
  instancePath: string;
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

const typeNames: Record<string, string> = {
  string: "text",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  object: "an object",
  array: "a list",
};

/** zod's default messages start like this; a schema's own message (`.regex(re, "must be …")`) is kept. */
const zodWording = /^(Invalid|Too (small|big)|Unrecognized|Expected)/;

export function fieldOf(issue: ValidationIssue, context: string | undefined): string {
  const path = issue.instancePath.split("/").filter(Boolean);
  const keys = issue.params?.keys;
  if (issue.keyword === "unrecognized_keys" && Array.isArray(keys) && keys.length > 0) path.push(String(keys[0]));
  if (path.length > 0) return path.join(".");
  return context === "querystring" ? "query" : (context ?? "body");
}

export function messageOf(issue: ValidationIssue): string {
  const p = issue.params ?? {};
  const zodText = issue.message ?? "";
  const origin = p.origin;
  const unit = origin === "string" ? " characters" : origin === "array" || origin === "set" ? " items" : "";
  switch (issue.keyword) {
    case "too_small": {
      const min = Number(p.minimum);
      if (origin === "string" && min === 1) return "must not be empty";
      if (origin === "array" && min === 1) return "must name at least one";
      return `must be at least ${min}${unit}`;
    }
    case "too_big":
      return `must be at most ${Number(p.maximum)}${unit}`;
    case "invalid_type":
      if (/received undefined/.test(zodText)) return "is required";
      return `must be ${typeNames[String(p.expected)] ?? String(p.expected)}`;
    case "invalid_format":
      if (zodText && !zodWording.test(zodText)) return zodText;
      if (p.format === "email") return "must be an email address";
      if (p.format === "datetime") return "must be a UTC time like 2026-01-05T09:00:00Z";
      if (p.format === "url") return "must be a URL";
      if (p.format === "regex") return "has characters or a form that is not allowed";
      return `must be ${String(p.format)}`;
    case "invalid_value": {
      const values = Array.isArray(p.values) ? p.values.map(String) : [];
      return values.length > 0 && values.length <= 12 ? `must be one of ${values.join(", ")}` : "has a value that is not allowed";
    }
    case "unrecognized_keys":
      return "is not a known field";
    case "invalid_union":
      return "has a value that is not allowed";
    case "not_multiple_of":
      return `must be a multiple of ${String(p.divisor)}`;
    default:
      return zodText && !zodWording.test(zodText) ? zodText : "is not valid";
  }
}
