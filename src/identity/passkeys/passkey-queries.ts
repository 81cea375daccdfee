import type { PasskeyTable, Queryable } from "../../db/schema.js";

/** A passkey as the API shows it: never the key material, which the audit already holds. */
export interface Passkey {
  id: string;
  name: string;
  credentialId: string;
  algorithm: number;
  transports: string[];
  createdAt: string;
  lastUsedAt: string | null;
}

export function toPasskey(row: PasskeyTable): Passkey {
  return {
    id: row.id,
    name: row.name,
    credentialId: row.credential_id,
    algorithm: Number(row.algorithm),
    transports: JSON.parse(row.transports) as string[],
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}

export async function passkeyRowsOf(db: Queryable, userId: string): Promise<PasskeyTable[]> {
  return db.selectFrom("passkeys").selectAll().where("user_id", "=", userId).orderBy("created_at").orderBy("id").execute();
}

export async function passkeyRowByCredentialId(db: Queryable, credentialId: string): Promise<PasskeyTable | undefined> {
  return db.selectFrom("passkeys").selectAll().where("credential_id", "=", credentialId).executeTakeFirst();
}
