import { expect, test } from "./helpers";
import { agentPage, ticketOn, twoInstances } from "./own-server";

// Two Tandem instances on one PostgreSQL database (live events through LISTEN/NOTIFY): a
// customer's tab on one instance sees the agent's reply made on the other, without a reload.
// Runs only when the test command found PostgreSQL (TANDEM_TEST_POSTGRES_URL).

const adminUrl = process.env.TANDEM_TEST_POSTGRES_URL;

test("a reply made on one instance appears live in a tab served by another", async ({ browser }) => {
  test.skip(!adminUrl, "PostgreSQL not available");
  const { baseA, baseB, stop } = await twoInstances(adminUrl!, "instances");
  try {
    const { rest, id } = await ticketOn(baseB, "Two instances");

    const nicole = await agentPage(browser, baseA, "nicole@customer.test");
    await nicole.page.goto(`/tickets/${id}`);
    await expect(nicole.page.locator(".zoom[data-ready]")).toHaveCount(1);
    await expect(nicole.page.locator(".live-dot.online")).toHaveCount(1);

    // the agent answers on instance B
    const reply = await rest.put(`/api/v1/tickets/${id}`, {
      data: { article: { body: "Answered on the other instance.", type: "phone", internal: false } },
    });
    expect(reply.status()).toBe(200);
    await expect(nicole.page.locator(".thread .article", { hasText: "Answered on the other instance." }))
      .toBeVisible({ timeout: 15_000 });
    await rest.dispose();
    await nicole.context.close();
  } finally {
    await stop();
  }
});
