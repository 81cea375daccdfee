import { type FormEvent, useState } from "react";
import { api } from "../../api/client";
import type { Invitation, Page as ApiPage, Role, User } from "../../api/types";
import { usePaged } from "../../app/use-paged";
import { useUser } from "../../app/session";
import { ErrorAlert, Loading, Notice } from "../../ui/alerts";
import { CopyField } from "../../ui/copy-field";
import { CheckboxGroup, TextField } from "../../ui/fields";
import { roleLabels } from "../../ui/format";
import { LoadMore } from "../../ui/load-more";
import { LocalTime } from "../../ui/time";

/**
 * The people of the caller's own org and their roles: a tenant's users for its global admin, the
 * provider's staff for a provider admin. Adding someone returns a one-time invitation link.
 */
export function UsersPanel({ roles }: { roles: readonly Role[] }) {
  const list = usePaged((cursor) => api.get<ApiPage<User>>("/v1/users", { cursor, limit: 100 }), []);
  const [invited, setInvited] = useState<{ user: User; invitation: Invitation } | null>(null);
  const options = roles.map((r) => ({ value: r, label: roleLabels[r] ?? r }));
  return (
    <div className="stack">
      <ErrorAlert error={list.error} />
      {list.loading && list.items.length === 0 ? (
        <Loading />
      ) : (
        <div className="table-wrap">
          <table className="table table-stack">
            <caption className="visually-hidden">Users and roles</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Roles</th>
                <th scope="col">Status</th>
                <th scope="col">Added</th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((u) => (
                <UserRow key={u.id} user={u} options={options} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <LoadMore hasMore={list.hasMore} loading={list.loading} onClick={() => void list.loadMore()} />
      <AddUserForm
        options={options}
        onAdded={(res) => {
          setInvited(res);
          list.reload();
        }}
      />
      {invited && (
        <Notice tone="success">
          <p>
            {invited.user.email} was added. Send them this invitation link; it works once, until <LocalTime iso={invited.invitation.expiresAt} />.
          </p>
          <CopyField label="Invitation link" value={invited.invitation.url} />
        </Notice>
      )}
    </div>
  );
}

function UserRow({ user, options }: { user: User; options: { value: string; label: string }[] }) {
  const me = useUser();
  const [roles, setRoles] = useState<string[]>(user.roles);
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string[]>(user.roles);
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
  return (
    <tr>
      <td data-label="Name">
        {user.name}
        {user.id === me.id && <span className="muted small"> (you)</span>}
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
      <td data-label="Status">{user.status === "active" ? "Active" : "Invited"}</td>
      <td data-label="Added">
        <LocalTime iso={user.createdAt} />
      </td>
    </tr>
  );
}

function AddUserForm({ options, onAdded }: { options: { value: string; label: string }[]; onAdded: (r: { user: User; invitation: Invitation }) => void }) {
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [roles, setRoles] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onAdded(await api.post<{ user: User; invitation: Invitation }>("/v1/users", { email, name, roles }));
      setEmail("");
      setName("");
      setRoles([]);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="form subform" onSubmit={(e) => void submit(e)} aria-label="Add a user">
      <h3>Add a user</h3>
      <ErrorAlert error={error} />
      <div className="form-row">
        <TextField label="Name" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
        <TextField label="Email address" type="email" required maxLength={254} value={email} onChange={(e) => setEmail(e.target.value)} />
      </div>
      <CheckboxGroup legend="Roles" options={options} value={roles} onChange={setRoles} />
      <div className="button-row">
        <button type="submit" className="button button-primary" disabled={busy || roles.length === 0}>
          Add user
        </button>
      </div>
    </form>
  );
}
