import { defineConfig } from "@playwright/test";

// Run by crates/bangui/tests/browser.rs, which starts two bangui workers behind HAProxy and
// passes the load balancer's address in BANGUI_E2E_URL. Debian's Chromium: Playwright never
// downloads a browser here.
export default defineConfig({
  testDir: "e2e",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 20_000 },
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    baseURL: process.env.BANGUI_E2E_URL ?? "http://127.0.0.1:8000",
    launchOptions: {
      executablePath: process.env.BANGUI_CHROMIUM ?? "/usr/bin/chromium",
      args: ["--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    },
    reducedMotion: "reduce",
    trace: "off",
    screenshot: "off",
  },
});
