import { APIRequestContext, Browser, BrowserContext, Page, expect, request, test } from "@playwright/test";
import path from "node:path";

export const PASSWORD = "tandem-demo";
export const base = () => process.env.BASE_URL ?? "http://127.0.0.1:3000";

// Screenshots the tests take on purpose: end2end/test-results/screenshots/<name>.png
export const screenshot = (name: string) =>
  path.join(test.info().project.outputDir, "screenshots", `${name}.png`);

/** No page, server-function call or API request may fail with a server error. */
export function failOnServerErrors(page: Page) {
  page.on("response", (response) => {
    expect(response.status(), `${response.request().method()} ${response.url()}`).toBeLessThan(500);
  });
}

export async function signIn(page: Page, login: string) {
  await page.goto("/login");
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
  await page.locator("#login").fill(login);
  await page.locator("#password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/tickets\/view\//);
  await expect(page.locator(".table-wrap[data-ready]")).toHaveCount(1);
}

/** Goes to a list and waits until it is interactive. */
export async function openList(page: Page, path: string) {
  await page.goto(path);
  await expect(page.locator(".table-wrap[data-ready]")).toHaveCount(1);
}

/** A signed-in page in its own browser context (its own cookies: another person). */
export async function personPage(browser: Browser, login: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: base() });
  const page = await context.newPage();
  failOnServerErrors(page);
  await signIn(page, login);
  return { context, page };
}

/** A REST client with Basic auth (the way API integrations talk to Tandem). */
export async function api(login: string): Promise<APIRequestContext> {
  return request.newContext({
    baseURL: base(),
    extraHTTPHeaders: { Authorization: "Basic " + Buffer.from(`${login}:${PASSWORD}`).toString("base64") },
  });
}

/** A fresh ticket for a test: created through the REST API by an agent. */
export async function createTicket(
  title: string,
  customer = "nicole@customer.test",
  group = "Sales",
): Promise<{ id: number; number: string }> {
  const agent = await api("agent1@tandem.test");
  const response = await agent.post("/api/v1/tickets", {
    data: {
      title,
      group,
      customer_id: `guess:${customer}`,
      article: { body: `First message of ${title}`, type: "phone", internal: false },
    },
  });
  expect(response.status()).toBe(201);
  const ticket = await response.json();
  await agent.dispose();
  return { id: ticket.id, number: ticket.number };
}

/** Waits until the ticket view is hydrated and its editor is ready. */
export async function openTicket(page: Page, id: number) {
  await page.goto(`/tickets/${id}`);
  await expect(page.locator(".zoom[data-ready]")).toHaveCount(1);
  await expect(page.locator(".thread .article").first()).toBeVisible();
}

/** A 1×1 red PNG. */
export const PNG_BASE64 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";

/** Pastes an image into the editor the way a browser does (a ClipboardEvent with a file). */
export async function pasteImage(page: Page, name = "pasted.png") {
  await page.locator(".ProseMirror").first().evaluate(
    (el, [b64, filename]) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const file = new File([bytes], filename, { type: "image/png" });
      const data = new DataTransfer();
      data.items.add(file);
      el.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
    },
    [PNG_BASE64, name],
  );
}

/** What the browser reported as broken: console errors and uncaught page errors. */
export type BrowserErrors = { console: string[]; page: string[] };

/**
 * Records console errors and page errors (uncaught exceptions, such as a wasm panic's
 * `RuntimeError: unreachable`) from now on. Assert on it with `expectNoBrowserErrors`.
 */
export function watchBrowserErrors(page: Page): BrowserErrors {
  const errors: BrowserErrors = { console: [], page: [] };
  page.on("console", (message) => {
    // a panic's message without its stack
    if (message.type() === "error") errors.console.push(message.text().split("\n\nStack:")[0]);
  });
  page.on("pageerror", (error) => errors.page.push(`${error.name}: ${error.message}`));
  return errors;
}

/** What a panic of the wasm app (or a JS callback it broke) writes to the console. */
const PANIC = /panicked|disposed|already borrowed|unreachable|RuntimeError|callback failed|closure invoked/i;

/**
 * No page error, and no console error at all — or with `allowNetworkErrors`, none but the
 * browser's own reports of failed requests and sockets (an offline page, a deleted ticket).
 */
export function expectNoBrowserErrors(errors: BrowserErrors, what: string, allowNetworkErrors = false) {
  const console = allowNetworkErrors
    ? errors.console.filter((text) => PANIC.test(text) || !/Failed to load resource|net::ERR_|WebSocket/.test(text))
    : errors.console;
  expect({ page: errors.page, console }, `browser errors ${what}`).toEqual({ page: [], console: [] });
}
