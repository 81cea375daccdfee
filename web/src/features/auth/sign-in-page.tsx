import { type FormEvent, useEffect, useState } from "react";
import { useSession } from "../../app/session";
import { ErrorAlert } from "../../ui/alerts";
import { TextField } from "../../ui/fields";
import { icons } from "../../ui/icons";

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
      setError(err);
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
          <ErrorAlert error={error} />
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
      </main>
    </div>
  );
}
