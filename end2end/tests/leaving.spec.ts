// Leaving a ticket page: the composer (Tiptap + Yjs, a JS bridge), the tab's live socket and
// the page's timers must never reach a reactive value of a page that is gone. A wasm panic
// there ("Tried to access a reactive value that has already been disposed", then "RefCell
// already borrowed" and "RuntimeError: unreachable") kills the whole app in that tab.
import { Page, WebSocketRoute } from "@playwright/test";
import { api, createTicket, expect, expectNoBrowserErrors, failOnServerErrors, signIn, test, watchBrowserErrors } from "./helpers";

test.beforeEach(async ({ page }) => failOnServerErrors(page));

/** Waits until the ticket view is hydrated and its (co-editing) composer is live. */
async function composerReady(page: Page, id: number) {
  await expect(page).toHaveURL(new RegExp(`/tickets/${id}$`));
  await expect(page.locator(`.zoom[data-ready][data-ticket-id="${id}"]`)).toHaveCount(1);
  await expect(page.locator(".composer .ProseMirror")).toBeVisible();
  await expect(page.locator(".coeditors")).toContainText("Shared draft: live");
}

/** Clicks "Tickets" in the top bar and waits for the list. */
async function backToList(page: Page) {
  await page.locator("nav.mainnav").getByRole("link", { name: "Tickets", exact: true }).click();
  await expect(page).toHaveURL(/\/tickets\/view\//);
  await expect(page.locator(".table-wrap[data-ready]")).toHaveCount(1);
  await expect(page.locator(".zoom")).toHaveCount(0);
}

test("an agent leaves a ticket for the list and comes back, three times, without a browser error", async ({ page }) => {
  const errors = watchBrowserErrors(page);
  await signIn(page, "agent1@tandem.test");
  // opened directly: the server renders it, the browser hydrates it and mounts the composer
  await page.goto("/tickets/2");
  await composerReady(page, 2);
  for (let round = 1; round <= 3; round++) {
    await backToList(page);
    // the composer's socket closes after the page is gone: give its callbacks time to arrive
    await page.waitForTimeout(500);
    expectNoBrowserErrors(errors, `after leaving the ticket (round ${round})`);
    // the app is still alive: the router takes the way back, the composer mounts again
    await page.goBack();
    await composerReady(page, 2);
    expectNoBrowserErrors(errors, `after coming back to the ticket (round ${round})`);
  }
  await backToList(page);
  await page.waitForTimeout(500);
  expectNoBrowserErrors(errors, "at the end");
});

test("an admin deletes the ticket an agent has open (REST API): no page error, the agent's app keeps working", async ({
  browser,
}) => {
  const ticket = await createTicket(`Deleted while open ${Date.now()}`, "nicole@customer.test", "Sales");
  const context = await browser.newContext();
  const page = await context.newPage();
  failOnServerErrors(page);
  const errors = watchBrowserErrors(page);
  await signIn(page, "agent1@tandem.test");
  await page.goto(`/tickets/${ticket.id}`);
  await composerReady(page, ticket.id);
  await page.locator(".ProseMirror").click();
  await page.keyboard.type("A reply nobody will send");
  await expect(page.locator(".draft-saved")).toHaveText("· saved");

  const admin = await api("admin@tandem.test");
  expect((await admin.delete(`/api/v1/tickets/${ticket.id}`)).status()).toBe(200);
  await admin.dispose();
  await expect(page.getByRole("alert").filter({ hasText: "This ticket was deleted." })).toBeVisible({ timeout: 15_000 });
  // the composer stops (CONTROL "ticket_deleted"): it says so, keeps the text read-only and
  // never reconnects to the ticket's draft room, which answers 404 now
  await expect(page.locator(".coeditors")).toContainText("Shared draft: closed, the ticket was deleted");
  await expect(page.locator(".composer .ProseMirror")).toHaveAttribute("contenteditable", "false");
  await expect(page.locator(".composer .ProseMirror")).toContainText("A reply nobody will send");
  await page.waitForTimeout(1000); // the shared draft's socket hears of it too
  // nothing may panic here. At its end the test fails on any console error (the browserErrors
  // fixture); no opt-in for the draft socket: it must not keep reconnecting to a deleted ticket
  expectNoBrowserErrors(errors, "after the ticket was deleted", true);

  await backToList(page);
  await page.waitForTimeout(500);
  expectNoBrowserErrors(errors, "after leaving the deleted ticket", true);
  await expect(page.locator(`tr.ticket-row[data-ticket-id="${ticket.id}"]`)).toHaveCount(0);
  await context.close();
});

test("an agent leaves a ticket during an outage: no page error, and the app works once it is over", async ({
  browser,
  browserErrors,
}) => {
  // the test takes the network away on purpose: the list's requests fail while it is offline
  browserErrors.allow(/^Failed to load resource: net::ERR_INTERNET_DISCONNECTED @ /);
  const context = await browser.newContext();
  // an outage of the sockets (the tab's live socket and the shared draft's): the open ones are
  // cut and new ones are closed at once, while the network is offline for everything else
  let outage = false;
  const sockets: WebSocketRoute[] = [];
  await context.routeWebSocket(/\/ws\//, (ws) => {
    if (outage) {
      void ws.close({ code: 1012, reason: "outage" });
      return;
    }
    ws.connectToServer();
    sockets.push(ws);
  });
  const page = await context.newPage();
  failOnServerErrors(page);
  const errors = watchBrowserErrors(page);
  await signIn(page, "agent1@tandem.test");
  await page.goto("/tickets/2");
  await composerReady(page, 2);

  outage = true;
  await context.setOffline(true);
  for (const ws of sockets.splice(0)) await ws.close({ code: 1012, reason: "outage" });
  await expect(page.locator(".coeditors")).not.toContainText("live");
  await expect(page.locator(".live-dot.online")).toHaveCount(0);
  await page.locator("nav.mainnav").getByRole("link", { name: "Tickets", exact: true }).click();
  await expect(page).toHaveURL(/\/tickets\/view\//);
  await expect(page.locator(".zoom")).toHaveCount(0);
  await page.waitForTimeout(1500); // the sockets' retries run during the outage
  expectNoBrowserErrors(errors, "after leaving the ticket during the outage", true);

  outage = false;
  await context.setOffline(false);
  await page.waitForTimeout(1000);
  expectNoBrowserErrors(errors, "once the outage is over", true);
  // the list could not load during the outage; the tab's app is still alive: its router
  // takes the way back to the ticket, which loads and connects again
  await page.goBack();
  await composerReady(page, 2);
  await backToList(page);
  await page.waitForTimeout(500);
  expectNoBrowserErrors(errors, "after leaving the ticket again", true);
  await context.close();
});
