import { useState } from "react";
import { api, errorMessage } from "../../api/client";
import type { User, UserStatus } from "../../api/types";
import { useUser } from "../../app/session";
import { ErrorAlert } from "../../ui/alerts";
import { ConfirmDialog } from "../../ui/confirm-dialog";
import { CheckboxGroup } from "../../ui/fields";
import { roleLabels } from "../../ui/format";
import { LocalTime } from "../../ui/time";
import type { PanelMessage } from "./users-panel";

const statusLabels: Record<UserStatus, string> = { invited: "Invited", active: "Active", deactivated: "Deactivated" };
const statusTone: Record<UserStatus, string> = { invited: "pending", active: "active", deactivated: "neutral" };

type Step = "deactivate" | "reactivate" | "remove";

const confirmText: Record<Exclude<Step, "reactivate">, (u: User) => { title: string; body: string; button: string }> = {
  deactivate: (u) => ({
    title: `Deactivate ${u.name}?`,
    body: `${u.name} is signed out at once and their API tokens stop working. Their past decisions stay in the audit log. You can reactivate them later.`,
    button: "Yes, deactivate",
  }),
  remove: (u) => ({
    title: `Remove ${u.name}?`,
    body: `${u.name} loses access for good: sessions, tokens and any open invitation end now. Their past decisions stay in the audit log under their name. This cannot be undone.`,
    button: "Yes, remove",
  }),
};

/** One person: roles (editable), status, and the ways to let them go or bring them back. */
export function UserRow({ user, options, onChanged }: { user: User; options: { value: string; label: string }[]; onChanged: (m: PanelMessage) => void }) {
  const me = useUser();
  const [roles, setRoles] = useState<string[]>(user.roles);
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string[]>(user.roles);
  const [confirming, setConfirming] = useState<Exclude<Step, "reactivate"> | null>(null);
  const [busy, setBusy] = useState(false);
  const self = user.id === me.id;

  const save = async () => {
    setError(null);
    try {
      const updated = await api.patch<User>(`/v1/users/${user.id}`, { roles });
      setSaved(updated.roles);
      setEditing(false);
    } catch (err) {
      setError(err);
    }
  };
  const run = async (step: Step) => {
    setBusy(true);
    try {
      if (step === "remove") await api.delete(`/v1/users/${user.id}`);
      else await api.post(`/v1/users/${user.id}/${step}`);
      const done: Record<Step, string> = {
        deactivate: `${user.name} was deactivated: their sessions and tokens no longer work.`,
        reactivate: `${user.name} was reactivated and can sign in again.`,
        remove: `${user.name} was removed.`,
      };
      onChanged({ tone: "success", text: done[step] });
    } catch (err) {
      // e.g. 409 last_admin: the server's sentence says which admin must stay.
      onChanged({ tone: "warning", text: `${user.name} was not changed. ${errorMessage(err)}` });
    } finally {
      setBusy(false);
      setConfirming(null);
    }
  };
  const confirm = confirming ? confirmText[confirming](user) : null;

  return (
    <tr>
      <td data-label="Name">
        {user.name}
        {self && <span className="muted small"> (you)</span>}
      </td>
      <td data-label="Email">{user.email}</td>
      <td data-label="Roles">
        {editing ? (
          <div className="stack-sm">
            <CheckboxGroup legend={`Roles of ${user.name}`} options={options} value={roles} onChange={setRoles} />
            <ErrorAlert error={error} />
            <div className="button-row">
              <button type="button" className="button button-primary" disabled={roles.length === 0} onClick={() => void save()}>
                Save roles
              </button>
              <button
                type="button"
                className="button button-subtle"
                onClick={() => {
                  setRoles(saved);
                  setEditing(false);
                  setError(null);
                }}
              >
                Cancel
              </button>
            </div>
          </div>
        ) : (
          <span className="inline-edit">
            {saved.map((r) => roleLabels[r] ?? r).join(", ")}
            <button type="button" className="link-button" aria-label={`Change roles of ${user.name}`} onClick={() => setEditing(true)}>
              Change
            </button>
          </span>
        )}
      </td>
      <td data-label="Status">
        <span className={`badge badge-${statusTone[user.status] ?? "neutral"}`}>{statusLabels[user.status] ?? user.status}</span>
      </td>
      <td data-label="Added">
        <LocalTime iso={user.createdAt} />
      </td>
      <td data-label="Actions">
        {!self && (
          <span className="row-actions">
            {user.status === "active" && (
              <button type="button" className="button button-small" aria-label={`Deactivate ${user.name}`} disabled={busy} onClick={() => setConfirming("deactivate")}>
                Deactivate
              </button>
            )}
            {user.status === "deactivated" && (
              <button type="button" className="button button-small" aria-label={`Reactivate ${user.name}`} disabled={busy} onClick={() => void run("reactivate")}>
                Reactivate
              </button>
            )}
            <button type="button" className="button button-small button-danger-outline" aria-label={`Remove ${user.name}`} disabled={busy} onClick={() => setConfirming("remove")}>
              Remove
            </button>
          </span>
        )}
        <ConfirmDialog
          open={confirm !== null}
          title={confirm?.title ?? ""}
          confirmLabel={confirm?.button ?? ""}
          busy={busy}
          onConfirm={() => confirming && void run(confirming)}
          onCancel={() => setConfirming(null)}
        >
          <p>{confirm?.body}</p>
        </ConfirmDialog>
      </td>
    </tr>
  );
}
