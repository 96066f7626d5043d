// Issue 16: mentions. agent1 types `@` and part of agent2's name in the reply, picks agent2
// from the list with the keyboard and sends the note: the article carries Zammad's mention
// link, agent2 follows the ticket, and agent2's bell (open in another browser before) counts
// the mention live, without a reload.
import { api, createTicket, expect, openTicket, personPage, screenshot, test } from "./helpers";

test("agent1 mentions agent2 with `@`: agent2 follows the ticket and the bell counts it live", async ({ browser }) => {
  const title = `Mention ${Date.now()}`;
  const ticket = await createTicket(title, "nicole@customer.test", "Users");
  // agent2 (read access to Users) starts with nothing unread: the new ticket told them too
  const bobApi = await api("agent2@tandem.test");
  expect((await bobApi.post("/api/v1/online_notifications/mark_all_as_read")).status()).toBe(200);
  const bobId: number = (await (await bobApi.get("/api/v1/users/me")).json()).id;
  await bobApi.dispose();

  const agent2 = await personPage(browser, "agent2@tandem.test");
  const bell = agent2.page.locator(".bell-button");
  await expect(bell).toHaveAttribute("aria-label", "Notifications, none unread");
  await expect(agent2.page.locator(".live-dot.online")).toHaveCount(1); // the tab's socket is up
  let reloaded = false;
  agent2.page.on("load", () => (reloaded = true));

  const { page } = await personPage(browser, "agent1@tandem.test");
  await openTicket(page, ticket.id);
  const editor = page.locator(".composer .ProseMirror");
  await expect(editor).toBeVisible();
  await editor.click();
  await page.keyboard.type("Could you check this, @Bo");

  // the list: agents who may see the ticket, narrowed by "Bo"; the first is chosen
  const list = page.getByRole("listbox", { name: "Agents to mention" });
  const options = list.getByRole("option");
  const bob = list.locator(`[role=option][data-mention-user-id="${bobId}"]`);
  await expect(bob).toBeVisible();
  await expect(bob).toContainText("Bob Agent");
  await expect(bob).toContainText("agent2@tandem.test");
  await expect(options.first()).toHaveAttribute("aria-selected", "true");
  for (const text of await options.allTextContents()) expect(text.toLowerCase()).toContain("bo");
  await page.screenshot({ path: screenshot("mention-picker"), fullPage: true });

  // the keyboard: down to agent2 (wrapping round), Enter takes it
  const count = await options.count();
  const index = (await options.evaluateAll((all, id) => all.findIndex((o) => o.getAttribute("data-mention-user-id") === String(id)), bobId));
  expect(index).toBeGreaterThanOrEqual(0);
  for (let i = 0; i < count + index; i++) await page.keyboard.press("ArrowDown");
  await expect(bob).toHaveAttribute("aria-selected", "true");
  await page.keyboard.press("Enter");
  await expect(list).toBeHidden();

  // Zammad's mention link and a space in place of `@Bo`
  const link = editor.locator(`a[data-mention-user-id="${bobId}"]`);
  await expect(link).toHaveText("Bob Agent");
  await expect(link).toHaveAttribute("href", `/users/${bobId}`);
  await expect(editor).not.toContainText("@Bo");
  await page.keyboard.type("please.");
  await expect(editor).toContainText("Could you check this, Bob Agent please.");

  await page.locator("#submit-reply").click();
  await expect(editor.locator("a")).toHaveCount(0);
  const thread = page.locator(".thread .article", { hasText: "Could you check this" });
  await expect(thread.locator(`a[data-mention-user-id="${bobId}"]`)).toHaveText("Bob Agent");

  // agent2's bell hears of it live, without a reload
  await expect(bell, "the mention reaches agent2's open tab").toHaveAttribute("aria-label", "Notifications, 1 unread");
  await expect(bell.locator(".bell-count")).toHaveText("1");
  expect(reloaded).toBe(false);
  await bell.click();
  // the list: the mention, unread (besides the new ticket's notification, read before)
  const items = agent2.page.getByRole("region", { name: "Notifications" }).locator(".bell-list li", { hasText: title });
  const mentioned = items.filter({ hasText: "Mentioned you" });
  await expect(mentioned).toHaveCount(1);
  await expect(mentioned).toHaveClass(/unread/);

  // and follows the ticket
  const admin = await api("admin@tandem.test");
  const mentions = await (await admin.get(`/api/v1/mentions?mentionable_type=Ticket&mentionable_id=${ticket.id}`)).json();
  expect(mentions.mentions.map((m: { user_id: number }) => m.user_id)).toEqual([bobId]);
  await admin.dispose();
});

test("`@` after a word or in an address opens nothing; Escape closes the list", async ({ browser }) => {
  const ticket = await createTicket(`Mention keys ${Date.now()}`, "nicole@customer.test", "Users");
  const { page } = await personPage(browser, "agent1@tandem.test");
  await openTicket(page, ticket.id);
  const editor = page.locator(".composer .ProseMirror");
  await editor.click();
  const list = page.locator(".mention-picker");
  await page.keyboard.type("write to bob@example.test");
  await page.waitForTimeout(300); // the list would open after its 80 ms debounce
  await expect(list).toBeHidden();
  await page.keyboard.type(" @Bob");
  await expect(list.getByRole("option", { name: /Bob Agent/ })).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(list).toBeHidden();
  // Enter is an ordinary Enter again while the list is closed
  await page.keyboard.press("Enter");
  await expect(editor.locator("p")).toHaveCount(2);
  await expect(editor.locator("a[data-mention-user-id]")).toHaveCount(0);
});

test("`@` on the new-ticket form offers the chosen group's agents, and the new ticket mentions", async ({ browser }) => {
  const bobApi = await api("agent2@tandem.test");
  const bobId: number = (await (await bobApi.get("/api/v1/users/me")).json()).id;
  await bobApi.dispose();

  const { page } = await personPage(browser, "agent1@tandem.test");
  await page.goto("/tickets/new");
  await expect(page.locator("form.new-ticket[data-ready]")).toHaveCount(1);
  await page.locator("#customer-search").fill("nicole");
  await page.locator("button.hit", { hasText: "Nicole Braun" }).click();
  const title = `Mention on a new ticket ${Date.now()}`;
  await page.locator("#new-title").fill(title);
  const editor = page.locator(".composer .ProseMirror");
  const list = page.getByRole("listbox", { name: "Agents to mention" });
  const bob = list.locator(`[role=option][data-mention-user-id="${bobId}"]`);

  // Sales: agent2 has no access there, so the list does not offer them
  await page.locator("#new-group").selectOption({ label: "Sales" });
  await editor.click();
  await page.keyboard.type("Please look, @Bo");
  await expect(bob).toHaveCount(0);
  await page.keyboard.press("Escape");
  for (let i = 0; i < 3; i++) await page.keyboard.press("Backspace");

  // Users: agent2 may read it
  await page.locator("#new-group").selectOption({ label: "Users" });
  await editor.click();
  await page.keyboard.press("End");
  await page.keyboard.type("@Bo");
  await expect(bob).toBeVisible();
  await bob.click();
  await expect(editor.locator(`a[data-mention-user-id="${bobId}"]`)).toHaveText("Bob Agent");
  await page.screenshot({ path: screenshot("mention-new-ticket"), fullPage: true });

  await page.locator("#create-ticket").click();
  await expect(page).toHaveURL(/\/tickets\/\d+$/);
  const id = Number(new URL(page.url()).pathname.split("/").pop());
  const admin = await api("admin@tandem.test");
  const mentions = await (await admin.get(`/api/v1/mentions?mentionable_type=Ticket&mentionable_id=${id}`)).json();
  expect(mentions.mentions.map((m: { user_id: number }) => m.user_id)).toEqual([bobId]);
  await admin.dispose();
});
