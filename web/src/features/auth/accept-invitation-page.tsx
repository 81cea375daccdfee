import { type FormEvent, useEffect, useState } from "react";
import { api } from "../../api/client";
import type { User } from "../../api/types";
import { Link } from "../../app/router";
import { ErrorAlert, Notice } from "../../ui/alerts";
import { TextField } from "../../ui/fields";
import { icons } from "../../ui/icons";

const MIN_PASSWORD = 12;

/** Reads the one-time token from the URL fragment once, then removes it from the address bar. */
function takeToken(): string {
  const token = new URLSearchParams(window.location.hash.slice(1)).get("token") ?? "";
  if (window.location.hash) window.history.replaceState(null, "", window.location.pathname);
  return token;
}

export function AcceptInvitationPage() {
  const [token] = useState(takeToken);
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<User | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    document.title = "Accept invitation";
  }, []);

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
        ) : (
          <form onSubmit={(e) => void submit(e)}>
            <p className="muted">Choose a password to activate your account. The link works once and expires 72 hours after it was sent.</p>
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
