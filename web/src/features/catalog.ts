import { api } from "../api/client";
import type { Page, Service, Tenant } from "../api/types";

/** Lists that change rarely and that several pages show. */
export const loadServices = () => api.get<Page<Service>>("/v1/services").then((p) => p.items);
export const loadTenants = () => api.get<Page<Tenant>>("/v1/tenants").then((p) => p.items);
export const namesById = (tenants: Tenant[] | undefined) => Object.fromEntries((tenants ?? []).map((t) => [t.id, t.name]));
