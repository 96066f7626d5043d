import { Page } from "@playwright/test";
import {
  api,
  createTicket,
  expect,
  failOnServerErrors,
  openList,
  screenshot,
  signIn,
  signInAs,
  test,
} from "./helpers";

// Overviews (issue 16): bulk actions on the selected tickets, unread markers, dense rows.

test.describe.configure({ mode: "serial" });

test.beforeEach(async ({ page }) => failOnServerErrors(page));

/** A ticket as the REST API answers it, with names (`expand`). */
async function restTicket(id: number, login = "admin@tandem.test") {
  const client = await api(login);
  const response = await client.get(`/api/v1/tickets/${id}?expand=true`);
  expect(response.status()).toBe(200);
  const ticket = await response.json();
  await client.dispose();
  return ticket;
}

/** A new agent's password (the demo password is too weak for a new account). */
const CARLA_PASSWORD = "Copper-Kettle-5821";

/** The bulk server function's address (it carries a hash), as the agent's tab called it. */
let bulkUrl = "";

const rowOf = (page: Page, title: string) => page.locator("tr.ticket-row", { hasText: title });

test("an agent closes three selected tickets at once", async ({ page }) => {
  const stamp = Date.now();
  const tickets = [];
  for (const name of ["A", "B", "C"]) {
    const title = `Bulk close ${stamp} ${name}`;
    tickets.push({ title, ...(await createTicket(title)) });
  }
  // one more that stays open: it is not selected
  const untouched = `Bulk keep ${stamp}`;
  const kept = await createTicket(untouched);

  await signIn(page, "agent1@tandem.test");
  await openList(page, "/tickets/view/open");
  // dense rows: about 36 px
  const height = await rowOf(page, tickets[0].title).evaluate((row) => row.getBoundingClientRect().height);
  expect(height).toBeGreaterThan(30);
  expect(height).toBeLessThan(42);

  // the whole width of a wide screen
  await page.setViewportSize({ width: 1920, height: 900 });
  const width = await page.locator(".table-wrap").evaluate((el) => el.getBoundingClientRect().width);
  expect(width).toBeGreaterThan(1800);
  await page.setViewportSize({ width: 1280, height: 720 });

  await expect(page.locator("#bulk-count")).toHaveCount(0);
  for (const t of tickets) {
    await rowOf(page, t.title).getByRole("checkbox", { name: `Select ticket ${t.number}` }).check();
  }
  await expect(page.locator("#bulk-count")).toHaveText("3 tickets selected");
  const bar = page.getByRole("form", { name: "Change the selected tickets" });
  await bar.locator("select[name=bulk-state]").selectOption({ label: "closed" });
  await expect(bar.locator("input[name=bulk-pending-time]")).toHaveCount(0);
  await page.screenshot({ path: screenshot("overview-bulk-selected"), fullPage: true });

  const call = page.waitForRequest((r) => r.url().includes("/api/bulk_update"));
  await bar.getByRole("button", { name: "Apply" }).click();
  bulkUrl = (await call).url();
  await expect(page.locator("#bulk-outcome")).toContainText("3 tickets changed.");
  await expect(page.locator("#bulk-outcome")).not.toContainText("not changed");
  // closed tickets leave the open list; the one not selected stays
  for (const t of tickets) await expect(rowOf(page, t.title)).toHaveCount(0);
  await expect(rowOf(page, untouched)).toHaveCount(1);
  await expect(page.locator("#bulk-count")).toHaveCount(0);

  // the REST API agrees
  for (const t of tickets) expect((await restTicket(t.id)).state).toBe("closed");
  expect((await restTicket(kept.id)).state).not.toBe("closed");

  await openList(page, "/tickets/view/closed");
  for (const t of tickets) await expect(rowOf(page, t.title)).toHaveCount(1);
});

test("a pending state asks for its time, and a ticket the agent may not change is refused with the reason", async ({
  browser,
}) => {
  const stamp = Date.now();
  // an agent who may change Sales tickets and only read Users tickets
  const admin = await api("admin@tandem.test");
  const groups: { id: number; name: string }[] = await (await admin.get("/api/v1/groups")).json();
  const id = (name: string) => String(groups.find((g) => g.name === name)!.id);
  const login = `carla.${stamp}@tandem.test`;
  const created = await admin.post("/api/v1/users", {
    data: {
      firstname: "Carla",
      lastname: "Bulk",
      email: login,
      login,
      password: CARLA_PASSWORD,
      roles: ["Agent"],
      group_ids: { [id("Users")]: "read", [id("Sales")]: "full" },
    },
  });
  expect(created.status(), await created.text()).toBe(201);
  await admin.dispose();

  const sales = { title: `Bulk sales ${stamp}`, ...(await createTicket(`Bulk sales ${stamp}`, "nicole@customer.test", "Sales")) };
  const users = { title: `Bulk users ${stamp}`, ...(await createTicket(`Bulk users ${stamp}`, "nicole@customer.test", "Users")) };

  const page = await signInAs(browser, login, CARLA_PASSWORD);
  await openList(page, "/tickets/view/open");
  // select all on the page, then keep only the two tickets of this test
  await page.getByRole("checkbox", { name: "Select all tickets on this page" }).check();
  const all = await page.locator("tr.ticket-row").count();
  await expect(page.locator("#bulk-count")).toHaveText(all === 1 ? "1 ticket selected" : `${all} tickets selected`);
  await page.getByRole("checkbox", { name: "Select all tickets on this page" }).uncheck();
  await expect(page.locator("#bulk-count")).toHaveCount(0);
  for (const t of [sales, users]) {
    await rowOf(page, t.title).getByRole("checkbox", { name: `Select ticket ${t.number}` }).check();
  }
  await expect(page.locator("#bulk-count")).toHaveText("2 tickets selected");
  const bar = page.getByRole("form", { name: "Change the selected tickets" });
  // Carla may move tickets only to Sales
  await expect(bar.locator("select[name=bulk-group] option")).toHaveText(["– unchanged –", "Sales"]);
  // a pending state: the time to wait until appears, tomorrow 09:00 to start with
  await bar.locator("select[name=bulk-state]").selectOption({ label: "pending reminder" });
  await expect(bar.locator("input[name=bulk-pending-time]")).toHaveValue(/T09:00$/);
  await bar.locator("select[name=bulk-state]").selectOption({ label: "– unchanged –" });
  await expect(bar.locator("input[name=bulk-pending-time]")).toHaveCount(0);

  await bar.locator("select[name=bulk-priority]").selectOption({ label: "3 high" });
  await bar.locator("input[name=bulk-add-tag]").fill(`bulk${stamp}`);
  await bar.getByRole("button", { name: "Apply" }).click();
  const outcome = page.locator("#bulk-outcome");
  await expect(outcome).toContainText("1 ticket changed. 1 ticket was not changed:");
  const refused = outcome.locator(`li[data-ticket-id="${users.id}"]`);
  await expect(refused).toContainText(`#${users.number} ${users.title}`);
  await expect(refused).toContainText("No change access to the group Users.");
  await expect(outcome.locator("li")).toHaveCount(1);
  // the refused ticket stays selected
  await expect(page.locator("#bulk-count")).toHaveText("1 ticket selected");
  await expect(rowOf(page, sales.title).locator(".prio")).toHaveText("3 high");
  await page.screenshot({ path: screenshot("overview-bulk-refused"), fullPage: true });

  const changed = await restTicket(sales.id);
  expect(changed.priority).toBe("3 high");
  const tags = await (await api("admin@tandem.test")).get(`/api/v1/tags?object=Ticket&o_id=${sales.id}`);
  expect((await tags.json()).tags).toContain(`bulk${stamp}`);
  const unchanged = await restTicket(users.id);
  expect(unchanged.priority).toBe("2 normal");
  await page.context().close();
});

test("customers have no bulk controls and the server refuses them", async ({ page }) => {
  await signIn(page, "nicole@customer.test");
  await expect(page.locator("tr.ticket-row").first()).toBeVisible();
  await expect(page.locator("input.select-ticket")).toHaveCount(0);
  await expect(page.locator("#select-page")).toHaveCount(0);
  await expect(page.locator("tr.ticket-row.unread")).toHaveCount(0);
  // the server function refuses a customer, whatever the page offers
  expect(bulkUrl).not.toBe("");
  const id = Number(await page.locator("tr.ticket-row").first().getAttribute("data-ticket-id"));
  const before = await restTicket(id);
  const answer = await page.request.post(bulkUrl, {
    data: { changes: { ticket_ids: [id], state_id: 4 } },
    headers: { Origin: new URL(page.url()).origin },
  });
  expect(answer.status()).toBe(403);
  expect(await answer.text()).toContain("Only agents can change several tickets at once.");
  expect((await restTicket(id)).state).toBe(before.state);
});

test("a ticket another agent changed is unread until it is opened; one's own changes are not", async ({
  page,
}) => {
  const title = `Unread marker ${Date.now()}`;
  const ticket = await createTicket(title); // by Anna: read for her

  await signIn(page, "agent1@tandem.test");
  await openList(page, "/tickets/view/open");
  const row = rowOf(page, title);
  await expect(row).toHaveCount(1);
  await expect(row).not.toHaveClass(/unread/);
  await expect(row.locator(".unread-dot")).toHaveCount(0);
  await expect(row.getByRole("link", { name: title })).toHaveCSS("font-weight", "500");

  // Anna opens it and comes back: read
  const recorded = page.waitForResponse((r) => r.url().includes("/api/record_ticket_view") && r.ok());
  await row.getByRole("link", { name: title }).click();
  await expect(page.locator(".zoom[data-ready]")).toHaveCount(1);
  await expect(page).toHaveTitle(new RegExp(`#${ticket.number} ${title}`));
  await recorded;
  await openList(page, "/tickets/view/open");
  await expect(row).not.toHaveClass(/unread/);

  // another agent changes it: it turns unread in Anna's open list, live
  const admin = await api("admin@tandem.test");
  const put = await admin.put(`/api/v1/tickets/${ticket.id}`, { data: { priority_id: 3 } });
  expect(put.status()).toBe(200);
  await admin.dispose();
  await expect(row).toHaveClass(/unread/);
  await expect(row).toHaveAttribute("data-unread", "true");
  await expect(row.locator(".unread-dot")).toBeVisible();
  await expect(row.locator(".col-title")).toContainText("Unread:");
  await expect(row.getByRole("link", { name: title })).toHaveCSS("font-weight", "700");
  await page.screenshot({ path: screenshot("overview-unread"), fullPage: true });

  // opening it clears the marker
  const seen = page.waitForResponse((r) => r.url().includes("/api/record_ticket_view") && r.ok());
  await row.getByRole("link", { name: title }).click();
  await expect(page.locator(".zoom[data-ready]")).toHaveCount(1);
  await seen;
  await openList(page, "/tickets/view/open");
  await expect(row).toHaveCount(1);
  await expect(row).not.toHaveClass(/unread/);

  // Anna's own change does not mark it unread for her
  const anna = await api("agent1@tandem.test");
  const own = await anna.put(`/api/v1/tickets/${ticket.id}`, { data: { priority_id: 1 } });
  expect(own.status()).toBe(200);
  await anna.dispose();
  await expect(row.locator(".prio")).toHaveText("1 low");
  await expect(row).not.toHaveClass(/unread/);
});
