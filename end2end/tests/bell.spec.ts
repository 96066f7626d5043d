import { api, createTicket, expect, openTicket, personPage, test } from "./helpers";

/** The signed-in agent's user id (REST, Basic auth). */
async function userId(login: string): Promise<number> {
  const client = await api(login);
  const response = await client.get("/api/v1/users/me");
  expect(response.status()).toBe(200);
  const me = await response.json();
  await client.dispose();
  return me.id;
}

/** A fresh Users ticket (agent1 made it, so agent1 has no notification of it; agent2 may read
 * it) and agent1's bell with nothing unread. */
async function freshTicket(title: string) {
  const ticket = await createTicket(title, "nicole@customer.test", "Users");
  const anna = await api("agent1@tandem.test");
  expect((await anna.post("/api/v1/online_notifications/mark_all_as_read")).status()).toBe(200);
  await anna.dispose();
  return ticket;
}

/** agent2 mentions agent1 on the ticket (REST, Basic auth). */
async function mentionAgent1(ticketId: number) {
  const annaId = await userId("agent1@tandem.test");
  const bob = await api("agent2@tandem.test");
  const mention = await bob.post("/api/v1/mentions", {
    data: { mentionable_type: "Ticket", mentionable_id: ticketId, user_id: annaId },
  });
  expect(mention.status()).toBe(201);
  await bob.dispose();
}

test("agent2 mentions agent1: agent1's bell counts it live, without a reload", async ({ browser }) => {
  const title = `Bell live ${Date.now()}`;
  const ticket = await freshTicket(title);
  const agent1 = await personPage(browser, "agent1@tandem.test");
  const agent2 = await personPage(browser, "agent2@tandem.test");
  await openTicket(agent2.page, ticket.id);
  const bell = agent1.page.locator(".bell-button");
  await expect(bell).toHaveAttribute("aria-label", "Notifications, none unread");
  await expect(agent1.page.locator(".live-dot.online")).toHaveCount(1); // the tab's socket is up
  let reloaded = false;
  agent1.page.on("load", () => (reloaded = true));

  await mentionAgent1(ticket.id);
  await expect(
    bell,
    "the bell reloads when the tab's socket hears the ticket changed (Desk::create_mention must announce it)",
  ).toHaveAttribute("aria-label", "Notifications, 1 unread");
  await expect(bell.locator(".bell-count")).toHaveText("1");
  expect(reloaded).toBe(false);
});

test("the bell lists the mention; Escape closes it; opening it shows the ticket and reads it", async ({
  browser,
}, testInfo) => {
  const title = `Bell mention ${Date.now()}`;
  const ticket = await freshTicket(title);
  const agent1 = await personPage(browser, "agent1@tandem.test");
  const bell = agent1.page.locator(".bell-button");
  await expect(bell).toHaveAttribute("aria-label", "Notifications, none unread");
  await mentionAgent1(ticket.id);

  // opening the list asks the server again
  await bell.click();
  await expect(bell).toHaveAttribute("aria-expanded", "true");
  const panel = agent1.page.getByRole("region", { name: "Notifications" });
  const item = panel.locator(".bell-list li", { hasText: title });
  await expect(item).toContainText("Mentioned you");
  await expect(item).toContainText(`#${ticket.number} ${title}`);
  await expect(item).toHaveClass(/unread/);
  await expect(bell).toHaveAttribute("aria-label", "Notifications, 1 unread");
  await expect(bell.locator(".bell-count")).toHaveText("1");
  await expect(panel.locator(".bell-list li").first()).toContainText(title); // newest first
  await agent1.page.screenshot({ path: testInfo.outputPath("bell-open.png") });

  // Escape closes the list and gives the focus back to the bell
  await item.getByRole("link").focus();
  await agent1.page.keyboard.press("Escape");
  await expect(panel).toHaveCount(0);
  await expect(bell).toBeFocused();
  await expect(bell).toHaveAttribute("aria-expanded", "false");

  // opening the notification shows its ticket and reads it
  await bell.click();
  await panel.getByRole("link", { name: new RegExp(title) }).click();
  await expect(agent1.page).toHaveURL(new RegExp(`/tickets/${ticket.id}$`));
  await expect(agent1.page.locator(".zoom[data-ready]")).toHaveCount(1);
  await expect(agent1.page.locator(".bell-button")).toHaveAttribute("aria-label", "Notifications, none unread");
  await expect(agent1.page.locator(".bell-button .bell-count")).toHaveCount(0);
  await agent1.page.locator(".bell-button").click();
  await expect(agent1.page.locator(".bell-list li", { hasText: title })).not.toHaveClass(/unread/);
});

test("agent1 switches off new-ticket e-mails in the profile; it stays off after a reload", async ({
  browser,
}, testInfo) => {
  const annaId = await userId("agent1@tandem.test");
  const { page } = await personPage(browser, "agent1@tandem.test");
  try {
    await page.locator("a.profile-link").click();
    await expect(page).toHaveURL(/\/profile$/);
    await expect(page.getByRole("heading", { name: "Notifications" })).toBeVisible();
    await expect(page.locator("form.notification-settings[data-ready]")).toHaveCount(1);
    const email = page.getByRole("checkbox", { name: "New ticket: by e-mail" });
    const online = page.getByRole("checkbox", { name: "New ticket: in the app" });
    await expect(email).toBeChecked();
    await expect(online).toBeChecked();
    await email.uncheck();
    await page.getByRole("button", { name: "Save notification settings" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Notification settings saved." })).toBeVisible();
    await page.locator(".notification-settings").screenshot({ path: testInfo.outputPath("profile-notifications.png") });
    await page.screenshot({ path: testInfo.outputPath("profile-page.png"), fullPage: true });

    await page.reload();
    await expect(page.locator("form.notification-settings[data-ready]")).toHaveCount(1);
    await expect(email).not.toBeChecked();
    await expect(online).toBeChecked();
    await expect(page.getByRole("checkbox", { name: "Mentioned you: by e-mail" })).toBeChecked();
  } finally {
    // the demo data as it was (every notification on) for the other specs
    const anna = await api("agent1@tandem.test");
    const restored = await anna.put(`/api/v1/users/${annaId}`, {
      data: { preferences: { notification_config: { matrix: {} } } },
    });
    expect(restored.status()).toBe(200);
    await anna.dispose();
  }
});
