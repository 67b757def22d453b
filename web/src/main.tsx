import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter } from "react-router";

import { ApiError, session } from "./api";
import { App } from "./App";
import { AuthProvider } from "./auth";
import { LocaleProvider } from "./i18n";
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

// Opening on the dashboard, signed in: its data is asked for now, while React builds the page.
if (session.token && location.pathname === "/") prefetchDashboard(client);

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
