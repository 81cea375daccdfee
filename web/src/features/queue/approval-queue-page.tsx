import { useState } from "react";
import { api } from "../../api/client";
import type { AccessRequest, Page as ApiPage } from "../../api/types";
import { Link } from "../../app/router";
import { useUser } from "../../app/session";
import { useNow } from "../../app/use-now";
import { usePaged } from "../../app/use-paged";
import { useQuery } from "../../app/use-query";
import { EmptyState, ErrorAlert, Loading, Notice } from "../../ui/alerts";
import { formatMinutes } from "../../ui/format";
import { LoadMore } from "../../ui/load-more";
import { Card, Page } from "../../ui/page";
import { LocalTime } from "../../ui/time";
import { loadTenants, namesById } from "../catalog";
import { type DecisionOutcome, DecisionPanel } from "../requests/decision-panel";
import { OutcomeNotice } from "../requests/outcome-notice";
import { RequestDeadline } from "../requests/request-deadline";
import { actionsFor } from "../requests/request-rules";
import { RequestTable } from "../requests/request-table";
import { ServiceTags } from "../requests/service-tags";

const listOf = (status: string) => (cursor?: string) => api.get<ApiPage<AccessRequest>>("/v1/requests", { status, cursor, limit: 25 });

/** The manager's first-stage decisions, and the access granted so far (which a manager may revoke). */
export function ApprovalQueuePage() {
  const tenants = useQuery(loadTenants, []);
  const names = namesById(tenants.data);
  const pending = usePaged(listOf("pending_manager"), [], { refreshMs: 15_000 });
  const active = usePaged(listOf("approved"), [], { refreshMs: 30_000 });
  const waiting = usePaged(listOf("pending_customer"), [], { refreshMs: 30_000 });
  const [outcome, setOutcome] = useState<DecisionOutcome | null>(null);
  // Every list moves after a decision (or after learning that someone else decided first).
  const done = (o: DecisionOutcome) => {
    setOutcome(o);
    reloadAll();
  };
  const reloadAll = () => {
    pending.reload();
    waiting.reload();
    active.reload();
  };

  return (
    <Page title="Approval queue" intro="Engineers' requests waiting for a manager. Read the reason, then approve or deny; approved requests go on to the customer where it requires approval.">
      <OutcomeNotice outcome={outcome} onDismiss={() => setOutcome(null)} />
      <section aria-labelledby="queue-heading" className="stack">
        <h2 id="queue-heading" className="section-title">
          Waiting for you <span className="count">{pending.items.length}</span>
        </h2>
        <ErrorAlert error={pending.error} />
        {pending.loading && pending.items.length === 0 ? (
          <Loading />
        ) : pending.items.length === 0 ? (
          <Card>
            <EmptyState title="Nothing to decide">New requests from engineers appear here.</EmptyState>
          </Card>
        ) : (
          pending.items.map((r) => <QueueItem key={r.id} request={r} customer={names[r.tenantId] ?? r.tenantId} onDone={done} />)
        )}
        <LoadMore hasMore={pending.hasMore} loading={pending.loading} onClick={() => void pending.loadMore()} />
      </section>
      <Card title="Waiting for the customer">
        {waiting.items.length === 0 ? <p className="muted">None.</p> : <RequestTable items={waiting.items} tenantNames={names} caption="Waiting for the customer" />}
        <LoadMore hasMore={waiting.hasMore} loading={waiting.loading} onClick={() => void waiting.loadMore()} />
      </Card>
      <Card title="Active access" description="Open a request to revoke it.">
        {active.items.length === 0 ? <p className="muted">No access is active.</p> : <RequestTable items={active.items} tenantNames={names} caption="Active access" />}
        <LoadMore hasMore={active.hasMore} loading={active.loading} onClick={() => void active.loadMore()} />
      </Card>
    </Page>
  );
}

function QueueItem({ request: r, customer, onDone }: { request: AccessRequest; customer: string; onDone: (o: DecisionOutcome) => void }) {
  const user = useUser();
  const now = useNow();
  const actions = actionsFor(r, user, now).filter((a) => a !== "cancel");
  return (
    <article className="card queue-item" aria-label={`Request ${r.ticket}`}>
      <div className="queue-main">
        <h3>
          <Link to={`/requests/${r.id}`}>{r.ticket}</Link> <span className="muted">· {customer}</span>
        </h3>
        <p className="muted small">
          {r.requester.name} · <LocalTime iso={r.createdAt} />
        </p>
        <p className="reason">{r.reason}</p>
        <p className="tags">
          <ServiceTags services={r.services} />
          <span className="muted small">
            {r.accessLevel === "write" ? "read and write" : "read"} · {formatMinutes(r.requestedMinutes)}
          </span>
        </p>
        <RequestDeadline request={r} />
      </div>
      <div className="queue-decision">
        {r.requester.id === user.id ? (
          <Notice>This is your own request: another manager decides it.</Notice>
        ) : (
          <DecisionPanel request={r} actions={actions} onDone={onDone} idPrefix={`q-${r.id}`} />
        )}
      </div>
    </article>
  );
}
