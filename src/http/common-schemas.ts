import { z } from "zod";

/** Shared edge schemas. Every string is bounded; every id is a short opaque string. */
export const idSchema = z.string().min(1).max(64);
export const idParams = z.strictObject({ id: idSchema });
export const isoTime = z.iso.datetime({ offset: false }).describe("ISO-8601 UTC time, e.g. 2026-11-28T15:00:00.000Z");
export const emailSchema = z.email().max(254);
export const commentSchema = z.string().max(2000);
export const nameSchema = z.string().trim().min(1).max(200);

export const pageQuery = {
  cursor: z.string().min(1).max(512).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
};

export const listOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.unknown().optional(),
      requestId: z.string(),
    }),
  })
  .describe("The one error envelope");

/** The error responses every authenticated route can give, for the OpenAPI document. */
export const errorResponses = {
  400: errorSchema,
  401: errorSchema,
  403: errorSchema,
  404: errorSchema,
  409: errorSchema,
};

/** A JSON body that may be left out entirely (POST with nothing to say); Fastify gives null then. */
export const optionalBody = <T extends z.ZodRawShape>(shape: T) => z.strictObject(shape).nullish();
