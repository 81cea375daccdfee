import { type FormEvent, useState } from "react";
import { SelectField, TextField } from "../../ui/fields";
import { fromLocalInput } from "../../ui/format";
import { catalogOperations, operationCatalog } from "../../api/types";

export interface AuditFilter {
  operation?: string;
  actor?: string;
  requestId?: string;
  from?: string;
  to?: string;
}

/** A family's "all" option goes with the first group of that family ("user" has two). */
const firstOfFamily = (i: number) => operationCatalog.findIndex((g) => g.family === operationCatalog[i]!.family) === i;

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
      <SelectField label="Operation" value={operation} onChange={(e) => setOperation(e.target.value)}>
        <option value="">Any operation</option>
        {/* The catalog, offered as a list (the server matches an operation exactly, or a whole
            family with "family.*"), so nobody has to guess the spelling; anything else typed into
            the address bar stays selectable. */}
        {operation && !operation.endsWith(".*") && !catalogOperations.includes(operation) && <option value={operation}>{operation}</option>}
        {operationCatalog.map((g, i) => (
          <optgroup key={g.label} label={g.label}>
            {firstOfFamily(i) && <option value={`${g.family}.*`}>All {g.family}.* events</option>}
            {g.operations.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </optgroup>
        ))}
      </SelectField>
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
