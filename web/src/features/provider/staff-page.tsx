import { providerRoles } from "../../api/types";
import { Card, Page } from "../../ui/page";
import { UsersPanel } from "../users/users-panel";
import { SsoPanel } from "../settings/sso-panel";
import { ProviderSettingsPanel } from "./provider-settings-panel";

export function StaffPage() {
  return (
    <Page title="Staff" intro="The provider's people: engineers file requests, managers approve them first, provider admins run the installation.">
      <Card>
        <UsersPanel roles={providerRoles} />
      </Card>
      <Card title="Sign-in" description="Let the provider's staff sign in through your own identity provider (OpenID Connect)."><SsoPanel org="provider" /></Card>
      <Card title="Step-up" description="A second factor at the moment of a decision."><ProviderSettingsPanel /></Card>
    </Page>
  );
}
