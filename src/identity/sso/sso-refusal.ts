/**
 * Why a browser sign-in through the IdP did not happen. The callback is a page load, not an API
 * call: every refusal becomes a redirect to the sign-in page with `?sso_error=<reason>`, never a
 * JSON error or a 500. Reasons are stable words the admin center turns into sentences.
 */
export type SsoRefusalReason =
  | "sso_not_configured"
  | "idp_unreachable"
  | "idp_error"
  | "state_invalid"
  | "token_invalid"
  | "email_unverified"
  | "email_domain_not_allowed"
  | "user_not_provisioned"
  | "no_mapped_role"
  | "user_deactivated"
  | "sso_failed";

export class SsoRefusal extends Error {
  override name = "SsoRefusal";
  constructor(
    readonly reason: SsoRefusalReason,
    message: string,
  ) {
    super(message);
  }
}
