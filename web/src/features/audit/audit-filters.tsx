import { type FormEvent, useState } from "react";
import { TextField } from "../../ui/fields";
import { fromLocalInput } from "../../ui/format";
import { requestStepOperations } from "../../api/types";

export interface AuditFilter {
  operation?: string;
  actor?: string;
  requestId?: string;
  from?: string;
  to?: string;
}

/** Common operations, offered as suggestions; any operation (or a "family.*") may be typed. */
const operations = [
  "request.*",
  ...requestStepOperations,
  "request.token_issued",
  "operator.*",
  "operator.denied",
  "tenant.settings_changed",
  "user.created",
  "user.roles_changed",
  "user.signed_in",
];

export function AuditFilters({ initial, onApply }: { initial: AuditFilter; onApply: (f: AuditFilter) => void }) {
  const [operation, setOperation] = useState(initial.operation ?? "");
  const [actor, setActor] = useState(initial.actor ?? "");
  const [requestId, setRequestId] = useState(initial.requestId ?? "");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const apply = (e: FormEvent) => {
    e.preventDefault();
    onApply({
      operation: operation.trim() || undefined,
      actor: actor.trim() || undefined,
      requestId: requestId.trim() || undefined,
      from: fromLocalInput(from),
      to: fromLocalInput(to),
    });
  };
  const clear = () => {
    setOperation("");
    setActor("");
    setRequestId("");
    setFrom("");
    setTo("");
    onApply({});
  };
  return (
    <form className="filters" onSubmit={apply} aria-label="Search the audit log">
      <TextField label="Operation" list="audit-operations" maxLength={100} placeholder="e.g. request.approved" value={operation} onChange={(e) => setOperation(e.target.value)} />
      <datalist id="audit-operations">
        {operations.map((o) => (
          <option key={o} value={o} />
        ))}
      </datalist>
      <TextField label="Request ID" maxLength={64} value={requestId} onChange={(e) => setRequestId(e.target.value)} />
      <TextField label="Actor ID" maxLength={64} value={actor} onChange={(e) => setActor(e.target.value)} />
      <TextField label="From" type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} />
      <TextField label="To" type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} />
      <div className="filter-actions">
        <button type="submit" className="button button-primary">
          Search
        </button>
        <button type="button" className="button button-subtle" onClick={clear}>
          Clear
        </button>
      </div>
    </form>
  );
}
