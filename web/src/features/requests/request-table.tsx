import type { AccessRequest } from "../../api/types";
import { Link } from "../../app/router";
import { useNow } from "../../app/use-now";
import { formatMinutes } from "../../ui/format";
import { StatusBadge } from "../../ui/status-badge";
import { LocalTime } from "../../ui/time";
import { RequestDeadline } from "./request-deadline";
import { liveStatus } from "./request-rules";
import { ServiceTags } from "./service-tags";

/**
 * Requests as a table on wide screens; the same rows stack as cards on a phone (CSS). The
 * requester column is left out where every row is the viewer's own ("My requests").
 */
export function RequestTable({
  items,
  tenantNames,
  caption,
  showRequester = true,
}: {
  items: AccessRequest[];
  tenantNames?: Record<string, string>;
  caption: string;
  showRequester?: boolean;
}) {
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
            {showRequester && <th scope="col">Requester</th>}
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
              {showRequester && <td data-label="Requester">{r.requester.name}</td>}
              <td data-label="Services">
                <span className="tags">
                  <ServiceTags services={r.services} />
                </span>
              </td>
              <td data-label="Duration">
                {formatMinutes(r.grantedMinutes ?? r.requestedMinutes)}
                <span className="muted small"> · {r.accessLevel === "write" ? "read and write" : "read"}</span>
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
