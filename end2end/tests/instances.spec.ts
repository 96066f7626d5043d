import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test } from "./helpers";
import { agentPage, freePort, startTandem, ticketOn } from "./own-server";

// Two Tandem instances on one PostgreSQL database (live events through LISTEN/NOTIFY): a
// customer's tab on one instance sees the agent's reply made on the other, without a reload.
// Runs only when the test command found PostgreSQL (TANDEM_TEST_POSTGRES_URL).

const adminUrl = process.env.TANDEM_TEST_POSTGRES_URL;

test("a reply made on one instance appears live in a tab served by another", async ({ browser }) => {
  test.skip(!adminUrl, "PostgreSQL not available");
  test.setTimeout(120_000);
  const name = `tandem_e2e_${process.pid}_${Date.now()}`;
  const psql = (sql: string) => spawnSync("psql", [adminUrl!, "-qc", sql], { encoding: "utf8" });
  expect(psql(`CREATE DATABASE ${name}`).status).toBe(0);
  const url = new URL(adminUrl!);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const dir = mkdtempSync(path.join(tmpdir(), "tandem-instances-"));
  const [portA, portB] = [await freePort(), await freePort()];
  const a = await startTandem(dir, portA, databaseUrl);
  const b = await startTandem(dir, portB, databaseUrl);
  try {
    const baseA = `http://127.0.0.1:${portA}`;
    const baseB = `http://127.0.0.1:${portB}`;
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
    a.kill("SIGKILL");
    b.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    await new Promise((r) => setTimeout(r, 500));
    psql(`DROP DATABASE IF EXISTS ${name}`);
  }
});
