import { useEffect, useState } from "react";
import { api } from "../../api/client";
import { hasRoute } from "../../api/capabilities";
import type { AccessRequest, GrantToken } from "../../api/types";
import { ErrorAlert, Notice } from "../../ui/alerts";
import { CopyField } from "../../ui/copy-field";
import { LocalTime } from "../../ui/time";

const TOKEN_ROUTE = "/v1/requests/{id}/token";

/**
 * The signed grant token for an approved request of the viewer's own. Fetched on demand (each
 * issue is audited), and only offered when this server has the token route.
 */
export function GrantTokenPanel({ request }: { request: AccessRequest }) {
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
      {token ? (
        <>
          <CopyField label="Grant token" value={token.token} hint="Send it as “Authorization: Lockbox <token>” to the service gateway." />
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
