import { useState } from "react";
import { ApiError } from "../../api/client";
import { useSession } from "../../app/session";
import { ErrorAlert } from "../../ui/alerts";
import { signInWithPasskey } from "./account-api";

function passkeyProblem(err: unknown): Error {
  if (err instanceof Error && (err.name === "NotAllowedError" || err.name === "AbortError")) {
    return new Error("The passkey prompt was closed before it finished. Try again when you are ready.");
  }
  if (err instanceof ApiError && err.status === 429) return new Error("Too many attempts to sign in. Wait a few minutes, then try again.");
  if (err instanceof ApiError && err.status === 401) return new Error("That passkey did not sign you in. Use another one, or your email and password.");
  return err instanceof Error ? err : new Error("Signing in did not work. Try again.");
}

/** The sign-in page's passwordless way in: the browser offers the passkeys it holds for this site. */
export function PasskeySignInButton() {
  const { adoptSession } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const go = async () => {
    setBusy(true);
    setError(null);
    try {
      adoptSession(await signInWithPasskey());
    } catch (err) {
      setError(passkeyProblem(err));
      setBusy(false);
    }
  };
  return (
    <div className="passkey-sign-in">
      <ErrorAlert error={error} reference={false} />
      <button type="button" className="button button-block" disabled={busy} onClick={() => void go()}>
        {busy ? "Waiting for your passkey…" : "Sign in with a passkey"}
      </button>
    </div>
  );
}
