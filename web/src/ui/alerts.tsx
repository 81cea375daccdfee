import type { ReactNode } from "react";
import { ApiError, errorMessage } from "../api/client";
import { Link } from "../app/router";
import { icons } from "./icons";

/**
 * An API failure, told in the server's own words, with the HTTP correlation id for support. It is
 * labelled "Reference": "Request id" means an access request's id everywhere else in the UI.
 */
export function ErrorAlert({ error, title, reference = true }: { error: unknown; title?: string; reference?: boolean }) {
  if (!error) return null;
  const requestId = reference && error instanceof ApiError ? error.requestId : undefined;
  return (
    <div className="alert alert-error" role="alert">
      <icons.alert />
      <div>
        {title && <strong>{title}</strong>}
        {isEnrolmentNeeded(error) ? (
          <p>
            This action needs a second factor, and you have none yet. Add a passkey or an authenticator app on{" "}
            <Link to="/account">My account</Link>, then try again.
          </p>
        ) : (
          <p>{errorMessage(error)}</p>
        )}
        {requestId && <p className="alert-meta">Reference: {requestId}</p>}
      </div>
    </div>
  );
}

/** 403 `mfa_enrollment_required` (SPEC 14): step-up is on and the person has no passkey or TOTP. */
const isEnrolmentNeeded = (error: unknown) => error instanceof ApiError && error.code === "mfa_enrollment_required";

export function Notice({ tone = "info", children }: { tone?: "info" | "success" | "warning"; children: ReactNode }) {
  const Icon = tone === "success" ? icons.check : tone === "warning" ? icons.alert : icons.info;
  return (
    <div className={`alert alert-${tone}`} role={tone === "success" ? "status" : undefined}>
      <Icon />
      <div>{children}</div>
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <icons.inbox />
      <p className="empty-title">{title}</p>
      {children && <p className="muted">{children}</p>}
    </div>
  );
}

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}
