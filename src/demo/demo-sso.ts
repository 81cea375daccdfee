import fs from "node:fs";
import path from "node:path";
import type { App } from "../app.js";
import type { Config } from "../config.js";
import { newSecret } from "../ids.js";
import { findUserRowByEmail, toUser } from "../identity/user-queries.js";
import { putSsoConfig } from "../identity/sso/manage-sso.js";
import { OidcClients } from "../identity/sso/oidc-client.js";
import { findSsoConfigRow } from "../identity/sso/sso-config.js";
import { ssoCallbackUrl } from "../identity/sso/start-sso-sign-in.js";
import { type DemoIdp, type DemoIdpAccount, startDemoIdp } from "./demo-idp.js";

/** The demo IdP's client secret and password, kept beside the demo data so a restart keeps them. */
export const DEMO_IDP_FILE = "demo-idp.json";
const CLIENT_ID = "lockbox-demo";
const TENANT = "Contoso";

/** Adam exists already (password and IdP both sign him in); Nina is made on her first sign-in. */
export const demoIdpAccounts: DemoIdpAccount[] = [
  { email: "adam@contoso.example", name: "Adam Approver (Contoso)", groups: ["lockbox-approvers"] },
  { email: "nina@contoso.example", name: "Nina Newhire (Contoso)", groups: ["lockbox-approvers", "all-staff"] },
];

function loadSecrets(dataDir: string): { clientSecret: string; password: string; fresh: boolean } {
  const file = path.join(dataDir, DEMO_IDP_FILE);
  try {
    const kept = JSON.parse(fs.readFileSync(file, "utf8")) as { clientSecret?: unknown; password?: unknown };
    if (typeof kept.clientSecret === "string" && typeof kept.password === "string") {
      return { clientSecret: kept.clientSecret, password: kept.password, fresh: false };
    }
  } catch {
    // First start (or an unreadable file): make new ones below.
  }
  const made = { clientSecret: newSecret(), password: newSecret().slice(0, 12) };
  fs.writeFileSync(file, `${JSON.stringify(made, null, 2)}\n`, { mode: 0o600 });
  return { ...made, fresh: true };
}

/**
 * SSO in the demo (SPEC 14): an in-process OpenID provider for Contoso, configured as Contoso's
 * identity provider by Contoso's global admin through the same use case as the API. It is
 * configured again only when its address or secret changed (a new port, a deleted data folder),
 * so a restart adds nothing to Contoso's audit log. Password sign-in stays on: the rest of the
 * walk-through uses it. Returns the lines to print, or a note when the demo data predates SSO.
 */
export async function startDemoSso(app: App, config: Config): Promise<{ idp: DemoIdp | null; text: string }> {
  const { db } = app.deps;
  const tenant = await db.selectFrom("tenants").select("id").where("name", "=", TENANT).executeTakeFirst();
  const graceRow = await findUserRowByEmail(db, "grace@contoso.example");
  if (!tenant || !graceRow) return { idp: null, text: "" };
  const secrets = loadSecrets(config.dataDir);
  const port = config.port === 0 ? 0 : config.port + 2;
  let idp: DemoIdp;
  try {
    idp = await startDemoIdp({
      clientId: CLIENT_ID,
      clientSecret: secrets.clientSecret,
      redirectUri: ssoCallbackUrl(config.publicUrl),
      password: secrets.password,
      accounts: demoIdpAccounts,
      port,
    });
  } catch (err) {
    // The rest of the demo works without it: say why "Sign in with your organization" will not.
    return { idp: null, text: `
The demo's identity provider could not start on port ${port} (${(err as Error).message}); single sign-on is not available this time.
` };
  }
  try {
    const current = await findSsoConfigRow(db, tenant.id);
    if (!current || current.issuer !== idp.issuer || current.client_id !== CLIENT_ID || secrets.fresh) {
      await putSsoConfig(app.deps, new OidcClients(app.deps.clock, config.webhookAllowPrivate), { user: toUser(graceRow) }, tenant.id, {
        issuer: idp.issuer,
        clientId: CLIENT_ID,
        clientSecret: secrets.clientSecret,
        scopes: ["openid", "email", "profile"],
        emailDomains: ["contoso.example"],
        roleClaim: "groups",
        roleMap: { "lockbox-approvers": ["lockbox_approver"] },
        jitProvisioning: true,
        requireSso: false,
      });
    }
  } catch (err) {
    await idp.close();
    throw err;
  }
  const text =
    `\nSign in through Contoso's own identity provider (a demo OpenID provider at ${idp.issuer}):\n` +
    `  On the sign-in page, type one of these emails and choose "Sign in with your organization";\n` +
    `  the demo IdP asks for its password: ${secrets.password}\n` +
    demoIdpAccounts.map((a) => `    ${a.email.padEnd(22)} groups: ${a.groups.join(", ")}\n`).join("") +
    "  Adam exists already; Nina gets an account on her first sign-in, an approver by her group.\n" +
    "  Contoso's IdP settings: Settings > Sign-in (as grace@contoso.example).\n";
  return { idp, text };
}
