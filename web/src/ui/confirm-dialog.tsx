import { type ReactNode, useEffect, useId, useRef } from "react";

/**
 * A modal confirmation for steps that cannot be undone (deny, revoke, deactivate, remove). The
 * native <dialog> keeps focus inside, closes on Escape and hands focus back to the opener.
 */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  cancelLabel = "Go back",
  danger = true,
  busy = false,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  title: string;
  children?: ReactNode;
  confirmLabel: string;
  cancelLabel?: string;
  danger?: boolean;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const id = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      dialog.showModal();
      // Focus starts on the safe choice: Enter by habit must not deny or remove anything.
      cancelRef.current?.focus();
    }
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      className="confirm-dialog"
      aria-labelledby={`${id}-title`}
      aria-describedby={children ? `${id}-body` : undefined}
      onCancel={(e) => {
        e.preventDefault();
        onCancel();
      }}
    >
      <h2 id={`${id}-title`}>{title}</h2>
      {children && (
        <div id={`${id}-body`} className="confirm-body">
          {children}
        </div>
      )}
      <div className="button-row">
        <button type="button" className={`button ${danger ? "button-danger" : "button-primary"}`} disabled={busy} onClick={onConfirm}>
          {busy ? "Working…" : confirmLabel}
        </button>
        <button type="button" className="button button-subtle" disabled={busy} onClick={onCancel} ref={cancelRef}>
          {cancelLabel}
        </button>
      </div>
    </dialog>
  );
}
