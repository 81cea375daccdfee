import { generateSync } from "otplib";
import type { As, TestApp } from "./test-app.js";

/**
 * Step-up in tests (SPEC 14). Tenants created through POST /v1/tenants start with
 * requireMfaForDecisions on, so every decision and settings change of their people needs a fresh
 * second factor. Suites about something else (the workflow, permissions, notifications) switch it
 * off for their tenants with `allowDecisionsWithoutStepUp`; suites about step-up keep it on and
 * enrol factors with `stepUp`.
 */

/**
 * Turns requireMfaForDecisions off for these tenants by a direct database update — deliberately
 * not through PATCH /v1/tenants/:id/settings, which itself needs step-up while the setting is on
 * (and would put a settings change into each tenant's audit chain that those suites do not expect).
 * Tenants that existed before step-up are in exactly this state (migration 0014-step-up).
 */
export async function allowDecisionsWithoutStepUp(t: TestApp, ...tenantIds: string[]): Promise<void> {
  if (tenantIds.length === 0) return;
  await t.app.deps.db.updateTable("tenants").set({ require_mfa_for_decisions: 0 }).where("id", "in", tenantIds).execute();
}

export interface StepUpFactor {
  secret: string;
  recoveryCodes: string[];
  /**
   * A code not used yet: the current 30-second step's, or — when this helper already handed that
   * one out (a code is accepted once) — the next step's, moving the app's fake clock 30 s on.
   */
  otp(): string;
  /** `{ "x-lockbox-otp": otp() }`, for t.request's headers. */
  header(): Record<string, string>;
}

/** Enrols (and confirms) an authenticator app for `actor` over HTTP; returns its code generator. */
export async function stepUp(t: TestApp, actor: { as: As }): Promise<StepUpFactor> {
  const started = await t.request("POST", "/v1/me/totp", actor.as);
  if (started.status !== 200) throw new Error(`totp enrol: ${started.status} ${JSON.stringify(started.body)}`);
  const secret = started.body.secret as string;
  let lastStep = -1;
  const otp = () => {
    let step = Math.floor(t.clock.now().getTime() / 30_000);
    if (step <= lastStep) {
      t.clock.advanceMs((lastStep + 1 - step) * 30_000);
      step = lastStep + 1;
    }
    lastStep = step;
    return generateSync({ secret, epoch: Math.floor(t.clock.now().getTime() / 1000) });
  };
  const confirmed = await t.request("POST", "/v1/me/totp/confirm", actor.as, { code: otp() });
  if (confirmed.status !== 200) throw new Error(`totp confirm: ${confirmed.status} ${JSON.stringify(confirmed.body)}`);
  return { secret, recoveryCodes: confirmed.body.recoveryCodes as string[], otp, header: () => ({ "x-lockbox-otp": otp() }) };
}
