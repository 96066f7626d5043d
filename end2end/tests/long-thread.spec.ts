// Long threads (issue 16, "long days"): a ticket opens at its newest article, the older ones are
// collapsed into "N earlier articles" that load on demand, the sidebar stays on screen, the
// browser tab names the ticket, and an article can be quoted into the reply.
import { api, createTicket, expect, failOnServerErrors, signIn, screenshot, test } from "./helpers";

test.describe.configure({ mode: "serial" });
test.beforeEach(async ({ page }) => failOnServerErrors(page));

const ARTICLES = 300;

test("a 300-article ticket opens at its newest article in under a second; older ones load on demand", async ({ page }, testInfo) => {
  test.setTimeout(180_000);
  const title = `A very long conversation ${Date.now()}`;
  const ticket = await createTicket(title, "nicole@customer.test", "Sales");
  // 299 more articles through the REST API (the first came with the ticket)
  const rest = await api("agent1@tandem.test");
  for (let i = 2; i <= ARTICLES; i++) {
    const response = await rest.post("/api/v1/ticket_articles", {
      data: { ticket_id: ticket.id, body: `Message number ${i} of the long thread`, type: "note", internal: i % 10 === 0 },
    });
    expect(response.status(), `article ${i}`).toBe(201);
  }
  await rest.dispose();

  await signIn(page, "agent1@tandem.test");
  const newest = page.locator(".thread .article").filter({ hasText: `Message number ${ARTICLES} of the long thread` });
  const started = Date.now();
  await page.goto(`/tickets/${ticket.id}`, { waitUntil: "commit" });
  // checked every animation frame (expect's own retries are too coarse to time this): the
  // newest article's box is inside both the window and the thread's scroll box
  await page.waitForFunction(
    (text) => {
      const article = [...document.querySelectorAll(".thread .article")].find((a) => a.textContent?.includes(text));
      const box = article?.closest(".thread-scroll");
      if (!article || !box) return false;
      const a = article.getBoundingClientRect();
      const b = box.getBoundingClientRect();
      return a.height > 0 && a.top < Math.min(window.innerHeight, b.bottom) && a.bottom > Math.max(0, b.top);
    },
    `Message number ${ARTICLES} of the long thread`,
    { polling: "raf", timeout: 5_000 },
  );
  const elapsed = Date.now() - started;
  await expect(newest).toBeInViewport();
  testInfo.annotations.push({ type: "opened at the newest article after", description: `${elapsed} ms` });
  console.log(`a ${ARTICLES}-article ticket opened at its newest article after ${elapsed} ms`);
  expect(elapsed, "from navigation to the newest article on screen (ms)").toBeLessThan(1000);

  // only the newest articles are in the page; the rest are collapsed
  await expect(page.locator(".zoom[data-ready]")).toHaveCount(1);
  await expect(page.locator(".thread .article")).toHaveCount(20);
  const earlier = page.locator("#earlier-articles");
  await expect(earlier).toHaveText("280 earlier articles");
  // the first article is not in the page yet
  await expect(page.locator(".thread .article").filter({ hasText: `First message of ${title}` })).toHaveCount(0);

  // the browser tab names the ticket
  await expect(page).toHaveTitle(`#${ticket.number} ${title} – Tandem`);
  await page.screenshot({ path: screenshot("long-thread-opened"), fullPage: false });

  // on demand: 50 more at a time, shown right below the button, to read on downwards
  await earlier.click();
  await expect(page.locator(".thread .article")).toHaveCount(70);
  await expect(earlier).toHaveText("230 earlier articles");
  await expect(earlier).toBeInViewport();
  await expect(page.locator(".thread .article").filter({ hasText: "Message number 231 of the long thread" })).toBeInViewport();
  while ((await page.locator("#earlier-articles").count()) > 0) {
    const before = await page.locator(".thread .article").count();
    await page.locator("#earlier-articles").click();
    await expect.poll(() => page.locator(".thread .article").count()).toBeGreaterThan(before);
  }
  await expect(page.locator(".thread .article")).toHaveCount(ARTICLES);
  const first = page.locator(".thread .article").first();
  await expect(first).toContainText(`First message of ${title}`);
  await first.scrollIntoViewIfNeeded();
  await page.screenshot({ path: screenshot("long-thread-all-loaded"), fullPage: false });

  // a new article arrives live while older ones are loaded: it is added, none is lost
  const rest2 = await api("agent1@tandem.test");
  await rest2.post("/api/v1/ticket_articles", { data: { ticket_id: ticket.id, body: "One more, live", type: "note", internal: false } });
  await rest2.dispose();
  await expect(page.locator(".thread .article").filter({ hasText: "One more, live" })).toHaveCount(1);
  await expect(page.locator(".thread .article")).toHaveCount(ARTICLES + 1);
});

test("the sidebar stays on screen while the page scrolls; an article is quoted into the reply", async ({ page }) => {
  const ticket = await createTicket(`Sticky sidebar ${Date.now()}`, "nicole@customer.test", "Sales");
  const rest = await api("agent1@tandem.test");
  const long = Array.from({ length: 60 }, (_, i) => `Line ${i + 1} of a long message.`).join("\n\n");
  await rest.post("/api/v1/ticket_articles", { data: { ticket_id: ticket.id, body: long, type: "note", internal: false } });
  await rest.post("/api/v1/ticket_articles", { data: { ticket_id: ticket.id, body: "Please quote me", type: "note", internal: false } });
  await rest.dispose();

  await page.setViewportSize({ width: 1280, height: 700 });
  await signIn(page, "agent1@tandem.test");
  await page.goto(`/tickets/${ticket.id}`);
  await expect(page.locator(".zoom[data-ready]")).toHaveCount(1);
  await expect(page.locator(".composer .ProseMirror")).toBeVisible();
  const side = page.locator(".zoom-side");
  const sideTop = async () => (await side.boundingBox())!.y;
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  await expect.poll(() => page.evaluate(() => window.scrollY)).toBeGreaterThan(50);
  await page.screenshot({ path: screenshot("long-thread-scrolled-sidebar"), fullPage: false });
  // the sidebar's top is still on screen after the page scrolled
  const top = await sideTop();
  expect(top).toBeGreaterThanOrEqual(0);
  expect(top).toBeLessThan(100);
  await expect(side.locator("select[name=state_id]")).toBeInViewport();

  // Quote: the article lands in the reply as a blockquote
  const article = page.locator(".thread .article").filter({ hasText: "Please quote me" });
  await article.getByRole("button", { name: "Quote" }).click();
  await expect(page.locator(".composer .ProseMirror blockquote")).toContainText("Please quote me");
  // Reply puts the caret into the composer
  await article.getByRole("button", { name: "Reply" }).click();
  await expect(page.locator(".composer .ProseMirror")).toBeFocused();
});
