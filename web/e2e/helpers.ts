import AxeBuilder from "@axe-core/playwright";
import { expect, type Browser, type BrowserContext, type Page } from "@playwright/test";
import path from "node:path";

export const PASSWORD = "Str0ng!pass-e2e";
export const SCREENSHOTS = process.env.BANGUI_E2E_SCREENSHOTS ?? path.resolve(import.meta.dirname, "../../docs/screenshots");

/** No serious or critical axe-core violation on the page as it is now. */
export async function expectAccessible(page: Page, what: string) {
  // Fluent's focus manager (tabster) puts aria-hidden focus sentinels at the edges of arrow-key
  // groups; they hand focus on at once and are never read. axe cannot know that.
  const result = await new AxeBuilder({ page }).exclude("[data-tabster-dummy]").analyze();
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const summary = bad.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  expect(summary, `axe-core on ${what}`).toEqual([]);
}

export async function screenshot(page: Page, name: string) {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: false, animations: "disabled" });
}

export async function logIn(page: Page, next = "/") {
  await page.goto(next);
  await expect(page).toHaveURL(/\/login/);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
}

/** A browser context of its own (its own cookies: another user), logged in. */
export async function loggedInContext(browser: Browser, scheme: "light" | "dark" = "light"): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ colorScheme: scheme, viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  failOnPageErrors(page);
  await logIn(page);
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
