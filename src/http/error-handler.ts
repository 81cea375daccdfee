import type { FastifyError, FastifyInstance } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { isDatabaseBusy } from "../db/connect.js";
import { AppError, type ErrorCode, httpStatusOf } from "../errors.js";
import { fieldOf, messageOf } from "./validation-messages.js";

function envelope(code: string, message: string, requestId: string, details?: unknown) {
  return { error: { code, message, ...(details === undefined ? {} : { details }), requestId } };
}

/** Fastify's own errors that are the client's fault, mapped to our codes. */
const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "payload_too_large",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "unsupported_media_type",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "invalid_request",
  FST_ERR_CTP_EMPTY_JSON_BODY: "invalid_request",
  FST_ERR_CTP_INVALID_JSON_BODY: "invalid_request",
};

/**
 * The one place errors become HTTP answers, all in one envelope. Unknown errors are logged with
 * the request id and answered with a bare 500: no database or library text reaches the client.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AppError, request, reply) => {
    if (err instanceof AppError) {
      if (err.code === "too_many_attempts") {
        const retry = (err.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
        if (retry) void reply.header("retry-after", String(retry));
      }
      return reply.code(httpStatusOf[err.code]).send(envelope(err.code, err.message, request.id, err.details));
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const details = err.validation.map((v) => ({ field: fieldOf(v, err.validationContext), message: messageOf(v) }));
      const first = details[0];
      return reply
        .code(400)
        .send(envelope("invalid_request", first ? `${first.field}: ${first.message}` : "Invalid request", request.id, details));
    }
    const mapped = fastifyCodes[err.code];
    if (mapped) return reply.code(httpStatusOf[mapped]).send(envelope(mapped, err.message, request.id));
    if (typeof err.statusCode === "number" && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.code(err.statusCode).send(envelope("invalid_request", err.message, request.id));
    }
    if (isDatabaseBusy(err)) {
      // Pool acquire, statement or lock timeout: the client may retry; not a fault (SPEC §18).
      request.log.warn({ err }, "database busy");
      return reply.code(503).header("retry-after", "1").send(envelope("busy", "the database is busy; retry shortly", request.id));
    }
    request.log.error({ err }, "unhandled error");
    return reply.code(500).send(envelope("internal", "internal error", request.id));
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(envelope("not_found", `no route ${request.method} ${request.url.split("?")[0]}`, request.id)),
  );
}
