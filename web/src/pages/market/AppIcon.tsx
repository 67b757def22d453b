import { initialOf, ownIcon } from "./icon";

/** An app's icon when the gateway serves it, else its first letter: nothing is fetched from elsewhere. */
export function AppIcon({ icon, title }: { icon?: string | null; title: string }) {
  const src = ownIcon(icon, window.location.origin);
  if (src) return <img className="app-icon" src={src} alt="" width={40} height={40} />;
  return (
    <span className="app-icon letter" aria-hidden="true">
      {initialOf(title)}
    </span>
  );
}
