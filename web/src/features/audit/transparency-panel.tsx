import { type FormEvent, useState } from "react";
import { api, withQuery } from "../../api/client";
import { useQuery } from "../../app/use-query";
import { ErrorAlert } from "../../ui/alerts";
import { TextField } from "../../ui/fields";
import { icons } from "../../ui/icons";
import { Card } from "../../ui/page";
import { checkEventProof, type EventProof, openCheckpoint } from "./transparency-proof";

/**
 * The chain as a transparency log (SPEC §16): its latest signed checkpoint, opened with the log
 * key in this browser, the witnesses that cosigned it, and a check that one event is in the log.
 */
export function TransparencyPanel({ chain }: { chain: string }) {
  const checkpoint = useQuery(async () => {
    const [note, keys] = await Promise.all([api.text(withQuery("/v1/audit/checkpoint", { chain })), api.text("/v1/audit/log-key")]);
    // An empty answer (204): the chain's first checkpoint is not signed yet.
    return { note, keys, opened: note ? await openCheckpoint(note, keys) : null };
  }, [chain]);
  const [eventId, setEventId] = useState("");
  const [result, setResult] = useState<EventProof | null>(null);
  const [error, setError] = useState<unknown>(null);

  const check = async (e: FormEvent) => {
    e.preventDefault();
    setResult(null);
    setError(null);
    try {
      const id = eventId.trim();
      const [bundle, keys] = await Promise.all([api.text(`/v1/audit/events/${encodeURIComponent(id)}/proof`), api.text("/v1/audit/log-key")]);
      setResult(await checkEventProof(bundle, keys, id));
    } catch (err) {
      setError(err);
    }
  };

  const cp = checkpoint.data?.opened;
  return (
    <Card title="Transparency log" description="The chain is also a Merkle tree; checkpoints are signed notes that Go's sumdb/note and the lockbox CLI verify.">
      <div data-testid="transparency-panel" aria-live="polite">
        <ErrorAlert error={checkpoint.error} title="No signed checkpoint to show" />
        {checkpoint.data && !cp && <p className="muted small">No checkpoint is signed yet; one is signed within five minutes of the chain's first events.</p>}
        {cp && (
          <div className="verdict verdict-ok">
            <icons.shield />
            <div>
              <p className="verdict-title">
                Checkpoint at {cp.size} events, signed by {cp.signedBy}
              </p>
              <p className="muted small">
                Signature checked in this browser. Root <code title={cp.rootBase64}>{cp.rootBase64.slice(0, 16)}…</code>
                {" · "}
                {cp.cosigners.length ? `Witnessed by ${cp.cosigners.join(", ")}` : "No witness cosignatures"}
              </p>
            </div>
          </div>
        )}
        <form className="button-row" onSubmit={(e) => void check(e)}>
          <TextField label="Event id" value={eventId} maxLength={64} onChange={(e) => setEventId(e.target.value)} />
          <button type="submit" className="button" disabled={!eventId.trim()}>
            Check it is in the log
          </button>
        </form>
        <ErrorAlert error={error} title="The event could not be checked" />
        {result &&
          (result.inLog ? (
            <p className="verdict verdict-ok">
              <icons.shield /> Event {result.seq} ({result.operation}) is in the log: its inclusion proof leads to the root signed at {result.checkpoint.size} events.
            </p>
          ) : (
            <p className="verdict verdict-bad" role="alert">
              <icons.alert /> Event {result.seq} is NOT proven to be in the log.
            </p>
          ))}
      </div>
    </Card>
  );
}
