import type { RequestStatus } from "../api/types";
import { statusLabels } from "./format";

const tone: Record<RequestStatus, string> = {
  pending_manager: "pending",
  pending_customer: "pending",
  approved: "active",
  rejected: "negative",
  denied: "negative",
  revoked: "negative",
  expired: "neutral",
  canceled: "neutral",
  completed: "neutral",
};

export function StatusBadge({ status }: { status: RequestStatus }) {
  return <span className={`badge badge-${tone[status]}`}>{statusLabels[status]}</span>;
}

export function Tag({ children, title }: { children: string; title?: string }) {
  return (
    <span className="tag" title={title}>
      {children}
    </span>
  );
}
