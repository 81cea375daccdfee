import { requestStepOperations } from "../requests/request-lifecycle.js";

/**
 * The closed catalog of audit operations (SPEC section 6), grouped by family for people: the
 * admin center's Operation filter offers it, and test/audit-operation-catalog.test.ts keeps it
 * equal to the operations the code writes. Pure (no Node APIs): the admin center bundles it.
 * `operator.<op>` is open: the provider's services name their own operations.
 */
export const operationCatalog = [
  { label: "Requests", family: "request", operations: [...requestStepOperations, "request.token_issued"] },
  { label: "Work under an approval", family: "operator", operations: ["operator.denied"] },
  { label: "Settings and tenants", family: "tenant", operations: ["tenant.created", "tenant.settings_changed"] },
  {
    label: "Approval policies",
    family: "approval_policy",
    operations: ["approval_policy.created", "approval_policy.updated", "approval_policy.deleted"],
  },
  {
    label: "People",
    family: "user",
    operations: [
      "user.created",
      "user.activated",
      "user.roles_changed",
      "user.deactivated",
      "user.reactivated",
      "user.removed",
      "user.password_reset",
    ],
  },
  {
    label: "Sign-in and factors",
    family: "user",
    operations: [
      "user.signed_in",
      "user.sign_in_failed",
      "user.signed_out_everywhere",
      "user.passkey_registered",
      "user.passkey_removed",
      "user.totp_enrolled",
      "user.totp_removed",
    ],
  },
  { label: "Invitations", family: "invitation", operations: ["invitation.resent", "invitation.revoked"] },
  { label: "Single sign-on", family: "org", operations: ["org.sso_configured", "org.sso_removed"] },
  { label: "Provider settings", family: "org", operations: ["org.settings_changed"] },
  { label: "Webhooks", family: "webhook", operations: ["webhook.created", "webhook.deleted"] },
  { label: "Audit streaming", family: "audit_sink", operations: ["audit_sink.created", "audit_sink.deleted"] },
  { label: "Services", family: "service", operations: ["service.created"] },
  { label: "Service credentials", family: "service_credential", operations: ["service_credential.created", "service_credential.deleted"] },
  { label: "Personal API tokens", family: "token", operations: ["token.created", "token.deleted"] },
] as const satisfies readonly { label: string; family: string; operations: readonly string[] }[];

export const catalogOperations: readonly string[] = operationCatalog.flatMap((g) => g.operations);
