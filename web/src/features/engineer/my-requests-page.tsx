import { useState } from "react";
import { api } from "../../api/client";
import type { AccessRequest, Page as ApiPage } from "../../api/types";
import { Link, useLocation } from "../../app/router";
import { useUser } from "../../app/session";
import { useNow } from "../../app/use-now";
import { usePaged } from "../../app/use-paged";
import { useQuery } from "../../app/use-query";
import { EmptyState, ErrorAlert, Loading, Notice } from "../../ui/alerts";
import { formatMinutes } from "../../ui/format";
import { LoadMore } from "../../ui/load-more";
import { Card, Page } from "../../ui/page";
import { StatusBadge } from "../../ui/status-badge";
import { loadTenants, namesById } from "../catalog";
import { type DecisionOutcome, DecisionPanel } from "../requests/decision-panel";
import { OutcomeNotice } from "../requests/outcome-notice";
import { RequestDeadline } from "../requests/request-deadline";
import { actionsFor, isActive, liveStatus } from "../requests/request-rules";
import { RequestTable } from "../requests/request-table";
import { ServiceTags } from "../requests/service-tags";
import { GrantTokenPanel } from "./grant-token-panel";

/** The engineer's own requests: active access on top with its countdown and token, then the rest. */
export function MyRequestsPage() {
  const user = useUser();
  const now = useNow();
  const { search } = useLocation();
  const submitted = search.get("submitted");
  const tenants = useQuery(loadTenants, []);
  const names = namesById(tenants.data);
  const list = usePaged((cursor) => api.get<ApiPage<AccessRequest>>("/v1/requests", { requester: user.id, cursor, limit: 50 }), [user.id], {
    refreshMs: 10_000,
  });
  const [outcome, setOutcome] = useState<DecisionOutcome | null>(null);
  const active = list.items.filter((r) => isActive(r, now));
  const rest = list.items.filter((r) => !isActive(r, now));

  return (
    <Page
      title="My requests"
      actions={
        <Link to="/new-request" className="button button-primary">
          New data access request
        </Link>
      }
    >
      {submitted && <Notice tone="success">Request {submitted} was submitted. A provider manager decides first.</Notice>}
      <OutcomeNotice outcome={outcome} onDismiss={() => setOutcome(null)} />
      <ErrorAlert error={list.error} />
      {active.length > 0 && (
        <section aria-labelledby="active-heading" className="stack">
          <h2 id="active-heading" className="section-title">
            Active access
          </h2>
          {active.map((r) => (
            <ActiveGrant
              key={r.id}
              request={r}
              customer={names[r.tenantId]}
              onChange={(o) => {
                setOutcome(o);
                list.reload();
              }}
            />
          ))}
        </section>
      )}
      <Card title="All my requests">
        {list.loading && list.items.length === 0 ? (
          <Loading />
        ) : rest.length === 0 && active.length === 0 ? (
          <EmptyState title="No requests yet">
            File a <Link to="/new-request">new data access request</Link> when a support case needs customer data.
          </EmptyState>
        ) : (
          <RequestTable items={rest} tenantNames={names} caption="My requests" showRequester={false} />
        )}
        <LoadMore hasMore={list.hasMore} loading={list.loading} onClick={() => void list.loadMore()} />
      </Card>
    </Page>
  );
}

function ActiveGrant({ request: r, customer, onChange }: { request: AccessRequest; customer: string | undefined; onChange: (o: DecisionOutcome) => void }) {
  const user = useUser();
  const now = useNow();
  return (
    <article className="card grant" aria-label={`Active access ${r.ticket}`}>
      <div className="grant-head">
        <div>
          <h3>
            <Link to={`/requests/${r.id}`}>{r.ticket}</Link> <span className="muted">· {customer ?? r.tenantId}</span>
          </h3>
          <p className="tags">
            <ServiceTags services={r.services} />
            <span className="muted small">
              {r.accessLevel === "write" ? "read and write" : "read"} · {formatMinutes(r.grantedMinutes ?? r.requestedMinutes)}
            </span>
          </p>
        </div>
        <StatusBadge status={liveStatus(r, now)} />
      </div>
      <div className="grant-countdown">
        <RequestDeadline request={r} />
      </div>
      <GrantTokenPanel request={r} customer={customer} />
      <DecisionPanel request={r} actions={actionsFor(r, user, now).filter((a) => a === "release")} onDone={onChange} />
    </article>
  );
}
