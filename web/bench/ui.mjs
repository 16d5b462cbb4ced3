// The `ui` benchmark's browser side (crates/bangui/benches/ui.rs starts the stack and prints
// the figures). Every load is a fresh browser context: nothing cached, as a first visit.
// Times are the page's own clock from navigation start to the element drawn.
import { chromium } from "playwright-core";

const base = process.env.BANGUI_BENCH_URL;
const cookie = process.env.BANGUI_BENCH_COOKIE; // bangui_session=<token>
const loads = Number(process.env.BANGUI_BENCH_LOADS ?? 10);
if (!base || !cookie) throw new Error("BANGUI_BENCH_URL and BANGUI_BENCH_COOKIE are required");

const browser = await chromium.launch({
  executablePath: process.env.BANGUI_CHROMIUM ?? "/usr/bin/chromium",
  args: ["--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
});
const [name, value] = cookie.split("=");
const { hostname } = new URL(base);

/** Loads `path` in a fresh context: ms until `drawn` resolves, and the JS transferred by then. */
async function load(path, withSession, drawn) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  if (withSession) await context.addCookies([{ name, value, domain: hostname, path: "/", httpOnly: true, sameSite: "Lax" }]);
  const page = await context.newPage();
  const scripts = [];
  page.on("requestfinished", (request) => {
    if (request.resourceType() === "script") scripts.push(request.sizes().then((s) => s.responseBodySize));
  });
  await page.goto(base + path, { waitUntil: "commit" });
  await drawn(page);
  const ms = await page.evaluate(() => performance.now());
  const jsBytes = (await Promise.all(scripts)).reduce((a, b) => a + b, 0);
  await context.close();
  return { ms, jsBytes };
}

const loginDrawn = (page) => page.getByRole("heading", { name: "Log in to bangui" }).waitFor();
const dashboardDrawn = async (page) => {
  await page.locator("tr[data-ip]").first().waitFor();
  await page.locator("[data-testid=dashboard-charts] svg[data-chart]").nth(2).waitFor();
};
const mapDrawn = (page) => page.locator("path[data-country]").first().waitFor();

// One unmeasured load of each page first: it fills the server's caches (the aggregates of a
// million-ban archive are computed once per archive change, see the analytics benchmark).
await load("/?range=24h", true, dashboardDrawn);
await load("/map?range=30d", true, mapDrawn);

const result = { login: [], dashboard: [], map: [] };
for (let i = 0; i < loads; i++) {
  result.login.push(await load("/login", false, loginDrawn));
  result.dashboard.push(await load("/?range=24h", true, dashboardDrawn));
  result.map.push(await load("/map?range=30d", true, mapDrawn));
}
await browser.close();
console.log("RESULT " + JSON.stringify(result));
