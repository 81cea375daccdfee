import { api } from "../api/client";
import type { Page, Service, Tenant } from "../api/types";
import { useQuery } from "../app/use-query";

/** Lists that change rarely and that several pages show. */
export const loadServices = () => api.get<Page<Service>>("/v1/services").then((p) => p.items);
export const loadTenants = () => api.get<Page<Tenant>>("/v1/tenants").then((p) => p.items);
export const namesById = (tenants: Tenant[] | undefined) => Object.fromEntries((tenants ?? []).map((t) => [t.id, t.name]));

// One read of the service catalog per page load: every table and detail shows names from it.
let services: Promise<Service[]> | null = null;
const cachedServices = () => {
  services ??= loadServices().catch((err: unknown) => {
    services = null;
    throw err;
  });
  return services;
};

/** key → display name; a key the catalog does not know (removed since) is shown as it is. */
export function useServiceNames(): (key: string) => string {
  const q = useQuery(cachedServices, []);
  const names = Object.fromEntries((q.data ?? []).map((s) => [s.key, s.name]));
  return (key) => names[key] ?? key;
}
