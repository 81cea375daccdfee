import { type FormEvent, useEffect, useState } from "react";
import { api } from "../../api/client";
import { hasRoute } from "../../api/capabilities";
import { type Page as ApiPage, type Webhook, type WebhookDelivery, webhookEventTypes } from "../../api/types";
import { useQuery } from "../../app/use-query";
import { EmptyState, ErrorAlert, Loading, Notice } from "../../ui/alerts";
import { CopyField } from "../../ui/copy-field";
import { CheckboxGroup, TextField } from "../../ui/fields";
import { LocalTime } from "../../ui/time";

const ROUTE = "/v1/tenants/{id}/webhooks";

/** Signed webhooks for this tenant (SPEC section 7), when this server has them. */
export function WebhooksPanel({ tenantId }: { tenantId: string }) {
  const [available, setAvailable] = useState<boolean | null>(null);
  useEffect(() => {
    void hasRoute("get", ROUTE).then(setAvailable);
  }, []);
  if (available === null) return <Loading />;
  if (!available) return <Notice>Webhooks are not available on this server version yet. Email notifications still reach your approvers.</Notice>;
  return <Webhooks tenantId={tenantId} />;
}

function Webhooks({ tenantId }: { tenantId: string }) {
  const base = `/v1/tenants/${tenantId}/webhooks`;
  const list = useQuery(() => api.get<ApiPage<Webhook>>(base).then((r) => r.items), [base]);
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<string[]>([]);
  const [created, setCreated] = useState<{ id: string; secret: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [open, setOpen] = useState<string | null>(null);

  const add = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      setCreated(await api.post<{ id: string; secret: string }>(base, { url, ...(events.length ? { events } : {}) }));
      setUrl("");
      setEvents([]);
      list.reload();
    } catch (err) {
      setError(err);
    }
  };
  const remove = async (id: string) => {
    setError(null);
    try {
      await api.delete(`${base}/${id}`);
      list.reload();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <div className="stack">
      <ErrorAlert error={list.error ?? error} />
      {list.data && list.data.length === 0 && <EmptyState title="No webhooks">Add an endpoint to have every request step posted to your systems.</EmptyState>}
      {list.data && list.data.length > 0 && (
        <ul className="plain-list">
          {list.data.map((w) => (
            <li key={w.id} className="webhook">
              <div className="webhook-head">
                <div>
                  <code>{w.url}</code>
                  <p className="muted small">
                    {w.events?.length ? w.events.join(", ") : "All events"}
                    {w.disabledAt && ` · disabled ${w.disabledReason ? `(${w.disabledReason})` : "after repeated failures"}`}
                  </p>
                </div>
                <div className="button-row">
                  <button type="button" className="button button-subtle" aria-expanded={open === w.id} onClick={() => setOpen(open === w.id ? null : w.id)}>
                    Deliveries
                  </button>
                  <button type="button" className="button button-danger-outline" aria-label={`Delete webhook ${w.url}`} onClick={() => void remove(w.id)}>
                    Delete
                  </button>
                </div>
              </div>
              {open === w.id && <Deliveries path={`${base}/${w.id}/deliveries`} />}
            </li>
          ))}
        </ul>
      )}
      {created && (
        <Notice tone="success">
          <p>Webhook added. Copy its signing secret now: it is shown only once.</p>
          <CopyField label="Signing secret" value={created.secret} hint="Check the Lockbox-Signature header with it." />
        </Notice>
      )}
      <form className="form subform" onSubmit={(e) => void add(e)} aria-label="Add a webhook">
        <h3>Add a webhook</h3>
        <TextField label="Endpoint URL" type="url" required maxLength={2000} placeholder="https://hooks.example.com/lockbox" value={url} onChange={(e) => setUrl(e.target.value)} />
        <CheckboxGroup
          legend="Events"
          hint="Leave all unticked to receive every event."
          options={webhookEventTypes.map((t) => ({ value: t, label: t }))}
          value={events}
          onChange={setEvents}
        />
        <div className="button-row">
          <button type="submit" className="button button-primary">
            Add webhook
          </button>
        </div>
      </form>
    </div>
  );
}

function Deliveries({ path }: { path: string }) {
  const q = useQuery(() => api.get<ApiPage<WebhookDelivery>>(path).then((r) => r.items), [path]);
  if (q.error) return <ErrorAlert error={q.error} />;
  if (!q.data) return <Loading />;
  if (q.data.length === 0) return <p className="muted small">No deliveries yet.</p>;
  return (
    <ul className="plain-list deliveries">
      {q.data.map((d) => (
        <li key={d.id} className="small">
          <span className={`badge ${d.ok ? "badge-active" : "badge-negative"}`}>{d.ok ? "Delivered" : "Failed"}</span> <LocalTime iso={d.at} seconds /> · {d.type} · attempt{" "}
          {d.attempt} · {d.statusCode ?? "no answer"} · {d.durationMs} ms
          {d.error && <span className="muted"> · {d.error}</span>}
        </li>
      ))}
    </ul>
  );
}
