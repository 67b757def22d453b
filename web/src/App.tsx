import { lazy, Suspense } from "react";
import { Route, Routes } from "react-router";

import { useAuth } from "./auth";
import { NotFound, Shell } from "./layout/Shell";
import Dashboard from "./pages/dashboard";
import { Login } from "./pages/Login";
import { Busy } from "./ui/Busy";

// Each area is its own chunk, loaded when first visited: the first page stays small (the schema forms of
// the install dialog and the charts are large, and most visits never need them). The dashboard, where most
// visits start, comes with the first page: one round trip less before its data is asked for.
const Market = lazy(() => import("./pages/market"));
const Services = lazy(() => import("./pages/services"));
const Operations = lazy(() => import("./pages/operations"));
const Activity = lazy(() => import("./pages/activity"));
const Audit = lazy(() => import("./pages/audit"));
const Alerts = lazy(() => import("./pages/alerts"));
const Monitoring = lazy(() => import("./pages/monitoring"));
const Admin = lazy(() => import("./pages/admin"));
const Account = lazy(() => import("./pages/account"));

export function App() {
  const { signedIn } = useAuth();
  if (!signedIn) return <Login />;
  return (
    <Suspense fallback={<Busy />}>
      <Routes>
        <Route element={<Shell />}>
          <Route index element={<Dashboard />} />
          <Route path="market/*" element={<Market />} />
          <Route path="services/*" element={<Services />} />
          <Route path="operations/*" element={<Operations />} />
          <Route path="activity" element={<Activity />} />
          <Route path="audit/*" element={<Audit />} />
          <Route path="alerts/*" element={<Alerts />} />
          <Route path="monitoring" element={<Monitoring />} />
          <Route path="admin/*" element={<Admin />} />
          <Route path="account" element={<Account />} />
          <Route path="*" element={<NotFound />} />
        </Route>
      </Routes>
    </Suspense>
  );
}
