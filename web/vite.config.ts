import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));
// `vite` (dev) forwards the API to a server started with `npm start` on its default port.
const api = "http://localhost:8080";

export default defineConfig({
  root,
  base: "/",
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, assetsInlineLimit: 0 },
  server: {
    proxy: Object.fromEntries(["/v1", "/openapi.json", "/docs", "/.well-known"].map((p) => [p, api])),
  },
});
