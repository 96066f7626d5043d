// The user page `/users/ID` (where mentions and the ticket sidebar's customer link): an agent
// sees the customer's details and tickets and opens one from there; a customer sees their own
// page but nothing of a user outside their shared organisations.
import { api, createTicket, expect, openTicket, personPage, screenshot, test } from "./helpers";

/** The id of a demo user, read as that user through the REST API. */
async function idOf(login: string): Promise<number> {
  const client = await api(login);
  const id: number = (await (await client.get("/api/v1/users/me")).json()).id;
  await client.dispose();
  return id;
}

test("an agent opens a customer's page, sees who they are and opens one of their tickets", async ({ browser }) => {
  const title = `User page ${Date.now()}`;
  const ticket = await createTicket(title, "nicole@customer.test", "Users");
  const nicoleId = await idOf("nicole@customer.test");

  const { page } = await personPage(browser, "agent1@tandem.test");
  // the ticket's sidebar names the customer with a link to the page
  await openTicket(page, ticket.id);
  await expect(page.locator(".customer-name a")).toHaveAttribute("href", `/users/${nicoleId}`);

  await page.goto(`/users/${nicoleId}`);
  const profile = page.locator(`.user-page[data-ready][data-user-id="${nicoleId}"]`);
  await expect(profile).toHaveCount(1);
  await expect(page.locator("#user-name")).toHaveText("Nicole Braun");
  await expect(profile.locator(".avatar")).toHaveText("NB");
  await expect(profile.locator(".user-email a")).toHaveText("nicole@customer.test");
  await expect(profile.locator(".user-email a")).toHaveAttribute("href", "mailto:nicole@customer.test");
  await expect(profile.locator(".user-organization")).toHaveText("Acme Corp");
  await expect(profile.locator(".user-roles")).toContainText("Customer");
  await expect(profile.locator(".user-active")).toHaveText("Active");
  // a customer owns no tickets: no list of owned ones
  await expect(page.getByTestId("user-owned-tickets")).toHaveCount(0);

  const open = page.getByTestId("user-open-tickets");
  const link = open.locator(`a[href="/tickets/${ticket.id}"]`);
  await expect(link).toContainText(`#${ticket.number}`);
  await expect(link).toContainText(title);
  await expect(open.locator(`li[data-ticket-id="${ticket.id}"] .state`)).toHaveText(/open|new/i);
  await expect(open.locator(`li[data-ticket-id="${ticket.id}"] time`)).toHaveAttribute("datetime", /\d{4}-\d{2}-\d{2}T/);
  await page.screenshot({ path: screenshot("user-page"), fullPage: true });

  await link.click();
  await expect(page).toHaveURL(new RegExp(`/tickets/${ticket.id}$`));
  await expect(page.locator(`.zoom[data-ready][data-ticket-id="${ticket.id}"]`)).toHaveCount(1);
  await expect(page.locator(".thread .article").first()).toContainText(`First message of ${title}`);
});

test("an agent's page lists the open tickets they own", async ({ browser }) => {
  const agentId = await idOf("agent1@tandem.test");
  const { page } = await personPage(browser, "admin@tandem.test");
  await page.goto(`/users/${agentId}`);
  await expect(page.locator(`.user-page[data-ready][data-user-id="${agentId}"]`)).toHaveCount(1);
  await expect(page.locator("#user-name")).toHaveText("Anna Agent");
  await expect(page.getByTestId("user-owned-tickets")).toHaveCount(1);
});

test("a customer sees their own page, and nothing of a user outside their organisations", async ({ browser }) => {
  const nicoleId = await idOf("nicole@customer.test");
  const leeId = await idOf("lee@other.test");
  const { page } = await personPage(browser, "lee@other.test");

  await page.goto(`/users/${leeId}`);
  await expect(page.locator(`.user-page[data-ready][data-user-id="${leeId}"]`)).toHaveCount(1);
  await expect(page.locator("#user-name")).toHaveText("Lee Lone");
  await expect(page.locator(".user-email a")).toHaveText("lee@other.test");

  // Nicole (Acme Corp) is no one Lee may see: the ticket page's "not available", no data
  await page.goto(`/users/${nicoleId}`);
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
  const refused = page.locator(".error-page");
  await expect(refused.getByRole("heading", { name: "User not available" })).toBeVisible();
  await expect(refused.locator(".error")).toHaveText("Not authorized");
  await expect(page.locator(".user-page")).toHaveCount(0);
  const text = await page.locator("main").innerText();
  expect(text).not.toContain("Nicole");
  expect(text).not.toContain("Braun");
  expect(text).not.toContain("nicole@customer.test");
  expect(text).not.toContain("Acme");
  await page.screenshot({ path: screenshot("user-page-refused"), fullPage: true });
});

test("an anonymous visitor is sent to sign in", async ({ page }) => {
  const nicoleId = await idOf("nicole@customer.test");
  await page.goto(`/users/${nicoleId}`);
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
  expect(await page.locator("body").innerText()).not.toContain("nicole@customer.test");
});
