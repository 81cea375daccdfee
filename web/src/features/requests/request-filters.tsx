import { type FormEvent, useState } from "react";
import { type RequestStatus, requestStatuses } from "../../api/types";
import { SelectField, TextField } from "../../ui/fields";
import { fromLocalInput, statusLabels } from "../../ui/format";
import { reasonTypeLabels, reasonTypes } from "../../../../src/requests/reason-types.js";

export interface RequestFilter {
  status?: RequestStatus;
  reasonType?: string;
  ticket?: string;
  createdAfter?: string;
  createdBefore?: string;
}

/** Filters applied on "Apply" (or Enter), so typing a ticket does not fire a search per key. */
export function RequestFilters({ onApply }: { onApply: (f: RequestFilter) => void }) {
  const [status, setStatus] = useState("");
  const [ticket, setTicket] = useState("");
  const [reasonType, setReasonType] = useState("");
  const [after, setAfter] = useState("");
  const [before, setBefore] = useState("");
  const apply = (e: FormEvent) => {
    e.preventDefault();
    onApply({
      status: (status || undefined) as RequestStatus | undefined,
      ticket: ticket.trim() || undefined,
      reasonType: reasonType || undefined,
      createdAfter: fromLocalInput(after),
      createdBefore: fromLocalInput(before),
    });
  };
  const clear = () => {
    setStatus("");
    setTicket("");
    setReasonType("");
    setAfter("");
    setBefore("");
    onApply({});
  };
  return (
    <form className="filters" onSubmit={apply} aria-label="Filter requests">
      <SelectField label="Status" value={status} onChange={(e) => setStatus(e.target.value)}>
        <option value="">Any status</option>
        {requestStatuses.map((s) => (
          <option key={s} value={s}>
            {statusLabels[s]}
          </option>
        ))}
      </SelectField>
      <SelectField label="Reason type" value={reasonType} onChange={(e) => setReasonType(e.target.value)}>
        <option value="">Any reason</option>
        {reasonTypes.map((t) => (
          <option key={t} value={t}>
            {reasonTypeLabels[t]}
          </option>
        ))}
      </SelectField>
      <TextField label="Ticket" value={ticket} maxLength={64} placeholder="e.g. CASE-1002" onChange={(e) => setTicket(e.target.value)} />
      <TextField label="Requested after" type="datetime-local" value={after} onChange={(e) => setAfter(e.target.value)} />
      <TextField label="Requested before" type="datetime-local" value={before} onChange={(e) => setBefore(e.target.value)} />
      <div className="filter-actions">
        <button type="submit" className="button button-primary">
          Apply filters
        </button>
        <button type="button" className="button button-subtle" onClick={clear}>
          Clear
        </button>
      </div>
    </form>
  );
}
