import type { TenantTable } from "../db/schema.js";

export interface TenantSettings {
  auditingEnabled: boolean;
  lockboxEnabled: boolean;
  approvalWindowMinutes: number;
  maxAccessMinutes: number;
  requiredApprovals: number;
  protectedServices: "all" | string[];
  notificationEmails: string[];
  /** Deny and revoke by the customer need a non-empty comment. */
  requireDecisionComment: boolean;
  /** Decisions and security settings need a fresh passkey or TOTP verification (step-up). */
  requireMfaForDecisions: boolean;
  /** Emergency access by two provider people (SPEC 17); off by default, at most an hour. */
  breakGlass: { allowed: boolean; maxMinutes: number };
  /** Customer decisions carry a passkey signature over the decision statement (SPEC 15). */
  requireSignedApprovals: boolean;
}

export const MAX_REQUIRED_APPROVALS = 5;
export const MAX_NOTIFICATION_EMAILS = 20;
export const MIN_WINDOW_MINUTES = 15;
export const MAX_BREAK_GLASS_MINUTES = 60;

export function defaultSettings(caps: { maxApprovalWindowMinutes: number; maxAccessMinutes: number }): TenantSettings {
  return {
    auditingEnabled: false,
    lockboxEnabled: false,
    approvalWindowMinutes: Math.min(720, caps.maxApprovalWindowMinutes),
    maxAccessMinutes: Math.min(240, caps.maxAccessMinutes),
    requiredApprovals: 1,
    protectedServices: "all",
    notificationEmails: [],
    requireDecisionComment: false,
    // On for every tenant created from now on; tenants older than step-up keep it off (0014).
    requireMfaForDecisions: true,
    breakGlass: { allowed: false, maxMinutes: MAX_BREAK_GLASS_MINUTES },
    requireSignedApprovals: false,
  };
}

export function settingsOf(row: TenantTable): TenantSettings {
  return {
    auditingEnabled: row.auditing_enabled === 1,
    lockboxEnabled: row.lockbox_enabled === 1,
    approvalWindowMinutes: row.approval_window_minutes,
    maxAccessMinutes: row.max_access_minutes,
    requiredApprovals: row.required_approvals,
    protectedServices: JSON.parse(row.protected_services) as TenantSettings["protectedServices"],
    notificationEmails: JSON.parse(row.notification_emails) as string[],
    requireDecisionComment: row.require_decision_comment === 1,
    requireMfaForDecisions: row.require_mfa_for_decisions === 1,
    breakGlass: { allowed: row.break_glass_allowed === 1, maxMinutes: row.break_glass_max_minutes },
    requireSignedApprovals: row.require_signed_approvals === 1,
  };
}

export function settingsColumns(s: TenantSettings) {
  return {
    auditing_enabled: s.auditingEnabled ? 1 : 0,
    lockbox_enabled: s.lockboxEnabled ? 1 : 0,
    approval_window_minutes: s.approvalWindowMinutes,
    max_access_minutes: s.maxAccessMinutes,
    required_approvals: s.requiredApprovals,
    protected_services: JSON.stringify(s.protectedServices),
    notification_emails: JSON.stringify(s.notificationEmails),
    require_decision_comment: s.requireDecisionComment ? 1 : 0,
    require_mfa_for_decisions: s.requireMfaForDecisions ? 1 : 0,
    break_glass_allowed: s.breakGlass.allowed ? 1 : 0,
    break_glass_max_minutes: s.breakGlass.maxMinutes,
    require_signed_approvals: s.requireSignedApprovals ? 1 : 0,
  };
}

/**
 * Whether a request for these services needs the customer's approval: only with lockbox on, and
 * only when it names at least one protected service.
 */
export function needsCustomerApproval(settings: TenantSettings, services: readonly string[]): boolean {
  if (!settings.lockboxEnabled) return false;
  const protectedServices = settings.protectedServices;
  return protectedServices === "all" || services.some((s) => protectedServices.includes(s));
}
