import { type FormEvent, useState } from "react";
import { api } from "../../api/client";
import type { Invitation, Tenant, TenantSettings } from "../../api/types";
import { useQuery } from "../../app/use-query";
import { EmptyState, ErrorAlert, Loading, Notice } from "../../ui/alerts";
import { CopyField } from "../../ui/copy-field";
import { TextField } from "../../ui/fields";
import { Card, Page } from "../../ui/page";
import { LocalTime } from "../../ui/time";
import { loadTenants } from "../catalog";

/** The provider's customers, with whether each requires approval, and onboarding a new one. */
export function TenantsPage() {
  const tenants = useQuery(
    async () =>
      Promise.all(
        (await loadTenants()).map(async (t) => ({ ...t, settings: await api.get<TenantSettings>(`/v1/tenants/${t.id}/settings`).catch(() => null) })),
      ),
    [],
  );
  const [onboarded, setOnboarded] = useState<{ tenant: Tenant; invitation: Invitation; adminEmail: string } | null>(null);
  return (
    <Page title="Tenants" intro="Customers served by this provider. Each customer's global admin controls its own lockbox settings; the provider cannot.">
      <Card title="Onboard a tenant">
        <OnboardForm
          onDone={(r) => {
            setOnboarded(r);
            tenants.reload();
          }}
        />
        {onboarded && (
          <Notice tone="success">
            <p>
              {onboarded.tenant.name} was created. Send this link to {onboarded.adminEmail}: it makes them the tenant's first global admin and works once, until{" "}
              <LocalTime iso={onboarded.invitation.expiresAt} />.
            </p>
            <CopyField label="Invitation link" value={onboarded.invitation.url} />
          </Notice>
        )}
      </Card>
      <Card title="All tenants">
        <ErrorAlert error={tenants.error} />
        {!tenants.data ? (
          !tenants.error && <Loading />
        ) : tenants.data.length === 0 ? (
          <EmptyState title="No tenants yet">Onboard your first customer above.</EmptyState>
        ) : (
          <div className="table-wrap">
            <table className="table table-stack">
              <caption className="visually-hidden">Tenants</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Customer Lockbox</th>
                  <th scope="col">Approvals</th>
                  <th scope="col">Created</th>
                  <th scope="col">ID</th>
                </tr>
              </thead>
              <tbody>
                {tenants.data.map((t) => (
                  <tr key={t.id}>
                    <td data-label="Name">{t.name}</td>
                    <td data-label="Customer Lockbox">
                      {t.settings ? (
                        <span className={`badge ${t.settings.lockboxEnabled ? "badge-active" : "badge-neutral"}`}>{t.settings.lockboxEnabled ? "Approval required" : "Off"}</span>
                      ) : (
                        "—"
                      )}
                    </td>
                    <td data-label="Approvals">{t.settings?.lockboxEnabled ? t.settings.requiredApprovals : "—"}</td>
                    <td data-label="Created">
                      <LocalTime iso={t.createdAt} />
                    </td>
                    <td data-label="ID">
                      <code className="small">{t.id}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </Page>
  );
}

function OnboardForm({ onDone }: { onDone: (r: { tenant: Tenant; invitation: Invitation; adminEmail: string }) => void }) {
  const [name, setName] = useState("");
  const [adminEmail, setAdminEmail] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const res = await api.post<{ tenant: Tenant; invitation: Invitation }>("/v1/tenants", { name, adminEmail });
      onDone({ ...res, adminEmail });
      setName("");
      setAdminEmail("");
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="form" onSubmit={(e) => void submit(e)} aria-label="Onboard a tenant">
      <ErrorAlert error={error} />
      <div className="form-row">
        <TextField label="Tenant name" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
        <TextField label="Admin email" type="email" required maxLength={254} hint="Their first global admin." value={adminEmail} onChange={(e) => setAdminEmail(e.target.value)} />
      </div>
      <div className="button-row">
        <button type="submit" className="button button-primary" disabled={busy}>
          Onboard tenant
        </button>
      </div>
    </form>
  );
}
