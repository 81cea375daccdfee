import { Fragment, useState } from "react";
import type { AuditEvent } from "../../api/types";
import { Link } from "../../app/router";
import { LocalTime } from "../../ui/time";
import { EventDetails, requestIdOf } from "./event-details";

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

/** The target in full (ids wrap instead of being cut), a request as a link to its page. */
function Target({ e, linkRequests }: { e: AuditEvent; linkRequests: boolean }) {
  const ticket = typeof e.details.ticket === "string" ? e.details.ticket : null;
  if (e.target.type === "request" && linkRequests) {
    return (
      <span className="audit-target">
        <Link to={`/requests/${encodeURIComponent(e.target.id)}`}>Request {ticket ?? ""}</Link> <span className="id muted">{e.target.id}</span>
      </span>
    );
  }
  return (
    <span className="audit-target">
      {e.target.type} <span className="id muted">{e.target.id}</span>
    </span>
  );
}

/** Audit events, newest first; each row opens a details pane (who, what, the raw event on request). */
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
              <span className="visually-hidden">More</span>
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
                  <Target e={e} linkRequests={linkRequests} />
                </td>
                <td data-label="Details" className="small">
                  {summary(e)}
                </td>
                <td>
                  <button
                    type="button"
                    className="link-button"
                    aria-expanded={open === e.id}
                    aria-controls={`event-${e.id}`}
                    aria-label={`${open === e.id ? "Hide details of" : "Show details of"} ${e.operation} at ${new Date(e.at).toLocaleString()}`}
                    onClick={() => setOpen(open === e.id ? null : e.id)}
                  >
                    {open === e.id ? "Hide" : "Details"}
                  </button>
                </td>
              </tr>
              {open === e.id && (
                <tr className="raw-row">
                  <td colSpan={6} id={`event-${e.id}`}>
                    <EventDetails event={e} requestId={linkRequests ? requestIdOf(e) : null} />
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
