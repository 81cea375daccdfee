import { type FormEvent, useState } from "react";
import { useQuery } from "../../app/use-query";
import { ErrorAlert, Loading, Notice } from "../../ui/alerts";
import { CopyField } from "../../ui/copy-field";
import { TextField } from "../../ui/fields";
import { Card } from "../../ui/page";
import { confirmTotp, loadTotp, removeTotp, startTotp } from "./account-api";

/**
 * The authenticator app (TOTP) for the command line and scripts: set up (the setup key and the
 * otpauth link), confirm with a code, the recovery codes shown this once, and removal.
 */
export function TotpPanel() {
  const q = useQuery(loadTotp, []);
  const [setup, setSetup] = useState<{ secret: string; otpauthUrl: string } | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [removed, setRemoved] = useState(false);

  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const begin = () =>
    run(async () => {
      setRemoved(false);
      setSetup(await startTotp());
    });
  const confirm = (e: FormEvent) => {
    e.preventDefault();
    return run(async () => {
      setCodes((await confirmTotp(code)).recoveryCodes);
      setSetup(null);
      setCode("");
      q.reload();
    });
  };
  const remove = (e: FormEvent) => {
    e.preventDefault();
    return run(async () => {
      await removeTotp(code);
      setCode("");
      setCodes(null);
      setRemoved(true);
      q.reload();
    });
  };

  const status = q.data;
  return (
    <Card title="Authenticator app" description="Six-digit codes from an app such as 1Password, Google Authenticator or Microsoft Authenticator, for the command line and scripts.">
      <ErrorAlert error={error ?? q.error} />
      {removed && <Notice tone="success">The authenticator app was removed.</Notice>}
      {codes && (
        <Notice tone="success">
          <p>The authenticator app is set up. Keep these recovery codes somewhere safe: each works once, and they are not shown again.</p>
          <ul className="recovery-codes" aria-label="Recovery codes">
            {codes.map((c) => (
              <li key={c}>
                <code>{c}</code>
              </li>
            ))}
          </ul>
        </Notice>
      )}
      {!status ? (
        <Loading label="Loading…" />
      ) : status.enrolled ? (
        <form className="form subform" onSubmit={(e) => void remove(e)} aria-label="Remove the authenticator app">
          <p>
            Set up. {status.recoveryCodesLeft} of 10 recovery codes left.
          </p>
          <TextField label="Current code or recovery code" autoComplete="one-time-code" required maxLength={64} value={code} onChange={(e) => setCode(e.target.value)} />
          <div className="button-row">
            <button type="submit" className="button button-danger-outline" disabled={busy}>
              Remove authenticator app
            </button>
          </div>
        </form>
      ) : setup ? (
        <form className="form subform" onSubmit={(e) => void confirm(e)} aria-label="Confirm the authenticator app">
          <p>Add Lockbox to your app with the link (or type the setup key), then enter the code it shows.</p>
          <CopyField label="Setup key" value={setup.secret} />
          <CopyField label="otpauth link" value={setup.otpauthUrl} />
          <TextField label="Code from the app" inputMode="numeric" autoComplete="one-time-code" required maxLength={6} value={code} onChange={(e) => setCode(e.target.value)} />
          <div className="button-row">
            <button type="submit" className="button button-primary" disabled={busy}>
              Confirm
            </button>
          </div>
        </form>
      ) : (
        <div className="button-row">
          <button type="button" className="button button-primary" disabled={busy} onClick={() => void begin()}>
            Set up an authenticator app
          </button>
        </div>
      )}
    </Card>
  );
}
