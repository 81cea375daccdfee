import { api } from "../../api/client";
import type { AccessRequest, Page as ApiPage } from "../../api/types";
import { Link } from "../../app/router";
import { useQuery } from "../../app/use-query";
import { EmptyState, ErrorAlert, Loading } from "../../ui/alerts";
import { Card, Page } from "../../ui/page";
import { LocalTime } from "../../ui/time";
import { loadTenants, namesById } from "../catalog";

/** The provider admin's list of break-glass accesses customers disputed (SPEC 17), newest first. */
export function DisputedBreakGlassPage() {
  const list = useQuery(() => api.get<ApiPage<AccessRequest>>("/v1/break-glass/disputed").then((r) => r.items), []);
  const tenants = useQuery(loadTenants, []);
  const names = namesById(tenants.data);
  return (
    <Page title="Disputed break-glass" intro="Emergency accesses your customers reviewed and disputed. Follow each up with the customer.">
      <Card>
        <ErrorAlert error={list.error} />
        {!list.data && !list.error && <Loading />}
        {list.data && list.data.length === 0 && <EmptyState title="No disputes">No customer has disputed a break-glass access.</EmptyState>}
        {list.data && list.data.length > 0 && (
          <div className="table-wrap">
          <table className="table" data-testid="disputed-list">
            <thead>
              <tr>
                <th>Request</th>
                <th>Customer</th>
                <th>Broken by</th>
                <th>Disputed</th>
                <th>Why</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((r) => (
                <tr key={r.id}>
                  <td>
                    <Link to={`/requests/${encodeURIComponent(r.id)}`}>{r.ticket || r.id.slice(0, 8)}</Link>
                  </td>
                  <td>{names[r.tenantId] ?? r.tenantId}</td>
                  <td>{r.breakGlass?.by.map((p) => p.name).join(" + ")}</td>
                  <td>
                    {r.breakGlass?.review && (
                      <>
                        <LocalTime iso={r.breakGlass.review.at} /> by {r.breakGlass.review.by.name}
                      </>
                    )}
                  </td>
                  <td>{r.breakGlass?.review?.comment}</td>
                </tr>
              ))}
            </tbody>
          </table>
          </div>
        )}
      </Card>
    </Page>
  );
}
