import { type ReactNode, useId, useState } from "react";

import { useT } from "../i18n";
import { messages } from "./messages";

/** A destructive action that runs only once the user typed ``name`` (an uninstall, a delete); ``children``
 * (what it removes, an option such as deleting volumes too) show above the name's field. */
export function TypedConfirm(props: {
  name: string;
  action: string;
  onConfirm: () => void;
  onCancel: () => void;
  busy?: boolean;
  children?: ReactNode;
}) {
  const t = useT(messages);
  const [typed, setTyped] = useState("");
  const id = useId();
  return (
    // A group named by its action, not a modal: the rest of the page stays usable (Cancel, or navigate away).
    <div role="group" aria-label={props.action} className="dialog">
      {props.children}
      <label htmlFor={id}>
        {t("typeToConfirm", { name: props.name })}
      </label>
      <input id={id} value={typed} onChange={(e) => setTyped(e.target.value)} autoFocus autoComplete="off" />
      <div className="actions">
        <button type="button" className="danger" disabled={typed !== props.name || props.busy} onClick={props.onConfirm}>
          {props.action}
        </button>
        <button type="button" onClick={props.onCancel}>
          {t("cancel")}
        </button>
      </div>
    </div>
  );
}
