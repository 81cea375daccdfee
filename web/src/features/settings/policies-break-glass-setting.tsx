import { useState } from "react";
import { api } from "../../api/client";
import type { TenantSettings } from "../../api/types";
import { ErrorAlert } from "../../ui/alerts";
import { Switch, TextField } from "../../ui/fields";

/**
 * The tenant's break-glass setting (SPEC 17): off by default. When on, two provider people may
 * open emergency access for a production incident without waiting for an approver — your
 * approvers are told at once and must review each one afterwards.
 */
export function BreakGlassSetting({ tenantId, settings, canEdit, onSaved }: { tenantId: string; settings: TenantSettings; canEdit: boolean; onSaved: () => void }) {
  const [maxMinutes, setMaxMinutes] = useState(String(settings.breakGlass.maxMinutes));
  const [error, setError] = useState<unknown>(null);
  const save = async (breakGlass: TenantSettings["breakGlass"]) => {
    setError(null);
    try {
      await api.patch(`/v1/tenants/${tenantId}/settings`, { breakGlass });
      onSaved();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <div className="stack" data-testid="break-glass-setting">
      <ErrorAlert error={error} />
      <Switch
        label="Allow break-glass access"
        description="For a production incident, two provider people may grant access at once. You are told immediately and review it afterwards."
        checked={settings.breakGlass.allowed}
        disabled={!canEdit}
        explanation={canEdit ? undefined : "Only a global admin changes this."}
        onChange={(allowed) => void save({ allowed, maxMinutes: Number(maxMinutes) })}
      />
      <TextField
        label="Longest break-glass access (minutes)"
        type="number"
        min={1}
        max={60}
        disabled={!canEdit}
        value={maxMinutes}
        onChange={(e) => setMaxMinutes(e.target.value)}
        onBlur={() => {
          if (Number(maxMinutes) !== settings.breakGlass.maxMinutes) void save({ allowed: settings.breakGlass.allowed, maxMinutes: Number(maxMinutes) });
        }}
        hint="At most 60."
      />
    </div>
  );
}
