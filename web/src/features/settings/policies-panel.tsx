import { type FormEvent, useState } from "react";
import { api } from "../../api/client";
import type { Page as ApiPage, Service } from "../../api/types";
import { useQuery } from "../../app/use-query";
import { EmptyState, ErrorAlert, Loading, Notice } from "../../ui/alerts";
import { CheckboxGroup, SelectField, TextField } from "../../ui/fields";
import { formatMinutes } from "../../ui/format";
import { LocalTime } from "../../ui/time";
import type { ApprovalPolicy } from "../../../../src/policies/approval-policy.js";
import { reasonTypeLabels, reasonTypes } from "../../../../src/requests/reason-types.js";

interface DryRun {
  considered: number;
  matched: { id: string; ticket: string; status: string; services: string[]; accessLevel: string; minutes: number; reasonType: string; createdAt: string }[];
}

interface Draft {
  name: string;
  services: string[];
  accessLevel: "read" | "write";
  maxMinutes: string;
  reasonTypes: string[];
  ticketPattern: string;
  hoursFrom: string;
  hoursTo: string;
}

const emptyDraft: Draft = { name: "", services: [], accessLevel: "read", maxMinutes: "60", reasonTypes: [], ticketPattern: "", hoursFrom: "", hoursTo: "" };

function draftOf(p: ApprovalPolicy): Draft {
  return {
    name: p.name,
    services: p.services,
    accessLevel: p.accessLevel,
    maxMinutes: String(p.maxMinutes),
    reasonTypes: p.reasonTypes ?? [],
    ticketPattern: p.ticketPattern ?? "",
    hoursFrom: p.hoursUtc ? String(p.hoursUtc.from) : "",
    hoursTo: p.hoursUtc ? String(p.hoursUtc.to) : "",
  };
}

function bodyOf(d: Draft) {
  return {
    name: d.name.trim(),
    services: d.services,
    accessLevel: d.accessLevel,
    maxMinutes: Number(d.maxMinutes),
    ...(d.reasonTypes.length ? { reasonTypes: d.reasonTypes } : {}),
    ...(d.ticketPattern.trim() ? { ticketPattern: d.ticketPattern.trim() } : {}),
    ...(d.hoursFrom !== "" && d.hoursTo !== "" ? { hoursUtc: { from: Number(d.hoursFrom), to: Number(d.hoursTo) } } : {}),
  };
}

function conditions(p: ApprovalPolicy): string {
  const parts = [
    `${p.services.join(", ")}`,
    p.accessLevel === "write" ? "read or write" : "read only",
    `up to ${formatMinutes(p.maxMinutes)}`,
  ];
  if (p.reasonTypes) parts.push(p.reasonTypes.map((r) => reasonTypeLabels[r]).join(" or "));
  if (p.ticketPattern) parts.push(`tickets ${p.ticketPattern}`);
  if (p.hoursUtc) parts.push(`${p.hoursUtc.from}:00–${p.hoursUtc.to}:00 UTC`);
  return parts.join(" · ");
}

/**
 * Settings → Approval policies (SPEC 17): requests the manager approves that fit an active policy
 * are approved at once, in the customer's name, by the policy. The list, an editor (a change is a
 * new version), a dry-run over the last 100 requests, and delete. Only global admins edit.
 */
export function PoliciesPanel({ tenantId, services, canEdit }: { tenantId: string; services: Service[]; canEdit: boolean }) {
  const base = `/v1/tenants/${tenantId}/policies`;
  const list = useQuery(() => api.get<ApiPage<ApprovalPolicy>>(base).then((r) => r.items), [base]);
  const [editing, setEditing] = useState<ApprovalPolicy | "new" | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(null);

  const remove = async (p: ApprovalPolicy) => {
    setError(null);
    setSaved(null);
    try {
      await api.delete(`${base}/${p.id}`);
      setSaved(`Policy "${p.name}" deleted: requests it covered wait for your approvers again.`);
      list.reload();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <div className="stack" data-testid="policies">
      <ErrorAlert error={list.error ?? error} />
      {saved && <Notice tone="success">{saved}</Notice>}
      {!list.data && !list.error && <Loading />}
      {list.data && list.data.length === 0 && (
        <EmptyState title="No approval policies">Every request waits for your approvers. A policy approves the requests you pre-approve, at once.</EmptyState>
      )}
      {list.data && list.data.length > 0 && (
        <ul className="plain-list">
          {list.data.map((p) => (
            <li key={p.id} className="webhook" data-testid="policy">
              <div className="webhook-head">
                <div>
                  <strong>{p.name}</strong> <span className="muted small">version {p.version}</span>
                  <p className="muted small">{conditions(p)}</p>
                  <p className="muted small">
                    Since <LocalTime iso={p.createdAt} />, by {p.createdBy.name}
                  </p>
                </div>
                {canEdit && (
                  <div className="button-row">
                    <button type="button" className="button button-subtle" onClick={() => setEditing(p)}>
                      Edit
                    </button>
                    <button type="button" className="button button-danger-outline" aria-label={`Delete policy ${p.name}`} onClick={() => void remove(p)}>
                      Delete
                    </button>
                  </div>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
      {canEdit && editing === null && (
        <div className="button-row">
          <button type="button" className="button" onClick={() => setEditing("new")}>
            Add a policy
          </button>
        </div>
      )}
      {canEdit && editing !== null && (
        <PolicyEditor
          key={editing === "new" ? "new" : `${editing.id}:${editing.version}`}
          base={base}
          policy={editing === "new" ? null : editing}
          services={services}
          onCancel={() => setEditing(null)}
          onSaved={(p) => {
            setEditing(null);
            setSaved(`Policy "${p.name}" saved (version ${p.version}).`);
            list.reload();
          }}
        />
      )}
    </div>
  );
}

function PolicyEditor({
  base,
  policy,
  services,
  onCancel,
  onSaved,
}: {
  base: string;
  policy: ApprovalPolicy | null;
  services: Service[];
  onCancel: () => void;
  onSaved: (p: ApprovalPolicy) => void;
}) {
  const [d, setD] = useState<Draft>(policy ? draftOf(policy) : emptyDraft);
  const [error, setError] = useState<unknown>(null);
  const [dry, setDry] = useState<DryRun | null>(null);
  const set = (patch: Partial<Draft>) => {
    setD({ ...d, ...patch });
    setDry(null);
  };
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      onSaved(policy ? await api.put<ApprovalPolicy>(`${base}/${policy.id}`, bodyOf(d)) : await api.post<ApprovalPolicy>(base, bodyOf(d)));
    } catch (err) {
      setError(err);
    }
  };
  const tryIt = async () => {
    setError(null);
    try {
      setDry(await api.post<DryRun>(`${base}/dry-run`, bodyOf(d)));
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form className="form subform" aria-label={policy ? "Edit the policy" : "Add a policy"} onSubmit={(e) => void save(e)}>
      <h3>{policy ? `Edit "${policy.name}" (saving makes version ${policy.version + 1})` : "Add a policy"}</h3>
      <ErrorAlert error={error} />
      <TextField label="Name" required maxLength={100} value={d.name} onChange={(e) => set({ name: e.target.value })} />
      <CheckboxGroup
        legend="Services"
        hint="A request is covered only if every service it names is ticked."
        options={services.map((s) => ({ value: s.key, label: s.name }))}
        value={d.services}
        onChange={(services) => set({ services })}
      />
      <SelectField label="Access level" value={d.accessLevel} onChange={(e) => set({ accessLevel: e.target.value as Draft["accessLevel"] })}>
        <option value="read">Read only</option>
        <option value="write">Read and write</option>
      </SelectField>
      <TextField label="Longest access (minutes)" type="number" min={1} required value={d.maxMinutes} onChange={(e) => set({ maxMinutes: e.target.value })} hint="At most your maximum access duration." />
      <CheckboxGroup
        legend="Reasons"
        hint="Leave all unticked for any reason."
        options={reasonTypes.map((r) => ({ value: r, label: reasonTypeLabels[r] }))}
        value={d.reasonTypes}
        onChange={(reasonTypes) => set({ reasonTypes })}
      />
      <TextField
        label="Ticket pattern"
        maxLength={64}
        placeholder="INC-*"
        value={d.ticketPattern}
        onChange={(e) => set({ ticketPattern: e.target.value })}
        hint="Optional. * stands for any characters, ? for one."
      />
      <div className="field-row">
        <TextField label="From hour (UTC)" type="number" min={0} max={23} value={d.hoursFrom} onChange={(e) => set({ hoursFrom: e.target.value })} hint="Optional, with the next." />
        <TextField label="To hour (UTC)" type="number" min={0} max={24} value={d.hoursTo} onChange={(e) => set({ hoursTo: e.target.value })} hint="22 to 6 spans the night." />
      </div>
      {dry && (
        <Notice tone={dry.matched.length ? "warning" : "info"}>
          <p data-testid="dry-run-result">
            This policy would have approved {dry.matched.length} of the last {dry.considered} requests.
          </p>
          {dry.matched.length > 0 && (
            <ul className="small">
              {dry.matched.map((m) => (
                <li key={m.id}>
                  {m.ticket || m.id.slice(0, 8)} · {m.services.join(", ")} · {m.accessLevel} · {formatMinutes(m.minutes)} · {m.status}
                </li>
              ))}
            </ul>
          )}
        </Notice>
      )}
      <div className="button-row">
        <button type="submit" className="button button-primary">
          {policy ? "Save new version" : "Add policy"}
        </button>
        <button type="button" className="button" onClick={() => void tryIt()}>
          Dry-run on the last 100 requests
        </button>
        <button type="button" className="button button-subtle" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
