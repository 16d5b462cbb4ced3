import { Button, Text, makeStyles, tokens } from "@fluentui/react-components";
import { ChevronLeftRegular, ChevronRightRegular } from "@fluentui/react-icons";
import { formatCount } from "../lib/time";

const useStyles = makeStyles({
  pager: { display: "flex", alignItems: "center", justifyContent: "flex-end", gap: tokens.spacingHorizontalS, flexWrap: "wrap", paddingTop: tokens.spacingVerticalS },
});

/** Previous/next over a server-paged list, with where we are in it. */
export function Pager({ page, pageSize, total, onPage, label }: { page: number; pageSize: number; total: number; onPage: (p: number) => void; label: string }) {
  const s = useStyles();
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const first = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const last = Math.min(total, page * pageSize);
  return (
    <nav className={s.pager} aria-label={`${label} pages`}>
      <Text size={200} aria-live="polite">
        {formatCount(first)}–{formatCount(last)} of {formatCount(total)} · page {formatCount(page)} of {formatCount(pages)}
      </Text>
      <Button size="small" icon={<ChevronLeftRegular />} disabled={page <= 1} onClick={() => onPage(page - 1)}>
        Previous
      </Button>
      <Button size="small" icon={<ChevronRightRegular />} iconPosition="after" disabled={page >= pages} onClick={() => onPage(page + 1)}>
        Next
      </Button>
    </nav>
  );
}
