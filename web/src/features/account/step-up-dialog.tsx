import { type FormEvent, useCallback, useEffect, useId, useRef, useState } from "react";
import { ApiError, setStepUpHandler, type StepUpMethod, type StepUpProof } from "../../api/client";
import { ErrorAlert } from "../../ui/alerts";
import { TextField } from "../../ui/fields";
import { verifyWithPasskey } from "./account-api";

interface Ask {
  methods: StepUpMethod[];
  resolve: (proof: StepUpProof) => void;
  reject: (reason: Error) => void;
}

type Phase = "passkey" | "passkey-failed" | "code";

/** Why the ceremony did not finish, told so the person knows what to do next. */
function passkeyProblem(err: unknown): Error {
  if (err instanceof Error && (err.name === "NotAllowedError" || err.name === "AbortError")) {
    return new Error("The passkey prompt was closed, or this device holds none of your passkeys. Try again, or use another way.");
  }
  if (err instanceof ApiError && err.status === 429) return new Error("Too many attempts. Wait a few minutes, then try again.");
  if (err instanceof ApiError) return new Error(`Your passkey was not accepted: ${err.message}`);
  return err instanceof Error ? err : new Error("Confirming with your passkey did not work.");
}

const GAVE_UP = "Nothing was changed: this action needs you to confirm it is you.";

/**
 * Step-up (SPEC 14): when a protected call answers 401 `step_up_required`, the API client asks
 * here. With a passkey among the methods the assertion ceremony starts at once (the action the
 * person just chose is the consent); with only TOTP a code is asked for. Resolving lets the
 * client retry the call once; cancelling rejects it and the page shows that nothing changed.
 * Mounted once for a signed-in person.
 */
export function StepUpHost() {
  const [ask, setAsk] = useState<Ask | null>(null);
  const [phase, setPhase] = useState<Phase>("code");
  const [error, setError] = useState<unknown>(null);
  const [code, setCode] = useState("");
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  // One prompt at a time: a second protected call waits for the first prompt to close, and
  // then usually passes, as a passkey verification holds for the whole session.
  const queue = useRef<Promise<unknown>>(Promise.resolve());
  const asking = useRef<Ask | null>(null);

  useEffect(() => {
    setStepUpHandler((methods) => {
      const next = queue.current.then(
        () =>
          new Promise<StepUpProof>((resolve, reject) => {
            setError(null);
            setCode("");
            setPhase(methods.includes("passkey") ? "passkey" : "code");
            asking.current = { methods, resolve, reject };
            setAsk(asking.current);
          }),
      );
      queue.current = next.catch(() => undefined);
      return next;
    });
    return () => setStepUpHandler(null);
  }, []);

  const finish = useCallback((outcome: { proof: StepUpProof } | { error: Error }) => {
    const current = asking.current;
    asking.current = null;
    setAsk(null);
    if (!current) return;
    if ("proof" in outcome) current.resolve(outcome.proof);
    else current.reject(outcome.error);
  }, []);

  const runPasskey = useCallback(async () => {
    setPhase("passkey");
    setError(null);
    try {
      await verifyWithPasskey();
      finish({ proof: {} });
    } catch (err) {
      setError(passkeyProblem(err));
      setPhase("passkey-failed");
    }
  }, [finish]);

  // The ceremony starts as soon as the prompt opens in the passkey phase.
  useEffect(() => {
    if (ask && ask.methods.includes("passkey")) void runPasskey();
  }, [ask, runPasskey]);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (ask && !dialog.open) dialog.showModal();
    if (!ask && dialog.open) dialog.close();
  }, [ask]);

  const cancel = () => finish({ error: new Error(GAVE_UP) });
  const submitCode = (e: FormEvent) => {
    e.preventDefault();
    finish({ proof: { otp: code.trim() } });
  };
  const totp = ask?.methods.includes("totp") ?? false;
  const passkey = ask?.methods.includes("passkey") ?? false;

  return (
    <dialog
      ref={ref}
      className="confirm-dialog step-up-dialog"
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-body`}
      onCancel={(e) => {
        e.preventDefault();
        cancel();
      }}
    >
      <h2 id={`${id}-title`}>Confirm it is you</h2>
      <p id={`${id}-body`} className="confirm-body">
        {phase === "code"
          ? "Enter the six-digit code from your authenticator app (or a recovery code). Lockbox asks again for decisions and security settings when your last check is more than 5 minutes old."
          : "Use your passkey to confirm this action. Lockbox asks again for decisions and security settings when your last check is more than 5 minutes old."}
      </p>
      {phase === "passkey" && (
        <p className="loading" role="status">
          <span className="spinner" aria-hidden="true" />
          Waiting for your passkey…
        </p>
      )}
      <ErrorAlert error={error} reference={false} />
      {phase === "code" ? (
        <form className="form" onSubmit={submitCode} aria-label="Confirm with an authenticator code">
          <TextField
            label="Authenticator code"
            autoComplete="one-time-code"
            required
            maxLength={64}
            autoFocus
            value={code}
            onChange={(e) => setCode(e.target.value)}
          />
          <div className="button-row">
            <button type="submit" className="button button-primary">
              Confirm
            </button>
            {passkey && (
              <button type="button" className="button" onClick={() => void runPasskey()}>
                Use a passkey instead
              </button>
            )}
            <button type="button" className="button button-subtle" onClick={cancel}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <div className="button-row">
          {phase === "passkey-failed" && (
            <button type="button" className="button button-primary" onClick={() => void runPasskey()}>
              Try your passkey again
            </button>
          )}
          {phase === "passkey-failed" && totp && (
            <button type="button" className="button" onClick={() => { setError(null); setPhase("code"); }}>
              Use an authenticator code
            </button>
          )}
          <button type="button" className="button button-subtle" onClick={cancel}>
            Cancel
          </button>
        </div>
      )}
    </dialog>
  );
}
