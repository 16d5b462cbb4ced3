import { useState } from "react";
import { useNavigate } from "react-router";
import { Button, Card, Dropdown, Field, Input, Option, makeStyles, tokens } from "@fluentui/react-components";
import type { Schemas } from "../../api/client";
import { PageHeader } from "../../components/PageHeader";
import { Pager } from "../../components/Pager";
import { Empty, QueryView } from "../../components/states";
import { readOrigin, readRange } from "../dashboard/DashboardPage";
import { RangeOriginFilter, RANGES } from "../dashboard/filters";
import { useJails } from "../jails/api";
import { useHistory, type HistoryQuery } from "./api";
import { HistoryTable } from "./HistoryTable";
import { useUrlParams } from "../../lib/useUrlParams";

const PAGE_SIZE = 50;
const HISTORY_RANGES = [...RANGES, { value: "all" as Schemas["TimeRange"], label: "All" }];
const ANY = "__any__";

const useStyles = makeStyles({
  card: { padding: tokens.spacingHorizontalM, gap: tokens.spacingVerticalM },
  filters: { display: "flex", flexWrap: "wrap", gap: tokens.spacingHorizontalM, alignItems: "end" },
});

export function HistoryPage() {
  const s = useStyles();
  const navigate = useNavigate();
  const [params, setUrlParams] = useUrlParams();
  const jails = useJails();
  const range = readRange(params.get("range"), "all");
  const origin = readOrigin(params.get("origin"));
  const jail = params.get("jail") ?? undefined;
  const prefix = params.get("prefix") ?? undefined;
  const page = Math.max(1, Number(params.get("page")) || 1);
  const [prefixText, setPrefixText] = useState(prefix ?? "");
  const [address, setAddress] = useState("");

  // A new filter starts again at the first page.
  const update = (changes: Record<string, string | undefined>) => setUrlParams("page" in changes ? changes : { ...changes, page: undefined });

  const query: HistoryQuery = { range, page, page_size: PAGE_SIZE, ...(origin ? { origin } : {}), ...(jail ? { jail } : {}), ...(prefix ? { prefix } : {}) };
  const history = useHistory(query);

  return (
    <>
      <PageHeader title="History">
        <form
          className={s.filters}
          onSubmit={(e) => {
            e.preventDefault();
            if (address.trim()) navigate(`/history/${encodeURIComponent(address.trim())}`);
          }}
        >
          <Field label="Timeline of an address">
            <Input value={address} onChange={(_, d) => setAddress(d.value)} placeholder="192.0.2.10" />
          </Field>
          <Button type="submit" disabled={!address.trim()}>
            Show
          </Button>
        </form>
      </PageHeader>
      <Card className={s.card}>
        <RangeOriginFilter range={range} origin={origin} ranges={HISTORY_RANGES} onRange={(r) => update({ range: r })} onOrigin={(o) => update({ origin: o })} />
        <div className={s.filters}>
          <Field label="Jail">
            <Dropdown value={jail ?? "Every jail"} selectedOptions={[jail ?? ANY]} onOptionSelect={(_, d) => update({ jail: d.optionValue === ANY ? undefined : d.optionValue })}>
              <Option value={ANY}>Every jail</Option>
              {(jails.data?.items ?? []).map((j) => (
                <Option key={j.name} value={j.name}>
                  {j.name}
                </Option>
              ))}
            </Dropdown>
          </Field>
          <form
            className={s.filters}
            onSubmit={(e) => {
              e.preventDefault();
              update({ prefix: prefixText.trim() });
            }}
          >
            <Field label="Address starts with">
              <Input value={prefixText} onChange={(_, d) => setPrefixText(d.value)} placeholder="192.0.2." />
            </Field>
            <Button type="submit">Filter</Button>
          </form>
        </div>
        <QueryView query={history} loading="Loading the archive…">
          {(p) =>
            p.total === 0 ? (
              <Empty title="No archived ban matches">Widen the range or clear a filter.</Empty>
            ) : (
              <>
                <HistoryTable bans={p.items} />
                <Pager page={p.page} pageSize={p.page_size} total={p.total} label="History" onPage={(n) => update({ page: String(n) })} />
              </>
            )
          }
        </QueryView>
      </Card>
    </>
  );
}
