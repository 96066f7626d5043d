import { Page, request } from "@playwright/test";
import { base, createTicket, expect, personPage, screenshot, signInAs, test } from "./helpers";

// The admin area (/admin): admins manage users, organisations, groups, roles and settings in
// the browser; everyone else is told it is not for them.

/** A password the default policy accepts (length, 2 lower + 2 upper, a digit, not guessable). */
const NEW_PASSWORD = "Quiet-Harbor-2931";

/** Opens an admin page and waits until its form (if any) is interactive. */
async function openAdmin(page: Page, path: string, form?: string) {
  await page.goto(path);
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
  if (form) await expect(page.locator(`${form}[data-ready]`)).toHaveCount(1);
}

test("an admin creates an agent with access to one group; the agent signs in and sees that group only", async ({
  browser,
}) => {
  const stamp = Date.now();
  // one open ticket in each demo group, so "All open" would show both if it could
  await createTicket(`Admin test Users ${stamp}`, "nicole@customer.test", "Users");
  await createTicket(`Admin test Sales ${stamp}`, "nicole@customer.test", "Sales");

  const admin = await personPage(browser, "admin@tandem.test");
  const adminLink = admin.page.locator(".mainnav").getByRole("link", { name: "Admin" });
  await expect(adminLink).toBeVisible();
  await adminLink.click();
  await expect(admin.page).toHaveURL(/\/admin$/);
  await expect(admin.page.getByRole("heading", { name: "Users", level: 1 })).toBeVisible();
  await expect(admin.page.locator("#admin-users")).toContainText("Anna Agent");
  await admin.page.screenshot({ path: screenshot("admin-users"), fullPage: true });

  // search narrows the list and keeps the query
  await openAdmin(admin.page, "/admin/users?q=nicole");
  await expect(admin.page.locator("#admin-users tbody tr")).toHaveCount(1);
  await expect(admin.page.locator("#user-q")).toHaveValue("nicole");

  // a new agent with full access to Sales only
  await openAdmin(admin.page, "/admin/users/new", "#user-form");
  const email = `pat.${stamp}@tandem.test`;
  await admin.page.locator("#user-firstname").fill("Pat");
  await admin.page.locator("#user-lastname").fill(`Tester${stamp}`);
  await admin.page.locator("#user-email").fill(email);
  const roles = admin.page.getByRole("group", { name: "Roles" });
  await expect(roles.getByLabel("Agent")).toBeChecked(); // a new user starts as an agent
  await expect(roles.getByLabel("Admin")).not.toBeChecked();
  await admin.page.getByLabel("Sales: Full").check();
  await expect(admin.page.getByLabel("Users: Full")).not.toBeChecked();
  await admin.page.locator("#user-password").fill(NEW_PASSWORD);
  await admin.page.evaluate(() => window.scrollTo(0, 0)); // the admin menu stays in view (sticky)
  await admin.page.screenshot({ path: screenshot("admin-user-new"), fullPage: true });
  await admin.page.locator("#save-user").click();
  await expect(admin.page).toHaveURL(/\/admin\/users\/\d+$/);
  await expect(admin.page.locator("#user-form[data-ready]")).toHaveCount(1);
  await expect(admin.page.getByRole("heading", { name: `Pat Tester${stamp}`, level: 1 })).toBeVisible();
  await expect(admin.page.getByLabel("Sales: Full")).toBeChecked(); // stored, read back
  await expect(admin.page.getByLabel("Users: Full")).not.toBeChecked();
  await expect(admin.page.locator("#user-login")).toHaveValue(email);

  // the agent signs in: Sales is the only group they see
  const agent = await signInAs(browser, email, NEW_PASSWORD);
  await expect(agent.locator("#current-user")).toHaveText(`Pat Tester${stamp}`);
  await expect(agent.locator(".mainnav").getByRole("link", { name: "Admin" })).toHaveCount(0);
  await agent.goto("/tickets/view/open");
  await expect(agent.locator(".table-wrap[data-ready]")).toHaveCount(1);
  await expect(agent.locator(".ticket-row", { hasText: `Admin test Sales ${stamp}` })).toHaveCount(1);
  await expect(agent.locator(".ticket-row", { hasText: `Admin test Users ${stamp}` })).toHaveCount(0);
  const groupCells = await agent.locator(".ticket-row td.col-group").allTextContents();
  expect(groupCells.length).toBeGreaterThan(0);
  expect(new Set(groupCells)).toEqual(new Set(["Sales"]));
  await agent.goto("/tickets/new");
  await expect(agent.locator("#new-group option")).toHaveText(["– choose –", "Sales"]);

  await agent.context().close();

  // the admin deactivates the agent: no more sign-ins
  await admin.page.locator("#user-active").uncheck();
  await admin.page.locator("#save-user").click();
  await expect(admin.page.locator(".saved-note")).toHaveText("Saved.");
  await openAdmin(admin.page, `/admin/users?q=${stamp}`);
  await expect(admin.page.locator("#admin-users tbody tr")).toContainText("Inactive");
  const client = await request.newContext({ baseURL: base() });
  const basic = "Basic " + Buffer.from(`${email}:${NEW_PASSWORD}`).toString("base64");
  expect((await client.get("/api/v1/users/me", { headers: { Authorization: basic } })).status()).toBe(401);
  await client.dispose();
});

test("a group is created with its follow-up rule and shared drafts off, then renamed", async ({ browser }) => {
  const stamp = Date.now();
  const { page } = await personPage(browser, "admin@tandem.test");
  await openAdmin(page, "/admin/groups");
  await expect(page.locator(".admin-table")).toContainText("Sales");
  await page.screenshot({ path: screenshot("admin-groups"), fullPage: true });
  await page.getByRole("link", { name: "New group" }).click();
  await expect(page.locator("#group-form[data-ready]")).toHaveCount(1);
  await page.locator("#group-name").fill(`Billing ${stamp}`);
  await page.locator("#group-shared-drafts").uncheck();
  await page.locator("#group-follow-up").selectOption("new_ticket_after_certain_time");
  await page.locator("#group-reopen-days").fill("14");
  await page.locator("#save-group").click();
  await expect(page).toHaveURL(/\/admin\/groups\/\d+$/);
  await expect(page.locator("#group-form[data-ready]")).toHaveCount(1);
  await expect(page.locator("#group-shared-drafts")).not.toBeChecked();
  await expect(page.locator("#group-follow-up")).toHaveValue("new_ticket_after_certain_time");
  await expect(page.locator("#group-reopen-days")).toHaveValue("14");
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: screenshot("admin-group-edit"), fullPage: true });
  await page.locator("#group-name").fill(`Billing EU ${stamp}`);
  await page.locator("#save-group").click();
  await expect(page.locator(".saved-note")).toHaveText("Saved.");
  await openAdmin(page, "/admin/groups");
  const row = page.locator(".admin-table tr", { hasText: `Billing EU ${stamp}` });
  await expect(row).toContainText("Off"); // shared drafts
});

test("an organisation is created not shared; the list tells shared from not shared", async ({ browser }) => {
  const stamp = Date.now();
  const { page } = await personPage(browser, "admin@tandem.test");
  await openAdmin(page, "/admin/organizations/new", "#organization-form");
  await page.locator("#org-name").fill(`Globex ${stamp}`);
  await page.locator("#org-shared").uncheck();
  await page.locator("#save-organization").click();
  await expect(page).toHaveURL(/\/admin\/organizations\/\d+$/);
  await expect(page.locator("#organization-form[data-ready]")).toHaveCount(1);
  await expect(page.locator("#org-shared")).not.toBeChecked();
  await openAdmin(page, "/admin/organizations");
  await expect(page.locator(".admin-table tr", { hasText: `Globex ${stamp}` })).toContainText("Not shared");
  await expect(page.locator(".admin-table tr", { hasText: "Acme Corp" })).toContainText("Shared");
  await page.screenshot({ path: screenshot("admin-organizations"), fullPage: true });
  // Acme's members are listed on its page
  await page.locator(".admin-table").getByRole("link", { name: "Acme Corp" }).click();
  await expect(page.locator(".member-list")).toContainText("Nicole Braun");
});

test("roles are listed; settings show the system id and save the ticket hook", async ({ browser }) => {
  const { page } = await personPage(browser, "admin@tandem.test");
  await openAdmin(page, "/admin/roles");
  await expect(page.locator("#admin-roles")).toContainText("ticket.agent");
  await page.screenshot({ path: screenshot("admin-roles"), fullPage: true });

  await openAdmin(page, "/admin/settings", "#settings-form");
  await expect(page.locator("#setting-system-id")).toHaveText("31"); // TANDEM_SYSTEM_ID of the test server
  await expect(page.locator("#setting-ticket-hook")).toHaveValue("Ticket#");
  await page.screenshot({ path: screenshot("admin-settings"), fullPage: true });
  await page.locator("#save-settings").click();
  await expect(page.locator(".saved-note")).toHaveText("Settings saved.");
  await page.reload();
  await expect(page.locator("#settings-form[data-ready]")).toHaveCount(1);
  await expect(page.locator("#setting-ticket-hook")).toHaveValue("Ticket#");
});

test("agents and customers get no admin link, and a plain 'not allowed' at /admin", async ({ browser }) => {
  for (const login of ["agent1@tandem.test", "nicole@customer.test"]) {
    const person = await personPage(browser, login);
    await expect(person.page.locator(".mainnav").getByRole("link", { name: "Admin" })).toHaveCount(0);
    await person.page.goto("/admin/users");
    await expect(person.page.getByRole("heading", { name: "Not allowed" })).toBeVisible();
    await expect(person.page.locator("#admin-users")).toHaveCount(0);
    await person.context.close();
  }
});
