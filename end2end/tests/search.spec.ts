// Search (issue 18): a query the search language cannot read shows the sentence the REST API
// gives as the 422's error_human, in the list's place, without a failed request in the console
// (the fixture fails the test on any console error) and without a pointless Retry, whether the
// page is rendered on the server or the browser fetches the list again; wildcards
// inside words and names in any case work from the search box too.
import { api, createTicket, expect, failOnServerErrors, openList, personPage, test } from "./helpers";

test.beforeEach(async ({ page }) => failOnServerErrors(page));

/** The REST API's error_human for a query (the 422 it answers). */
async function errorHuman(query: string): Promise<string> {
  const agent = await api("agent1@tandem.test");
  const response = await agent.get(`/api/v1/tickets/search?query=${encodeURIComponent(query)}`);
  expect(response.status()).toBe(422);
  const body = await response.json();
  await agent.dispose();
  return body.error_human;
}

test("an unreadable query shows the API's sentence, not a parser's text, and logs no error", async ({ browser }) => {
  const agent = await personPage(browser, "agent1@tandem.test");
  const page = agent.page;
  // nothing the page asks for fails: the query's problem comes back with 200
  const failed: string[] = [];
  page.on("response", (response) => {
    if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
  });

  // typed into the box
  const typed = '"printer queue';
  await openList(page, "/tickets/view/open");
  await page.locator("#search-q").fill(typed);
  await page.locator("#search-q").press("Enter");
  await expect(page.locator(".table-wrap[data-ready]")).toHaveCount(1);
  const problem = page.locator(".search-problem");
  await expect(problem).toHaveText(await errorHuman(typed));
  await expect(problem).toHaveAttribute("role", "alert");
  await expect(problem).toContainText("quotation mark");
  await expect(page.locator(".error-box")).toHaveCount(0); // no Retry for a query
  await expect(page.locator("tr.ticket-row")).toHaveCount(0);
  await expect(page.locator("nav.tabs a.tab")).not.toHaveCount(0);
  await expect(page.locator("#search-q")).toHaveValue(typed);
  expect(failed).toEqual([]);

  // loaded directly (rendered on the server): the same, with the whole page answering 200
  const unknown = "colour:blue";
  const response = await page.goto(`/tickets/view/search?q=${encodeURIComponent(unknown)}`);
  expect(response?.status()).toBe(200);
  await expect(page.locator(".table-wrap[data-ready]")).toHaveCount(1);
  await expect(page.locator(".search-problem")).toHaveText(await errorHuman(unknown));
  await expect(page.locator(".search-problem")).toContainText("Unknown search field 'colour'");

  // a live change makes the browser fetch the list again (the server function search_tickets):
  // it answers 200 with the same sentence, so no failed request reaches the console
  const refetched = page.waitForResponse((r) => r.url().includes("/api/search_tickets"));
  await createTicket(`Live change while searching ${Date.now()}`);
  expect((await refetched).status()).toBe(200);
  await expect(page.locator(".search-problem")).toHaveText(await errorHuman(unknown));

  // fixing the query brings results back
  await page.locator("#search-q").fill("printer");
  await page.locator("#search-q").press("Enter");
  await expect(page.locator(".table-wrap[data-ready]")).toHaveCount(1);
  await expect(page.locator(".search-problem")).toHaveCount(0);
  expect(failed).toEqual([]);
  await agent.context.close();
});

test("wildcards inside words and group names in any case, from the search box", async ({ browser }) => {
  const word = `Zyklotron${Date.now()}`;
  const ticket = await createTicket(`${word} DRÜCKER streikt`);
  const agent = await personPage(browser, "agent1@tandem.test");
  const page = agent.page;
  for (const query of [`${word.slice(0, 3)}*tron${word.slice(9)}`, `title:drü*er AND ${word}`, `group:SALES ${word}`]) {
    await openList(page, `/tickets/view/search?q=${encodeURIComponent(query)}`);
    await expect(page.locator(`tr.ticket-row[data-ticket-id="${ticket.id}"]`), query).toHaveCount(1);
    await expect(page.locator(".search-problem")).toHaveCount(0);
  }
  await agent.context.close();
});
