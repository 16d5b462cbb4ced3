// The web UI against two bangui workers behind HAProxy: consecutive requests of one browser
// land on different workers, so everything here also proves that no worker keeps state.
import { expect, test } from "@playwright/test";
import { apiWrite, expectAccessible, failOnPageErrors, logIn, loggedInContext, PASSWORD, screenshot, statValue } from "./helpers";

test.describe.configure({ mode: "serial" });

test("every page leads to setup until it is done, then to login, which returns to the page asked for", async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  failOnPageErrors(page);

  await page.goto("/history?range=7d");
  await expect(page).toHaveURL(/\/setup$/);
  await expect(page.getByRole("heading", { name: "Set up bangui" })).toBeVisible();
  await expectAccessible(page, "setup");
  await screenshot(page, "setup-light");

  // The form says what the password lacks before the server has to.
  await page.getByLabel("Master password").fill("short");
  await page.getByRole("button", { name: "Complete setup" }).click();
  await expect(page.getByText(/Needs at least 8 characters/)).toBeVisible();
  await expect(page).toHaveURL(/\/setup$/);

  await page.getByLabel("Master password").fill(PASSWORD);
  await page.getByLabel("Repeat the password").fill(PASSWORD);
  await page.getByRole("button", { name: "Complete setup" }).click();
  await expect(page).toHaveURL(/\/login$/);

  // Setup is done: its page now leads to login.
  await page.goto("/setup");
  await expect(page).toHaveURL(/\/login$/);

  await page.goto("/?range=7d");
  await expect(page).toHaveURL(/\/login\?next=/);
  await expectAccessible(page, "login");
  await screenshot(page, "login-light");
  await page.getByLabel("Password").fill("wrong-password");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("alert")).toContainText("not right");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/\?range=7d$/);
  await expect(page.getByRole("tab", { name: "7 days" })).toHaveAttribute("aria-selected", "true");
  await expect(page.getByTestId("stat-online")).toHaveText("Online");
  await context.close();
});

test("the dashboard shows status, bans and charts, and passes axe in both themes", async ({ browser }) => {
  for (const scheme of ["light", "dark"] as const) {
    const { context, page } = await loggedInContext(browser, scheme);
    await expect(page.getByRole("heading", { name: "Dashboard", level: 1 })).toBeVisible();
    await expect(page.getByTestId("stat-online")).toHaveText("Online");
    await expect(page.getByTestId("stat-version")).toHaveText(/^\d+\.\d+/);
    await expect(page.getByTestId("dashboard-charts").getByRole("heading", { name: "Ban trend" })).toBeVisible();
    await expect(page.getByText("bangui ", { exact: false }).last()).toBeVisible();
    await expect(page.locator("footer")).toContainText(/bangui \d+\.\d+\.\d+ · fail2ban .* · times in /);
    await expectAccessible(page, `dashboard (${scheme})`);
    await screenshot(page, `dashboard-${scheme}`);
    await context.close();
  }
});

test("a ban made in one browser appears in another's dashboard without reload, and its unban too", async ({ browser }) => {
  const a = await loggedInContext(browser);
  const b = await loggedInContext(browser);
  const ip = "198.51.100.77";
  const before = await statValue(b.page, "stat-bans");

  await apiWrite(a.page, "POST", "/api/v1/bans", { jail: "test", ip });
  // Exactly once: the worker that banned archives it while another copies fail2ban's row.
  await expect(b.page.locator(`tr[data-ip="${ip}"]`)).toHaveCount(1);
  await expect.poll(() => statValue(b.page, "stat-bans")).toBe(before + 1);
  await expect(b.page.getByRole("status", { name: "Live updates on" })).toBeVisible();

  await apiWrite(a.page, "DELETE", "/api/v1/bans", { jail: "test", ip });
  await expect.poll(() => statValue(b.page, "stat-bans")).toBe(before);
  await a.context.close();
  await b.context.close();
});

test("the theme follows the system until chosen, and the choice stays", async ({ browser }) => {
  const { context, page } = await loggedInContext(browser, "light");
  const background = () => page.locator("header").evaluate((el) => getComputedStyle(el).backgroundColor);
  const light = await background();
  await page.getByRole("button", { name: "Theme" }).click();
  await page.getByRole("menuitemradio", { name: "Dark" }).click();
  await expect.poll(background).not.toBe(light);
  const dark = await background();
  await page.reload();
  await expect(page.getByTestId("stat-online")).toBeVisible();
  expect(await background()).toBe(dark);
  await context.close();
});

test("below 640 px the navigation is a drawer opened from the header", async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  failOnPageErrors(page);
  await logIn(page);
  await expect(page.getByRole("navigation", { name: "Main" })).toBeHidden();
  await page.getByRole("button", { name: "Open navigation" }).click();
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav).toBeVisible();
  await expect(nav.getByRole("link", { name: "Dashboard" })).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(nav).toBeHidden();
  // The drawer is modal: the page is hidden from screen readers until it has closed.
  await expect(page.locator("#root")).not.toHaveAttribute("aria-hidden", "true");
  await expectAccessible(page, "dashboard (phone)");
  await screenshot(page, "dashboard-phone");
  await context.close();
});

test("logging out ends the session in every tab that shares it", async ({ browser }) => {
  const a = await loggedInContext(browser);
  const other = await a.context.newPage();
  failOnPageErrors(other);
  await other.goto("/");
  await expect(other.getByTestId("stat-online")).toHaveText("Online");

  await a.page.getByRole("button", { name: "Log out" }).click();
  await expect(a.page).toHaveURL(/\/login$/);

  // The other tab's next request meets the ended session (on whichever worker) and goes to login.
  await other.getByRole("tab", { name: "30 days" }).click();
  await expect(other).toHaveURL(/\/login\?next=/);
  await a.context.close();
});
