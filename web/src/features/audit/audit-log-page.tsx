import { useState } from "react";
import { api, withQuery } from "../../api/client";
import type { AuditEvent, Page as ApiPage } from "../../api/types";
import { useLocation } from "../../app/router";
import { hasRole, useUser } from "../../app/session";
import { usePaged } from "../../app/use-paged";
import { useQuery } from "../../app/use-query";
import { EmptyState, ErrorAlert, Loading } from "../../ui/alerts";
import { SelectField } from "../../ui/fields";
import { FilterPanel } from "../../ui/filter-panel";
import { LoadMore } from "../../ui/load-more";
import { Card, Page } from "../../ui/page";
import { loadTenants } from "../catalog";
import { type AuditFilter, AuditFilters } from "./audit-filters";
import { AuditTable } from "./audit-table";
import { ChainStatus } from "./chain-status";
import { TransparencyPanel } from "./transparency-panel";

/** Search, export and verify one audit chain: the tenant's own, or any chain for a provider admin. */
export function AuditLogPage() {
  const user = useUser();
  const { search } = useLocation();
  const provider = user.tenantId === null;
  const [chain, setChain] = useState(provider ? "provider" : `tenant:${user.tenantId}`);
  const [filter, setFilter] = useState<AuditFilter>({ requestId: search.get("requestId") ?? undefined });
  const tenants = useQuery(() => (provider && hasRole(user, "provider_admin") ? loadTenants() : Promise.resolve([])), [provider]);
  const list = usePaged((cursor) => api.get<ApiPage<AuditEvent>>("/v1/audit", { chain, ...filter, cursor, limit: 50 }), [chain, JSON.stringify(filter)]);
  const exportHref = (format: "jsonl" | "csv") => withQuery("/v1/audit/export", { format, chain, from: filter.from, to: filter.to });

  return (
    <Page
      title="Audit log"
      intro="Every step of every request, and every action taken under an approval, in a hash chain you can verify yourself."
      actions={
        <div className="button-row">
          <a className="button" href={exportHref("jsonl")} download>
            Export JSONL
          </a>
          <a className="button" href={exportHref("csv")} download>
            Export CSV
          </a>
        </div>
      }
    >
      {provider && (
        <Card>
          <SelectField label="Chain" value={chain} onChange={(e) => setChain(e.target.value)}>
            <option value="provider">Provider</option>
            {tenants.data?.map((t) => (
              <option key={t.id} value={`tenant:${t.id}`}>
                {t.name}
              </option>
            ))}
          </SelectField>
        </Card>
      )}
      <Card title="Chain verification">
        <ChainStatus chain={chain} />
      </Card>
      <TransparencyPanel chain={chain} />
      <FilterPanel>
        <AuditFilters initial={filter} onApply={setFilter} />
      </FilterPanel>
      <Card title="Events">
        <ErrorAlert error={list.error} />
        {list.loading && list.items.length === 0 ? (
          <Loading />
        ) : list.items.length === 0 ? (
          <EmptyState title="No events">Nothing matches this search.</EmptyState>
        ) : (
          <AuditTable items={list.items} linkRequests />
        )}
        <LoadMore hasMore={list.hasMore} loading={list.loading} onClick={() => void list.loadMore()} />
      </Card>
    </Page>
  );
}
