import { AppError } from "../../errors.js";

/**
 * The challenge the browser signed over, read from clientDataJSON before verification so the
 * server can take (delete) exactly that challenge. A response whose clientDataJSON is not JSON
 * with a string challenge is bad input, not a failed ceremony.
 */
export function challengeOf(clientDataJSON: string): string {
  try {
    const data = JSON.parse(Buffer.from(clientDataJSON, "base64url").toString("utf8")) as { challenge?: unknown };
    if (typeof data.challenge === "string" && data.challenge.length > 0 && data.challenge.length <= 200) return data.challenge;
  } catch {
    // fall through
  }
  throw new AppError("invalid_request", "response.response.clientDataJSON: not a WebAuthn client data object", [
    { field: "response.response.clientDataJSON", message: "not a WebAuthn client data object" },
  ]);
}
