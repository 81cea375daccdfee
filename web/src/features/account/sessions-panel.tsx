import { useState } from "react";
import { useQuery } from "../../app/use-query";
import { ErrorAlert, Loading, Notice } from "../../ui/alerts";
import { Card } from "../../ui/page";
import { LocalTime } from "../../ui/time";
import { endOtherSessions, loadSessions } from "./account-api";

export function SessionsPanel() {
  const q = useQuery(loadSessions, []);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [ended, setEnded] = useState<number | null>(null);

  const signOutOthers = async () => {
    setBusy(true);
    setError(null);
    try {
      setEnded((await endOtherSessions()).sessionsEnded);
      q.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const others = (q.data ?? []).filter((s) => !s.current).length;
  return (
    <Card title="Active sessions" description="Browsers signed in to your account. Personal API tokens are separate.">
      <ErrorAlert error={error ?? q.error} />
      {ended !== null && <Notice tone="success">{ended === 1 ? "1 other session was signed out." : `${ended} other sessions were signed out.`}</Notice>}
      {!q.data ? (
        <Loading label="Loading sessions…" />
      ) : (
        <div className="table-wrap">
          <table className="table" aria-label="Active sessions">
            <thead>
              <tr>
                <th scope="col">Signed in</th>
                <th scope="col">Last active</th>
                <th scope="col">Ends</th>
              </tr>
            </thead>
            <tbody>
              {q.data.map((s) => (
                <tr key={s.id}>
                  <td>
                    <LocalTime iso={s.createdAt} /> {s.current && <span className="badge badge-active">This browser</span>}
                  </td>
                  <td>{s.lastSeenAt ? <LocalTime iso={s.lastSeenAt} /> : "—"}</td>
                  <td>
                    <LocalTime iso={s.expiresAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div className="button-row">
        <button type="button" className="button" disabled={busy || others === 0} onClick={() => void signOutOthers()}>
          Sign out other sessions
        </button>
      </div>
    </Card>
  );
}
