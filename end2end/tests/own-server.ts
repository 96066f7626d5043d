import { ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { APIRequestContext, Browser, expect, request } from "@playwright/test";
import { PASSWORD } from "./helpers";

// Tests that need a Tandem of their own (to kill it, or to run two): the debug binary the test
// command built, on a free port, with its own database.

const root = path.resolve(process.cwd(), "..");
const binary = path.join(root, "target", "debug", "tandem");

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      srv.close(() => (typeof address === "object" && address ? resolve(address.port) : reject()));
    });
  });
}

export async function startTandem(dir: string, port: number, databaseUrl?: string): Promise<ChildProcess> {
  const child = spawn(binary, [], {
    cwd: root, // it serves target/site from here
    env: {
      ...process.env,
      TANDEM_LISTEN: `127.0.0.1:${port}`,
      TANDEM_DATABASE_URL: databaseUrl ?? `sqlite://${dir}/tandem.db`,
      TANDEM_DATA_DIR: `${dir}/files`,
      TANDEM_DEMO: "1",
      TANDEM_SYSTEM_ID: "77",
    },
    stdio: "ignore",
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/api/v1/openapi.json`)).ok) return child;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill("SIGKILL");
  throw new Error("tandem did not start");
}

/** A signed-in page on `base` in its own browser context. */
export async function agentPage(browser: Browser, base: string, login: string) {
  const context = await browser.newContext({ baseURL: base });
  const page = await context.newPage();
  await page.goto("/login");
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
  await page.locator("#login").fill(login);
  await page.locator("#password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator(".table-wrap[data-ready]")).toHaveCount(1);
  return { context, page };
}


/** A REST client of `base` as agent1, and a fresh ticket of Nicole's in Users made with it. */
export async function ticketOn(base: string, title: string): Promise<{ rest: APIRequestContext; id: number }> {
  const rest = await request.newContext({
    baseURL: base,
    extraHTTPHeaders: { Authorization: "Basic " + Buffer.from(`agent1@tandem.test:${PASSWORD}`).toString("base64") },
  });
  const created = await rest.post("/api/v1/tickets", {
    data: { title, group: "Users", customer_id: "guess:nicole@customer.test",
            article: { body: "first", type: "phone", internal: false } },
  });
  expect(created.status()).toBe(201);
  return { rest, id: (await created.json()).id };
}
