import { Page } from "../../ui/page";
import { PasskeysPanel } from "./passkeys-panel";
import { SessionsPanel } from "./sessions-panel";
import { TotpPanel } from "./totp-panel";

/** My account: the signed-in person's own sign-in factors and sessions, whatever their roles. */
export function AccountPage() {
  return (
    <Page title="My account" intro="How you sign in to Lockbox, and where you are signed in.">
      <div className="stack">
        <PasskeysPanel />
        <TotpPanel />
        <SessionsPanel />
      </div>
    </Page>
  );
}
