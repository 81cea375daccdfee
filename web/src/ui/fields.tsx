import { type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes, useId } from "react";

/** Labelled form controls: every control has a visible label and its hint read out with it. */

interface FieldFrame {
  label: string;
  hint?: ReactNode;
}

export function TextField({ label, hint, ...input }: FieldFrame & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} aria-describedby={hint ? `${id}-hint` : undefined} {...input} />
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
    </div>
  );
}

export function TextArea({ label, hint, ...input }: FieldFrame & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <textarea id={id} aria-describedby={hint ? `${id}-hint` : undefined} {...input} />
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
    </div>
  );
}

export function SelectField({ label, hint, children, ...input }: FieldFrame & SelectHTMLAttributes<HTMLSelectElement>) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} aria-describedby={hint ? `${id}-hint` : undefined} {...input}>
        {children}
      </select>
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
    </div>
  );
}

/** A checkbox drawn as a switch; `explanation` says why it is off-limits when disabled. */
export function Switch({
  label,
  description,
  checked,
  disabled,
  explanation,
  onChange,
}: {
  label: string;
  description?: ReactNode;
  checked: boolean;
  disabled?: boolean;
  explanation?: ReactNode;
  onChange: (checked: boolean) => void;
}) {
  const id = useId();
  const describedBy = [description ? `${id}-desc` : "", explanation ? `${id}-why` : ""].filter(Boolean).join(" ");
  return (
    <div className={`switch-row${disabled ? " is-disabled" : ""}`}>
      <input
        id={id}
        type="checkbox"
        role="switch"
        className="switch"
        checked={checked}
        disabled={disabled}
        aria-describedby={describedBy || undefined}
        onChange={(e) => onChange(e.target.checked)}
      />
      <div>
        <label htmlFor={id}>{label}</label>
        {description && (
          <p className="hint" id={`${id}-desc`}>
            {description}
          </p>
        )}
        {explanation && (
          <p className="explanation" id={`${id}-why`}>
            {explanation}
          </p>
        )}
      </div>
    </div>
  );
}

export function CheckboxGroup({
  legend,
  hint,
  options,
  value,
  onChange,
  disabled,
}: {
  legend: string;
  hint?: ReactNode;
  options: { value: string; label: string; description?: string }[];
  value: string[];
  onChange: (value: string[]) => void;
  disabled?: boolean;
}) {
  const toggle = (v: string, on: boolean) => onChange(on ? [...value, v] : value.filter((x) => x !== v));
  return (
    <fieldset className="field choice-group" disabled={disabled}>
      <legend>{legend}</legend>
      {hint && <p className="hint">{hint}</p>}
      <div className="choices">
        {options.map((o) => (
          <label key={o.value} className="choice">
            <input type="checkbox" checked={value.includes(o.value)} onChange={(e) => toggle(o.value, e.target.checked)} />
            <span>
              {o.label}
              {o.description && <span className="choice-description">{o.description}</span>}
            </span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}
