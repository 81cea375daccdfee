import { useId, useState } from "react";
import { icons } from "./icons";

/** A read-only secret or link with a copy button that says when it worked. */
export function CopyField({ label, value, hint, multiline }: { label: string; value: string; hint?: string; multiline?: boolean }) {
  const id = useId();
  const [copied, setCopied] = useState<"yes" | "no" | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied("yes");
    } catch {
      // Clipboard access can be refused (no user gesture, insecure origin): select for Ctrl+C.
      (document.getElementById(id) as HTMLInputElement | HTMLTextAreaElement | null)?.select();
      setCopied("no");
    }
  };
  return (
    <div className="field copy-field">
      <label htmlFor={id}>{label}</label>
      <div className="copy-row">
        {multiline ? (
          <textarea id={id} readOnly value={value} rows={3} className="curl" onFocus={(e) => e.target.select()} spellCheck={false} />
        ) : (
          <input id={id} readOnly value={value} onFocus={(e) => e.target.select()} spellCheck={false} />
        )}
        <button type="button" className="button" onClick={() => void copy()}>
          <icons.copy /> Copy<span className="visually-hidden"> {label.toLowerCase()}</span>
        </button>
      </div>
      <p className="hint" aria-live="polite">
        {copied === "yes" ? "Copied to the clipboard." : copied === "no" ? "Selected: press Ctrl+C to copy." : hint}
      </p>
    </div>
  );
}
