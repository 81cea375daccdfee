import { type FormEvent, useState } from "react";
import { api } from "../../api/client";
import type { AccessRequest, TenantSettings } from "../../api/types";
import { navigate } from "../../app/router";
import { useQuery } from "../../app/use-query";
import { ErrorAlert, Notice } from "../../ui/alerts";
import { CheckboxGroup, SelectField, TextArea, TextField } from "../../ui/fields";
import { formatMinutes, fromLocalInput } from "../../ui/format";
import { type ReasonType, reasonTypeLabels, reasonTypes } from "../../../../src/requests/reason-types.js";
import { Card, Page } from "../../ui/page";
import { loadServices, loadTenants } from "../catalog";

const DURATIONS = [15, 30, 60, 90, 120, 180, 240, 360, 480, 720, 1440];
/** The provider's default cap (4 h); each customer's own maximum applies once it is chosen. */
const PROVIDER_MAX_MINUTES = 240;

export function NewRequestPage() {
  const tenants = useQuery(loadTenants, []);
  const services = useQuery(loadServices, []);
  const [tenantId, setTenantId] = useState("");
  const [ticket, setTicket] = useState("");
  const [reasonType, setReasonType] = useState<ReasonType>("customer_initiated_support");
  const [startAt, setStartAt] = useState("");
  const [reason, setReason] = useState("");
  const [chosen, setChosen] = useState<string[]>([]);
  const [accessLevel, setAccessLevel] = useState<"read" | "write">("read");
  const [minutes, setMinutes] = useState(60);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const settings = useQuery(
    () => (tenantId ? api.get<TenantSettings>(`/v1/tenants/${tenantId}/settings`) : Promise.resolve(undefined)),
    [tenantId],
  );
  // Only what the chosen customer allows; before one is chosen, only up to the provider's cap.
  const max = settings.data?.maxAccessMinutes ?? PROVIDER_MAX_MINUTES;
  const durations = DURATIONS.filter((m) => m <= max);
  const chosenMinutes = durations.includes(minutes) ? minutes : (durations.filter((m) => m <= minutes).at(-1) ?? durations[0] ?? 15);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (chosen.length === 0) {
      setError(new Error("Choose at least one service."));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const created = await api.post<AccessRequest>("/v1/requests", {
        tenantId,
        ...(ticket.trim() ? { ticket: ticket.trim() } : {}),
        reasonType,
        ...(fromLocalInput(startAt) ? { startAt: fromLocalInput(startAt) } : {}),
        reason: reason.trim(),
        services: chosen,
        accessLevel,
        requestedMinutes: chosenMinutes,
      });
      navigate(`/my-requests?submitted=${encodeURIComponent(created.ticket || created.id)}`);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Page title="New data access request" intro="Ask for time-bound access to a customer's content for one support case. A provider manager approves first, then the customer.">
      <Card>
        <form className="form" onSubmit={(e) => void submit(e)}>
          <ErrorAlert error={error ?? tenants.error ?? services.error} title={error ? "The request was not submitted" : undefined} />
          <SelectField label="Customer" required value={tenantId} onChange={(e) => setTenantId(e.target.value)}>
            <option value="">Choose a customer…</option>
            {tenants.data?.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </SelectField>
          {settings.data && (
            <Notice>
              {settings.data.lockboxEnabled
                ? `This customer approves data access itself (${settings.data.requiredApprovals} approval${settings.data.requiredApprovals === 1 ? "" : "s"} needed) after your manager.`
                : "This customer has not turned on Customer Lockbox: a manager's approval grants access."}{" "}
              Longest access: {formatMinutes(settings.data.maxAccessMinutes)}.
            </Notice>
          )}
          <SelectField label="Reason type" value={reasonType} onChange={(e) => setReasonType(e.target.value as ReasonType)}>
            {reasonTypes.map((t) => (
              <option key={t} value={t}>
                {reasonTypeLabels[t]}
              </option>
            ))}
          </SelectField>
          <TextField
            label="Ticket"
            required={reasonType === "customer_initiated_support"}
            maxLength={64}
            hint={reasonType === "customer_initiated_support" ? "The support case number the customer knows." : "Optional for this reason type."}
            value={ticket}
            onChange={(e) => setTicket(e.target.value)}
          />
          <TextField
            label="Scheduled start (optional)"
            type="datetime-local"
            hint="Access opens then, or at the final approval if that is later; at most 7 days ahead."
            value={startAt}
            onChange={(e) => setStartAt(e.target.value)}
          />
          <TextArea label="Reason" required maxLength={2000} rows={4} hint="What you need to do and why. The customer reads this before deciding." value={reason} onChange={(e) => setReason(e.target.value)} />
          <CheckboxGroup
            legend="Services"
            hint="Only the services the case needs."
            options={(services.data ?? []).map((s) => ({ value: s.key, label: s.name, description: s.description }))}
            value={chosen}
            onChange={setChosen}
          />
          <fieldset className="field choice-group">
            <legend>Access level</legend>
            <div className="choices choices-inline">
              {(["read", "write"] as const).map((level) => (
                <label key={level} className="choice">
                  <input type="radio" name="accessLevel" value={level} checked={accessLevel === level} onChange={() => setAccessLevel(level)} />
                  <span>{level === "read" ? "Read" : "Read and write"}</span>
                </label>
              ))}
            </div>
          </fieldset>
          <SelectField label="Duration" value={String(chosenMinutes)} onChange={(e) => setMinutes(Number(e.target.value))}>
            {durations.map((m) => (
              <option key={m} value={m}>
                {formatMinutes(m)}
              </option>
            ))}
          </SelectField>
          <div className="button-row">
            <button type="submit" className="button button-primary" disabled={busy}>
              {busy ? "Submitting…" : "Submit request"}
            </button>
          </div>
        </form>
      </Card>
    </Page>
  );
}
