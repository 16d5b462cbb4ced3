// The three states every view has besides its data: loading, error (the server's message and
// a retry) and empty.
import type { ReactNode } from "react";
import { Button, MessageBar, MessageBarActions, MessageBarBody, MessageBarTitle, Spinner, Text, makeStyles, tokens } from "@fluentui/react-components";
import { messageOf } from "../api/client";

const useStyles = makeStyles({
  center: { display: "flex", justifyContent: "center", padding: tokens.spacingVerticalXXL },
  empty: {
    display: "flex",
    flexDirection: "column",
    alignItems: "center",
    gap: tokens.spacingVerticalS,
    padding: tokens.spacingVerticalXXL,
    color: tokens.colorNeutralForeground2,
    textAlign: "center",
  },
});

export function Loading({ label = "Loading…" }: { label?: string }) {
  const s = useStyles();
  return (
    <div className={s.center} role="status" aria-live="polite">
      <Spinner size="small" label={label} />
    </div>
  );
}

export function ErrorState({ error, onRetry, title = "Could not load this" }: { error: unknown; onRetry?: () => void; title?: string }) {
  return (
    <MessageBar intent="error" role="alert">
      <MessageBarBody>
        <MessageBarTitle>{title}</MessageBarTitle>
        {messageOf(error)}
      </MessageBarBody>
      {onRetry && (
        <MessageBarActions>
          <Button onClick={onRetry}>Retry</Button>
        </MessageBarActions>
      )}
    </MessageBar>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  const s = useStyles();
  return (
    <div className={s.empty}>
      <Text weight="semibold">{title}</Text>
      {children && <Text size={200}>{children}</Text>}
    </div>
  );
}

interface QueryLike<T> {
  data: T | undefined;
  error: unknown;
  isPending: boolean;
  refetch: () => unknown;
}

/** Loading, error or the data, for one query. */
export function QueryView<T>({ query, children, loading }: { query: QueryLike<T>; children: (data: T) => ReactNode; loading?: string }) {
  if (query.data !== undefined) return <>{children(query.data)}</>;
  if (query.error) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  return <Loading {...(loading ? { label: loading } : {})} />;
}
