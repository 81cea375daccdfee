import { useEffect, useState } from "react";
import { api, withQuery } from "../../api/client";
import { ErrorAlert } from "../../ui/alerts";
import { icons } from "../../ui/icons";
import { type ChainVerdict, verifyChain } from "./verify-chain";

/**
 * Downloads the chain's export and verifies it here, in the viewer's browser. Each run replaces
 * the last result: a failed re-check never stands beside an old "Chain verified".
 */
export function ChainStatus({ chain }: { chain: string }) {
  const [verdict, setVerdict] = useState<ChainVerdict | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [checkedAt, setCheckedAt] = useState<Date | null>(null);

  const run = async () => {
    setBusy(true);
    setError(null);
    setVerdict(null);
    setCheckedAt(null);
    try {
      const text = await api.text(withQuery("/v1/audit/export", { format: "jsonl", chain }));
      setVerdict(await verifyChain(text));
      setCheckedAt(new Date());
    } catch (err) {
      setError(err);
      setCheckedAt(new Date());
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    setVerdict(null);
    void run();
    // Verifies again whenever another chain is chosen.
  }, [chain]);

  return (
    <div className="chain-status" aria-live="polite" data-testid="chain-status">
      <ErrorAlert error={error} title="The chain could not be checked" />
      {busy && <p className="muted">Verifying the chain in your browser…</p>}
      {verdict?.ok === true && (
        <div className="verdict verdict-ok">
          <icons.shield />
          <div>
            <p className="verdict-title">Chain verified: {verdict.count} events intact</p>
            <p className="muted small">
              Every hash recomputed in this browser (SHA-256 over RFC 8785 canonical JSON); each event links to the one before. Last hash{" "}
              <code title={verdict.lastHash}>{verdict.lastHash.slice(0, 16)}…</code>
            </p>
          </div>
        </div>
      )}
      {verdict?.ok === false && (
        <div className="verdict verdict-bad" role="alert">
          <icons.alert />
          <div>
            <p className="verdict-title">Chain broken at seq {verdict.badSeq}</p>
            <p className="small">
              Event {verdict.badSeq} fails: {verdict.problem}. The {verdict.count} events before it are intact.
            </p>
          </div>
        </div>
      )}
      <div className="button-row">
        <button type="button" className="button" onClick={() => void run()} disabled={busy}>
          {busy ? "Verifying…" : "Verify again"}
        </button>
        {checkedAt && <span className="muted small">Last check {checkedAt.toLocaleTimeString()}</span>}
      </div>
    </div>
  );
}
