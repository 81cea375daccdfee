import { api } from "../../api/client";
import type { AccessRequest } from "../../api/types";
import { Link } from "../../app/router";
import { useUser } from "../../app/session";
import { useNow } from "../../app/use-now";
import { useQuery } from "../../app/use-query";
import { ErrorAlert, Loading } from "../../ui/alerts";
import { formatMinutes } from "../../ui/format";
import { Card, Page } from "../../ui/page";
import { StatusBadge, Tag } from "../../ui/status-badge";
import { LocalTime } from "../../ui/time";
import { GrantTokenPanel } from "../engineer/grant-token-panel";
import { DecisionPanel } from "./decision-panel";
import { RequestDeadline } from "./request-deadline";
import { actionsFor, liveStatus } from "./request-rules";
import { RequestTimeline } from "./request-timeline";

/** One request: what is asked and why, who decided what, and the decision buttons. */
export function RequestDetailPage({ id }: { id: string }) {
  const user = useUser();
  const now = useNow();
  const query = useQuery(() => api.get<AccessRequest>(`/v1/requests/${encodeURIComponent(id)}`), [id], { refreshMs: 15_000 });
  const r = query.data;
  const back = user.tenantId ? { to: "/requests", label: "Customer Lockbox requests" } : user.roles.includes("manager") ? { to: "/queue", label: "Approval queue" } : { to: "/my-requests", label: "My requests" };

  if (!r) {
    return (
      <Page title="Data access request">
        {query.error ? <ErrorAlert error={query.error} title="This request could not be shown" /> : <Loading />}
      </Page>
    );
  }
  const status = liveStatus(r, now);
  const actions = actionsFor(r, user, now);
  const mine = r.requester.id === user.id;
  return (
    <Page title={`Request ${r.ticket}`} intro={<Link to={back.to}>← {back.label}</Link>} actions={<StatusBadge status={status} />}>
      <div className="detail-grid">
        <div className="detail-facts">
          <Card title="What is asked">
            <dl className="facts">
              <dt>Ticket</dt>
              <dd>{r.ticket}</dd>
              <dt>Requester</dt>
              <dd>
                {r.requester.name} <span className="muted">({r.requester.email})</span>
              </dd>
              <dt>Services</dt>
              <dd className="tags">
                {r.services.map((s) => (
                  <Tag key={s}>{s}</Tag>
                ))}
              </dd>
              <dt>Access level</dt>
              <dd>{r.accessLevel === "write" ? "Read and write" : "Read only"}</dd>
              <dt>Duration</dt>
              <dd>
                {formatMinutes(r.requestedMinutes)} requested
                {r.grantedMinutes !== null && r.grantedMinutes !== r.requestedMinutes && <>, {formatMinutes(r.grantedMinutes)} granted</>}
              </dd>
              <dt>Requested</dt>
              <dd>
                <LocalTime iso={r.createdAt} />
              </dd>
              {r.accessStartsAt && r.accessEndsAt && (
                <>
                  <dt>Access window</dt>
                  <dd>
                    <LocalTime iso={r.accessStartsAt} /> – <LocalTime iso={r.accessEndsAt} />
                  </dd>
                </>
              )}
              <dt>Reason</dt>
              <dd className="reason">{r.reason}</dd>
            </dl>
          </Card>
        </div>
        <div className="detail-history">
          <Card title="History">
            <RequestTimeline request={r} />
          </Card>
        </div>
        <div className="stack detail-side">
          <Card title={status === "approved" ? "Access" : "Deadline"}>
            <RequestDeadline request={r} />
            {r.requiredApprovals !== null && status === "pending_customer" && (
              <p className="muted small">
                {r.approvals.length} of {r.requiredApprovals} customer approval{r.requiredApprovals === 1 ? "" : "s"} so far
              </p>
            )}
          </Card>
          {actions.length > 0 && (
            <Card title="Your decision">
              <DecisionPanel request={r} actions={actions} onDone={() => query.reload()} />
            </Card>
          )}
          {user.tenantId && user.roles.some((role) => role === "global_admin" || role === "auditor") && (
            <Link to={`/audit?requestId=${encodeURIComponent(r.id)}`} className="button">
              Show in audit log
            </Link>
          )}
          {mine && status === "approved" && (
            <Card title="Grant token">
              <GrantTokenPanel request={r} />
            </Card>
          )}
        </div>
      </div>
    </Page>
  );
}
