import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { APIRequestContext, Browser, Page, expect, request } from "@playwright/test";
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

/**
 * Starts the debug binary on `port` and answers once it says it listens there (its log line
 * `Tandem listening on http://127.0.0.1:<port>`, after the bind). An instance that cannot take
 * the port exits, and that fails here with its last log lines, instead of an answer from
 * whatever else listens there being taken for it.
 */
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
    stdio: ["ignore", "ignore", "pipe"],
  });
  const listening = `Tandem listening on http://127.0.0.1:${port}`;
  let log = "";
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`tandem did not start on port ${port}`)), 60_000);
      const done = (error?: Error) => {
        clearTimeout(timer);
        child.stderr!.removeListener("data", onData);
        child.removeListener("exit", onExit);
        if (error) reject(error);
        else resolve();
      };
      const onData = (chunk: Buffer) => {
        log = (log + chunk.toString()).slice(-4000);
        if (log.includes(listening)) done();
      };
      const onExit = (code: number | null, signal: string | null) =>
        done(new Error(`tandem exited (${code ?? signal}) before it listened on port ${port}:\n${log}`));
      child.stderr!.on("data", onData);
      child.on("exit", onExit);
    });
  } catch (e) {
    child.kill("SIGKILL");
    throw e;
  }
  child.stderr!.resume(); // the log is not read from here on; it must not fill the pipe
  return child;
}

/**
 * Two Tandem instances on a fresh PostgreSQL database of their own, made through `adminUrl`
 * (the first loads the demo data before the second starts). `stop()` kills both, removes
 * their files and drops the database; close the pages on them first.
 */
export async function twoInstances(adminUrl: string, label: string) {
  const name = `tandem_e2e_${label}_${process.pid}_${Date.now()}`;
  const psql = (sql: string) => spawnSync("psql", [adminUrl, "-qc", sql], { encoding: "utf8" });
  expect(psql(`CREATE DATABASE ${name}`).status).toBe(0);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const dir = mkdtempSync(path.join(tmpdir(), `tandem-${label}-`));
  // B's port is picked once A listens: two picked at once could be the same one
  const portA = await freePort();
  const a = await startTandem(dir, portA, databaseUrl);
  const portB = await freePort();
  const b = await startTandem(dir, portB, databaseUrl).catch((e) => {
    a.kill("SIGKILL");
    throw e;
  });
  return {
    baseA: `http://127.0.0.1:${portA}`,
    baseB: `http://127.0.0.1:${portB}`,
    async stop() {
      a.kill("SIGKILL");
      b.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 500));
      psql(`DROP DATABASE IF EXISTS ${name}`);
    },
  };
}

/** The editor's text without the other editors' caret labels, whitespace normalised. */
export const editorText = async (page: Page) =>
  (
    (await page.locator(".ProseMirror").evaluate((el) => {
      const copy = el.cloneNode(true) as HTMLElement;
      copy.querySelectorAll(".collaboration-carets__caret").forEach((c) => c.remove());
      return copy.textContent ?? "";
    })) as string
  )
    .replace(/\s+/g, " ")
    .trim();

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


/** A REST client of `base` as agent1. */
export function restOn(base: string): Promise<APIRequestContext> {
  return request.newContext({
    baseURL: base,
    extraHTTPHeaders: { Authorization: "Basic " + Buffer.from(`agent1@tandem.test:${PASSWORD}`).toString("base64") },
  });
}

/** A REST client of `base` as agent1, and a fresh ticket of Nicole's in Users made with it. */
export async function ticketOn(base: string, title: string): Promise<{ rest: APIRequestContext; id: number }> {
  const rest = await restOn(base);
  const created = await rest.post("/api/v1/tickets", {
    data: { title, group: "Users", customer_id: "guess:nicole@customer.test",
            article: { body: "first", type: "phone", internal: false } },
  });
  expect(created.status()).toBe(201);
  return { rest, id: (await created.json()).id };
}
