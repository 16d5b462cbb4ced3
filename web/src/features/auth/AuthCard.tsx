import type { ReactNode } from "react";
import { Card, makeStyles, tokens } from "@fluentui/react-components";

const useStyles = makeStyles({
  page: { minHeight: "100vh", display: "flex", alignItems: "center", justifyContent: "center", padding: tokens.spacingHorizontalL, boxSizing: "border-box" },
  card: { width: "100%", maxWidth: "420px", padding: tokens.spacingHorizontalXL },
  title: { margin: 0, fontSize: tokens.fontSizeBase600, fontWeight: tokens.fontWeightSemibold },
  form: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalM },
});

/** The one-card layout of the setup and login pages. */
export function AuthCard({ title, intro, onSubmit, children }: { title: string; intro: ReactNode; onSubmit: () => void; children: ReactNode }) {
  const s = useStyles();
  return (
    <main className={s.page}>
      <Card className={s.card}>
        <h1 className={s.title}>{title}</h1>
        <div>{intro}</div>
        <form
          className={s.form}
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            onSubmit();
          }}
        >
          {children}
        </form>
      </Card>
    </main>
  );
}
