// Fault 8 of issue 16, the editor's part: a link must not grow over the text typed right after
// it, and the empty paragraphs left at the end of a reply (Enter, Enter) are not sent.
import { api, createTicket, expect, failOnServerErrors, openTicket, signIn, test } from "./helpers";

test.beforeEach(async ({ page }) => failOnServerErrors(page));

for (const group of ["Sales", "Users"]) {
  test(`a reply with a link typed in it is sent as typed, without trailing empty paragraphs (${group})`, async ({ page }) => {
    const ticket = await createTicket(`Link in a reply ${group} ${Date.now()}`, "nicole@customer.test", group);
    await signIn(page, "agent1@tandem.test");
    await openTicket(page, ticket.id);
    const editor = page.locator(".composer .ProseMirror");
    await expect(editor).toBeVisible();
    await editor.click();
    // autolink turns the address into a link at the space; the words after it stay plain
    await page.keyboard.type("See https://example.test/help for details");
    await page.keyboard.press("Enter");
    await page.keyboard.press("Enter");
    await page.keyboard.press("Enter");
    await expect(editor.locator("a")).toHaveText("https://example.test/help");
    await expect(editor.locator("p")).toHaveCount(4);

    await page.locator("#submit-reply").click();
    await expect(editor.locator("a")).toHaveCount(0);
    const rest = await api("agent1@tandem.test");
    const sent = async () => {
      const articles = (await (await rest.get(`/api/v1/ticket_articles/by_ticket/${ticket.id}`)).json()) as { body: string }[];
      return articles.length > 1 ? articles[articles.length - 1].body : "";
    };
    await expect.poll(sent).toContain("for details");
    const body = await sent();
    // the link holds the address only
    expect(body).toMatch(/<a [^>]*href="https:\/\/example\.test\/help"[^>]*>https:\/\/example\.test\/help<\/a> for details/);
    // no empty paragraph at the end
    expect(body.trim()).not.toMatch(/<p>(\s|<br\s*\/?>|&nbsp;)*<\/p>$/);
    expect(body.trim()).toMatch(/for details<\/p>$/);
    await rest.dispose();
  });
}
