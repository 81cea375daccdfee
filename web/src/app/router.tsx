import { type AnchorHTMLAttributes, type MouseEvent, useSyncExternalStore } from "react";

/** A small History API router: the server answers every page path with index.html. */

const listeners = new Set<() => void>();
const subscribe = (fn: () => void) => {
  listeners.add(fn);
  window.addEventListener("popstate", fn);
  return () => {
    listeners.delete(fn);
    window.removeEventListener("popstate", fn);
  };
};
// Counts in-app navigations, so following a link to the page already shown opens it afresh.
let visit = 0;
const snapshot = () => `${visit} ${window.location.pathname}${window.location.search}`;

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
  window.scrollTo(0, 0);
  visit += 1;
  for (const fn of listeners) fn();
}

export function useLocation(): { pathname: string; search: URLSearchParams; visit: string } {
  const current = useSyncExternalStore(subscribe, snapshot);
  const [count, href] = current.split(" ", 2) as [string, string];
  const url = new URL(href, window.location.origin);
  return { pathname: url.pathname, search: url.searchParams, visit: count };
}

/** Matches "/requests/:id" against a path; returns the params or null. */
export function matchPath(pattern: string, pathname: string): Record<string, string> | null {
  const want = pattern.split("/").filter(Boolean);
  const have = pathname.split("/").filter(Boolean);
  if (want.length !== have.length) return null;
  const params: Record<string, string> = {};
  for (const [i, part] of want.entries()) {
    const got = have[i]!;
    if (part.startsWith(":")) params[part.slice(1)] = decodeURIComponent(got);
    else if (part !== got) return null;
  }
  return params;
}

type LinkProps = AnchorHTMLAttributes<HTMLAnchorElement> & { to: string };

export function Link({ to, onClick, ...rest }: LinkProps) {
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={handle} {...rest} />;
}
