// Faults of "The web app a team can run on": pending states need their time (5), a customer
// made from a bare address gets a name or shows as the address (7), the delete dialog behaves
// like a dialog (8), search keeps its query and an empty one is not an error (9).
import { api, createTicket, expect, failOnServerErrors, openList, openTicket, personPage, test } from "./helpers";

test.describe.configure({ mode: "serial" });

// local time is not UTC here, so the conversion to RFC 3339 UTC is checked for real
test.use({ timezoneId: "Europe/Berlin" });

test.beforeEach(async ({ page }) => failOnServerErrors(page));

test("a pending state asks for its time (tomorrow 09:00 by default), sends it as UTC and shows it", async ({ browser }) => {
  const ticket = await createTicket(`Call back about the invoice ${Date.now()}`);
  const agent = await personPage(browser, "agent1@tandem.test");
  const page = agent.page;
  await openTicket(page, ticket.id);
  const when = page.locator("#pending-time");
  await expect(when).toHaveCount(0);

  await page.locator("select[name=state_id]").selectOption({ label: "pending reminder" });
  await expect(when).toBeVisible();
  await expect(when).toHaveAttribute("type", "datetime-local");
  await expect(when).toHaveAttribute("required", "");
  // tomorrow 09:00 in the browser's time zone, and the same instant in UTC
  const { local, utc } = await page.evaluate(() => {
    const d = new Date();
    d.setDate(d.getDate() + 1);
    d.setHours(9, 0, 0, 0);
    const p = (n: number) => String(n).padStart(2, "0");
    return {
      local: `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T09:00`,
      utc: d.toISOString().replace(".000Z", ""),
    };
  });
  await expect(when).toHaveValue(local);

  await page.locator("#submit-reply").click();
  await expect(page.locator("#submit-reply")).toBeDisabled();
  await expect(page.locator(".zoom [role=alert]")).toHaveCount(0);
  const rest = await api("agent1@tandem.test");
  const saved = async () => (await (await rest.get(`/api/v1/tickets/${ticket.id}?expand=true`)).json()) as { state: string; pending_time: string | null };
  await expect.poll(async () => (await saved()).pending_time ?? "").toContain(utc);
  // the sidebar shows the saved time, in local time
  const shown = page.getByTestId("pending-time");
  await expect(shown).toContainText(local.replace("T", " "));

  // another time: 4 March 2031 10:30 Berlin (CET, UTC+1) is 09:30 UTC
  await when.fill("2031-03-04T10:30");
  await expect(page.locator("#submit-reply")).toBeEnabled();
  await page.locator("#submit-reply").click();
  await expect.poll(async () => (await saved()).pending_time ?? "").toContain("2031-03-04T09:30:00");
  await expect(shown).toContainText("2031-03-04 10:30");

  // after a reload the saved time is still shown and the input holds it
  await openTicket(page, ticket.id);
  await expect(page.getByTestId("pending-time")).toContainText("2031-03-04 10:30");
  await expect(page.locator("#pending-time")).toHaveValue("2031-03-04T10:30");

  // "pending close" too; an emptied time is refused in the page, not by the server
  await page.locator("select[name=state_id]").selectOption({ label: "pending close" });
  await page.locator("#pending-time").fill("");
  await page.locator("#submit-reply").click();
  await expect(page.locator(".reply-actions [role=alert]")).toContainText("pending till");
  await page.locator("#pending-time").fill("2031-05-06T08:15"); // CEST, UTC+2
  await page.locator("#submit-reply").click();
  await expect.poll(async () => (await saved()).pending_time ?? "").toContain("2031-05-06T06:15:00");
  expect((await saved()).state).toBe("pending close");
  await rest.dispose();
  await agent.context.close();
});

async function newTicketFor(page: import("@playwright/test").Page, address: string, title: string, name?: [string, string]) {
  await page.goto("/tickets/new");
  await expect(page.locator("form.new-ticket[data-ready]")).toHaveCount(1);
  await page.locator("#customer-search").fill(address);
  if (name) {
    await page.locator("#customer-firstname").fill(name[0]);
    await page.locator("#customer-lastname").fill(name[1]);
  }
  await page.locator("#new-title").fill(title);
  await page.locator("#new-group").selectOption({ label: "Sales" });
  await page.locator(".ProseMirror").click();
  await page.keyboard.type("Please call me back.");
  await page.locator("#create-ticket").click();
  await expect(page).toHaveURL(/\/tickets\/\d+$/);
  await expect(page.locator(".zoom[data-ready]")).toHaveCount(1);
  return Number(page.url().split("/").pop());
}

test("a new customer typed as an address can be named; a nameless one shows as the address, once", async ({ browser }) => {
  const agent = await personPage(browser, "agent1@tandem.test");
  const page = agent.page;
  const stamp = Date.now();

  // with a name
  const named = `robin.${stamp}@newcustomer.test`;
  await page.goto("/tickets/new");
  await expect(page.locator("form.new-ticket[data-ready]")).toHaveCount(1);
  await expect(page.locator("#customer-firstname")).toHaveCount(0);
  const id = await newTicketFor(page, named, `Named customer ${stamp}`, ["Robin", "Quinn"]);
  const customer = page.getByRole("complementary", { name: "Ticket details" }).getByRole("region", { name: "Customer" });
  await expect(customer.locator(".customer-name")).toHaveText("Robin Quinn");
  await expect(customer).toContainText(named);
  const rest = await api("agent1@tandem.test");
  const ticket = await (await rest.get(`/api/v1/tickets/${id}`)).json();
  const user = await (await rest.get(`/api/v1/users/${ticket.customer_id}`)).json();
  expect([user.firstname, user.lastname, user.email]).toEqual(["Robin", "Quinn", named]);

  // without a name: the address stands for the name, shown once
  const bare = `anon.${stamp}@newcustomer.test`;
  const bareTitle = `Nameless customer ${stamp}`;
  const bareId = await newTicketFor(page, bare, bareTitle);
  await expect(customer.locator(".customer-name")).toHaveText(bare);
  expect((await customer.innerText()).split(bare).length - 1).toBe(1);
  const bareTicket = await (await rest.get(`/api/v1/tickets/${bareId}`)).json();
  const bareUser = await (await rest.get(`/api/v1/users/${bareTicket.customer_id}`)).json();
  expect([bareUser.firstname, bareUser.lastname]).toEqual(["", ""]);

  // and the list shows the address in the customer column
  await openList(page, "/tickets/view/unassigned");
  await expect(page.locator("tr.ticket-row", { hasText: bareTitle }).locator(".col-customer")).toHaveText(bare);
  await expect(page.locator("tr.ticket-row", { hasText: `Named customer ${stamp}` }).locator(".col-customer")).toHaveText("Robin Quinn");
  await rest.dispose();
  await agent.context.close();
});

test("an empty search shows a hint, not an error; the query stays in the box and the URL", async ({ browser }) => {
  const word = `Quasar${Date.now()}`;
  await createTicket(`${word} lamp flickers`);
  const agent = await personPage(browser, "agent1@tandem.test");
  const page = agent.page;

  await openList(page, "/tickets/view/search?q=");
  await expect(page.getByText("Unknown overview.")).toHaveCount(0);
  await expect(page.locator(".search-hint")).toBeVisible();
  await expect(page.locator("nav.tabs a.tab")).not.toHaveCount(0);

  // submitting an empty box is the same
  await page.locator("#search-q").press("Enter");
  await expect(page).toHaveURL(/\/tickets\/view\/search\?q=$/);
  await expect(page.locator(".table-wrap[data-ready]")).toHaveCount(1);
  await expect(page.locator(".search-hint")).toBeVisible();
  await expect(page.locator("[role=alert]")).toHaveCount(0);

  // a search keeps its words in the box and in the URL, also after a reload
  const query = `${word} lamp`;
  await page.locator("#search-q").fill(query);
  await page.locator("#search-q").press("Enter");
  await expect(page).toHaveURL(new RegExp(`/tickets/view/search\\?q=${word}(\\+|%20)lamp$`));
  await expect(page.locator(".table-wrap[data-ready]")).toHaveCount(1);
  await expect(page.locator("tr.ticket-row", { hasText: word })).toHaveCount(1);
  await expect(page.locator("#search-q")).toHaveValue(query);
  await page.reload();
  await expect(page.locator(".table-wrap[data-ready]")).toHaveCount(1);
  await expect(page.locator("#search-q")).toHaveValue(query);
  await expect(page.locator("tr.ticket-row", { hasText: word })).toHaveCount(1);

  // another page leaves the box empty
  await openList(page, "/tickets/view/open");
  await expect(page.locator("#search-q")).toHaveValue("");
  await agent.context.close();
});

test("the delete dialog takes the focus, keeps Tab inside, closes on Escape and gives the focus back", async ({ browser }) => {
  const ticket = await createTicket(`Dialog keyboard ${Date.now()}`);
  const admin = await personPage(browser, "admin@tandem.test");
  const page = admin.page;
  await openTicket(page, ticket.id);
  const opener = page.locator("#delete-ticket");
  await opener.click();
  const dialog = page.getByRole("alertdialog");
  await expect(dialog).toBeVisible();
  const cancel = dialog.getByRole("button", { name: "Cancel" });
  const remove = dialog.locator("#confirm-delete");
  await expect(cancel).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(remove).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(cancel).toBeFocused();
  await page.keyboard.press("Shift+Tab");
  await expect(remove).toBeFocused();
  await page.keyboard.press("Shift+Tab");
  await expect(cancel).toBeFocused();

  await page.keyboard.press("Escape");
  await expect(dialog).toHaveCount(0);
  await expect(opener).toBeFocused();

  // again, and Cancel also gives the focus back; the ticket is still there
  await page.keyboard.press("Enter");
  await expect(dialog).toBeVisible();
  await expect(cancel).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(dialog).toHaveCount(0);
  await expect(opener).toBeFocused();
  const rest = await api("agent1@tandem.test");
  expect((await rest.get(`/api/v1/tickets/${ticket.id}`)).status()).toBe(200);
  await rest.dispose();
  await admin.context.close();
});
