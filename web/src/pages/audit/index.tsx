// The audit area: search the tamper-evident log with filters, open an entry's details (its hashes, its
// inclusion proof), verify the whole log (platform admins), export what matches.
import { useQueryClient } from "@tanstack/react-query";
import { useMemo } from "react";
import { useSearchParams } from "react-router";

import { useAuth } from "../../auth";
import { useT } from "../../i18n";
import { EntryTable } from "./EntryTable";
import { ExportPanel } from "./ExportPanel";
import { FilterForm } from "./FilterForm";
import { type Filters, filtersFrom, searchOf } from "./filters";
import { messages } from "./messages";
import { VerifyPanel } from "./VerifyPanel";

export default function AuditPage() {
  const t = useT(messages);
  const { me } = useAuth();
  const client = useQueryClient();
  const [search, setSearch] = useSearchParams();
  const filters = useMemo(() => filtersFrom(search), [search]);
  // The same search again asks the log again: entries recorded since then show up.
  function apply(chosen: Filters) {
    const next = searchOf(chosen);
    if (next.toString() === search.toString()) void client.invalidateQueries({ queryKey: ["audit"] });
    else setSearch(next);
  }
  return (
    <>
      <h1>{t("title")}</h1>
      <p className="hint">{t("intro")}</p>
      {/* GET /audit/verify reads every team's entries: platform admins only (routes/audit.py). */}
      {me?.is_admin && <VerifyPanel />}
      <FilterForm value={filters} onApply={apply} />
      <ExportPanel filters={filters} />
      <h2>{t("entries")}</h2>
      <EntryTable filters={filters} />
    </>
  );
}
