import { Route, Routes } from "react-router";

import { OperationList } from "./OperationList";
import { OperationPage } from "./OperationPage";

/** The operations area: /operations (the newest, by state) and /operations/:id (one, live). */
export default function OperationsPage() {
  return (
    <Routes>
      <Route index element={<OperationList />} />
      <Route path=":id" element={<OperationPage />} />
    </Routes>
  );
}
