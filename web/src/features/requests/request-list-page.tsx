import { useState } from "react";
import { api } from "../../api/client";
import type { AccessRequest, Page as ApiPage } from "../../api/types";
import { hasRole, useUser } from "../../app/session";
import { usePaged } from "../../app/use-paged";
import { EmptyState, ErrorAlert, Loading } from "../../ui/alerts";
import { FilterPanel } from "../../ui/filter-panel";
import { LoadMore } from "../../ui/load-more";
import { Card, Page } from "../../ui/page";
import { type RequestFilter, RequestFilters } from "./request-filters";
import { RequestTable } from "./request-table";

/** The customer's view: every data access request for its tenant, newest first. */
export function RequestListPage() {
  const user = useUser();
  const decides = hasRole(user, "global_admin", "lockbox_approver");
  const [filter, setFilter] = useState<RequestFilter>({});
  const list = usePaged(
    (cursor) => api.get<ApiPage<AccessRequest>>("/v1/requests", { ...filter, cursor, limit: 25 }),
    [JSON.stringify(filter)],
    { refreshMs: 30_000 },
  );
  return (
    <Page
      title="Customer Lockbox requests"
      intro={`Requests from the provider's support engineers to access your organization's content. ${decides ? "Open one to approve, deny or revoke it." : "Open one to read what was asked, who decided and when."}`}
    >
      <FilterPanel>
        <RequestFilters onApply={setFilter} />
      </FilterPanel>
      <Card>
        <ErrorAlert error={list.error} />
        {list.loading && list.items.length === 0 ? (
          <Loading />
        ) : list.items.length === 0 ? (
          <EmptyState title="No requests">
            {Object.keys(filter).some((k) => filter[k as keyof RequestFilter]) ? "Nothing matches these filters." : "When the provider asks to access your data, the request appears here."}
          </EmptyState>
        ) : (
          <RequestTable items={list.items} caption="Customer Lockbox requests" />
        )}
        <LoadMore hasMore={list.hasMore} loading={list.loading} onClick={() => void list.loadMore()} />
      </Card>
    </Page>
  );
}
