import { type FormEvent, useEffect, useState } from "react";
import { ApiError } from "../../api/client";
import { useSession } from "../../app/session";
import { PasskeySignInButton } from "../account/passkey-sign-in-button";
import { ErrorAlert } from "../../ui/alerts";
import { TextField } from "../../ui/fields";
import { icons } from "../../ui/icons";
import { SsoSignIn } from "./sso-sign-in";

/** What went wrong, as a sentence for the person at the form (no support reference here). */
function signInProblem(err: unknown): Error {
  if (err instanceof ApiError && err.status === 401) return new Error("The email or password is not right. Check both and try again.");
  if (err instanceof ApiError && err.status === 429) return new Error("Too many attempts to sign in. Wait a few minutes, then try again.");
  return err instanceof Error ? err : new Error("Signing in did not work. Try again.");
}

export function SignInPage() {
  const { signIn } = useSession();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    document.title = "Sign in";
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(email, password);
    } catch (err) {
      setError(signInProblem(err));
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
        <h1>Sign in</h1>
        <p className="muted">Use the email and password of your Lockbox account.</p>
        <form onSubmit={(e) => void submit(e)} noValidate={false}>
          <ErrorAlert error={error} reference={false} />
          <TextField label="Email" type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
          <TextField
            label="Password"
            type="password"
            name="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          <button type="submit" className="button button-primary button-block" disabled={busy}>
            {busy ? "Signing in…" : "Sign in"}
          </button>
        </form>
        <PasskeySignInButton />
        <SsoSignIn email={email} />
      </main>
    </div>
  );
}
