/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The built files go to dist/, which the bangui binary embeds (crates/bangui-http/build.rs).
// During `npm run dev`, API calls go to a bangui on :8000.
export default defineConfig({
  plugins: [react()],
  // bangui replaces this with a fresh nonce in every index.html it serves (crates/bangui-http/src/spa.rs);
  // Fluent's run-time styles carry it, so the CSP needs no 'unsafe-inline'.
  html: { cspNonce: "BANGUI_CSP_NONCE" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // The hashed files under /assets/ are cached for a year; index.html never.
    assetsDir: "assets",
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: { "/api": "http://127.0.0.1:8000" },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
