import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// The console is served by the gateway at / (same origin as the API): no base path, no proxy in production.
// `npm run dev` proxies the API to a gateway on 127.0.0.1:8080 (what `make up` starts).
export default defineConfig({
  plugins: [react()],
  resolve: {
    alias: {
      "react-dom/client": "preact/compat/client",
      "react-dom": "preact/compat",
      "react/jsx-runtime": "preact/jsx-runtime",
      "react/jsx-dev-runtime": "preact/jsx-dev-runtime",
      react: "preact/compat",
    },
  },
  build: {
    outDir: "dist",
    assetsDir: "assets", // hashed names: the gateway serves /assets/* with a year-long cache
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
  server: { proxy: { "/api": "http://127.0.0.1:8080" } },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
