// Issue 16: daily work in the ticket view. An agent edits the tags in the sidebar (with
// suggestions from the existing tags), reads the history, links and merges tickets, subscribes
// to a ticket and sees the customer's other open tickets. Every change is checked through the
// REST API too: the sidebar goes through the same desk use cases.
import { api, createTicket, expect, failOnServerErrors, openTicket, screenshot, signIn, test } from "./helpers";

test.beforeEach(async ({ page }) => failOnServerErrors(page));

const restTags = async (ticketId: number): Promise<string[]> => {
  const rest = await api("agent1@tandem.test");
  const body = await (await rest.get(`/api/v1/tags?object=Ticket&o_id=${ticketId}`)).json();
  await rest.dispose();
  return [...body.tags].sort();
};

test("tags: added with suggestions and by typing, removed; the history shows it", async ({ page }) => {
  const stamp = Date.now();
  const known = `known-${stamp}`;
  const fresh = `fresh-${stamp}`;
  // an existing tag (on another ticket) to be suggested
  const other = await createTicket(`Tag source ${stamp}`);
  const rest = await api("agent1@tandem.test");
  const added = await rest.post("/api/v1/tags/add", { data: { object: "Ticket", o_id: other.id, item: known } });
  expect(added.status()).toBeLessThan(300);
  await rest.dispose();

  const ticket = await createTicket(`Tags ${stamp}`);
  await signIn(page, "agent1@tandem.test");
  await openTicket(page, ticket.id);
  const tags = page.locator(".zoom-side .tags-block");
  const input = tags.getByRole("combobox", { name: "Add a tag" });
  await expect(input).toBeVisible();

  // typing part of the existing tag suggests it; ArrowDown and Enter take it
  await input.fill(`nown-${stamp}`);
  const suggestion = tags.getByRole("option", { name: known });
  await expect(suggestion).toBeVisible();
  await suggestion.scrollIntoViewIfNeeded();
  await page.screenshot({ path: screenshot("ticket-tools-tag-suggestions"), fullPage: true });
  await input.press("ArrowDown");
  await expect(suggestion).toHaveAttribute("aria-selected", "true");
  await input.press("Enter");
  await expect(tags.locator(".tag", { hasText: known })).toBeVisible();
  await expect(input).toHaveValue("");

  // a new tag: typed, Enter
  await input.fill(fresh);
  await input.press("Enter");
  await expect(tags.locator(".tag", { hasText: fresh })).toBeVisible();
  await expect.poll(() => restTags(ticket.id)).toEqual([fresh, known].sort());

  // removed with its button
  await tags.getByRole("button", { name: `Remove tag ${fresh}` }).click();
  await expect(tags.locator(".tag", { hasText: fresh })).toHaveCount(0);
  await expect(tags.locator(".tag", { hasText: known })).toBeVisible();
  await expect.poll(() => restTags(ticket.id)).toEqual([known]);
  await page.screenshot({ path: screenshot("ticket-tools-tags"), fullPage: true });

  // the history: a dialog with the changes, the focus inside, Escape closes it
  const opener = page.getByRole("button", { name: "History", exact: true });
  await opener.click();
  const dialog = page.getByRole("dialog", { name: "History" });
  await expect(dialog).toBeVisible();
  const addedEntry = dialog.locator(".history-entry", { hasText: "added tag" }).filter({ hasText: fresh });
  const removedEntry = dialog.locator(".history-entry", { hasText: "removed tag" }).filter({ hasText: fresh });
  await expect(addedEntry).toBeVisible();
  await expect(removedEntry).toBeVisible();
  await expect(removedEntry).toContainText("Anna Agent");
  await expect(dialog.locator(".history-entry", { hasText: "created the ticket" })).toBeVisible();
  // the time is shown in the browser's time zone, not as the server's UTC text
  await expect(removedEntry.locator("time")).not.toHaveText(/UTC/);
  await page.screenshot({ path: screenshot("ticket-tools-history"), fullPage: true });
  // Tab goes round the dialog's controls and never leaves it
  for (let i = 0; i < 4; i++) {
    await page.keyboard.press("Tab");
    expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
  }
  await page.keyboard.press("Shift+Tab");
  expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(opener).toBeFocused();
});

test("link two tickets, see the customer's other open tickets, subscribe and unsubscribe", async ({ page, browserErrors }) => {
  // the test links an unknown number on purpose: the server function answers 422
  browserErrors.allow(/status of 422 \(Unprocessable Entity\) @ .*\/api\/add_ticket_link/);
  const stamp = Date.now();
  const parent = await createTicket(`Parent ${stamp}`);
  const ticket = await createTicket(`Child ${stamp}`);
  await signIn(page, "agent1@tandem.test");
  await openTicket(page, ticket.id);

  // the customer's other open tickets, with links
  const others = page.getByTestId("customer-tickets");
  await expect(others.getByRole("link", { name: `Parent ${stamp}` })).toHaveAttribute("href", `/tickets/${parent.id}`);
  await expect(page.locator(".zoom-side .avatar").first()).toHaveText("NB");

  // link: the other ticket is this one's parent
  const links = page.locator(".links-block");
  await links.getByRole("combobox", { name: "The other ticket is" }).selectOption("parent");
  await links.getByRole("textbox", { name: "Number of the ticket to link" }).fill(parent.number);
  await links.getByRole("button", { name: "Link", exact: true }).click();
  const link = links.locator(".ticket-link", { hasText: `Parent ${stamp}` });
  await expect(link).toBeVisible();
  await expect(link.locator(".link-type")).toHaveText("Parent");
  await expect(link.getByRole("link")).toHaveAttribute("href", `/tickets/${parent.id}`);
  const rest = await api("agent1@tandem.test");
  const listed = async (id: number) =>
    (await (await rest.get(`/api/v1/links?link_object=Ticket&link_object_value=${id}`)).json()).links;
  expect(await listed(ticket.id)).toEqual([{ link_type: "parent", link_object: "Ticket", link_object_value: parent.id }]);
  expect(await listed(parent.id)).toEqual([{ link_type: "child", link_object: "Ticket", link_object_value: ticket.id }]);
  // an unknown number is refused with a readable message
  await links.getByRole("textbox", { name: "Number of the ticket to link" }).fill("999999999");
  await links.getByRole("button", { name: "Link", exact: true }).click();
  await expect(links.getByRole("alert")).toContainText("No ticket with number");
  await page.screenshot({ path: screenshot("ticket-tools-links"), fullPage: true });

  // subscribe: a mention of oneself
  const subscribe = page.locator("#subscribe-ticket");
  await expect(subscribe).toHaveText("Subscribe");
  await subscribe.click();
  await expect(subscribe).toHaveText("Unsubscribe");
  await expect(subscribe).toHaveAttribute("aria-pressed", "true");
  const me = await (await rest.get("/api/v1/users/me")).json();
  const mentions = async () =>
    (await (await rest.get(`/api/v1/mentions?mentionable_type=Ticket&mentionable_id=${ticket.id}`)).json()).mentions.map(
      (m: { user_id: number }) => m.user_id,
    );
  expect(await mentions()).toEqual([me.id]);
  await page.screenshot({ path: screenshot("ticket-tools-subscribed"), fullPage: true });
  await subscribe.click();
  await expect(subscribe).toHaveText("Subscribe");
  expect(await mentions()).toEqual([]);

  // the link is removed again
  await links.getByRole("button", { name: `Remove the link to #${parent.number}` }).click();
  await expect(link).toHaveCount(0);
  await expect(links).toContainText("No linked tickets.");
  expect(await listed(ticket.id)).toEqual([]);
  await rest.dispose();
});

test("merge a ticket into another one: confirmed, then the target is shown", async ({ page, browserErrors }) => {
  // the test merges into an unknown number on purpose: the server function answers 422
  browserErrors.allow(/status of 422 \(Unprocessable Entity\) @ .*\/api\/merge_ticket/);
  const stamp = Date.now();
  const target = await createTicket(`Merge target ${stamp}`);
  const source = await createTicket(`Merge source ${stamp}`);
  await signIn(page, "agent1@tandem.test");
  await openTicket(page, source.id);

  const opener = page.getByRole("button", { name: "Merge", exact: true });
  await opener.click();
  const dialog = page.getByRole("dialog", { name: `Merge ticket #${source.number} into another ticket` });
  await expect(dialog).toBeVisible();
  const number = dialog.getByRole("textbox", { name: "Number of the ticket to merge into" });
  await expect(number).toBeFocused();
  // a number that names no ticket: the dialog says so and nothing changes
  await number.fill("999999999");
  await dialog.getByRole("button", { name: "Continue" }).click();
  await dialog.getByRole("button", { name: "Merge", exact: true }).click();
  await expect(dialog.getByRole("alert")).toContainText("no ticket with the number 999999999");

  await number.fill(target.number);
  await dialog.getByRole("button", { name: "Continue" }).click();
  await expect(dialog).toContainText(`Merge #${source.number} into #${target.number}?`);
  await expect(dialog.getByRole("button", { name: "Back" })).toBeFocused();
  await page.screenshot({ path: screenshot("ticket-tools-merge-confirm"), fullPage: true });
  await dialog.getByRole("button", { name: "Merge", exact: true }).click();

  // the target, with the source's article
  await expect(page).toHaveURL(new RegExp(`/tickets/${target.id}$`));
  await expect(page.locator(".zoom[data-ready]")).toHaveCount(1);
  await expect(page.locator(".thread .article", { hasText: `First message of Merge source ${stamp}` })).toBeVisible();
  await page.screenshot({ path: screenshot("ticket-tools-merged"), fullPage: true });

  const rest = await api("agent1@tandem.test");
  const merged = await (await rest.get(`/api/v1/tickets/${source.id}?expand=true`)).json();
  expect(merged.state).toBe("merged");
  await rest.dispose();
});

test("an e-mail's Reply all and Forward prefill the reply", async ({ page }) => {
  const stamp = Date.now();
  const admin = await api("admin@tandem.test");
  const own = `support-${stamp}@tandem.test`;
  const address = await admin.post("/api/v1/email_addresses", { data: { name: "Support", email: own } });
  expect(address.status(), await address.text()).toBe(201);
  const inbound = await admin.post("/api/v1/channels_email/inbound?group=Sales", {
    headers: { "Content-Type": "message/rfc822" },
    data: Buffer.from(
      `From: Nicole Braun <nicole@customer.test>\r\nTo: Support <${own}>, sam@customer.test\r\nCc: Lee Lone <lee@other.test>\r\n` +
        `Subject: Printer on fire ${stamp}\r\nMessage-ID: <fire-${stamp}@customer.test>\r\nMIME-Version: 1.0\r\n` +
        `Content-Type: multipart/mixed; boundary="b-${stamp}"\r\n\r\n` +
        `--b-${stamp}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe printer is on fire.\r\n` +
        `--b-${stamp}\r\nContent-Type: text/plain; name="fire-report.txt"\r\nContent-Disposition: attachment; filename="fire-report.txt"\r\n\r\n` +
        `Smoke since 9:00.\r\n--b-${stamp}--\r\n`,
    ),
  });
  expect(inbound.status(), await inbound.text()).toBe(201);
  const received = await inbound.json();
  expect(received.result).toBe("article");
  await admin.dispose();

  await signIn(page, "agent1@tandem.test");
  await openTicket(page, received.ticket_id);
  const article = page.locator(".thread .article.kind-email").first();
  const reply = page.locator("section.reply");

  // Reply all: the sender in To, the other recipients in Cc, Tandem's own address left out
  await article.getByRole("button", { name: "Reply all" }).click();
  await expect(reply.locator("select[name=article-type]")).toHaveValue("email");
  await expect(reply.locator("input[name=to]")).toHaveValue(/nicole@customer\.test/);
  await expect(reply.locator("input[name=cc]")).toHaveValue("sam@customer.test, Lee Lone <lee@other.test>");
  await expect(reply.locator("input[name=internal]")).not.toBeChecked();
  await page.screenshot({ path: screenshot("ticket-tools-reply-all"), fullPage: true });

  // Forward: nobody yet, the article's subject, the message quoted
  await article.getByRole("button", { name: "Forward" }).click();
  await expect(reply.locator("input[name=to]")).toHaveValue("");
  await expect(reply.locator("input[name=cc]")).toHaveValue("");
  await expect(reply.locator("input[name=subject]")).toHaveValue(`Printer on fire ${stamp}`);
  const editor = reply.locator(".ProseMirror");
  await expect(editor).toContainText("---Begin forwarded message:---");
  await expect(editor).toContainText("From: Nicole Braun <nicole@customer.test>");
  await expect(editor.locator("blockquote")).toContainText("The printer is on fire.");
  // the forwarded message's attachment goes along (copied into this reply's uploads)
  const chips = reply.getByRole("list", { name: "Attached files" });
  await expect(chips.getByText("fire-report.txt")).toBeVisible();
  await page.screenshot({ path: screenshot("ticket-tools-forward"), fullPage: true });
  // a second Forward does not attach it twice
  await article.getByRole("button", { name: "Forward" }).click();
  await expect(chips.getByText("fire-report.txt")).toHaveCount(1);

  // sent, the forward carries the file
  await reply.locator("input[name=to]").fill("lee@other.test");
  await reply.getByRole("button", { name: "Send" }).click();
  const sent = page.locator(".thread .article.kind-email", { hasText: "---Begin forwarded message:---" });
  await expect(sent).toBeVisible();
  await expect(sent.getByRole("link", { name: /fire-report\.txt/ })).toBeVisible();
});
