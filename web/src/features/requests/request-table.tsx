import type { AccessRequest } from "../../api/types";
import { Link } from "../../app/router";
import { useNow } from "../../app/use-now";
import { formatMinutes } from "../../ui/format";
import { StatusBadge, Tag } from "../../ui/status-badge";
import { LocalTime } from "../../ui/time";
import { RequestDeadline } from "./request-deadline";
import { liveStatus } from "./request-rules";

/** Requests as a table on wide screens; the same rows stack as cards on a phone (CSS). */
export function RequestTable({ items, tenantNames, caption }: { items: AccessRequest[]; tenantNames?: Record<string, string>; caption: string }) {
  const now = useNow();
  return (
    <div className="table-wrap">
      <table className="table table-stack">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Ticket</th>
            <th scope="col">Status</th>
            {tenantNames && <th scope="col">Customer</th>}
            <th scope="col">Requester</th>
            <th scope="col">Services</th>
            <th scope="col">Duration</th>
            <th scope="col">Deadline or access</th>
            <th scope="col">Requested</th>
          </tr>
        </thead>
        <tbody>
          {items.map((r) => (
            <tr key={r.id}>
              <td data-label="Ticket">
                <Link to={`/requests/${r.id}`} className="strong-link">
                  {r.ticket}
                </Link>
              </td>
              <td data-label="Status">
                <StatusBadge status={liveStatus(r, now)} />
              </td>
              {tenantNames && <td data-label="Customer">{tenantNames[r.tenantId] ?? r.tenantId}</td>}
              <td data-label="Requester">{r.requester.name}</td>
              <td data-label="Services">
                <span className="tags">
                  {r.services.map((s) => (
                    <Tag key={s}>{s}</Tag>
                  ))}
                </span>
              </td>
              <td data-label="Duration">
                {formatMinutes(r.grantedMinutes ?? r.requestedMinutes)}
                <span className="muted small"> · {r.accessLevel}</span>
              </td>
              <td data-label="Deadline or access">
                <RequestDeadline request={r} compact />
              </td>
              <td data-label="Requested">
                <span className="small">
                  <LocalTime iso={r.createdAt} />
                </span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
