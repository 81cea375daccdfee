import { Fragment, type ReactNode, useEffect, useRef } from "react";
import { AccountPage } from "../features/account/account-page";
import { StepUpHost } from "../features/account/step-up-dialog";
import { AcceptInvitationPage } from "../features/auth/accept-invitation-page";
import { SignInPage } from "../features/auth/sign-in-page";
import { AuditLogPage } from "../features/audit/audit-log-page";
import { loadTenants } from "../features/catalog";
import { NewRequestPage } from "../features/engineer/new-request-page";
import { MyRequestsPage } from "../features/engineer/my-requests-page";
import { ServicesPage } from "../features/provider/services-page";
import { StaffPage } from "../features/provider/staff-page";
import { TenantsPage } from "../features/provider/tenants-page";
import { ApprovalQueuePage } from "../features/queue/approval-queue-page";
import { RequestDetailPage } from "../features/requests/request-detail-page";
import { RequestListPage } from "../features/requests/request-list-page";
import { DisputedBreakGlassPage } from "../features/requests/review-disputed-page";
import { SettingsPage } from "../features/settings/settings-page";
import { EmptyState, Loading } from "../ui/alerts";
import { Page } from "../ui/page";
import type { User } from "../api/types";
import { AppShell } from "./app-shell";
import { homeFor, navFor } from "./navigation";
import { Link, matchPath, navigate, useLocation } from "./router";
import { useSession } from "./session";
import { useQuery } from "./use-query";

const pages: Record<string, () => ReactNode> = {
  "/requests": () => <RequestListPage />,
  "/settings": () => <SettingsPage />,
  "/audit": () => <AuditLogPage />,
  "/new-request": () => <NewRequestPage />,
  "/my-requests": () => <MyRequestsPage />,
  "/queue": () => <ApprovalQueuePage />,
  "/tenants": () => <TenantsPage />,
  "/staff": () => <StaffPage />,
  "/services": () => <ServicesPage />,
  "/account": () => <AccountPage />,
  "/break-glass": () => <DisputedBreakGlassPage />,
};

function routeFor(pathname: string, user: User): ReactNode {
  const detail = matchPath("/requests/:id", pathname);
  if (detail) return <RequestDetailPage id={detail.id!} />;
  const page = pages[pathname];
  if (page && navFor(user).some((i) => i.to === pathname)) return page();
  return (
    <Page title={page ? "Not available" : "Page not found"}>
      <EmptyState title={page ? "Your roles do not include this page." : "There is no page at this address."}>
        <Link to={homeFor(user)}>Go to your start page</Link>
      </EmptyState>
    </Page>
  );
}

export function App() {
  const { user, checking } = useSession();
  const { pathname, visit } = useLocation();
  const first = useRef(true);

  // Move focus to the new page's heading after in-app navigation, as a page load would.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    document.getElementById("page-title")?.focus();
  }, [pathname]);

  useEffect(() => {
    if (user && (pathname === "/" || pathname === "/sign-in")) navigate(homeFor(user), { replace: true });
  }, [user, pathname]);

  if (pathname === "/accept-invitation") return <AcceptInvitationPage />;
  if (checking) return <Loading label="Opening Lockbox…" />;
  if (!user) return <SignInPage />;
  return <SignedIn user={user} pathname={pathname} visit={visit} />;
}

function SignedIn({ user, pathname, visit }: { user: User; pathname: string; visit: string }) {
  const tenants = useQuery(() => (user.tenantId ? loadTenants() : Promise.resolve([])), [user.tenantId]);
  const orgName = user.tenantId ? (tenants.data?.[0]?.name ?? "") : "Provider";
  return (
    <AppShell orgName={orgName}>
      <Fragment key={visit}>{routeFor(pathname, user)}</Fragment>
      <StepUpHost />
    </AppShell>
  );
}
