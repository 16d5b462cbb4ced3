import { lazy, Suspense } from "react";
import { Button, Card, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow, makeStyles, tokens } from "@fluentui/react-components";
import { DismissRegular } from "@fluentui/react-icons";
import { Country } from "../../components/Country";
import { PageHeader } from "../../components/PageHeader";
import { Empty, Loading, QueryView } from "../../components/states";
import { formatCount } from "../../lib/time";
import { useByCountry } from "../dashboard/api";
import { readOrigin, readRange } from "../dashboard/DashboardPage";
import { RangeOriginFilter } from "../dashboard/filters";
import { RangeBanTable } from "../dashboard/RangeBanTable";
import { useUrlParams } from "../../lib/useUrlParams";

// The map's chunk (and the projection it computes when it loads) is fetched as soon as this
// page is: in parallel with the countries' counts, not after them.
const worldMapChunk = import("./WorldMap");
// A failed load surfaces when the map renders (the route's error view), not as an unhandled
// rejection while, say, there is nothing to draw.
worldMapChunk.catch(() => undefined);
const WorldMap = lazy(() => worldMapChunk);

const useStyles = makeStyles({
  stack: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalL },
  card: { padding: tokens.spacingHorizontalM, gap: tokens.spacingVerticalM, minWidth: 0 },
  title: { margin: 0, fontSize: tokens.fontSizeBase500, fontWeight: tokens.fontWeightSemibold },
  split: { display: "grid", gridTemplateColumns: "minmax(0, 2fr) minmax(260px, 1fr)", gap: tokens.spacingHorizontalL, "@media (max-width: 900px)": { gridTemplateColumns: "1fr" } },
  tableScroll: { maxHeight: "520px", overflowY: "auto" },
  head: { display: "flex", justifyContent: "space-between", alignItems: "center", flexWrap: "wrap", gap: tokens.spacingHorizontalS },
});

/** Bans per country on a map and in a table; a country chosen in either lists its bans. */
export function MapPage() {
  const s = useStyles();
  const [params, update] = useUrlParams();
  const range = readRange(params.get("range"), "30d");
  const origin = readOrigin(params.get("origin"));
  const country = params.get("country");
  const base = { range, ...(origin ? { origin } : {}) };
  const counts = useByCountry(base);
  const chosen = useByCountry({ ...base, ...(country ? { country } : {}) });
  const select = (code: string) => update({ country: code === country ? undefined : code });

  return (
    <>
      <PageHeader title="World map" />
      <div className={s.stack}>
        <RangeOriginFilter range={range} origin={origin} onRange={(r) => update({ range: r })} onOrigin={(o) => update({ origin: o })} />
        <QueryView query={counts} loading="Loading countries…">
          {(d) =>
            d.countries.length === 0 ? (
              <Empty title="No bans in this range" />
            ) : (
              <div className={s.split}>
                <Card className={s.card}>
                  <Suspense fallback={<Loading label="Drawing the map…" />}>
                    <WorldMap counts={d.countries} selected={country} onSelect={select} />
                  </Suspense>
                </Card>
                <Card className={s.card}>
                  <h2 className={s.title}>Countries</h2>
                  <div className={s.tableScroll}>
                    <Table size="small" aria-label="Bans per country">
                      <TableHeader>
                        <TableRow>
                          <TableHeaderCell>Country</TableHeaderCell>
                          <TableHeaderCell>Bans</TableHeaderCell>
                          <TableHeaderCell>Addresses</TableHeaderCell>
                        </TableRow>
                      </TableHeader>
                      <TableBody>
                        {d.countries.map((c) => (
                          <TableRow key={c.country?.code ?? "unknown"}>
                            <TableCell>
                              {c.country ? (
                                <Button appearance="transparent" size="small" aria-pressed={country === c.country.code} onClick={() => select(c.country!.code)}>
                                  {c.country.name ?? c.country.code}
                                </Button>
                              ) : (
                                <Country country={null} />
                              )}
                            </TableCell>
                            <TableCell>{formatCount(c.bans)}</TableCell>
                            <TableCell>{formatCount(c.addresses)}</TableCell>
                          </TableRow>
                        ))}
                      </TableBody>
                    </Table>
                  </div>
                </Card>
              </div>
            )
          }
        </QueryView>
        {country && (
          <Card className={s.card}>
            <div className={s.head}>
              <h2 className={s.title} data-testid="country-bans-title">
                Newest bans from {country}
              </h2>
              <Button icon={<DismissRegular />} onClick={() => update({ country: undefined })}>
                Clear filter
              </Button>
            </div>
            <QueryView query={chosen} loading="Loading bans…">
              {(d) => ((d.bans ?? []).length === 0 ? <Empty title="No bans from this country in this range" /> : <RangeBanTable bans={d.bans ?? []} caption={`Bans from ${country}`} />)}
            </QueryView>
          </Card>
        )}
      </div>
    </>
  );
}
