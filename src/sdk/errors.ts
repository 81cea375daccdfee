/** Why a grant token was refused. `status` is the HTTP answer a service should give. */
export type GrantErrorCode =
  | "invalid_token"
  | "expired"
  | "not_yet_valid"
  | "wrong_tenant"
  | "wrong_service"
  | "insufficient_access"
  | "revoked"
  | "revocations_unavailable"
  | "unsigned_approval"
  | "approvals_unavailable";

const statusOf: Record<GrantErrorCode, 401 | 403 | 503> = {
  invalid_token: 401,
  expired: 401,
  not_yet_valid: 401,
  wrong_tenant: 403,
  wrong_service: 403,
  insufficient_access: 403,
  revoked: 403,
  revocations_unavailable: 503,
  unsigned_approval: 403,
  approvals_unavailable: 503,
};

export class GrantError extends Error {
  override name = "GrantError";
  readonly status: 401 | 403 | 503;
  constructor(
    readonly code: GrantErrorCode,
    message: string,
    /** Set when the token itself was genuine (refused for tenant, service, access or revocation). */
    readonly requestId?: string,
  ) {
    super(message);
    this.status = statusOf[code];
  }
}
