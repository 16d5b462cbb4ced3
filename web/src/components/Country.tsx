import { Tooltip } from "@fluentui/react-components";
import type { Schemas } from "../api/client";

/** A country's name and code, or "—" with why there is none. */
export function Country({ country }: { country: Schemas["NamedCountry"] | null | undefined }) {
  if (!country)
    return (
      <Tooltip content="Not resolved: the country database has no entry for this address, or the geo job has not looked it up yet." relationship="description">
        <span tabIndex={0} aria-label="Country unknown">
          —
        </span>
      </Tooltip>
    );
  return (
    <span title={country.code}>
      {country.name ?? country.code} <small>({country.code})</small>
    </span>
  );
}
