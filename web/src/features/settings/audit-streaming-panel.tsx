import { type FormEvent, useEffect, useState } from "react";
import { api } from "../../api/client";
import { hasRoute } from "../../api/capabilities";
import type { Page as ApiPage } from "../../api/types";
import { useQuery } from "../../app/use-query";
import { EmptyState, ErrorAlert, Loading, Notice } from "../../ui/alerts";
import { SelectField, TextArea, TextField } from "../../ui/fields";
import { LocalTime } from "../../ui/time";

/** The API's shapes (SPEC section 19), kept here so this panel stands on its own. */
interface AuditSink {
  id: string;
  type: "splunk_hec" | "syslog" | "http";
  url: string;
  format: "ocsf" | "lockbox";
  hasToken: boolean;
  tls: { ca?: string; serverName?: string } | null;
  createdAt: string;
}

interface SinkStatus {
  lastDeliveredSeq: number;
  lag: number;
  headSeq: number;
  lastError: string | null;
  lastErrorAt: string | null;
  lastDeliveredAt: string | null;
  failures: number;
}

const ROUTE = "/v1/tenants/{id}/audit-sinks";

const typeLabels: Record<AuditSink["type"], string> = { splunk_hec: "Splunk HEC", syslog: "Syslog (RFC 5424)", http: "HTTP (NDJSON)" };
const placeholders: Record<AuditSink["type"], string> = {
  splunk_hec: "https://splunk.example.com:8088",
  syslog: "tls://siem.example.com:6514",
  http: "https://collector.example.com/lockbox",
};

/** Settings → Audit streaming: send this tenant's audit chain to its SIEM, when the server can. */
export function AuditStreamingPanel({ tenantId }: { tenantId: string }) {
  const [available, setAvailable] = useState<boolean | null>(null);
  useEffect(() => {
    void hasRoute("get", ROUTE).then(setAvailable);
  }, []);
  if (available === null) return <Loading />;
  if (!available) return <Notice>Audit streaming is not available on this server version yet. Export the audit log from the Audit page instead.</Notice>;
  return <Sinks tenantId={tenantId} />;
}

function Sinks({ tenantId }: { tenantId: string }) {
  const base = `/v1/tenants/${tenantId}/audit-sinks`;
  const list = useQuery(() => api.get<ApiPage<AuditSink>>(base).then((r) => r.items), [base]);
  const [type, setType] = useState<AuditSink["type"]>("splunk_hec");
  const [format, setFormat] = useState<AuditSink["format"]>("ocsf");
  const [url, setUrl] = useState("");
  const [token, setToken] = useState("");
  const [ca, setCa] = useState("");
  const [serverName, setServerName] = useState("");
  const [added, setAdded] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  const add = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setAdded(null);
    const tls = ca.trim() || serverName.trim() ? { ...(ca.trim() ? { ca } : {}), ...(serverName.trim() ? { serverName: serverName.trim() } : {}) } : undefined;
    try {
      const sink = await api.post<AuditSink>(base, { type, url: url.trim(), format, ...(token ? { token } : {}), ...(tls ? { tls } : {}) });
      setAdded(sink.url);
      setUrl("");
      setToken("");
      setCa("");
      setServerName("");
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
      {list.data && list.data.length === 0 && (
        <EmptyState title="No audit sinks">Add a sink to send every event of your audit log to your SIEM, from the first event on.</EmptyState>
      )}
      {list.data && list.data.length > 0 && (
        <ul className="plain-list" aria-label="Audit sinks">
          {list.data.map((s) => (
            <li key={s.id} className="webhook">
              <div className="webhook-head">
                <div>
                  <code>{s.url}</code>
                  <p className="muted small">
                    {typeLabels[s.type]} · {s.format === "ocsf" ? "OCSF" : "Lockbox export form"}
                    {s.hasToken ? " · token stored encrypted" : ""} · added <LocalTime iso={s.createdAt} />
                  </p>
                  <SinkHealth path={`${base}/${s.id}/status`} />
                </div>
                <div className="button-row">
                  <button type="button" className="button button-danger-outline" aria-label={`Delete audit sink ${s.url}`} onClick={() => void remove(s.id)}>
                    Delete
                  </button>
                </div>
              </div>
            </li>
          ))}
        </ul>
      )}
      {added && <Notice tone="success">Sink added: {added}. Events are delivered within seconds; its status shows how far it is.</Notice>}
      <form className="form subform" onSubmit={(e) => void add(e)} aria-label="Add an audit sink">
        <h3>Add an audit sink</h3>
        <SelectField label="Type" value={type} onChange={(e) => setType(e.target.value as AuditSink["type"])}>
          <option value="splunk_hec">Splunk HTTP Event Collector</option>
          <option value="syslog">Syslog over TCP or TLS (RFC 5424)</option>
          <option value="http">HTTP, newline-delimited JSON</option>
        </SelectField>
        <TextField
          label="URL"
          required
          maxLength={2048}
          placeholder={placeholders[type]}
          hint={type === "syslog" ? "tcp://host:port or tls://host:port" : type === "splunk_hec" ? "The HEC base URL; events go to /services/collector/event." : "Each batch is POSTed here."}
          value={url}
          onChange={(e) => setUrl(e.target.value)}
        />
        {type !== "syslog" && (
          <TextField
            label={type === "splunk_hec" ? "HEC token" : "Bearer token (optional)"}
            type="password"
            autoComplete="off"
            required={type === "splunk_hec"}
            maxLength={1024}
            hint="Stored encrypted and never shown again."
            value={token}
            onChange={(e) => setToken(e.target.value)}
          />
        )}
        <SelectField label="Format" value={format} onChange={(e) => setFormat(e.target.value as AuditSink["format"])}>
          <option value="ocsf">OCSF 1.8 (Splunk, Security Lake, Elastic)</option>
          <option value="lockbox">Lockbox export form (verifiable with lockbox audit verify)</option>
        </SelectField>
        <TextArea
          label="Private CA certificate (optional)"
          rows={3}
          maxLength={65536}
          placeholder="-----BEGIN CERTIFICATE-----"
          hint="For https:// and tls:// receivers whose certificate is not from a public CA. Verification is never turned off."
          value={ca}
          onChange={(e) => setCa(e.target.value)}
        />
        <TextField label="Certificate name (optional)" maxLength={253} placeholder="siem.example.com" value={serverName} onChange={(e) => setServerName(e.target.value)} />
        <div className="button-row">
          <button type="submit" className="button button-primary">
            Add sink
          </button>
        </div>
      </form>
    </div>
  );
}

function SinkHealth({ path }: { path: string }) {
  const q = useQuery(() => api.get<SinkStatus>(path), [path]);
  if (q.error) return <ErrorAlert error={q.error} />;
  if (!q.data) return <Loading label="Reading status…" />;
  const s = q.data;
  return (
    <p className="small" aria-label="Sink status">
      <span className={`badge ${s.failures > 0 ? "badge-negative" : "badge-active"}`}>{s.failures > 0 ? "Failing" : s.lag === 0 ? "Up to date" : "Catching up"}</span>{" "}
      Delivered up to event {s.lastDeliveredSeq} of {s.headSeq} · {s.lag} behind
      {s.lastDeliveredAt && (
        <>
          {" "}
          · last delivery <LocalTime iso={s.lastDeliveredAt} seconds />
        </>
      )}
      {s.lastError && <span className="muted"> · last error: {s.lastError}</span>}{" "}
      <button type="button" className="button button-subtle" onClick={() => q.reload()}>
        Refresh
      </button>
    </p>
  );
}
