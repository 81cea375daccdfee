/**
 * The one error type of the domain. Use cases throw it; the HTTP layer maps `code` to a status in
 * one place (src/http/error-handler.ts) and the CLI prints `message`.
 */
export type ErrorCode =
  | "invalid_request"
  | "unauthenticated"
  | "forbidden"
  | "self_approval"
  | "csrf"
  | "not_found"
  | "conflict"
  | "auditing_required"
  | "already_decided"
  | "email_taken"
  | "last_admin"
  | "invitation_invalid"
  | "comment_required"
  | "payload_too_large"
  | "unsupported_media_type"
  | "too_many_attempts"
  | "sso_required"
  | "step_up_required"
  | "mfa_enrollment_required"
  | "break_glass_not_allowed"
  | "production_incident_required"
  | "signature_required"
  | "signature_invalid"
  | "not_enough_passkeys"
  | "internal";

export const httpStatusOf: Record<ErrorCode, number> = {
  invalid_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  self_approval: 403,
  csrf: 403,
  not_found: 404,
  conflict: 409,
  auditing_required: 409,
  already_decided: 409,
  email_taken: 409,
  last_admin: 409,
  invitation_invalid: 410,
  comment_required: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
  too_many_attempts: 429,
  sso_required: 403,
  step_up_required: 401,
  mfa_enrollment_required: 403,
  break_glass_not_allowed: 403,
  production_incident_required: 409,
  signature_required: 400,
  signature_invalid: 400,
  not_enough_passkeys: 409,
  internal: 500,
};

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    // Messages are read by people (the admin center, the CLI): they start as a sentence does.
    super(message.charAt(0).toUpperCase() + message.slice(1));
    this.name = "AppError";
  }
}

/** A bad value in one named field, answered as 400 with the field in `details`. */
export function invalidField(field: string, message: string): AppError {
  const err = new AppError("invalid_request", message, [{ field, message }]);
  // The field's own name leads, exactly as spelled in the API (`requestedMinutes`).
  err.message = `${field}: ${message}`;
  return err;
}

export function notFound(what: string): AppError {
  return new AppError("not_found", `${what} not found`);
}

export function forbidden(message = "your role does not allow this"): AppError {
  return new AppError("forbidden", message);
}
