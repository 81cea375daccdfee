import { type ReactNode, useState } from "react";

/** Filters in a panel that starts open on a wide screen and folded on a phone. */
export function FilterPanel({ children }: { children: ReactNode }) {
  const [open, setOpen] = useState(() => window.matchMedia("(min-width: 721px)").matches);
  return (
    <details className="card filter-panel" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Filters</summary>
      {children}
    </details>
  );
}
