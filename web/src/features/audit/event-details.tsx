import { Fragment } from "react";
import type { AuditEvent } from "../../api/types";
import { Link } from "../../app/router";
import { LocalTime } from "../../ui/time";

/** The access request an event belongs to: its target, or the requestId it names. */
export function requestIdOf(e: AuditEvent): string | null {
  if (e.target.type === "request") return e.target.id;
  return typeof e.details.requestId === "string" ? e.details.requestId : null;
}

const show = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));

/**
 * One event for people: who did what to which target, the details as fields, and a link to the
 * request. The exact exported event (the one its hash covers) stays one click away.
 */
export function EventDetails({ event: e, requestId }: { event: AuditEvent; requestId: string | null }) {
  const details = Object.entries(e.details);
  return (
    <div className="event-details" aria-label={`Details of ${e.operation}`} role="group">
      <dl className="facts">
        <dt>Operation</dt>
        <dd>
          <code>{e.operation}</code>
        </dd>
        <dt>When</dt>
        <dd>
          <LocalTime iso={e.at} seconds />
        </dd>
        <dt>Actor</dt>
        <dd>
          {e.actor.name} <span className="muted small">({e.actor.type}, id {e.actor.id}{e.actor.ip ? `, from ${e.actor.ip}` : ""})</span>
        </dd>
        <dt>Target</dt>
        <dd>
          {e.target.type} <span className="muted small">{e.target.id}</span>
        </dd>
        {requestId && (
          <>
            <dt>Request</dt>
            <dd>
              <Link to={`/requests/${encodeURIComponent(requestId)}`}>Open the request</Link>
            </dd>
          </>
        )}
        {details.map(([k, v]) => (
          <Fragment key={k}>
            <dt>{k}</dt>
            <dd>{show(v)}</dd>
          </Fragment>
        ))}
        <dt>Position</dt>
        <dd className="small">
          Event {e.seq} of chain <code>{e.chain}</code>
        </dd>
      </dl>
      <details>
        <summary>Raw event (as exported and hashed)</summary>
        <pre className="raw">{JSON.stringify(e, null, 2)}</pre>
      </details>
    </div>
  );
}
