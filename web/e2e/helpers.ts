import AxeBuilder from "@axe-core/playwright";
import { expect, type Browser, type BrowserContext, type Page } from "@playwright/test";
import path from "node:path";

export const PASSWORD = "Str0ng!pass-e2e";
export const SCREENSHOTS = process.env.BANGUI_E2E_SCREENSHOTS ?? path.resolve(import.meta.dirname, "../../docs/screenshots");

/** No serious or critical axe-core violation on the page as it is now. */
export async function expectAccessible(page: Page, what: string, dialogs = 0) {
  // A page as it rests: no dialog opening or closing, no toast fading in or out (their
  // animations change contrast and aria-hidden while they run).
  await expect(page.getByRole("dialog")).toHaveCount(dialogs);
  await expect(page.locator(".fui-Toast")).toHaveCount(0, { timeout: 15_000 });
  // Fluent's focus manager (tabster) puts aria-hidden focus sentinels at the edges of arrow-key
  // groups; they hand focus on at once and are never read. axe cannot know that.
  const result = await new AxeBuilder({ page }).exclude("[data-tabster-dummy]").analyze();
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const summary = bad.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  expect(summary, `axe-core on ${what}`).toEqual([]);
}

/**
 * axe-core in the light and the dark theme (the page follows the system's), with a screenshot
 * of each for the README: `<name>-light.png`, `<name>-dark.png`. Leaves the page light.
 */
export async function checkBothThemes(page: Page, name: string, dialogs = 0) {
  for (const scheme of ["light", "dark"] as const) {
    // Reduced motion: Fluent then switches colours without transitions, so axe never
    // measures a contrast halfway between the themes.
    await page.emulateMedia({ colorScheme: scheme, reducedMotion: "reduce" });
    await expect(page.locator("html")).toHaveAttribute("style", new RegExp(`color-scheme: ${scheme}`));
    await expectAccessible(page, `${name} (${scheme})`, dialogs);
    await screenshot(page, `${name}-${scheme}`);
  }
  await page.emulateMedia({ colorScheme: "light" });
}

export async function screenshot(page: Page, name: string) {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: false, animations: "disabled" });
}

/** The session the first test logs in with, shared by later tests: logins are rate-limited
 * per client address (5 a minute), and every browser here is 127.0.0.1. */
export const SESSION_FILE = path.resolve(import.meta.dirname, "../test-results/session.json");

/** Logs in through the form and waits until the app has let the page in. */
export async function logIn(page: Page, next = "/") {
  await page.goto(next);
  await expect(page).toHaveURL(/\/login/);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).not.toHaveURL(/\/login/);
  await expect(page.getByRole("navigation", { name: "Main" }).or(page.getByRole("button", { name: "Open navigation" }))).toBeVisible();
}

/** A browser context of its own with the shared session, on the dashboard. */
export async function loggedInContext(
  browser: Browser,
  scheme: "light" | "dark" = "light",
  viewport = { width: 1280, height: 860 },
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ colorScheme: scheme, reducedMotion: "reduce", viewport, storageState: SESSION_FILE });
  const page = await context.newPage();
  failOnPageErrors(page);
  await page.goto("/");
  await expect(page.getByTestId("stat-online")).toBeVisible();
  return { context, page };
}

/** Uncaught errors and CSP violations fail the test that caused them. */
export function failOnPageErrors(page: Page) {
  page.on("pageerror", (e) => {
    throw new Error(`page error: ${e.message}`);
  });
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy/.test(m.text())) throw new Error(`CSP violation: ${m.text()}`);
  });
}

/** A write through the API with the page's session, as the UI sends it. */
export async function apiWrite(page: Page, method: "POST" | "DELETE", url: string, data: unknown) {
  const response = await page.request.fetch(url, { method, data, headers: { "X-BanGUI-Request": "1" } });
  expect(response.status(), `${method} ${url}: ${await response.text()}`).toBeLessThan(300);
  return response;
}

export async function statValue(page: Page, id: string): Promise<number> {
  const text = (await page.getByTestId(id).textContent()) ?? "";
  return Number(text.replace(/[^0-9]/g, ""));
}
