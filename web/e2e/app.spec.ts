// The web UI against two bangui workers behind HAProxy: consecutive requests of one browser
// land on different workers, so everything here also proves that no worker keeps state.
import { expect, test } from "@playwright/test";
import { apiWrite, checkBothThemes, expectAccessible, failOnPageErrors, logIn, loggedInContext, PASSWORD, screenshot, SESSION_FILE, statValue } from "./helpers";

test.describe.configure({ mode: "serial" });

test("every page leads to setup until it is done, then to login, which returns to the page asked for", async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  failOnPageErrors(page);

  await page.goto("/history?range=7d");
  await expect(page).toHaveURL(/\/setup$/);
  await expect(page.getByRole("heading", { name: "Set up bangui" })).toBeVisible();
  await checkBothThemes(page, "setup");

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
  await checkBothThemes(page, "login");
  await page.getByLabel("Password").fill("wrong-password");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("alert")).toContainText("not right");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/\?range=7d$/);
  await expect(page.getByRole("tab", { name: "7 days" })).toHaveAttribute("aria-selected", "true");
  await expect(page.getByTestId("stat-online")).toHaveText("Online");
  await context.storageState({ path: SESSION_FILE });
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

test("when the worker holding the live stream dies, the page reconnects to the other with Last-Event-ID and gets what it missed", async ({ browser }) => {
  const control = process.env.BANGUI_E2E_CONTROL_URL;
  expect(control, "BANGUI_E2E_CONTROL_URL (set by crates/bangui/tests/browser.rs)").toBeTruthy();
  const harness = async (action: string) => {
    const answer = await fetch(`${control}${action}`, { method: "POST" });
    expect(answer.status, `${action}: ${await answer.text()}`).toBe(200);
  };

  const context = await browser.newContext({ reducedMotion: "reduce", viewport: { width: 1280, height: 860 }, storageState: SESSION_FILE });
  // Every `ban` event the page's streams deliver, to tell a replayed event from a refetch, and
  // how many EventSources the app opened (a browser's own reconnects reuse one).
  await context.addInitScript(() => {
    const seen = { bans: [] as string[], sources: 0 };
    Object.assign(window, { bangui_seen: seen });
    const Native = window.EventSource;
    window.EventSource = class extends Native {
      constructor(url: string | URL, init?: EventSourceInit) {
        super(url, init);
        seen.sources += 1;
        this.addEventListener("ban", (e) => seen.bans.push((JSON.parse((e as MessageEvent<string>).data) as { ip: string }).ip));
      }
    };
  });
  const page = await context.newPage();
  failOnPageErrors(page);
  // While the gate is shut, the page's stream requests wait in the browser: the ban below
  // happens while the page is disconnected, so only a replay can bring its event. (Chromium
  // adds Last-Event-ID below the point where requests are held, so it is not visible here;
  // the replayed event is the proof that it was sent.)
  let gate = Promise.resolve();
  let openGate = () => {};
  let streamRequests = 0;
  await page.route("**/api/v1/events", async (route) => {
    await gate;
    streamRequests += 1;
    return route.continue();
  });
  await page.goto("/");
  const live = page.getByRole("status", { name: "Live updates on" });
  await expect(live).toBeVisible();

  // The stream is on one of the two workers: killing each in turn cuts it once, whichever it is.
  const ips = ["198.51.100.81", "198.51.100.82"];
  for (const [i, ip] of ips.entries()) {
    gate = new Promise((resolve) => (openGate = resolve));
    await harness(`/workers/${i}/kill`);
    await apiWrite(page, "POST", "/api/v1/bans", { jail: "test", ip });
    openGate();
    await expect(page.locator(`tr[data-ip="${ip}"]`)).toHaveCount(1, { timeout: 20_000 });
    await expect(live).toBeVisible({ timeout: 20_000 });
    await harness(`/workers/${i}/restart`);
  }

  // One kill cut the stream and the browser reconnected by itself (the app never opened a
  // second EventSource), sending the id it had; the ban made while it was away was replayed.
  expect(streamRequests, "stream requests: the first and at least one reconnect").toBeGreaterThanOrEqual(2);
  const seen = () => page.evaluate(() => (window as unknown as { bangui_seen: { bans: string[]; sources: number } }).bangui_seen);
  await expect.poll(async () => (await seen()).bans).toEqual(expect.arrayContaining(ips));
  expect((await seen()).sources).toBe(1);

  for (const ip of ips) await apiWrite(page, "DELETE", "/api/v1/bans", { jail: "test", ip });
  await context.close();
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
  const { context, page } = await loggedInContext(browser, "light", { width: 390, height: 844 });
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

test("jails: ban and unban through the forms and the table, look up, stop and start, clear everything", async ({ browser }) => {
  const { context, page } = await loggedInContext(browser);
  await page.getByRole("link", { name: "Jails" }).click();
  await expect(page.getByRole("heading", { name: "Jails", level: 1 })).toBeVisible();
  await expect(page.locator('tr[data-jail="test"]')).toBeVisible();
  const ip = "198.51.100.23";

  const banForm = page.getByRole("form", { name: "Ban an address or network", exact: true });
  await banForm.getByRole("combobox", { name: "Jail" }).click();
  await page.getByRole("option", { name: "test", exact: true }).click();
  await banForm.getByLabel("Address or network").fill(ip);
  await banForm.getByRole("button", { name: "Ban" }).click();
  await expect(page.getByText(`${ip} banned in test`).first()).toBeVisible();
  await expect(page.locator(`tr[data-ban="${ip}"]`)).toBeVisible();

  const lookup = page.getByRole("form", { name: "Look up an address or network" });
  await lookup.getByLabel("Address or network").fill(ip);
  await lookup.getByRole("button", { name: "Look up" }).click();
  await expect(page.getByTestId("lookup-result")).toContainText("banned in test");

  await page.getByRole("button", { name: `Unban ${ip} in test` }).click();
  await expect(page.locator(`tr[data-ban="${ip}"]`)).toHaveCount(0);

  // A network: host bits are refused with the network meant; the canonical one is banned,
  // and an address inside it is found banned through it.
  await banForm.getByLabel("Address or network").fill("198.51.100.9/24");
  await banForm.getByRole("button", { name: "Ban" }).click();
  await expect(page.getByText("the network is 198.51.100.0/24").first()).toBeVisible();
  await banForm.getByLabel("Address or network").fill("198.51.100.0/24");
  await banForm.getByRole("button", { name: "Ban" }).click();
  await expect(page.getByText("198.51.100.0/24 banned in test").first()).toBeVisible();
  await expect(page.locator('tr[data-ban="198.51.100.0/24"]')).toBeVisible();
  await lookup.getByLabel("Address or network").fill("198.51.100.77");
  await lookup.getByRole("button", { name: "Look up" }).click();
  await expect(page.getByTestId("lookup-result")).toContainText("banned in test through 198.51.100.0/24 in test");
  await page.getByRole("button", { name: "Unban 198.51.100.0/24 in test" }).click();
  await expect(page.locator('tr[data-ban="198.51.100.0/24"]')).toHaveCount(0);
  // The archive keeps the network under its prefix.
  await page.goto(`/history/${encodeURIComponent("198.51.100.0/24")}`);
  await expect(page.getByRole("heading", { name: "Network 198.51.100.0/24" })).toBeVisible();
  await expect(page.getByTestId("timeline-bans")).toHaveText("1");
  await page.getByRole("link", { name: "Jails" }).click();
  await expect(page.locator('tr[data-jail="test"]')).toBeVisible();

  // Stop: fail2ban forgets the jail; start it again by name.
  await page.getByRole("button", { name: "Actions for test-incr" }).click();
  await page.getByRole("menuitem", { name: "Stop" }).click();
  await expect(page.locator('tr[data-jail="test-incr"]')).toHaveCount(0);
  const start = page.getByRole("form", { name: "Start a stopped jail" });
  await start.getByRole("textbox").fill("test-incr");
  await start.getByRole("button", { name: "Start" }).click();
  await expect(page.locator('tr[data-jail="test-incr"]')).toBeVisible();

  // Clearing every ban asks first.
  await apiWrite(page, "POST", "/api/v1/bans", { jail: "test", ip: "198.51.100.24" });
  await expect(page.locator('tr[data-ban="198.51.100.24"]')).toBeVisible();
  await page.getByRole("button", { name: "Clear all bans" }).click();
  await page.getByRole("button", { name: "Cancel" }).click();
  await expect(page.locator('tr[data-ban="198.51.100.24"]')).toBeVisible();
  await page.getByRole("button", { name: "Clear all bans" }).click();
  await page.getByRole("button", { name: "Unban everything" }).click();
  await expect(page.getByText("No active bans", { exact: true })).toBeVisible();

  await checkBothThemes(page, "jails");
  await context.close();
});

test("jail detail: settings, filter, logs, and the ignore list", async ({ browser }) => {
  const { context, page } = await loggedInContext(browser);
  await page.goto("/jails/test");
  await expect(page.getByRole("heading", { name: "Jail test", level: 1 })).toBeVisible();
  await expect(page.getByRole("list", { name: "failregex" })).toBeVisible();
  await expect(page.getByRole("list", { name: "Log paths" })).toContainText(".log");

  await page.getByLabel("Address or network to ignore").fill("203.0.113.0/24");
  await page.getByRole("button", { name: "Add", exact: true }).click();
  const ignored = page.getByRole("table", { name: "Ignored addresses" });
  await expect(ignored).toContainText("203.0.113.0/24");
  await page.getByRole("button", { name: "Remove 203.0.113.0/24 from the ignore list" }).click();
  await expect(page.getByRole("cell", { name: "203.0.113.0/24", exact: true })).toHaveCount(0);

  const self = page.getByRole("switch", { name: /ignoreself/ });
  const was = await self.isChecked();
  await self.click();
  await expect(self).toBeChecked({ checked: !was });

  await checkBothThemes(page, "jail-detail");
  await context.close();
});

test("blocklists: add, preview, import 100,000 addresses with a progress bar to done, schedule", async ({ browser }) => {
  const list = process.env.BANGUI_E2E_LIST_URL;
  test.skip(!list, "BANGUI_E2E_LIST_URL is not set");
  const { context, page } = await loggedInContext(browser);
  await page.goto("/blocklists");
  await expect(page.getByText("No blocklist yet")).toBeVisible();
  await expectAccessible(page, "blocklists (empty)");

  await page.getByRole("button", { name: "Add a blocklist" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Name").fill("big");
  await dialog.getByLabel("URL").fill(list!);
  await dialog.getByRole("button", { name: "Add" }).click();
  await expect(page.locator('tr[data-source="big"]')).toBeVisible();

  await page.locator('tr[data-source="big"]').getByRole("button", { name: "Preview" }).click();
  await expect(page.getByTestId("preview-summary")).toContainText("100,000 entries, 100,000 to ban (100,000 IPv4 addresses");

  await page.locator('tr[data-source="big"]').getByRole("button", { name: "Import now" }).click();
  await expect(page.getByTestId("import-progress")).toHaveAttribute("data-state", "done", { timeout: 180_000 });
  await expect(page.getByRole("table", { name: "Import runs" })).toContainText("completed");

  await page.getByRole("combobox", { name: "Import" }).click();
  await page.getByRole("option", { name: "Daily" }).click();
  await page.getByLabel("At (HH:MM)").fill("04:30");
  await page.getByRole("button", { name: "Save schedule" }).click();
  await expect(page.getByText("Every day at 04:30.").first()).toBeVisible();

  await checkBothThemes(page, "blocklists");
  await context.close();
});

test("100,000 active bans: the table shows one page at a time and searches on the server", async ({ browser }) => {
  const { context, page } = await loggedInContext(browser);
  await page.goto("/jails");
  const pager = page.getByRole("navigation", { name: "Active bans pages" });
  await expect(pager).toContainText(/of 100,0\d\d/);
  await expect(page.locator("tr[data-ban]")).toHaveCount(50);
  await pager.getByRole("button", { name: "Next" }).click();
  await expect(pager).toContainText("page 2 of");
  await expect(page.locator("tr[data-ban]")).toHaveCount(50);
  await page.getByRole("searchbox").fill("11.0.3.1");
  await expect(pager).toContainText("page 1 of");
  await expect(page.locator('tr[data-ban="11.0.3.1"]')).toBeVisible();
  for (const ip of await page.locator("tr[data-ban]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-ban")))) {
    expect(ip).toContain("11.0.3.1");
  }
  await context.close();
});

test("map: countries coloured by bans; a click, or Enter on a country, filters the table; clear filter", async ({ browser }) => {
  for (const scheme of ["light", "dark"] as const) {
    const { context, page } = await loggedInContext(browser, scheme);
    await page.goto("/map?range=24h");
    const us = page.locator('path[data-country="US"]');
    await expect(us).toBeVisible();
    if (scheme === "light") {
      await us.click();
      await expect(page.getByTestId("country-bans-title")).toHaveText("Newest bans from US");
      await expect(page.locator("tr[data-ip]").first()).toBeVisible();
      await page.getByRole("button", { name: "Clear filter" }).click();
      await expect(page.getByTestId("country-bans-title")).toHaveCount(0);
      await us.focus();
      await page.keyboard.press("Enter");
      await expect(page.getByTestId("country-bans-title")).toHaveText("Newest bans from US");
    }
    await expectAccessible(page, `map (${scheme})`);
    await screenshot(page, `map-${scheme}`);
    // The dashboard with the same bans: its table and charts filled, for axe and the README.
    await page.goto("/?range=24h");
    await expect(page.locator("tr[data-ip]").first()).toBeVisible();
    await expect(page.getByTestId("dashboard-charts")).not.toContainText("No bans in this range");
    await expectAccessible(page, `dashboard with bans (${scheme})`);
    await screenshot(page, `dashboard-${scheme}`);
    await context.close();
  }
});

test("history: filters by address prefix, highlights repeat offenders, and opens an address's timeline", async ({ browser }) => {
  const { context, page } = await loggedInContext(browser);
  await page.goto("/history");
  await expect(page.getByRole("heading", { name: "History", level: 1 })).toBeVisible();
  await page.getByLabel("Address starts with").fill("198.51.100.");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/prefix=198\.51\.100\./);
  const rows = page.locator("tr[data-history-ip]");
  await expect(rows.first()).toBeVisible();
  // The unfiltered page stays until the filtered answer replaces it: wait for that.
  await expect(page.locator('tr[data-history-ip]:not([data-history-ip^="198.51.100."])')).toHaveCount(0);
  for (const ip of await rows.evaluateAll((r) => r.map((x) => x.getAttribute("data-history-ip")))) {
    expect(ip).toMatch(/^198\.51\.100\./);
  }
  await checkBothThemes(page, "history");

  await page.getByRole("link", { name: "198.51.100.77" }).first().click();
  await expect(page.getByRole("heading", { name: "Address 198.51.100.77", level: 1 })).toBeVisible();
  await expect(page.getByTestId("timeline-bans")).toHaveText(/^[1-9]/);
  await checkBothThemes(page, "address");
  await context.close();
});

test("audit: who changed what, when, from where, with what result", async ({ browser }) => {
  const { context, page } = await loggedInContext(browser);
  await page.goto("/audit");
  const table = page.getByRole("table", { name: "Audit trail" });
  await expect(table).toContainText("POST /api/v1/bans");
  await expect(table).toContainText("127.0.0.1");
  await checkBothThemes(page, "audit");
  await context.close();
});

test("configuration: activation and its rollback, a raw edit conflict between two browsers, server settings and log", async ({ browser }) => {
  const { context, page } = await loggedInContext(browser);
  await page.goto("/config");
  const row = (name: string) => page.locator(`tr[data-jail="${name}"]`);
  await expect(row("disabled-jail")).toContainText("Inactive");
  await expect(row("test")).toContainText("Running");
  await checkBothThemes(page, "config-jails");

  // fail2ban cannot compile the filter: its error is shown, and the file is back.
  await row("broken").getByRole("button", { name: "Activate broken" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByRole("button", { name: "Activate", exact: true }).click();
  await expect(dialog.getByTestId("rollback")).toHaveText("Rolled back: fail2ban runs what it ran before.");
  await expect(dialog.getByTestId("fail2ban-message")).toContainText("regular expression");
  await dialog.getByRole("button", { name: "Close" }).click();
  await expect(row("broken")).toContainText("Inactive");

  // An inactive jail activated with an override runs; the dialog checks it first.
  await row("disabled-jail").getByRole("button", { name: "Activate disabled-jail" }).click();
  await expect(dialog.getByTestId("check-result")).toContainText("fail2ban would take it");
  await dialog.getByLabel("maxretry (optional)").fill("6");
  await dialog.getByRole("button", { name: "Activate", exact: true }).click();
  await expect(dialog).toHaveCount(0);
  await expect(row("disabled-jail")).toContainText("Running");

  // Two browsers edit the file it wrote: the second to save is told, and picks.
  const other = await loggedInContext(browser);
  const url = "/config?tab=files&file=" + encodeURIComponent("jail.d/disabled-jail.local");
  await page.goto(url);
  await other.page.goto(url);
  const editor = (p: typeof page) => p.getByRole("textbox", { name: "jail.d/disabled-jail.local" });
  await expect(editor(page)).toContainText("maxretry = 6");
  await expect(editor(other.page)).toContainText("maxretry = 6");
  // Typed at the end, as a user would (the editor is CodeMirror, not a textarea).
  const append = async (p: typeof page, text: string) => {
    await editor(p).click();
    await p.keyboard.press("Control+End");
    await p.keyboard.type(text);
  };
  await append(page, "\n# from the first browser");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.locator(".fui-Toast")).toContainText("Saved");
  await append(other.page, "\n# from the second browser");
  await other.page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(other.page.getByRole("alert")).toContainText("Changed since you opened it");
  await other.page.getByRole("button", { name: "Load their version" }).click();
  await expect(editor(other.page)).toContainText("# from the first browser");
  await expect(editor(other.page)).not.toContainText("# from the second browser");
  await checkBothThemes(other.page, "config-files");
  await other.context.close();

  // The first browser's save is in the file's history, with its diff, and can be reverted.
  const history = page.getByRole("table", { name: "Changes to jail.d/disabled-jail.local" });
  const saved = history.getByRole("row").filter({ hasText: "edit" }).first();
  await saved.getByRole("button", { name: "Show changes" }).click();
  await expect(page.getByTestId("revision-diff")).toContainText("+ # from the first browser");
  await saved.getByRole("button", { name: "Revert" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Revert" }).click();
  await expect(editor(page)).not.toContainText("# from the first browser");
  await expect(editor(page)).toContainText("maxretry = 6");

  // A structured edit: checked first, then written to the jail's .local and reloaded.
  await page.goto("/config");
  await row("disabled-jail").getByRole("button", { name: "Edit disabled-jail" }).click();
  const edit = page.getByRole("dialog");
  await edit.getByLabel("bantime").fill("ten minutes");
  await edit.getByRole("button", { name: "Check" }).click();
  await expect(edit.getByTestId("check-result")).toContainText("fail2ban would not take it");
  await expect(edit.getByTestId("check-result")).toContainText("bantime");
  await edit.getByLabel("bantime").fill("15m");
  await edit.getByLabel("maxretry").fill("4");
  await edit.getByRole("button", { name: "Check" }).click();
  await expect(edit.getByTestId("check-result")).toContainText("fail2ban would take it");
  await checkBothThemes(page, "config-jail-edit", 1);
  await edit.getByRole("button", { name: "Save" }).click();
  await expect(edit).toHaveCount(0);
  await expect(page.locator(".fui-Toast")).toContainText("disabled-jail changed");
  await row("disabled-jail").getByRole("button", { name: "Edit disabled-jail" }).click();
  await expect(edit.getByLabel("maxretry")).toHaveValue("4");
  await expect(edit.getByText("Now from jail.d/disabled-jail.local [disabled-jail]").first()).toBeVisible();
  await edit.getByRole("button", { name: "Close" }).click();

  // Deactivated: fail2ban stops it, and it shows as inactive.
  await row("disabled-jail").getByRole("button", { name: "Deactivate" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Deactivate" }).click();
  await expect(row("disabled-jail")).toContainText("Inactive");

  // A filter of one's own: a bad expression is refused with why, a good one is created.
  await page.getByRole("tab", { name: "Filters" }).click();
  const filters = page.getByRole("table", { name: "Filters" });
  await expect(filters.locator('tr[data-item="bangui-test"]')).toContainText("test");
  await page.getByRole("button", { name: "New filter" }).click();
  const create = page.getByRole("dialog");
  await create.getByLabel("Name").fill("from-browser");
  await create.getByLabel("failregex").fill("^refused (unclosed <HOST>");
  await create.getByRole("button", { name: "Create" }).click();
  await expect(create.getByRole("alert")).toContainText("failregex 1");
  await create.getByLabel("failregex").fill("^refused connect from <HOST>$");
  await create.getByRole("button", { name: "Create" }).click();
  await expect(create).toHaveCount(0);
  await expect(page.getByRole("region", { name: "Filter from-browser" })).toContainText("filter.d/from-browser.local");
  await checkBothThemes(page, "config-filters");

  // Assigned to a jail from here: checked, written to the jail's .local, and listed as its user.
  const detailOf = page.getByRole("region", { name: "Filter from-browser" });
  await detailOf.getByRole("combobox", { name: "Assign to a jail" }).click();
  await page.getByRole("option", { name: "disabled-jail" }).click();
  await detailOf.getByRole("button", { name: "Assign" }).click();
  await expect(page.locator(".fui-Toast")).toContainText("disabled-jail uses from-browser");
  await expect(filters.locator('tr[data-item="from-browser"]')).toContainText("disabled-jail");

  // The new filter tried on pasted lines, then a draft of it: per line what fail2ban-regex says.
  const tester = page.getByRole("region", { name: "Test from-browser" });
  await tester.getByLabel("Log lines").fill("refused connect from 192.0.2.77\n2026-12-04 10:00:02 refused connect from 192.0.2.78\n# a comment is skipped");
  await tester.getByRole("button", { name: "Run test" }).click();
  const results = tester.getByRole("region", { name: "Test results" });
  await expect(results.getByRole("status")).toContainText("2 tested");
  await expect(results.getByRole("status")).toContainText("1 matched");
  await expect(results.locator('tr[data-status="matched"]')).toContainText("192.0.2.77");
  // The date is cut out before the expressions see the line: "^refused" misses it.
  await expect(results.locator('tr[data-status="missed"]')).toContainText("192.0.2.78");
  await tester.getByRole("switch", { name: /Try changed expressions/ }).click();
  await expect(tester.getByLabel("failregex")).toHaveValue("^refused connect from <HOST>$");
  await tester.getByLabel("failregex").fill("^\\s*refused connect from <HOST>$");
  await tester.getByRole("button", { name: "Run test" }).click();
  await expect(results.getByRole("status")).toContainText("2 matched");
  await checkBothThemes(page, "config-filter-test");
  // A jail's log outside the allowed directory: the reason, and the way out.
  await page.goto("/config?tab=filters&item=bangui-test");
  const jailLog = page.getByRole("region", { name: "Test bangui-test" });
  await jailLog.getByRole("button", { name: "Run test" }).click();
  await expect(jailLog.getByRole("alert")).toContainText("paste the lines");

  // Server settings as fail2ban answers them; its log is outside the allowed directory here.
  await page.goto("/config?tab=server");
  await expect(page.getByLabel("Log target")).toHaveValue(/fail2ban\.log$/);
  await checkBothThemes(page, "config-server");
  await page.goto("/config?tab=log");
  await expect(page.getByRole("alert")).toContainText("BANGUI_FAIL2BAN_LOG_DIR");
  await expectAccessible(page, "config log (error state)");
  await context.close();
});

test("logging out ends the session in every tab that shares it", async ({ browser }) => {
  // A session of its own: the shared one stays for whatever runs after.
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const a = { context, page: await context.newPage() };
  failOnPageErrors(a.page);
  await logIn(a.page);
  const other = await a.context.newPage();
  failOnPageErrors(other);
  await other.goto("/");
  await expect(other.getByTestId("stat-online")).toHaveText("Online");

  await a.page.getByRole("button", { name: "Log out" }).click();
  await expect(a.page).toHaveURL(/\/login$/);

  // The other tab's next request meets the ended session (on whichever worker) and goes to
  // login: a click of its own, or a refresh its live stream triggers first.
  const tab = other.getByRole("tab", { name: "30 days" });
  await tab.click({ timeout: 5_000 }).catch(() => expect(other).toHaveURL(/\/login/));
  await expect(other).toHaveURL(/\/login\?next=/);
  await a.context.close();
});
