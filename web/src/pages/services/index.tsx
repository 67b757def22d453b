import { lazy } from "react";
import { Route, Routes } from "react-router";

import { defineMessages, useT } from "../../i18n";

const messages = defineMessages({ en: { title: "Services" }, "zh-CN": { title: "Services" } });
const BackupsTab = lazy(() => import("./backups"));

// Placeholder until this page is built (issue 19); it routes the backups tab (services/:name/backups) already.
export default function ServicesPage() {
  const t = useT(messages);
  return (
    <>
      <h1>{t("title")}</h1>
      <Routes>
        <Route index element={null} />
        <Route path=":name/backups" element={<BackupsTab />} />
      </Routes>
    </>
  );
}
