import type { Queryable } from "../db/schema.js";
import { AppError, invalidField, notFound } from "../errors.js";
import type { RequestRow } from "../requests/access-request.js";

export interface ExtensionTerms {
  id: string;
  minutes: number;
  status: string;
}

/**
 * The total an extension's statement names (SPEC 15 applied to SPEC 17): the minutes granted,
 * plus every extension approved so far, plus this one. The offline verifier adds up the same
 * events (the final approval's grantedMinutes, each final extension approval's minutes), so the
 * server and `lockbox audit verify` agree without reading the clock.
 */
export async function extensionTotalMinutes(db: Queryable, row: RequestRow, ext: ExtensionTerms): Promise<number> {
  if (row.granted_minutes === null) throw new AppError("conflict", "the request has no granted minutes to extend", { status: row.status });
  const approved = await db
    .selectFrom("request_extensions")
    .select("minutes")
    .where("request_id", "=", row.id)
    .where("status", "=", "approved")
    .execute();
  return row.granted_minutes + approved.reduce((sum, e) => sum + Number(e.minutes), 0) + ext.minutes;
}

/** The extension a statement is for: named, of this request, still pending. */
export async function pendingExtension(db: Queryable, row: RequestRow, extensionId: string | undefined): Promise<ExtensionTerms> {
  if (extensionId === undefined) throw invalidField("extensionId", "an extension decision names its extension");
  const ext = await db.selectFrom("request_extensions").select(["id", "minutes", "status"]).where("id", "=", extensionId).where("request_id", "=", row.id).executeTakeFirst();
  if (!ext) throw notFound("extension");
  if (ext.status !== "pending") throw new AppError("conflict", `the extension is ${ext.status}`, { status: ext.status });
  return { id: ext.id, minutes: Number(ext.minutes), status: ext.status };
}
