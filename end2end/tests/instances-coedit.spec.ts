import { expect, test } from "./helpers";
import { agentPage, editorText as text, restOn, ticketOn, twoInstances } from "./own-server";

// Rooms across instances (issue 17): two Tandem instances on one PostgreSQL database, Anna's
// browser on one and Ada's on the other, type into the same reply draft at the same time. Both
// editors converge with every keystroke once, each shows the other's caret (and never their
// own), and the "who is viewing" row spans the instances. Runs only when the test command found
// PostgreSQL (TANDEM_TEST_POSTGRES_URL).

const adminUrl = process.env.TANDEM_TEST_POSTGRES_URL;

test("agents on two instances co-edit one draft live", async ({ browser }) => {
  test.skip(!adminUrl, "PostgreSQL not available");
  test.setTimeout(150_000);
  const { baseA, baseB, stop } = await twoInstances(adminUrl!, "coedit");
  try {
    const { rest, id } = await ticketOn(baseA, "Co-editing across instances");
    await rest.dispose();

    const anna = await agentPage(browser, baseA, "agent1@tandem.test");
    const ada = await agentPage(browser, baseB, "admin@tandem.test");
    for (const p of [anna.page, ada.page]) {
      await p.goto(`/tickets/${id}`);
      await expect(p.locator(".zoom[data-ready]")).toHaveCount(1);
    }
    for (const p of [anna.page, ada.page]) await expect(p.locator(".coeditors")).toContainText("live");

    // the viewing row lists the agent on the other instance
    await expect(anna.page.locator(".viewers .viewer")).toHaveText(["Ada Admin"], { timeout: 15_000 });
    await expect(ada.page.locator(".viewers .viewer")).toHaveText(["Anna Agent"], { timeout: 15_000 });

    // a shared paragraph, typed on A, reaches B
    await anna.page.locator(".ProseMirror").click();
    await anna.page.keyboard.type("Start.");
    await expect(ada.page.locator(".ProseMirror")).toContainText("Start.", { timeout: 15_000 });
    // the carets are set through the editor: a native Control+Home/End reaches ProseMirror
    // only with the next selectionchange, and a remote update applied before it restores the
    // old caret (the keystrokes then land elsewhere)
    const caret = (page: typeof anna.page, where: "start" | "end") =>
      page.evaluate((where) => {
        const ed = (document.querySelector(".composer .ProseMirror") as any)?.editor;
        ed.view.focus();
        ed.commands.setTextSelection(where === "start" ? 1 : ed.state.doc.content.size - 1);
      }, where);
    await caret(ada.page, "end");
    await caret(anna.page, "start");

    // both type at once: Anna at the paragraph's start (A), Ada at its end (B)
    await Promise.all([
      anna.page.keyboard.type("anna-1 anna-2 anna-3 anna-4 anna-5 ", { delay: 25 }),
      ada.page.keyboard.type(" ada-1 ada-2 ada-3 ada-4 ada-5", { delay: 25 }),
    ]);
    await expect
      .poll(async () => (await text(anna.page)) === (await text(ada.page)), { timeout: 20_000 })
      .toBe(true);
    const final = await text(anna.page);
    expect(final).toContain("anna-1 anna-2 anna-3 anna-4 anna-5 Start. ada-1 ada-2 ada-3 ada-4 ada-5");
    for (let i = 1; i <= 5; i++) {
      expect(final.split(`anna-${i}`).length - 1).toBe(1);
      expect(final.split(`ada-${i}`).length - 1).toBe(1);
    }
    expect(final.split("Start.").length - 1).toBe(1);

    // presence and carets across instances: each sees the other, once, and never themselves
    await expect(anna.page.locator(".coeditors .peer")).toHaveText(["Ada Admin"], { timeout: 15_000 });
    await expect(ada.page.locator(".coeditors .peer")).toHaveText(["Anna Agent"], { timeout: 15_000 });
    await ada.page.bringToFront();
    await ada.page.keyboard.type(".");
    await expect(anna.page.locator(".collaboration-carets__label", { hasText: "Ada Admin" })).toHaveCount(1, {
      timeout: 15_000,
    });
    await anna.page.bringToFront();
    await anna.page.keyboard.type("!");
    await expect(ada.page.locator(".collaboration-carets__label", { hasText: "Anna Agent" })).toHaveCount(1, {
      timeout: 15_000,
    });
    await expect(anna.page.locator(".collaboration-carets__label", { hasText: "Anna Agent" })).toHaveCount(0);
    await expect(ada.page.locator(".collaboration-carets__label", { hasText: "Ada Admin" })).toHaveCount(0);
    await expect
      .poll(async () => (await text(anna.page)) === (await text(ada.page)), { timeout: 20_000 })
      .toBe(true);
    // both keystrokes arrived once each (where they land depends on the restored selection)
    const edited = await text(anna.page);
    expect(edited.split("!").length - 1).toBe(1);
    expect(edited.replace(/\s+/g, "").length).toBe(final.replace(/\s+/g, "").length + 2);
    for (let i = 1; i <= 5; i++) {
      expect(edited.split(`anna-${i}`).length - 1).toBe(1);
      expect(edited.split(`ada-${i}`).length - 1).toBe(1);
    }

    // what the instances stored is the same text, once (REST on either instance)
    for (const base of [baseA, baseB]) {
      const reader = await restOn(base);
      await expect
        .poll(
          async () => {
            const draft = await (await reader.get(`/api/v1/tickets/${id}/shared_draft`)).json();
            const zoom = draft.assets?.TicketSharedDraftZoom?.[draft.shared_draft_id];
            return (zoom?.new_article?.body ?? "").replace(/<[^>]+>/g, "").replace(/\s+/g, " ").trim();
          },
          { timeout: 15_000 },
        )
        .toBe(edited);
      await reader.dispose();
    }
  } finally {
    // the pages go before their servers (a socket refused afterwards is not the test's)
    for (const context of browser.contexts()) await context.close().catch(() => {});
    await stop();
  }
});
