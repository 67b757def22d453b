// The services area (mounted at /services/*): the list, and each service's page with its tabs.
import { lazy, Suspense } from "react";
import { Route, Routes } from "react-router";

import { NotFound } from "../../layout/Shell";
import { Busy } from "../../ui/Busy";
import { ServiceList } from "./List";
import { Overview } from "./Overview";
import { ServicePage } from "./ServicePage";

const Backups = lazy(() => import("./backups"));
const Access = lazy(() => import("./access"));

export default function ServicesArea() {
  return (
    <Routes>
      <Route index element={<ServiceList />} />
      <Route path=":name" element={<ServicePage />}>
        <Route index element={<Overview />} />
        <Route
          path="access"
          element={
            <Suspense fallback={<Busy />}>
              <Access />
            </Suspense>
          }
        />
        <Route
          path="backups"
          element={
            <Suspense fallback={<Busy />}>
              <Backups />
            </Suspense>
          }
        />
      </Route>
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}
