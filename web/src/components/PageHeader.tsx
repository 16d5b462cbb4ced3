import type { ReactNode } from "react";
import { makeStyles, tokens } from "@fluentui/react-components";

const useStyles = makeStyles({
  header: {
    display: "flex",
    flexWrap: "wrap",
    alignItems: "center",
    justifyContent: "space-between",
    gap: tokens.spacingHorizontalM,
    marginBottom: tokens.spacingVerticalL,
  },
  title: { margin: 0, fontSize: tokens.fontSizeHero700, lineHeight: tokens.lineHeightHero700, fontWeight: tokens.fontWeightSemibold },
  actions: { display: "flex", flexWrap: "wrap", gap: tokens.spacingHorizontalS, alignItems: "center" },
});

/** The page's one h1 and its actions. */
export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  const s = useStyles();
  return (
    <div className={s.header}>
      <h1 className={s.title}>{title}</h1>
      {children && <div className={s.actions}>{children}</div>}
    </div>
  );
}
