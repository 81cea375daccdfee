import { type FormEvent, useState } from "react";
import { api } from "../../api/client";
import type { Invitation, User } from "../../api/types";
import { ErrorAlert } from "../../ui/alerts";
import { CheckboxGroup, TextField } from "../../ui/fields";

/** Adds a person with their roles; the answer carries their one-time invitation link. */
export function AddUserForm({ options, onAdded }: { options: { value: string; label: string }[]; onAdded: (r: { user: User; invitation: Invitation }) => void }) {
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
