import { useState } from "react";
import { api } from "../../api/client";
import type { AccessRequest } from "../../api/types";
import { Link } from "../../app/router";
import { isProviderStaff, useUser } from "../../app/session";
import { useNow } from "../../app/use-now";
import { useQuery } from "../../app/use-query";
import { ErrorAlert, Loading } from "../../ui/alerts";
import { endReasonLabels, formatMinutes } from "../../ui/format";
import { Card, Page } from "../../ui/page";
import { StatusBadge } from "../../ui/status-badge";
import { LocalTime } from "../../ui/time";
import { loadTenants, namesById } from "../catalog";
import { GrantTokenPanel } from "../engineer/grant-token-panel";
import { type DecisionOutcome, DecisionPanel } from "./decision-panel";
import { OutcomeNotice } from "./outcome-notice";
import { RequestDeadline } from "./request-deadline";
import { actionsFor, isPending, liveStatus, type RequestAction } from "./request-rules";
import { RequestTimeline } from "./request-timeline";
import { ServiceTags } from "./service-tags";
import { BreakGlassPanel } from "./review-break-glass-panel";
import { RequestWorkflowPanel } from "./request-workflow-panel";
import { reasonTypeLabels } from "../../../../src/requests/reason-types.js";

/** The side card's title says what the viewer can do there: decide, or act on their own request. */
function actionsTitle(actions: RequestAction[]): string {
  if (actions.includes("approve") || actions.includes("deny")) return "Your decision";
  if (actions.includes("release")) return "Your access";
  if (actions.includes("revoke")) return "Revoke access";
  return "Your request";
}

/** One request: what is asked and why, who decided what, how it ended, and the buttons. */
export function RequestDetailPage({ id }: { id: string }) {
  const user = useUser();
  const now = useNow();
  const [outcome, setOutcome] = useState<DecisionOutcome | null>(null);
  const query = useQuery(() => api.get<AccessRequest>(`/v1/requests/${encodeURIComponent(id)}`), [id], { refreshMs: 15_000 });
  const provider = isProviderStaff(user);
  const tenants = useQuery(() => (provider ? loadTenants() : Promise.resolve([])), [provider]);
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
  const customer = namesById(tenants.data)[r.tenantId];
  const endedEarly = r.endedAt && r.accessEndsAt && Date.parse(r.endedAt) < Date.parse(r.accessEndsAt);
  const onDone = (o: DecisionOutcome) => {
    setOutcome(o);
    query.reload();
  };
  return (
    <Page title={`Request ${r.ticket}`} intro={<Link to={back.to}>← {back.label}</Link>} actions={<StatusBadge status={status} />}>
      <OutcomeNotice outcome={outcome} onDismiss={() => setOutcome(null)} />
      <div className="detail-grid">
        <div className="detail-facts">
          <Card title="What is asked">
            <dl className="facts">
              {provider && (
                <>
                  <dt>Customer</dt>
                  <dd>
                    {customer ?? "…"} <span className="muted small">(tenant id {r.tenantId})</span>
                  </dd>
                </>
              )}
              <dt>Ticket</dt>
              <dd>{r.ticket || <span className="muted">none</span>}</dd>
              <dt>Reason type</dt>
              <dd data-testid="reason-type">{reasonTypeLabels[r.reasonType] ?? r.reasonType}</dd>
              {r.startAt && (
                <>
                  <dt>Scheduled start</dt>
                  <dd data-testid="scheduled-start">
                    <LocalTime iso={r.startAt} /> <span className="muted small">(access opens then, or at the final approval if later)</span>
                  </dd>
                </>
              )}
              <dt>Requester</dt>
              <dd>
                {r.requester.name} <span className="muted">({r.requester.email})</span>
              </dd>
              <dt>Services</dt>
              <dd className="tags">
                <ServiceTags services={r.services} />
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
                  <dt>{endedEarly ? "Access" : "Access window"}</dt>
                  <dd data-testid="access-window">
                    <LocalTime iso={r.accessStartsAt} /> – <LocalTime iso={endedEarly ? r.endedAt! : r.accessEndsAt} />
                    {endedEarly && (
                      <span className="muted small">
                        {" "}
                        (ended early; it was to run until <LocalTime iso={r.accessEndsAt} />)
                      </span>
                    )}
                  </dd>
                </>
              )}
              {r.endedAt && !isPending(r, now) && (
                <>
                  <dt>Ended</dt>
                  <dd data-testid="ended">
                    <LocalTime iso={r.endedAt} />
                    {r.endedBy && <> by {r.endedBy.name}</>}
                    {r.endReason && <> · {endReasonLabels[r.endReason] ?? r.endReason}</>}
                    {r.endComment && <blockquote className="comment">“{r.endComment}”</blockquote>}
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
          <Card title={status === "approved" ? "Access" : isPending(r, now) ? "Deadline" : "Ended"}>
            <RequestDeadline request={r} />
            {r.requiredApprovals !== null && status === "pending_customer" && (
              <p className="muted small">
                {r.approvals.length} of {r.requiredApprovals} customer approval{r.requiredApprovals === 1 ? "" : "s"} so far
              </p>
            )}
          </Card>
          <BreakGlassPanel request={r} onChanged={() => query.reload()} />
          <RequestWorkflowPanel request={r} status={status} onChanged={() => query.reload()} />
          {actions.length > 0 && (
            <Card title={actionsTitle(actions)}>
              <DecisionPanel request={r} actions={actions} onDone={onDone} />
            </Card>
          )}
          {user.tenantId && user.roles.some((role) => role === "global_admin" || role === "auditor") && (
            <Link to={`/audit?requestId=${encodeURIComponent(r.id)}`} className="button">
              Show in audit log
            </Link>
          )}
          {mine && status === "approved" && (
            <Card title="Grant token">
              <GrantTokenPanel request={r} customer={customer} />
            </Card>
          )}
        </div>
      </div>
    </Page>
  );
}
