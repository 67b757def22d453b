import { Route, Routes } from "react-router";

import { AppPage } from "./AppPage";
import { MarketList } from "./MarketList";

/** The market area: /market (search and cards) and /market/:app (an app's page and its install dialog). */
export default function MarketPage() {
  return (
    <Routes>
      <Route index element={<MarketList />} />
      <Route path=":app" element={<AppPage />} />
    </Routes>
  );
}
