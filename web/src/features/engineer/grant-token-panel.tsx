import { useEffect, useState } from "react";
import { api } from "../../api/client";
import { hasRoute } from "../../api/capabilities";
import type { AccessRequest, GrantToken } from "../../api/types";
import { ErrorAlert, Notice } from "../../ui/alerts";
import { CopyField } from "../../ui/copy-field";
import { LocalTime } from "../../ui/time";

const TOKEN_ROUTE = "/v1/requests/{id}/token";

/** Where the service gateway is; the admin center does not know it, so the line reads it from the shell. */
const GATEWAY = "$GATEWAY_URL";

/** The whole call a gateway accepts: the token and the customer's tenant id, both required. */
export function curlLine(token: string, tenantId: string): string {
  return `curl -H "Authorization: Lockbox ${token}" -H "X-Lockbox-Tenant: ${tenantId}" "${GATEWAY}/…"`;
}

/**
 * The signed grant token for an approved request of the viewer's own. Fetched on demand (each
 * issue is audited), and only offered when this server has the token route. Shown with the
 * customer it is for and a ready-to-copy curl line carrying both headers the gateway needs.
 */
export function GrantTokenPanel({ request, customer }: { request: AccessRequest; customer?: string }) {
  const [available, setAvailable] = useState<boolean | null>(null);
  const [token, setToken] = useState<GrantToken | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    void hasRoute("get", TOKEN_ROUTE).then(setAvailable);
  }, []);

  if (available === null) return null;
  if (!available) return <Notice>This server does not issue grant tokens yet; services check access with the access check API instead.</Notice>;

  const fetchToken = async () => {
    setBusy(true);
    setError(null);
    try {
      setToken(await api.get<GrantToken>(`/v1/requests/${request.id}/token`));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="stack-sm">
      <ErrorAlert error={error} />
      <p className="small" data-testid="grant-customer">
        Customer: <strong>{customer ?? "…"}</strong> <span className="muted">(tenant id {request.tenantId})</span>
      </p>
      {token ? (
        <>
          <CopyField label="Grant token" value={token.token} hint="Send it as “Authorization: Lockbox <token>” to the service gateway." />
          <CopyField
            label="curl command"
            multiline
            value={curlLine(token.token, request.tenantId)}
            hint="Both headers are required. Set GATEWAY_URL to the service gateway's address first (e.g. export GATEWAY_URL=http://localhost:9000), then replace … with the path."
          />
          <p className="muted small">
            Valid until <LocalTime iso={token.expiresAt} />.
          </p>
        </>
      ) : (
        <>
          <p className="muted small">A signed token that the provider's gateways accept until access ends or is revoked.</p>
          <button type="button" className="button" onClick={() => void fetchToken()} disabled={busy}>
            {busy ? "Getting token…" : "Get grant token"}
          </button>
        </>
      )}
    </div>
  );
}
