// Issue 16: text modules and macros in the ticket view. An agent types `::` and a keyword in
// the reply, picks the text module from the list and gets its content with the placeholders
// filled for this ticket; then applies a macro from the "Macros" menu and sees the state and
// the tags change.
import { api, createTicket, expect, failOnServerErrors, openList, openTicket, screenshot, signIn, test } from "./helpers";

test.beforeEach(async ({ page }) => failOnServerErrors(page));

test("a text module is inserted with `::` and a macro changes state and tags", async ({ page }) => {
  const stamp = Date.now();
  const admin = await api("admin@tandem.test");
  const keyword = `greet${stamp}`;
  const module = await admin.post("/api/v1/text_modules", {
    data: {
      name: `Greeting ${stamp}`,
      keywords: keyword,
      content: "<p>Dear #{ticket.customer.firstname}, about ticket #{ticket.number}: <strong>thanks</strong> from #{user.firstname}.</p>",
    },
  });
  expect(module.status()).toBe(201);
  const macroName = `Close as spam ${stamp}`;
  const created = await admin.post("/api/v1/macros", {
    data: {
      name: macroName,
      ux_flow_next_up: "none",
      perform: {
        "ticket.state_id": { value: "4" },
        "ticket.priority_id": { value: "3" },
        "ticket.tags": { operator: "add", value: `spam, macro-${stamp}` },
      },
    },
  });
  expect(created.status()).toBe(201);
  await admin.dispose();

  const ticket = await createTicket(`Text modules and macros ${stamp}`, "nicole@customer.test", "Sales");
  await signIn(page, "agent1@tandem.test");
  await openTicket(page, ticket.id);

  // `::` and the keyword open the list with the module
  const editor = page.locator(".composer .ProseMirror");
  await expect(editor).toBeVisible();
  await editor.click();
  await page.keyboard.type(`Hello ::${keyword.slice(0, 8)}`);
  const option = page.locator(".text-module-picker [role=option]", { hasText: `Greeting ${stamp}` });
  await expect(option).toBeVisible();
  await expect(option).toHaveAttribute("aria-selected", "true");
  await page.screenshot({ path: screenshot("text-module-picker"), fullPage: true });

  // Enter inserts it in place of `::…`, placeholders filled for this ticket and this agent
  await page.keyboard.press("Enter");
  await expect(page.locator(".text-module-picker")).toBeHidden();
  await expect(editor).toContainText(`Dear Nicole, about ticket ${ticket.number}: thanks from Anna.`);
  await expect(editor.locator("strong")).toHaveText("thanks");
  await expect(editor).not.toContainText("::");
  await expect(editor).not.toContainText("#{");
  await page.screenshot({ path: screenshot("text-module-inserted"), fullPage: true });

  // the macro: state, priority and tags change in the sidebar
  // (writing a reply proposes "open"; the macro overrides it)
  await expect(page.locator("select[name=state_id] option:checked")).not.toHaveText("closed");
  await page.getByRole("button", { name: "Macros" }).click();
  await page.getByRole("button", { name: macroName }).click();
  await expect(page.locator(".macro-menu [role=status]")).toHaveText(`Applied “${macroName}”.`);
  await expect(page.locator("select[name=state_id] option:checked")).toHaveText("closed");
  await expect(page.locator("select[name=priority_id] option:checked")).toHaveText("3 high");
  await expect(page.locator(".zoom-side .tags .tag", { hasText: `macro-${stamp}` })).toBeVisible();
  await expect(page.locator(".zoom-side .tags .tag", { hasText: "spam" })).toBeVisible();
  // the reply being written is untouched
  await expect(editor).toContainText("Dear Nicole");
  // the live event reloads the sidebar once more: shoot it with the tags shown
  await expect(page.locator(".zoom-side .tags .tag", { hasText: `macro-${stamp}` })).toBeVisible();
  await page.locator(".zoom-side .tags").scrollIntoViewIfNeeded();
  await page.screenshot({ path: screenshot("macro-applied"), fullPage: true });

  const rest = await api("agent1@tandem.test");
  const now = await (await rest.get(`/api/v1/tickets/${ticket.id}?expand=true`)).json();
  expect(now.state).toBe("closed");
  expect(now.priority).toBe("3 high");
  const tags = await (await rest.get(`/api/v1/tags?object=Ticket&o_id=${ticket.id}`)).json();
  expect([...tags.tags].sort()).toEqual([`macro-${stamp}`, "spam"].sort());
  await rest.dispose();
});

test("`next_from_overview` opens the ticket after this one in the overview the agent came from, then goes back to it", async ({ page }) => {
  const stamp = Date.now();
  const admin = await api("admin@tandem.test");
  const macroName = `Tag and next ${stamp}`;
  const created = await admin.post("/api/v1/macros", {
    data: {
      name: macroName,
      ux_flow_next_up: "next_from_overview",
      perform: { "ticket.tags": { operator: "add", value: `next-${stamp}` } },
    },
  });
  expect(created.status()).toBe(201);
  await admin.dispose();
  // three tickets, newest first in the list sorted by number descending
  const tickets = [];
  for (const n of [1, 2, 3]) tickets.push(await createTicket(`Next from overview ${stamp} ${n}`, "nicole@customer.test", "Sales"));
  await signIn(page, "agent1@tandem.test");
  const overview = `/tickets/view/open?sort=number`;
  await openList(page, overview);
  const rows = page.locator("tr.ticket-row");
  const shown = (await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute("data-ticket-id")))));
  const first = shown.indexOf(tickets[2].id);
  expect(first, "the newest ticket is in the overview").toBeGreaterThanOrEqual(0);
  const expected = shown[first + 1];
  expect(expected, "a ticket follows it in the overview").toBeDefined();
  // opened from the list (not by address), the macro moves on to the row below
  await page.locator(`tr.ticket-row[data-ticket-id="${tickets[2].id}"] a`).click();
  await expect(page).toHaveURL(new RegExp(`/tickets/${tickets[2].id}$`));
  await expect(page.locator(".zoom[data-ready]")).toHaveCount(1);
  await page.getByRole("button", { name: "Macros" }).click();
  await page.getByRole("button", { name: macroName }).click();
  await expect(page).toHaveURL(new RegExp(`/tickets/${expected}$`));
  await expect(page.locator(".zoom[data-ready]")).toHaveCount(1);

  // from the overview's last ticket, back to the overview
  const last = shown[shown.length - 1];
  await openList(page, overview);
  await page.locator(`tr.ticket-row[data-ticket-id="${last}"] a`).click();
  await expect(page).toHaveURL(new RegExp(`/tickets/${last}$`));
  await expect(page.locator(".zoom[data-ready]")).toHaveCount(1);
  await page.getByRole("button", { name: "Macros" }).click();
  await page.getByRole("button", { name: macroName }).click();
  await expect(page).toHaveURL(/\/tickets\/view\/open\?sort=number$/);
  await expect(page.locator(".table-wrap[data-ready]")).toHaveCount(1);
});

test("customers get neither the macros menu nor text modules", async ({ page }) => {
  const ticket = await createTicket(`No macros for customers ${Date.now()}`, "nicole@customer.test", "Sales");
  await signIn(page, "nicole@customer.test");
  await openTicket(page, ticket.id);
  await expect(page.getByRole("button", { name: "Macros" })).toHaveCount(0);
  const editor = page.locator(".composer .ProseMirror");
  await editor.click();
  await page.keyboard.type("Hi ::greet");
  // the composer does not even ask (the ticket view offers text modules to agents only)
  await page.waitForTimeout(500);
  await expect(page.locator(".text-module-picker [role=option]")).toHaveCount(0);
});

test("admins create a text module and a macro on the admin pages", async ({ page }) => {
  const stamp = Date.now();
  await signIn(page, "admin@tandem.test");
  await page.goto("/admin/text_modules/new");
  await expect(page.locator("#text-module-form[data-ready]")).toHaveCount(1);
  await page.locator("#text-module-name").fill(`Admin module ${stamp}`);
  await page.locator("#text-module-keywords").fill(`adm${stamp}`);
  await page.locator("#text-module-content").fill("Hello #{ticket.customer.firstname},\nthanks!");
  await page.getByRole("checkbox", { name: "Sales" }).check();
  await page.locator("#save-text-module").click();
  await expect(page).toHaveURL(/\/admin\/text_modules\/\d+$/);
  await expect(page.locator("h1")).toHaveText(`Admin module ${stamp}`);
  await page.goto("/admin/text_modules");
  await expect(page.locator("#text-module-table")).toContainText(`Admin module ${stamp}`);
  await page.screenshot({ path: screenshot("admin-text-modules"), fullPage: true });

  await page.goto("/admin/macros/new");
  await expect(page.locator("#macro-form[data-ready]")).toHaveCount(1);
  await page.locator("#macro-name").fill(`Admin macro ${stamp}`);
  await page.locator("#macro-state").selectOption({ label: "open" });
  await page.locator("#macro-tags-operator").selectOption("add");
  await page.locator("#macro-tags").fill("from-admin");
  await page.locator("#macro-next-up").selectOption("next_task");
  await page.locator("#macro-owner").selectOption({ label: "The agent applying it" });
  await page.screenshot({ path: screenshot("admin-macro-new"), fullPage: true });
  await page.locator("#save-macro").click();
  await expect(page).toHaveURL(/\/admin\/macros\/\d+$/);
  const id = Number(page.url().split("/").pop());

  const rest = await api("admin@tandem.test");
  const stored = await (await rest.get(`/api/v1/macros/${id}`)).json();
  expect(stored.perform).toEqual({
    "ticket.state_id": { value: "2" },
    "ticket.owner_id": { pre_condition: "current_user.id", value: "" },
    "ticket.tags": { operator: "add", value: "from-admin" },
  });
  expect(stored.ux_flow_next_up).toBe("next_task");

  // the saved page shows the owner action; a group move and a named owner are saved too
  await expect(page.locator("#macro-form[data-ready]")).toHaveCount(1);
  await expect(page.locator("#macro-owner")).toHaveValue("current_user");
  await page.locator("#macro-group").selectOption({ label: "Sales" });
  await page.locator("#macro-owner").selectOption({ label: "Anna Agent" });
  await page.locator("#save-macro").click();
  await expect(page.locator("#macro-form .saved-note")).toHaveText("Saved.");
  const groups = (await (await rest.get("/api/v1/groups")).json()) as { id: number; name: string }[];
  const sales = groups.find((g) => g.name === "Sales")!.id;
  const anna = await api("agent1@tandem.test");
  const me = (await (await anna.get("/api/v1/users/me")).json()) as { id: number };
  await anna.dispose();
  const changed = await (await rest.get(`/api/v1/macros/${id}`)).json();
  expect(changed.perform["ticket.group_id"]).toEqual({ value: String(sales) });
  expect(changed.perform["ticket.owner_id"]).toEqual({ pre_condition: "specific", value: String(me.id) });
  const modules = (await (await rest.get("/api/v1/text_modules")).json()) as { name: string; content: string }[];
  const mine = modules.find((m) => m.name === `Admin module ${stamp}`);
  expect(mine?.content).toBe("<div>Hello #{ticket.customer.firstname},<br>thanks!</div>");
  await rest.dispose();
});
