import { z } from "zod";

/** An audit event as the API returns it (the export's line format, SPEC 6). */
export const auditEventSchema = z.object({
  chain: z.string(),
  seq: z.number().int(),
  id: z.string(),
  at: z.string(),
  operation: z.string(),
  actor: z.object({ type: z.enum(["user", "service", "system"]), id: z.string(), name: z.string(), ip: z.string().optional() }),
  target: z.object({ type: z.string(), id: z.string() }),
  details: z.record(z.string(), z.unknown()),
  prevHash: z.string(),
  hash: z.string(),
});
