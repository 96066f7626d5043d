// Fault 6 of issue 16: times were UTC without a label. Now they are shown in the user's time
// zone (the profile's setting, else the browser's), relative in lists and threads ("5 minutes
// ago", the exact local time in the tooltip). The server renders a stable UTC form; the browser
// switches to the local one after hydration (no hydration error: the fixture fails on any).
import { Page } from "@playwright/test";
import { api, expect, failOnServerErrors, personPage, test } from "./helpers";

test.describe.configure({ mode: "serial" });
// the browser's zone: New York (the profile's default)
test.use({ timezoneId: "America/New_York" });

/** `iso` as the app shows exact times: YYYY-MM-DD HH:MM in `zone`. */
const inZone = (iso: string, zone: string) =>
  new Date(iso).toLocaleString("sv-SE", {
    timeZone: zone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  });

async function chooseZone(page: Page, zone: string) {
  await page.goto("/profile");
  await expect(page.locator("form.time-zone[data-ready]")).toHaveCount(1);
  // saved as soon as it is chosen
  await page.locator("#time-zone").selectOption(zone);
  await expect(page.locator("form.time-zone [role=status]")).toHaveText("Time zone saved.");
}

test("times show in the browser's zone by default and in the profile's zone once chosen, relative in lists and threads", async ({ browser }) => {
  // a fresh ticket in Users (agent2 reads Users): its article was written just now
  const rest = await api("agent1@tandem.test");
  const created = await rest.post("/api/v1/tickets", {
    data: { title: `Clock check ${Date.now()}`, group: "Users", customer_id: "guess:nicole@customer.test",
            article: { body: "What time is it?", type: "phone", internal: false } },
  });
  expect(created.status()).toBe(201);
  const ticket = await created.json();
  const articles = await (await rest.get(`/api/v1/ticket_articles/by_ticket/${ticket.id}`)).json();
  const articleAt: string = articles[0].created_at;
  await rest.dispose();

  const { context, page } = await personPage(browser, "agent2@tandem.test");
  failOnServerErrors(page);
  try {
    await chooseZone(page, ""); // the browser's

    // the server's HTML: a stable UTC form, labelled
    const html = await (await page.request.get(`/tickets/${ticket.id}`)).text();
    const utc = `${articleAt.slice(0, 10)} ${articleAt.slice(11, 16)} UTC`;
    expect(html).toContain(utc);

    // in the browser: relative, the exact time in New York in the tooltip
    await page.goto(`/tickets/${ticket.id}`);
    await expect(page.locator(".zoom[data-ready]")).toHaveCount(1);
    const when = page.locator(".thread .article .article-meta time").first();
    await expect(when).toHaveText(/^(just now|\d+ minutes? ago)$/);
    await expect(when).toHaveAttribute("title", `${inZone(articleAt, "America/New_York")} (America/New_York)`);
    await expect(when).toHaveAttribute("datetime", articleAt);
    // the sidebar's "Created": exact, in New York
    await expect(page.locator(".zoom-side p.small time").first()).toHaveText(inZone(articleAt, "America/New_York"));

    // the profile's zone wins over the browser's
    await chooseZone(page, "Asia/Tokyo");
    await page.goto(`/tickets/${ticket.id}`);
    await expect(page.locator(".zoom[data-ready]")).toHaveCount(1);
    await expect(when).toHaveAttribute("title", `${inZone(articleAt, "Asia/Tokyo")} (Asia/Tokyo)`);
    await expect(page.locator(".zoom-side p.small time").first()).toHaveText(inZone(articleAt, "Asia/Tokyo"));

    // the list: "Updated" relative, exact Tokyo time in the tooltip
    await page.goto("/tickets/view/open");
    await expect(page.locator(".table-wrap[data-ready]")).toHaveCount(1);
    const row = page.locator(`tr.ticket-row[data-ticket-id="${ticket.id}"]`);
    await expect(row.locator(".col-updated time")).toHaveText(/^(just now|\d+ minutes? ago)$/);
    await expect(row.locator(".col-updated time")).toHaveAttribute("title", /\(Asia\/Tokyo\)$/);
    // an older ticket (the demo data, or over a week old): its date, not "ago"
    await page.screenshot({ path: test.info().outputPath("time-zones-list.png") });
  } finally {
    await chooseZone(page, "");
    await context.close();
  }
});
