import { type FormEvent, useEffect, useState } from "react";
import { api } from "../../api/client";
import { ErrorAlert, Loading, Notice } from "../../ui/alerts";
import { Switch, TextArea, TextField } from "../../ui/fields";

/** The API's shape (SPEC section 14); the client secret is never sent back. */
interface SsoConfig {
  issuer: string;
  clientId: string;
  scopes: string[];
  emailDomains: string[];
  roleClaim: string | null;
  roleMap: Record<string, string[]>;
  jitProvisioning: boolean;
  requireSso: boolean;
  breakGlassEmail: string | null;
  redirectUri: string;
}

const words = (text: string) => text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);

/** "group = role, role" per line, both ways. */
function roleMapText(map: Record<string, string[]>): string {
  return Object.entries(map).map(([value, roles]) => `${value} = ${roles.join(", ")}`).join("\n");
}
function parseRoleMap(text: string): Record<string, string[]> {
  const map: Record<string, string[]> = {};
  for (const line of text.split("\n")) {
    const eq = line.lastIndexOf("=");
    if (eq < 1) continue;
    map[line.slice(0, eq).trim()] = words(line.slice(eq + 1));
  }
  return map;
}

/** Settings → Sign-in: the org's own OpenID Connect identity provider. `org` is a tenant id or "provider". */
export function SsoPanel({ org }: { org: string }) {
  const path = `/v1/orgs/${org}/sso`;
  const [loaded, setLoaded] = useState<SsoConfig | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [issuer, setIssuer] = useState("");
  const [clientId, setClientId] = useState("");
  const [clientSecret, setClientSecret] = useState("");
  const [domains, setDomains] = useState("");
  const [roleClaim, setRoleClaim] = useState("groups");
  const [roleMap, setRoleMap] = useState("");
  const [jit, setJit] = useState(false);
  const [requireSso, setRequireSso] = useState(false);
  const [breakGlass, setBreakGlass] = useState("");

  const fill = (c: SsoConfig | null) => {
    setLoaded(c);
    if (!c) return;
    setIssuer(c.issuer);
    setClientId(c.clientId);
    setDomains(c.emailDomains.join(", "));
    setRoleClaim(c.roleClaim ?? "");
    setRoleMap(roleMapText(c.roleMap));
    setJit(c.jitProvisioning);
    setRequireSso(c.requireSso);
    setBreakGlass(c.breakGlassEmail ?? "");
  };
  useEffect(() => {
    api.get<SsoConfig | null>(path).then(fill, setError);
  }, [path]);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setSaved(null);
    try {
      const body = {
        issuer: issuer.trim(),
        clientId: clientId.trim(),
        ...(clientSecret ? { clientSecret } : {}),
        emailDomains: words(domains),
        roleClaim: roleClaim.trim() || null,
        roleMap: parseRoleMap(roleMap),
        jitProvisioning: jit,
        requireSso,
        breakGlassEmail: breakGlass.trim() || null,
      };
      fill(await api.put<SsoConfig>(path, body));
      setClientSecret("");
      setSaved("Saved. People of these domains can now sign in with your organization.");
    } catch (err) {
      setError(err);
    }
  };
  const remove = async () => {
    setError(null);
    try {
      await api.delete(path);
      fill(null);
      setSaved("Removed. Everyone signs in with a password again.");
    } catch (err) {
      setError(err);
    }
  };

  if (loaded === undefined && !error) return <Loading />;
  const redirectUri = loaded?.redirectUri ?? `${window.location.origin}/v1/auth/sso/callback`;
  return (
    <form className="form" aria-label="Single sign-on" onSubmit={(e) => void save(e)}>
      <p className="muted small">
        Register Lockbox with your identity provider as a web application with the redirect URI <code>{redirectUri}</code>, then enter what it gives you.
      </p>
      <ErrorAlert error={error} />
      {saved && <Notice tone="success">{saved}</Notice>}
      <div className="form-row">
        <TextField label="Issuer URL" required maxLength={2048} placeholder="https://login.example.com/…" value={issuer} onChange={(e) => setIssuer(e.target.value)} />
        <TextField label="Client ID" required maxLength={255} value={clientId} onChange={(e) => setClientId(e.target.value)} />
        <TextField
          label="Client secret"
          type="password"
          autoComplete="off"
          maxLength={1024}
          required={!loaded}
          hint={loaded ? "Stored encrypted. Leave empty to keep it." : "Stored encrypted, never shown again."}
          value={clientSecret}
          onChange={(e) => setClientSecret(e.target.value)}
        />
      </div>
      <TextField label="Email domains" required hint="Comma-separated, e.g. example.com, example.org" value={domains} onChange={(e) => setDomains(e.target.value)} />
      <div className="form-row">
        <TextField label="Role claim" maxLength={100} hint="The ID token claim with the person's groups, e.g. groups or roles." value={roleClaim} onChange={(e) => setRoleClaim(e.target.value)} />
        <TextArea label="Role map" rows={3} hint="One per line: group = role, role" value={roleMap} onChange={(e) => setRoleMap(e.target.value)} />
      </div>
      <Switch label="Create accounts on first sign-in" description="People with a mapped group get an account with the mapped roles." checked={jit} onChange={setJit} />
      <Switch label="Require single sign-on" description="Passwords stop working for everyone but the break-glass admin." checked={requireSso} onChange={setRequireSso} />
      {requireSso && <TextField label="Break-glass admin email" type="email" required maxLength={320} value={breakGlass} onChange={(e) => setBreakGlass(e.target.value)} />}
      <div className="button-row">
        <button type="submit" className="button button-primary">
          Save sign-in settings
        </button>
        {loaded && (
          <button type="button" className="button button-danger-outline" onClick={() => void remove()}>
            Remove single sign-on
          </button>
        )}
      </div>
    </form>
  );
}
