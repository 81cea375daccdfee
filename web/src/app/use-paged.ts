import { useCallback, useEffect, useRef, useState } from "react";
import type { Page } from "../api/types";

/**
 * A cursor-paged list: the first page on every change of `key`, "Load more" appends the next.
 * `refreshMs` re-reads the first page so a watched list stays current.
 */
export function usePaged<T>(load: (cursor?: string) => Promise<Page<T>>, key: unknown[], options: { refreshMs?: number } = {}) {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const generation = useRef(0);

  useEffect(() => {
    const mine = ++generation.current;
    setLoading(true);
    loadRef.current().then(
      (page) => {
        if (mine !== generation.current) return;
        setItems(page.items);
        setCursor(page.nextCursor);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        if (mine !== generation.current) return;
        setError(err);
        setLoading(false);
      },
    );
    // Keyed by the caller's `key` on purpose: the loader is a fresh closure on every render.
  }, [...key, tick]);

  useEffect(() => {
    if (!options.refreshMs) return;
    const id = window.setInterval(() => setTick((n) => n + 1), options.refreshMs);
    return () => window.clearInterval(id);
  }, [options.refreshMs]);

  const loadMore = useCallback(async () => {
    if (!cursor) return;
    const mine = generation.current;
    setLoading(true);
    try {
      const page = await loadRef.current(cursor);
      if (mine !== generation.current) return;
      setItems((prev) => [...prev, ...page.items]);
      setCursor(page.nextCursor);
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  }, [cursor]);

  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { items, error, loading, hasMore: cursor !== null, loadMore, reload };
}
