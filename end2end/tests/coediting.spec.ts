import { api, createTicket, expect, failOnServerErrors, openTicket, personPage, screenshot, test } from "./helpers";

// Live co-editing of the reply draft in real Chromium pages (issue: shared drafts).
test.describe.configure({ mode: "serial" });
test.beforeEach(async ({ page }) => failOnServerErrors(page));

/** The editor's text without the other editors' caret labels, whitespace normalised. */
const text = async (page) =>
  (
    (await page.locator(".ProseMirror").evaluate((el) => {
      const copy = el.cloneNode(true) as HTMLElement;
      copy.querySelectorAll(".collaboration-carets__caret").forEach((c) => c.remove());
      return copy.textContent ?? "";
    })) as string
  )
    .replace(/\s+/g, " ")
    .trim();

test("two agents type into the same paragraph at the same time; a REST PATCH lands in the middle; nothing is lost", async ({
  browser,
}) => {
  const ticket = await createTicket(`Concurrent typing ${Date.now()}`, "nicole@customer.test", "Users");
  const anna = await personPage(browser, "agent1@tandem.test");
  const ada = await personPage(browser, "admin@tandem.test");
  await openTicket(anna.page, ticket.id);
  await openTicket(ada.page, ticket.id);
  for (const p of [anna.page, ada.page]) await expect(p.locator(".coeditors")).toContainText("live");

  // one shared paragraph to start from
  await anna.page.locator(".ProseMirror").click();
  await anna.page.keyboard.type("Start.");
  await expect(ada.page.locator(".ProseMirror")).toContainText("Start.");
  // carets set through the editor: a native Control+Home/End reaches ProseMirror only with the
  // next selectionchange, and a remote update applied before it restores the old caret
  for (const [page, where] of [[ada.page, "end"], [anna.page, "start"]] as const) {
    await page.evaluate((where) => {
      const ed = (document.querySelector(".composer .ProseMirror") as any)?.editor;
      ed.view.focus();
      ed.commands.setTextSelection(where === "start" ? 1 : ed.state.doc.content.size - 1);
    }, where);
  }

  // both type into that paragraph at once (Anna at its start, Ada at its end: at one and the
  // same spot the CRDT may interleave their words letter by letter, correctly but unreadably),
  // while an integration PATCHes the draft over REST
  const rest = await api("agent1@tandem.test");
  const typing = Promise.all([
    anna.page.keyboard.type("anna-1 anna-2 anna-3 anna-4 anna-5 ", { delay: 25 }),
    ada.page.keyboard.type(" ada-1 ada-2 ada-3 ada-4 ada-5", { delay: 25 }),
  ]);
  await anna.page.waitForTimeout(400);
  const current = await rest.get(`/api/v1/tickets/${ticket.id}/shared_draft`);
  expect(current.status()).toBe(200);
  const draft = await current.json();
  const draftId = draft.shared_draft_id;
  const zoom = draft.assets.TicketSharedDraftZoom[draftId];
  const patched = await rest.patch(`/api/v1/tickets/${ticket.id}/shared_draft`, {
    data: {
      form_id: "rest-integration",
      new_article: { ...zoom.new_article, body: `${zoom.new_article.body}<p>Added over REST.</p>` },
      ticket_attributes: zoom.ticket_attributes,
    },
  });
  expect(patched.status()).toBe(200);
  await typing;
  await rest.dispose();

  // both editors converge on the same text, with every keystroke and the REST paragraph
  await expect.poll(async () => (await text(anna.page)) === (await text(ada.page)), { timeout: 15_000 }).toBe(true);
  const final = await text(anna.page);
  expect(final).toContain("anna-1 anna-2 anna-3 anna-4 anna-5 Start. ada-1 ada-2 ada-3 ada-4 ada-5");
  for (const word of ["Start.", "anna-1", "anna-5", "ada-1", "ada-5", "Added over REST."]) {
    expect(final).toContain(word);
  }
  for (let i = 1; i <= 5; i++) {
    expect(final.split(`anna-${i}`).length - 1).toBe(1);
    expect(final.split(`ada-${i}`).length - 1).toBe(1);
  }
  await anna.page.screenshot({ path: screenshot("coediting-concurrent"), fullPage: true });

  // the reply's settings and the sidebar are shared too: Ada makes it a phone note (public),
  // Anna raises the priority; each sees the other's choice
  await ada.page.locator("select[name=article-type]").selectOption("phone");
  await expect(anna.page.locator("select[name=article-type]")).toHaveValue("phone");
  await expect(anna.page.locator("input[name=internal]")).not.toBeChecked();
  await anna.page.locator("select[name=priority_id]").selectOption({ label: "3 high" });
  await expect(ada.page.locator("select[name=priority_id] option:checked")).toHaveText("3 high");

  // Ada sends: the article appears once for both, both editors close (start empty)
  await ada.page.locator("#submit-reply").click();
  for (const p of [anna.page, ada.page]) {
    await expect(p.locator(".thread .article:not(.internal)", { hasText: "Added over REST." })).toHaveCount(1);
    await expect(p.locator(".ProseMirror")).not.toContainText("anna-1");
  }
  const check = await api("agent1@tandem.test");
  const sent = await (await check.get(`/api/v1/tickets/${ticket.id}?expand=true`)).json();
  expect(sent.priority).toBe("3 high");
  await check.dispose();
  await anna.context.close();
  await ada.context.close();
});

test("an agent who may only read the ticket watches the draft read-only; customers never see it", async ({ browser }) => {
  const ticket = await createTicket(`Read-only draft ${Date.now()}`, "nicole@customer.test", "Users");
  const anna = await personPage(browser, "agent1@tandem.test");
  await openTicket(anna.page, ticket.id);
  await anna.page.locator(".ProseMirror").click();
  await anna.page.keyboard.type("Draft only agents with change access can edit.");

  const bob = await personPage(browser, "agent2@tandem.test"); // read-only in Users
  await openTicket(bob.page, ticket.id);
  const watched = bob.page.locator(".draft-watch .ProseMirror");
  await expect(watched).toContainText("Draft only agents");
  await expect(watched).toHaveAttribute("contenteditable", "false");
  await expect(bob.page.locator("#submit-reply")).toHaveCount(0);

  const nicole = await personPage(browser, "nicole@customer.test");
  await openTicket(nicole.page, ticket.id);
  await expect(nicole.page.locator(".ProseMirror")).not.toContainText("Draft only agents");
  await expect(nicole.page.locator(".coeditors")).toHaveCount(0);
  for (const c of [anna, bob, nicole]) await c.context.close();
});
