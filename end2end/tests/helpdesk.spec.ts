import {
  api,
  createTicket,
  expect,
  failOnServerErrors,
  openList,
  openTicket,
  pasteImage,
  personPage,
  screenshot,
  test,
} from "./helpers";

test.describe.configure({ mode: "serial" });

test.beforeEach(async ({ page }) => failOnServerErrors(page));

test("agent replies with formatting, a pasted image and a file; the customer sees it live and never an internal note", async ({
  browser,
}) => {
  const title = `Printer jams on page two ${Date.now()}`;
  const ticket = await createTicket(title);

  // the customer follows the ticket and records everything that reaches their browser
  const customer = await personPage(browser, "nicole@customer.test");
  const received: string[] = [];
  customer.page.on("response", async (response) => {
    try {
      received.push(await response.text());
    } catch {
      // redirects and aborted requests have no body
    }
  });
  customer.page.on("websocket", (ws) => ws.on("framereceived", (f) => received.push(String(f.payload))));
  await openTicket(customer.page, ticket.id);

  // the agent finds it in an overview and opens it
  const agent = await personPage(browser, "agent1@tandem.test");
  await openList(agent.page, "/tickets/view/open?sort=updated");
  const row = agent.page.locator("tr.ticket-row", { hasText: title });
  await expect(row).toBeVisible();
  await expect(agent.page.locator("a.tab.current .count")).not.toHaveText("0");
  await agent.page.screenshot({ path: screenshot("agent-overview"), fullPage: true });
  await row.getByRole("link", { name: title }).click();
  await expect(agent.page).toHaveURL(new RegExp(`/tickets/${ticket.id}$`));
  await expect(agent.page.locator(".zoom[data-ready]")).toHaveCount(1);
  const editor = agent.page.locator(".ProseMirror");
  await expect(editor).toBeVisible();

  // an internal note first (the default for agents)
  await editor.click();
  await agent.page.keyboard.type("Internal: customer is on the legacy plan");
  await expect(agent.page.locator("input[name=internal]")).toBeChecked();
  await agent.page.locator("#submit-reply").click();
  const note = agent.page.locator(".thread .article.internal", { hasText: "legacy plan" });
  await expect(note).toBeVisible();
  await expect(note.locator(".internal-badge")).toHaveText("Internal note");
  await expect(editor).not.toContainText("legacy plan");

  // then a public reply: bold text, a pasted image, an attached file; sent with Ctrl+Enter
  await agent.page.locator("select[name=article-type]").selectOption("phone");
  await expect(agent.page.locator("input[name=internal]")).not.toBeChecked();
  await editor.click();
  await agent.page.keyboard.type("Thanks for the report. ");
  await agent.page.keyboard.press("Control+b");
  await agent.page.keyboard.type("Please update the driver");
  await agent.page.keyboard.press("Control+b");
  await agent.page.keyboard.type(" and try again.");
  await pasteImage(agent.page);
  await expect(editor.locator('img[src^="data:image/png"]')).toHaveCount(1);
  await agent.page.locator(".composer input[type=file]").setInputFiles({
    name: "driver-notes.txt",
    mimeType: "text/plain",
    buffer: Buffer.from("Driver 4.2 fixes the jam.\n"),
  });
  await expect(agent.page.locator(".chip", { hasText: "driver-notes.txt" })).toBeVisible();
  await editor.click();
  await agent.page.keyboard.press("Control+Enter");
  const reply = agent.page.locator(".thread .article:not(.internal)", { hasText: "Please update the driver" });
  await expect(reply).toBeVisible();
  await expect(reply.locator(".body strong")).toHaveText("Please update the driver");
  await expect(reply.locator(".body img")).toHaveCount(1);
  await expect(reply.locator(".attachment", { hasText: "driver-notes.txt" })).toBeVisible();
  await expect(agent.page.locator(".chip")).toHaveCount(0);
  await agent.page.screenshot({ path: screenshot("agent-ticket-view"), fullPage: true });

  // the customer's open page shows the reply without a reload, and no internal note
  const seen = customer.page.locator(".thread .article", { hasText: "Please update the driver" });
  await expect(seen).toBeVisible({ timeout: 15_000 });
  await expect(seen.locator(".body img")).toHaveCount(1);
  await expect(customer.page.locator(".thread")).not.toContainText("legacy plan");
  await expect(customer.page.locator(".article.internal")).toHaveCount(0);
  await customer.page.screenshot({ path: screenshot("customer-ticket-view"), fullPage: true });
  expect(received.join("\n")).not.toContain("legacy plan");

  // the file downloads with safe headers
  const href = await seen.locator(".attachment a").getAttribute("href");
  const download = await customer.page.request.get(href!);
  expect(download.status()).toBe(200);
  expect(download.headers()["x-content-type-options"]).toBe("nosniff");
  expect(await download.text()).toContain("Driver 4.2");

  await agent.context.close();
  await customer.context.close();
});

test("agent changes state and owner from the sidebar", async ({ browser }) => {
  const ticket = await createTicket(`Password reset loops ${Date.now()}`);
  const agent = await personPage(browser, "agent1@tandem.test");
  await openTicket(agent.page, ticket.id);
  await agent.page.locator("select[name=state_id]").selectOption({ label: "open" });
  await agent.page.locator("select[name=owner_id]").selectOption({ label: "Anna Agent" });
  await expect(agent.page.locator("#submit-reply")).toHaveText("Update");
  await agent.page.locator("#submit-reply").click();
  await expect(agent.page.locator("#submit-reply")).toBeDisabled();

  const rest = await api("agent1@tandem.test");
  await expect
    .poll(async () => {
      const t = await (await rest.get(`/api/v1/tickets/${ticket.id}?expand=true`)).json();
      return `${t.state}/${t.owner}`;
    })
    .toBe("open/agent1@tandem.test");
  await rest.dispose();

  // after a reload the sidebar shows what was stored
  await openTicket(agent.page, ticket.id);
  await expect(agent.page.locator("select[name=state_id] option:checked")).toHaveText("open");
  await expect(agent.page.locator("select[name=owner_id] option:checked")).toHaveText("Anna Agent");
  await agent.context.close();
});

test("two agents on the same ticket see each other viewing and typing, and write the reply together", async ({
  browser,
}) => {
  const ticket = await createTicket(`VPN drops every hour ${Date.now()}`, "nicole@customer.test", "Users");
  const anna = await personPage(browser, "agent1@tandem.test");
  const ada = await personPage(browser, "admin@tandem.test");
  const bob = await personPage(browser, "agent2@tandem.test"); // read-only in Users
  await openTicket(anna.page, ticket.id);
  await openTicket(ada.page, ticket.id);
  await openTicket(bob.page, ticket.id);
  await expect(anna.page.locator(".viewers .viewer")).toHaveText(["Ada Admin", "Bob Agent"]);
  await expect(ada.page.locator(".viewers .viewer")).toHaveText(["Anna Agent", "Bob Agent"]);
  await expect(bob.page.locator(".viewers .viewer")).toHaveText(["Ada Admin", "Anna Agent"]);
  await expect(bob.page.locator("#submit-reply")).toHaveCount(0); // may read, not write
  await bob.context.close();
  await expect(anna.page.locator(".viewers .viewer")).toHaveText(["Ada Admin"]);

  // the shared draft: what Ada types appears in Anna's editor, with Ada's caret
  await expect(ada.page.locator(".coeditors")).toContainText("live");
  await ada.page.locator(".ProseMirror").click();
  await ada.page.keyboard.type("We are looking into the VPN logs.");
  await expect(anna.page.locator(".viewers .viewer.typing")).toContainText("Ada Admin");
  // Ada's text arriving in Anna's editor does not make Anna "typing"
  await expect(anna.page.locator(".ProseMirror")).toContainText("VPN logs");
  await ada.page.waitForTimeout(500);
  await expect(ada.page.locator(".viewers .viewer.typing")).toHaveCount(0);
  await expect(anna.page.locator(".ProseMirror")).toContainText("We are looking into the VPN logs.");
  await expect(anna.page.locator(".coeditors .peer")).toContainText("Ada Admin");
  await expect(ada.page.locator(".draft-saved")).toHaveText("· saved");
  await expect(anna.page.locator(".collaboration-carets__label")).toContainText("Ada Admin");
  // Anna adds a line to the same reply; both see the whole text
  await anna.page.locator(".ProseMirror p").last().click();
  await anna.page.keyboard.press("End");
  await anna.page.keyboard.press("Enter");
  await anna.page.keyboard.type("Anna: the tunnel restarts at :00.");
  await expect(ada.page.locator(".ProseMirror")).toContainText("the tunnel restarts");
  await anna.page.screenshot({ path: screenshot("agents-coediting"), fullPage: true });

  // Anna sends the shared reply: it becomes one article and both editors start empty
  await anna.page.locator("#submit-reply").click();
  for (const p of [anna.page, ada.page]) {
    await expect(p.locator(".thread .article", { hasText: "the tunnel restarts" })).toBeVisible();
    await expect(p.locator(".ProseMirror")).not.toContainText("VPN logs");
  }
  await expect(anna.page.locator(".thread .article", { hasText: "VPN logs" })).toHaveCount(1);

  // Ada loses the network while typing; what she typed arrives once she is back
  await ada.context.setOffline(true);
  await ada.page.locator(".ProseMirror").click();
  await ada.page.keyboard.type("Typed while offline.");
  await anna.page.waitForTimeout(1000);
  await expect(anna.page.locator(".ProseMirror")).not.toContainText("Typed while offline.");
  await ada.context.setOffline(false);
  await expect(anna.page.locator(".ProseMirror")).toContainText("Typed while offline.", { timeout: 20_000 });

  // a draft can be discarded for everyone
  await ada.page.locator(".ProseMirror").click();
  await ada.page.keyboard.press("Control+End");
  await ada.page.keyboard.type(" Scratch that");
  await expect(anna.page.locator(".ProseMirror")).toContainText("Scratch that");
  await anna.page.locator("#discard-reply").click();
  await expect(anna.page.getByRole("group", { name: "Discard the reply?" })).toContainText("for everyone");
  await anna.page.locator("#confirm-discard").click();
  await expect(ada.page.locator(".ProseMirror")).not.toContainText("Scratch that");
  await expect(anna.page.locator(".ProseMirror")).not.toContainText("Scratch that");

  // Ada leaves: Anna's viewing row empties
  await ada.context.close();
  await expect(anna.page.locator(".viewers .viewer")).toHaveCount(0);
  await anna.context.close();
});

test("admin deletes a ticket after confirming; the customer's open list drops it live", async ({ browser }) => {
  const title = `Duplicate invoice ${Date.now()}`;
  const ticket = await createTicket(title);
  const customer = await personPage(browser, "nicole@customer.test");
  const row = customer.page.locator("tr.ticket-row", { hasText: title });
  await expect(row).toBeVisible();
  await customer.page.screenshot({ path: screenshot("customer-overview"), fullPage: true });

  const admin = await personPage(browser, "admin@tandem.test");
  await openTicket(admin.page, ticket.id);
  await admin.page.locator("#delete-ticket").click();
  const dialog = admin.page.getByRole("alertdialog");
  await expect(dialog).toContainText(`Delete ticket #${ticket.number}?`);
  await dialog.locator("#confirm-delete").click();
  await expect(admin.page).toHaveURL(/\/tickets\/view\//);
  await expect(row).toHaveCount(0, { timeout: 15_000 });

  const rest = await api("admin@tandem.test");
  expect((await rest.get(`/api/v1/tickets/${ticket.id}`)).status()).toBe(404);
  await rest.dispose();
  await admin.context.close();
  await customer.context.close();
});

test("agents only: a customer cannot see the delete button or the sidebar's agent fields", async ({ browser }) => {
  const ticket = await createTicket(`Wrong delivery address ${Date.now()}`);
  const customer = await personPage(browser, "nicole@customer.test");
  await openTicket(customer.page, ticket.id);
  await expect(customer.page.locator("#delete-ticket")).toHaveCount(0);
  await expect(customer.page.locator("select[name=owner_id]")).toHaveCount(0);
  await expect(customer.page.locator("select[name=article-type]")).toHaveCount(0);
  await expect(customer.page.locator(".toolbar")).toHaveCount(0);
  // the customer replies; the agent's open view shows it live
  const agent = await personPage(browser, "agent1@tandem.test");
  await openTicket(agent.page, ticket.id);
  await customer.page.locator(".ProseMirror").click();
  await customer.page.keyboard.type("The right address is Main Street 5, map: www.example.com ");
  // typed addresses become links (autolink)
  await expect(customer.page.locator('.ProseMirror a[href="https://www.example.com"]')).toHaveText("www.example.com");
  await customer.page.locator("#submit-reply").click();
  await expect(customer.page.locator(".thread .article.sender-customer", { hasText: "Main Street 5" })).toBeVisible();
  await expect(agent.page.locator(".thread .article", { hasText: "Main Street 5" })).toBeVisible({ timeout: 15_000 });
  await agent.context.close();
  await customer.context.close();
});

test("new tickets: an agent picks a customer; a customer only gets their groups", async ({ browser }) => {
  const agent = await personPage(browser, "agent1@tandem.test");
  await agent.page.goto("/tickets/new");
  await expect(agent.page.locator("form.new-ticket[data-ready]")).toHaveCount(1);
  await agent.page.locator("#customer-search").fill("nicole");
  await agent.page.locator("button.hit", { hasText: "Nicole Braun" }).click();
  await expect(agent.page.locator(".picked")).toContainText("Nicole Braun");
  const title = `Cannot log in to the portal ${Date.now()}`;
  await agent.page.locator("#new-title").fill(title);
  await agent.page.locator("#new-group").selectOption({ label: "Sales" });
  await agent.page.locator(".ProseMirror").click();
  await agent.page.keyboard.type("Customer called: the portal says the account is locked.");
  await agent.page.locator("#create-ticket").click();
  await expect(agent.page).toHaveURL(/\/tickets\/\d+$/);
  await expect(agent.page.locator("#ticket-title")).toHaveValue(title);
  await expect(agent.page.locator(".customer-name")).toHaveText("Nicole Braun");
  await agent.context.close();

  const customer = await personPage(browser, "lee@other.test");
  await customer.page.goto("/tickets/new");
  await expect(customer.page.locator("form.new-ticket[data-ready]")).toHaveCount(1);
  await expect(customer.page.locator("#customer-search")).toHaveCount(0);
  await expect(customer.page.locator("#new-group option").nth(1)).toBeAttached();
  await customer.context.close();
});

test("keyboard: j and k move through a list, Enter opens the ticket", async ({ browser }) => {
  const first = await createTicket(`Keyboard one ${Date.now()}`);
  const second = await createTicket(`Keyboard two ${Date.now()}`);
  const agent = await personPage(browser, "agent1@tandem.test");
  await openList(agent.page, "/tickets/view/open");
  const rows = agent.page.locator("tr.ticket-row");
  await expect(rows.first()).toHaveAttribute("aria-selected", "true");
  await agent.page.keyboard.press("j");
  await expect(rows.nth(1)).toHaveAttribute("aria-selected", "true");
  await agent.page.keyboard.press("k");
  await expect(rows.first()).toHaveAttribute("aria-selected", "true");
  await agent.page.keyboard.press("j");
  // newest first: the second row is the first of the two tickets
  await expect(rows.first()).toHaveAttribute("data-ticket-id", String(second.id));
  await expect(rows.nth(1)).toHaveAttribute("data-ticket-id", String(first.id));
  await agent.page.keyboard.press("Enter");
  await expect(agent.page).toHaveURL(new RegExp(`/tickets/${first.id}$`));
  await agent.context.close();
});

test("a customer closes and reopens their ticket; phones (380 px) get the whole page without sideways scrolling", async ({
  browser,
}) => {
  const ticket = await createTicket(`Close and reopen ${Date.now()}`);
  const context = await browser.newContext({ viewport: { width: 380, height: 800 } });
  const page = await context.newPage();
  failOnServerErrors(page);
  await page.goto("/login");
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
  await page.locator("#login").fill("nicole@customer.test");
  await page.locator("#password").fill("tandem-demo");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator(".table-wrap[data-ready]")).toHaveCount(1);
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(await overflow()).toBeLessThanOrEqual(0);
  await page.screenshot({ path: screenshot("customer-overview-380px"), fullPage: true });
  await openTicket(page, ticket.id);
  expect(await overflow()).toBeLessThanOrEqual(0);
  await page.locator("select[name=state_id]").selectOption({ label: "closed" });
  await page.locator("#submit-reply").click();
  const rest = await api("nicole@customer.test");
  await expect.poll(async () => (await (await rest.get(`/api/v1/tickets/${ticket.id}?expand=true`)).json()).state).toBe("closed");
  // Acme's group lets customers reopen (follow-up rule): back to open
  await page.locator("select[name=state_id]").selectOption({ label: "open" });
  await page.locator("#submit-reply").click();
  await expect.poll(async () => (await (await rest.get(`/api/v1/tickets/${ticket.id}?expand=true`)).json()).state).toBe("open");
  await page.screenshot({ path: screenshot("customer-ticket-380px"), fullPage: true });
  await rest.dispose();
  await context.close();
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("a ticket reads fine (server-rendered thread)", async ({ page }) => {
    const ticket = await createTicket(`Reading without JavaScript ${Date.now()}`);
    await page.goto("/login");
    await page.locator("#login").fill("agent1@tandem.test");
    await page.locator("#password").fill("tandem-demo");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.goto(`/tickets/${ticket.id}`);
    await expect(page.locator(".thread .article")).toContainText(`First message of Reading without JavaScript`);
    await expect(page.locator(".zoom-side")).toContainText("Nicole Braun");
  });
});
