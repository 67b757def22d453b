import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter } from "react-router";

import { ApiError, session } from "./api";
import { App } from "./App";
import { AuthProvider } from "./auth";
import { LocaleProvider, prepareFormats } from "./i18n";
import { prefetchDashboard } from "./pages/dashboard/queries";
import "./styles.css";

// Server state lives in TanStack Query: a refused request (4xx) is not retried, a lost connection is.
const client = new QueryClient({
  defaultOptions: {
    queries: {
      retry: (count, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 3,
      refetchOnWindowFocus: false,
    },
  },
});

// Opening on the dashboard, signed in: index.html asked for its data and for who is signed in before this
// code arrived. When those answers are in (or nearly), the first render shows them, rather than a skeleton
// that is drawn again a moment later; a slow answer holds the page back no more than FIRST_DATA_WAIT_MS, and
// then the page shows its skeleton and fills in as usual.
// (Not a top-level await: the bundler would split the first page's code into many files to allow one.)
const FIRST_DATA_WAIT_MS = 150;

function render() {
  createRoot(document.getElementById("root")!).render(
    <StrictMode>
      <QueryClientProvider client={client}>
        <LocaleProvider>
          <AuthProvider>
            <BrowserRouter>
              <App />
            </BrowserRouter>
          </AuthProvider>
        </LocaleProvider>
      </QueryClientProvider>
    </StrictMode>,
  );
}

if (session.token && location.pathname === "/") {
  const waited = new Promise((done) => setTimeout(done, FIRST_DATA_WAIT_MS));
  const ready = Promise.race([prefetchDashboard(client, session.token), waited]);
  // While the answers are on their way (they were asked for first), the slow one-time work of the first render.
  prepareFormats();
  void ready.then(render);
} else {
  render();
}
