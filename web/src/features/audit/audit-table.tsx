import { Fragment, useState } from "react";
import type { AuditEvent } from "../../api/types";
import { Link } from "../../app/router";
import { LocalTime } from "../../ui/time";

function summary(e: AuditEvent): string {
  const d = e.details;
  const parts: string[] = [];
  if (typeof d.ticket === "string") parts.push(`ticket ${d.ticket}`);
  if (typeof d.comment === "string" && d.comment) parts.push(`“${d.comment}”`);
  if (d.final === true) parts.push("final approval");
  if (typeof d.grantedMinutes === "number") parts.push(`${d.grantedMinutes} min granted`);
  if (d.changes && typeof d.changes === "object") parts.push(`changed ${Object.keys(d.changes).join(", ")}`);
  if (typeof d.email === "string") parts.push(d.email);
  if (Array.isArray(d.roles)) parts.push(`roles ${d.roles.join(", ")}`);
  return parts.join(" · ");
}

/** Audit events, newest first; each row opens to show the full event as exported. */
export function AuditTable({ items, linkRequests }: { items: AuditEvent[]; linkRequests: boolean }) {
  const [open, setOpen] = useState<string | null>(null);
  return (
    <div className="table-wrap">
      <table className="table table-stack audit-table">
        <caption className="visually-hidden">Audit events</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Operation</th>
            <th scope="col">Actor</th>
            <th scope="col">Target</th>
            <th scope="col">Details</th>
            <th scope="col">
              <span className="visually-hidden">Event</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((e) => (
            <Fragment key={e.id}>
              <tr>
                <td data-label="Time">
                  <LocalTime iso={e.at} seconds />
                </td>
                <td data-label="Operation">
                  <code className="op">{e.operation}</code>
                </td>
                <td data-label="Actor">
                  {e.actor.name}
                  <span className="muted small">
                    {" "}
                    · {e.actor.type}
                    {e.actor.ip ? ` · ${e.actor.ip}` : ""}
                  </span>
                </td>
                <td data-label="Target">
                  {e.target.type === "request" && linkRequests ? (
                    <Link to={`/requests/${e.target.id}`}>request {e.target.id.slice(0, 8)}…</Link>
                  ) : (
                    <span>
                      {e.target.type} <span className="muted small">{e.target.id.slice(0, 12)}</span>
                    </span>
                  )}
                </td>
                <td data-label="Details" className="small">
                  {summary(e)}
                </td>
                <td>
                  <button type="button" className="link-button" aria-expanded={open === e.id} onClick={() => setOpen(open === e.id ? null : e.id)}>
                    {open === e.id ? "Hide" : `Event ${e.seq}`}
                  </button>
                </td>
              </tr>
              {open === e.id && (
                <tr className="raw-row">
                  <td colSpan={6}>
                    <pre className="raw">{JSON.stringify(e, null, 2)}</pre>
                  </td>
                </tr>
              )}
            </Fragment>
          ))}
        </tbody>
      </table>
    </div>
  );
}
