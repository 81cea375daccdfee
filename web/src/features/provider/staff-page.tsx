import { providerRoles } from "../../api/types";
import { Card, Page } from "../../ui/page";
import { UsersPanel } from "../users/users-panel";

export function StaffPage() {
  return (
    <Page title="Staff" intro="The provider's people: engineers file requests, managers approve them first, provider admins run the installation.">
      <Card>
        <UsersPanel roles={providerRoles} />
      </Card>
    </Page>
  );
}
