import { type FormEvent, useEffect, useState } from "react";
import { api } from "../../api/client";
import type { Service, TenantSettings } from "../../api/types";
import { ErrorAlert, Notice } from "../../ui/alerts";
import { CheckboxGroup, Switch, TextArea, TextField } from "../../ui/fields";
import { formatMinutes } from "../../ui/format";

const AUDITING_FIRST =
  "Turn on “Record user and admin activity” first. Requiring approval depends on a complete audit trail of your own admins' activity, so Lockbox refuses to turn it on while auditing is off.";
const LOCKBOX_HOLDS_AUDITING = "Auditing stays on while “Require approval for all data access requests” is on.";

/** Every tenant setting (SPEC section 3) in one form; only a global admin may save it. */
export function LockboxSettingsForm({
  tenantId,
  settings,
  services,
  canEdit,
  onSaved,
}: {
  tenantId: string;
  settings: TenantSettings;
  services: Service[];
  canEdit: boolean;
  onSaved: (s: TenantSettings) => void;
}) {
  const [draft, setDraft] = useState(settings);
  const [emails, setEmails] = useState(settings.notificationEmails.join("\n"));
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setDraft(settings);
    setEmails(settings.notificationEmails.join("\n"));
  }, [settings]);

  const set = <K extends keyof TenantSettings>(key: K, value: TenantSettings[K]) => {
    setSaved(false);
    setDraft((d) => ({ ...d, [key]: value }));
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      const notificationEmails = emails.split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean);
      const next = await api.patch<TenantSettings>(`/v1/tenants/${tenantId}/settings`, { ...draft, notificationEmails });
      onSaved(next);
      setSaved(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const selective = draft.protectedServices !== "all";

  return (
    <form className="form" onSubmit={(e) => void submit(e)} aria-label="Lockbox settings">
      {!canEdit && <Notice>Only a global admin can change these settings.</Notice>}
      <fieldset className="plain" disabled={!canEdit}>
        <Switch
          label="Record user and admin activity"
          description="Adds your organization's own sign-ins, setting and role changes to the audit log. Lockbox requests and the provider's actions are always recorded."
          checked={draft.auditingEnabled}
          disabled={!canEdit || (settings.lockboxEnabled && draft.lockboxEnabled)}
          explanation={draft.lockboxEnabled && draft.auditingEnabled ? LOCKBOX_HOLDS_AUDITING : undefined}
          onChange={(v) => set("auditingEnabled", v)}
        />
        <Switch
          label="Require approval for all data access requests"
          description="The provider's engineers cannot access your content unless one of your approvers agrees, for a stated ticket and a limited time."
          checked={draft.lockboxEnabled}
          disabled={!canEdit || !draft.auditingEnabled}
          explanation={!draft.auditingEnabled ? AUDITING_FIRST : undefined}
          onChange={(v) => set("lockboxEnabled", v)}
        />
        {settings.requireDecisionComment !== undefined && (
          <Switch
            label="Require a comment to deny or revoke"
            description="Your approvers must say why when they deny a request or end access early. The comment goes into the request's history and the audit log."
            checked={Boolean(draft.requireDecisionComment)}
            disabled={!canEdit}
            onChange={(v) => set("requireDecisionComment", v)}
          />
        )}
        <Switch
          label="Require a passkey or authenticator code for decisions"
          description="Approving, denying and revoking, and changing security settings, ask your people to confirm it is them with a passkey or an authenticator code when their last check is more than 5 minutes old."
          checked={draft.requireMfaForDecisions}
          disabled={!canEdit}
          onChange={(v) => set("requireMfaForDecisions", v)}
        />
        <div className="form-row">
          <TextField
            label="Approval window (minutes)"
            type="number"
            min={15}
            max={720}
            required
            hint={`How long approvers have to decide: ${formatMinutes(draft.approvalWindowMinutes || 0)}. 15 to 720.`}
            value={draft.approvalWindowMinutes}
            onChange={(e) => set("approvalWindowMinutes", Number(e.target.value))}
          />
          <TextField
            label="Longest access (minutes)"
            type="number"
            min={15}
            max={240}
            required
            hint={`The most time one request can get: ${formatMinutes(draft.maxAccessMinutes || 0)}. 15 to 240.`}
            value={draft.maxAccessMinutes}
            onChange={(e) => set("maxAccessMinutes", Number(e.target.value))}
          />
          <TextField
            label="Approvals required"
            type="number"
            min={1}
            max={5}
            required
            hint="Distinct approvers who must agree (1 to 5)."
            value={draft.requiredApprovals}
            onChange={(e) => set("requiredApprovals", Number(e.target.value))}
          />
        </div>
        <fieldset className="field choice-group">
          <legend>Protected services</legend>
          <div className="choices choices-inline">
            <label className="choice">
              <input type="radio" name="protected" checked={!selective} onChange={() => set("protectedServices", "all")} />
              <span>All services</span>
            </label>
            <label className="choice">
              <input type="radio" name="protected" checked={selective} onChange={() => set("protectedServices", [])} />
              <span>Only the services I choose</span>
            </label>
          </div>
        </fieldset>
        {selective && (
          <CheckboxGroup
            legend="Services that need your approval"
            options={services.map((s) => ({ value: s.key, label: s.name, description: s.description }))}
            value={draft.protectedServices === "all" ? [] : draft.protectedServices}
            onChange={(v) => set("protectedServices", v)}
          />
        )}
        <TextArea
          label="Notification emails"
          rows={3}
          hint="Extra addresses told of every request, one per line (up to 20). Your global admins and approvers are always told."
          value={emails}
          onChange={(e) => {
            setSaved(false);
            setEmails(e.target.value);
          }}
        />
      </fieldset>
      <ErrorAlert error={error} title="The settings were not saved" />
      {saved && <Notice tone="success">Settings saved.</Notice>}
      {canEdit && (
        <div className="button-row">
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? "Saving…" : "Save settings"}
          </button>
        </div>
      )}
    </form>
  );
}
