import { useState } from "react";
import { api, errorMessage } from "../../api/client";
import type { Page as ApiPage, PendingInvitation } from "../../api/types";
import { usePaged } from "../../app/use-paged";
import { ErrorAlert, Notice } from "../../ui/alerts";
import { ConfirmDialog } from "../../ui/confirm-dialog";
import { CopyField } from "../../ui/copy-field";
import { LoadMore } from "../../ui/load-more";
import { LocalTime } from "../../ui/time";
import type { PanelMessage } from "./users-panel";

/**
 * Invitations not yet accepted. Revoking one ends its link; sending it again makes a new link
 * (the old one stops working), shown here once to copy, as when the person was added.
 */
export function InvitationsPanel({ refresh, onChanged }: { refresh: number; onChanged: (m: PanelMessage) => void }) {
  const list = usePaged((cursor) => api.get<ApiPage<PendingInvitation>>("/v1/invitations", { cursor, limit: 100 }), [refresh]);
  const [fresh, setFresh] = useState<{ email: string; url: string } | null>(null);
  const [revoking, setRevoking] = useState<PendingInvitation | null>(null);
  const [busy, setBusy] = useState(false);

  const resend = async (inv: PendingInvitation) => {
    setBusy(true);
    setFresh(null);
    try {
      const res = await api.post<{ token: string; url: string }>(`/v1/invitations/${inv.id}/resend`);
      setFresh({ email: inv.email, url: res.url });
      onChanged({ tone: "success", text: `A new invitation link for ${inv.email} is below; the old link no longer works.` });
    } catch (err) {
      onChanged({ tone: "warning", text: `The invitation for ${inv.email} was not sent again. ${errorMessage(err)}` });
    } finally {
      setBusy(false);
    }
  };
  const revoke = async (inv: PendingInvitation) => {
    setBusy(true);
    try {
      await api.delete(`/v1/invitations/${inv.id}`);
      if (fresh?.email === inv.email) setFresh(null);
      onChanged({ tone: "success", text: `The invitation for ${inv.email} was revoked; its link no longer works.` });
    } catch (err) {
      onChanged({ tone: "warning", text: `The invitation for ${inv.email} was not revoked. ${errorMessage(err)}` });
    } finally {
      setBusy(false);
      setRevoking(null);
    }
  };

  return (
    <section className="stack-sm" aria-labelledby="invitations-heading">
      <h3 id="invitations-heading">Pending invitations</h3>
      <ErrorAlert error={list.error} />
      {list.items.length === 0 ? (
        <p className="muted">{list.loading ? "Loading…" : "No invitations are waiting to be accepted."}</p>
      ) : (
        <div className="table-wrap">
          <table className="table table-stack">
            <caption className="visually-hidden">Pending invitations</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Sent</th>
                <th scope="col">Link works until</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((inv) => (
                <tr key={inv.id}>
                  <td data-label="Name">{inv.name}</td>
                  <td data-label="Email">{inv.email}</td>
                  <td data-label="Sent">
                    <LocalTime iso={inv.createdAt} />
                  </td>
                  <td data-label="Link works until">
                    <LocalTime iso={inv.expiresAt} />
                  </td>
                  <td data-label="Actions">
                    <span className="row-actions">
                      <button type="button" className="button button-small" aria-label={`Resend invitation to ${inv.email}`} disabled={busy} onClick={() => void resend(inv)}>
                        Resend
                      </button>
                      <button type="button" className="button button-small button-danger-outline" aria-label={`Revoke invitation to ${inv.email}`} disabled={busy} onClick={() => setRevoking(inv)}>
                        Revoke
                      </button>
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <LoadMore hasMore={list.hasMore} loading={list.loading} onClick={() => void list.loadMore()} />
      {fresh && (
        <Notice tone="success">
          <p>New invitation link for {fresh.email}. It is shown only now: copy it and send it to them.</p>
          <CopyField label="New invitation link" value={fresh.url} />
        </Notice>
      )}
      <ConfirmDialog
        open={revoking !== null}
        title={`Revoke the invitation to ${revoking?.email ?? ""}?`}
        confirmLabel="Yes, revoke"
        busy={busy}
        onConfirm={() => revoking && void revoke(revoking)}
        onCancel={() => setRevoking(null)}
      >
        <p>The link stops working at once. You can add the person again later.</p>
      </ConfirmDialog>
    </section>
  );
}
