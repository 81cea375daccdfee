import { type FormEvent, useEffect, useState } from "react";
import { api, ApiError } from "../../api/client";
import { hasRoute } from "../../api/capabilities";
import type { User } from "../../api/types";
import { Link } from "../../app/router";
import { ErrorAlert, Loading, Notice } from "../../ui/alerts";
import { TextField } from "../../ui/fields";
import { icons } from "../../ui/icons";

const MIN_PASSWORD = 12;

/** Reads the one-time token from the URL fragment once, then removes it from the address bar. */
function takeToken(): string {
  const token = new URLSearchParams(window.location.hash.slice(1)).get("token") ?? "";
  if (window.location.hash) window.history.replaceState(null, "", window.location.pathname);
  return token;
}

type Check = { state: "checking" } | { state: "valid"; email: string; name: string; expiresAt: string } | { state: "invalid" } | { state: "unknown" };

/**
 * Asks the server whether the link still works before anyone types a password: a used, revoked
 * or expired link is refused at once. A server without the check route gets the form as before.
 */
async function checkInvitation(token: string): Promise<Check> {
  if (!token || !(await hasRoute("post", "/v1/invitations/check"))) return { state: "unknown" };
  try {
    const found = await api.post<{ email: string; name: string; expiresAt: string }>("/v1/invitations/check", { token });
    return { state: "valid", ...found };
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 410 || err.code === "invitation_invalid")) return { state: "invalid" };
    return { state: "unknown" };
  }
}

export function AcceptInvitationPage() {
  const [token] = useState(takeToken);
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<User | null>(null);
  const [busy, setBusy] = useState(false);
  const [check, setCheck] = useState<Check>({ state: "checking" });

  useEffect(() => {
    document.title = "Accept invitation";
    void checkInvitation(token).then((c) => {
      setCheck(c);
      if (c.state === "valid" && c.name) setName((n) => n || c.name);
    });
  }, [token]);

  const mismatch = confirm.length > 0 && confirm !== password;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (password !== confirm) return;
    setBusy(true);
    setError(null);
    try {
      const res = await api.post<{ user: User }>("/v1/invitations/accept", { token, password, ...(name.trim() ? { name: name.trim() } : {}) });
      setDone(res.user);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="auth-page">
      <main className="auth-card">
        <div className="auth-brand">
          <icons.lock />
          <span>Lockbox</span>
        </div>
        <h1>Accept invitation</h1>
        {done ? (
          <>
            <Notice tone="success">
              Your account <strong>{done.email}</strong> is ready.
            </Notice>
            <Link to="/" className="button button-primary button-block">
              Continue to sign in
            </Link>
          </>
        ) : !token ? (
          <Notice tone="warning">This link has no invitation token. Open the full link from your invitation email.</Notice>
        ) : check.state === "checking" ? (
          <Loading label="Checking your invitation link…" />
        ) : check.state === "invalid" ? (
          <>
            <Notice tone="warning">
              This invitation link no longer works: it was already used, replaced by a newer one, revoked, or it expired. Ask your administrator to send you a new
              invitation. If you already activated your account, sign in instead.
            </Notice>
            <Link to="/" className="button button-block">
              Go to sign in
            </Link>
          </>
        ) : (
          <form onSubmit={(e) => void submit(e)}>
            {check.state === "valid" ? (
              <p className="muted">
                Choose a password to activate the account <strong>{check.email}</strong>. The link works once, until {new Date(check.expiresAt).toLocaleString()}.
              </p>
            ) : (
              <p className="muted">Choose a password to activate your account. The link works once and expires 72 hours after it was sent.</p>
            )}
            <ErrorAlert error={error} />
            <TextField label="Your name (optional)" autoComplete="name" maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
            <TextField
              label="Password"
              type="password"
              autoComplete="new-password"
              required
              minLength={MIN_PASSWORD}
              hint={`At least ${MIN_PASSWORD} characters.`}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
            <TextField
              label="Confirm password"
              type="password"
              autoComplete="new-password"
              required
              value={confirm}
              aria-invalid={mismatch}
              hint={mismatch ? "The passwords do not match." : undefined}
              onChange={(e) => setConfirm(e.target.value)}
            />
            <button type="submit" className="button button-primary button-block" disabled={busy || mismatch}>
              {busy ? "Activating…" : "Activate account"}
            </button>
          </form>
        )}
      </main>
    </div>
  );
}
