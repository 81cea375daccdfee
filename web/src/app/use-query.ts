import { useCallback, useEffect, useRef, useState } from "react";

export interface QueryState<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/**
 * Loads data for a page and reloads it when `key` changes (and every `refreshMs`, for pages that
 * watch a request move). A late answer for an old key is dropped.
 */
export function useQuery<T>(load: () => Promise<T>, key: unknown[], options: { refreshMs?: number } = {}): QueryState<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const reload = useCallback(() => setTick((n) => n + 1), []);

  useEffect(() => {
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    loadRef.current().then(
      (data) => current && setState({ data, loading: false }),
      (error: unknown) => current && setState((s) => ({ data: s.data, error, loading: false })),
    );
    return () => {
      current = false;
    };
    // Keyed by the caller's `key` on purpose: the loader is a fresh closure on every render.
  }, [...key, tick]);

  useEffect(() => {
    if (!options.refreshMs) return;
    const id = window.setInterval(reload, options.refreshMs);
    return () => window.clearInterval(id);
  }, [options.refreshMs, reload]);

  return { data: state.data, error: state.error, loading: state.loading, reload };
}
