import { useEffect, useState } from "react";
import { api } from "../../api/client";
import { hasRoute } from "../../api/capabilities";
import type { Invitation, Page as ApiPage, Role, User } from "../../api/types";
import { usePaged } from "../../app/use-paged";
import { ErrorAlert, Loading, Notice } from "../../ui/alerts";
import { CopyField } from "../../ui/copy-field";
import { roleLabels } from "../../ui/format";
import { LoadMore } from "../../ui/load-more";
import { LocalTime } from "../../ui/time";
import { AddUserForm } from "./add-user-form";
import { InvitationsPanel } from "./invitations-panel";
import { UserRow } from "./user-row";

export interface PanelMessage {
  tone: "success" | "warning";
  text: string;
}

/**
 * The people of the caller's own org and their roles: a tenant's users for its global admin, the
 * provider's staff for a provider admin. Adding someone returns a one-time invitation link;
 * people who leave are deactivated or removed, and open invitations revoked or sent again.
 */
export function UsersPanel({ roles }: { roles: readonly Role[] }) {
  const list = usePaged((cursor) => api.get<ApiPage<User>>("/v1/users", { cursor, limit: 100 }), []);
  const [invited, setInvited] = useState<{ user: User; invitation: Invitation } | null>(null);
  const [message, setMessage] = useState<PanelMessage | null>(null);
  const [invitations, setInvitations] = useState<boolean | null>(null);
  const [invitationsTick, setInvitationsTick] = useState(0);
  const options = roles.map((r) => ({ value: r, label: roleLabels[r] ?? r }));
  useEffect(() => {
    void hasRoute("get", "/v1/invitations").then(setInvitations);
  }, []);
  // A change to a person may change the invitations too (and the other way round): re-read both.
  const changed = (m: PanelMessage | null) => {
    setMessage(m);
    list.reload();
    setInvitationsTick((n) => n + 1);
  };
  return (
    <div className="stack">
      <ErrorAlert error={list.error} />
      {message && (
        <div aria-live="polite" data-testid="users-message">
          <Notice tone={message.tone}>{message.text}</Notice>
        </div>
      )}
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
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((u) => (
                <UserRow key={`${u.id}-${u.status}`} user={u} options={options} onChanged={changed} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <LoadMore hasMore={list.hasMore} loading={list.loading} onClick={() => void list.loadMore()} />
      {invitations && <InvitationsPanel refresh={invitationsTick} onChanged={changed} />}
      <AddUserForm
        options={options}
        onAdded={(res) => {
          setInvited(res);
          changed(null);
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
