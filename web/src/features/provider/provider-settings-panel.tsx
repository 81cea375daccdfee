import { useState } from "react";
import { api } from "../../api/client";
import { useQuery } from "../../app/use-query";
import { ErrorAlert, Loading, Notice } from "../../ui/alerts";
import { Switch } from "../../ui/fields";

interface ProviderSettings {
  requireMfaForDecisions: boolean;
}

/**
 * The provider's own step-up switch (SPEC 14, `/v1/orgs/provider/settings`): staff decisions and
 * the provider's security settings ask for a fresh passkey or code. Saved on change; turning it
 * off is itself a settings change, so with it on the step-up prompt comes first.
 */
export function ProviderSettingsPanel() {
  const q = useQuery(() => api.get<ProviderSettings>("/v1/orgs/provider/settings"), []);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const change = async (requireMfaForDecisions: boolean) => {
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      await api.patch<ProviderSettings>("/v1/orgs/provider/settings", { requireMfaForDecisions });
      setSaved(true);
      q.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  if (!q.data) return q.error ? <ErrorAlert error={q.error} /> : <Loading />;
  return (
    <div className="form">
      <Switch
        label="Require a passkey or authenticator code for decisions"
        description="Managers' approvals, and changes to the provider's sign-in, webhooks, audit streaming and service credentials, ask staff to confirm it is them when their last check is more than 5 minutes old."
        checked={q.data.requireMfaForDecisions}
        disabled={busy}
        onChange={(v) => void change(v)}
      />
      <ErrorAlert error={error} title="The setting was not saved" />
      {saved && <Notice tone="success">Setting saved.</Notice>}
    </div>
  );
}
