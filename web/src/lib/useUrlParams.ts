import { useSearchParams } from "react-router";

/**
 * A page's filters kept in its URL (reload and back keep them): the current parameters, and
 * an update that sets the given ones and removes those given as `undefined` or "".
 */
export function useUrlParams(): [URLSearchParams, (changes: Record<string, string | undefined>) => void] {
  const [params, setParams] = useSearchParams();
  const update = (changes: Record<string, string | undefined>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (v === undefined || v === "") next.delete(k);
      else next.set(k, v);
    }
    setParams(next, { replace: true });
  };
  return [params, update];
}
