import { api } from "../../api/client";
import { tenantRoles, type TenantSettings } from "../../api/types";
import { hasRole, useUser } from "../../app/session";
import { useQuery } from "../../app/use-query";
import { ErrorAlert, Loading } from "../../ui/alerts";
import { Card, Page } from "../../ui/page";
import { loadServices } from "../catalog";
import { UsersPanel } from "../users/users-panel";
import { LockboxSettingsForm } from "./lockbox-settings-form";
import { WebhooksPanel } from "./webhooks-panel";
import { AuditStreamingPanel } from "./audit-streaming-panel";
import { SsoPanel } from "./sso-panel";
import { PoliciesPanel } from "./policies-panel";
import { BreakGlassSetting } from "./policies-break-glass-setting";

export function SettingsPage() {
  const user = useUser();
  const tenantId = user.tenantId!;
  const settings = useQuery(() => api.get<TenantSettings>(`/v1/tenants/${tenantId}/settings`), [tenantId]);
  const services = useQuery(loadServices, []);
  const admin = hasRole(user, "global_admin");
  return (
    <Page title="Settings" intro="How your organization controls the provider's access to its content.">
      <Card title="Customer Lockbox" description="Auditing, approval, time limits and who is told.">
        <ErrorAlert error={settings.error} />
        {settings.data && services.data ? (
          <LockboxSettingsForm tenantId={tenantId} settings={settings.data} services={services.data} canEdit={admin} onSaved={() => settings.reload()} />
        ) : (
          !settings.error && <Loading />
        )}
      </Card>
      <Card title="Approval policies" description="Requests you pre-approve are approved at once when the provider's manager approves them; your approvers are still told.">
        {services.data ? <PoliciesPanel tenantId={tenantId} services={services.data} canEdit={admin} /> : <Loading />}
      </Card>
      {settings.data && (
        <Card title="Emergency access (break-glass)" description="Off unless you allow it. Every break-glass access needs your review afterwards.">
          <BreakGlassSetting key={JSON.stringify(settings.data.breakGlass)} tenantId={tenantId} settings={settings.data} canEdit={admin} onSaved={() => settings.reload()} />
        </Card>
      )}
      {admin && (
        <Card title="Users and roles" description="Global admins change settings and roles; lockbox approvers decide requests; auditors read requests and the audit log.">
          <UsersPanel roles={tenantRoles} />
        </Card>
      )}
      {admin && (
        <Card title="Webhooks" description="Post every request step to your own systems, signed with a shared secret.">
          <WebhooksPanel tenantId={tenantId} />
        </Card>
      )}
      {admin && <Card title="Audit streaming" description="Send every event of your audit log to your SIEM: Splunk, syslog or HTTP, as OCSF or Lockbox's own form."><AuditStreamingPanel tenantId={tenantId} /></Card>}
      {admin && <Card title="Sign-in" description="Let your people sign in through your own identity provider (OpenID Connect): Entra ID, Okta, Google, Keycloak…"><SsoPanel org={tenantId} /></Card>}
    </Page>
  );
}
