import { type FormEvent, useState } from "react";
import { useQuery } from "../../app/use-query";
import { EmptyState, ErrorAlert, Loading, Notice } from "../../ui/alerts";
import { ConfirmDialog } from "../../ui/confirm-dialog";
import { TextField } from "../../ui/fields";
import { Card } from "../../ui/page";
import { LocalTime } from "../../ui/time";
import { addPasskey, loadPasskeys, type Passkey, removePasskey } from "./account-api";

/** A person cancelling the browser's passkey prompt is not an error worth a support reference. */
function ceremonyProblem(err: unknown): unknown {
  if (err instanceof Error && (err.name === "NotAllowedError" || err.name === "AbortError")) {
    return new Error("The passkey prompt was closed before it finished. Try again when you are ready.");
  }
  return err;
}

export function PasskeysPanel() {
  const q = useQuery(loadPasskeys, []);
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [added, setAdded] = useState<string | null>(null);
  const [removing, setRemoving] = useState<Passkey | null>(null);

  const add = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setAdded(null);
    try {
      const passkey = await addPasskey(name);
      setAdded(passkey.name);
      setName("");
      q.reload();
    } catch (err) {
      setError(ceremonyProblem(err));
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    if (!removing) return;
    setBusy(true);
    setError(null);
    try {
      await removePasskey(removing.id);
      setRemoving(null);
      q.reload();
    } catch (err) {
      setError(err);
      setRemoving(null);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card title="Passkeys" description="Sign in with your device's screen lock or a security key instead of a password.">
      <ErrorAlert error={error ?? q.error} />
      {added && <Notice tone="success">Passkey “{added}” added. You can sign in with it from now on.</Notice>}
      {q.loading && !q.data ? (
        <Loading label="Loading passkeys…" />
      ) : q.data && q.data.length > 0 ? (
        <div className="table-wrap">
          <table className="table" aria-label="Passkeys">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Added</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {q.data.map((p) => (
                <tr key={p.id}>
                  <td>{p.name}</td>
                  <td>
                    <LocalTime iso={p.createdAt} />
                  </td>
                  <td>{p.lastUsedAt ? <LocalTime iso={p.lastUsedAt} /> : "Never"}</td>
                  <td>
                    <button type="button" className="button button-danger-outline" aria-label={`Remove passkey ${p.name}`} onClick={() => setRemoving(p)}>
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <EmptyState title="No passkeys yet." />
      )}
      <form className="form subform" onSubmit={(e) => void add(e)} aria-label="Add a passkey">
        <TextField label="Passkey name" hint="So you can tell your passkeys apart, e.g. “Work laptop”." maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
        <div className="button-row">
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? "Waiting for your device…" : "Add a passkey"}
          </button>
        </div>
      </form>
      <ConfirmDialog
        open={removing !== null}
        title={`Remove passkey “${removing?.name ?? ""}”?`}
        confirmLabel="Remove passkey"
        busy={busy}
        onConfirm={() => void remove()}
        onCancel={() => setRemoving(null)}
      >
        <p>You will no longer be able to sign in with it. The device may still list it; remove it there too.</p>
      </ConfirmDialog>
    </Card>
  );
}
