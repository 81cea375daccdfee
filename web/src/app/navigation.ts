import type { JSX } from "react";
import type { Role, User } from "../api/types";
import { icons } from "../ui/icons";

export interface NavItem {
  to: string;
  /** Also the page title (SPEC section 12). */
  label: string;
  icon: () => JSX.Element;
  roles: Role[];
  side: "tenant" | "provider";
}

export const navItems: NavItem[] = [
  { to: "/requests", label: "Customer Lockbox requests", icon: icons.inbox, roles: ["global_admin", "lockbox_approver", "auditor"], side: "tenant" },
  { to: "/settings", label: "Settings", icon: icons.settings, roles: ["global_admin", "lockbox_approver", "auditor"], side: "tenant" },
  { to: "/audit", label: "Audit log", icon: icons.audit, roles: ["global_admin", "auditor"], side: "tenant" },
  { to: "/new-request", label: "New data access request", icon: icons.plus, roles: ["engineer"], side: "provider" },
  { to: "/my-requests", label: "My requests", icon: icons.list, roles: ["engineer"], side: "provider" },
  { to: "/queue", label: "Approval queue", icon: icons.check, roles: ["manager"], side: "provider" },
  { to: "/tenants", label: "Tenants", icon: icons.building, roles: ["provider_admin"], side: "provider" },
  { to: "/staff", label: "Staff", icon: icons.people, roles: ["provider_admin"], side: "provider" },
  { to: "/services", label: "Services", icon: icons.grid, roles: ["engineer", "manager", "provider_admin"], side: "provider" },
  { to: "/audit", label: "Audit log", icon: icons.audit, roles: ["provider_admin"], side: "provider" },
  { to: "/break-glass", label: "Disputed break-glass", icon: icons.alert, roles: ["provider_admin"], side: "provider" },
  // Everyone manages their own passkeys, authenticator app and sessions.
  { to: "/account", label: "My account", icon: icons.shield, roles: ["global_admin", "lockbox_approver", "auditor"], side: "tenant" },
  { to: "/account", label: "My account", icon: icons.shield, roles: ["engineer", "manager", "provider_admin"], side: "provider" },
];

/** Only what the user's roles can use, on the user's own side (provider or tenant). */
export function navFor(user: User): NavItem[] {
  const side = user.tenantId === null ? "provider" : "tenant";
  return navItems.filter((i) => i.side === side && i.roles.some((r) => user.roles.includes(r)));
}

export function homeFor(user: User): string {
  return navFor(user)[0]?.to ?? "/account";
}
