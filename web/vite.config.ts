import react from "@vitejs/plugin-react";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

// Vite puts the console's entry script at the end of <head>, after index.html's inline script. That script
// runs first in a fresh page (starting the JavaScript engine), and the parser reaches the entry only after it:
// the entry goes before it, so that the code is asked for first, the dashboard's data right after.
// (Before it, not after the stylesheet too: an inline script after a stylesheet waits for that to arrive.)
function entryFirst(): Plugin {
  return {
    name: "quickon-entry-first",
    transformIndexHtml: {
      order: "post",
      handler(html) {
        const entry = html.match(/\s*<script type="module" crossorigin src="[^"]+"><\/script>/);
        const rest = entry ? html.replace(entry[0], "") : html;
        const inline = rest.indexOf("<script>");
        if (!entry || inline < 0) throw new Error("index.html: the entry script or the inline script is missing");
        return rest.slice(0, inline) + entry[0].trim() + "\n    " + rest.slice(inline);
      },
    },
  };
}

// The console is served by the gateway at / (same origin as the API): no base path, no proxy in production.
// `npm run dev` proxies the API to a gateway on 127.0.0.1:8080 (what `make up` starts).
export default defineConfig({
  plugins: [react(), entryFirst()],
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
