import {
  APIRequestContext,
  Browser,
  BrowserContext,
  ConsoleMessage,
  Page,
  expect,
  request,
  test as playwrightTest,
} from "@playwright/test";
import path from "node:path";

// ---------------------------------------------------------------------------------------------
// Every browser test fails on a console error or a page error.
//
// Specs import `test` and `expect` from here, never from "@playwright/test" (guard.spec.ts
// checks). The auto fixture `browserErrors` listens to every page of every browser context the
// test makes: the `context`/`page` fixtures' and those of `browser.newContext()` /
// `browser.newPage()` (personPage, own-server's agentPage, a test's own). When the test is
// over it closes the contexts the test left open and fails the test if any page logged a
// console error (console.error, a failed request, a wasm panic) or threw an uncaught error.
//
// Expected noise is opted into per test, narrowly, with a reason beside it:
//
//   test.describe("…", () => {
//     // the test takes the network away on purpose: the list's requests fail meanwhile
//     test.use({ allowedConsoleErrors: [/^Failed to load resource: net::ERR_INTERNET_DISCONNECTED @ /] });
//     …
//   });
//
// or inside one test: `async ({ page, browserErrors }) => { browserErrors.allow(/…/); … }`. A pattern is matched against
// "<message text> @ <url of its source>" (for a failed request, the request's URL). Panics
// ("panicked", "unreachable", "disposed", "already borrowed", …) and page errors are never
// allowed. A context made some other way (not through `browser`) is watched with
// `browserErrors.watchContext(context)`. Mid-test checkpoints: `browserErrors.expectNone(what)`.
// ---------------------------------------------------------------------------------------------

/** What a panic of the wasm app (or a JS callback it broke) writes to the console. */
const PANIC = /panicked|disposed|already borrowed|unreachable|RuntimeError|callback failed|closure invoked/i;

/** One console error or page error, as the browser reported it. */
export type BrowserError = { kind: "console.error" | "pageerror"; text: string; source: string; page: string };

const describeError = (e: BrowserError) =>
  `${e.kind}: ${e.text}${e.source ? ` @ ${e.source}` : ""}${e.page ? `  [page ${e.page}]` : ""}`;

/** A console message's text without a panic's stack. */
const consoleText = (message: ConsoleMessage) => message.text().split("\n\nStack:")[0];

const sourceOf = (message: ConsoleMessage) => {
  const { url, lineNumber } = message.location();
  return url ? (lineNumber ? `${url}:${lineNumber + 1}` : url) : "";
};

/** The console errors and page errors of all pages of one test. */
export class BrowserErrorLog {
  readonly errors: BrowserError[] = [];
  private readonly allowed: RegExp[];
  private readonly contexts = new Set<BrowserContext>();
  private readonly pages = new WeakSet<Page>();

  constructor(allowed: RegExp[]) {
    this.allowed = [...allowed];
  }

  /** Also accepts console errors matching `pattern` in this test (never panics or page errors). */
  allow(pattern: RegExp) {
    this.allowed.push(pattern);
  }

  /** Listens to the context's pages, the open ones and those it opens from now on. */
  watchContext(context: BrowserContext) {
    if (this.contexts.has(context)) return;
    this.contexts.add(context);
    context.on("close", () => this.contexts.delete(context));
    context.pages().forEach((page) => this.watchPage(page));
    context.on("page", (page) => this.watchPage(page));
  }

  private watchPage(page: Page) {
    if (this.pages.has(page)) return;
    this.pages.add(page);
    page.on("console", (message) => {
      if (message.type() !== "error") return;
      this.errors.push({ kind: "console.error", text: consoleText(message), source: sourceOf(message), page: page.url() });
    });
    page.on("pageerror", (error) =>
      this.errors.push({ kind: "pageerror", text: `${error.name}: ${error.message}`, source: "", page: page.url() }),
    );
  }

  private isAllowed(e: BrowserError) {
    if (e.kind !== "console.error" || PANIC.test(e.text)) return false;
    const line = `${e.text} @ ${e.source}`;
    return this.allowed.some((pattern) => pattern.test(line));
  }

  /** The errors no opt-in of this test accepts. */
  unexpected(): BrowserError[] {
    return this.errors.filter((e) => !this.isAllowed(e));
  }

  /** A checkpoint inside a test: no unexpected browser error so far. */
  expectNone(what: string) {
    expect(this.unexpected().map(describeError), `browser errors ${what}`).toEqual([]);
  }

  /** Closes the contexts the test left open (a failed test's), so their pages report until the end. */
  async closeLeftovers() {
    await Promise.all([...this.contexts].map((context) => context.close().catch(() => {})));
  }
}

type BrowserErrorFixtures = {
  /** Console errors this test expects (network noise it causes on purpose), with a comment why. */
  allowedConsoleErrors: RegExp[];
  /** The test's console and page errors; the test fails on any unexpected one. */
  browserErrors: BrowserErrorLog;
};

export const test = playwrightTest.extend<BrowserErrorFixtures>({
  allowedConsoleErrors: [[], { option: true }],
  browserErrors: [
    async ({ browser, allowedConsoleErrors }, use, testInfo) => {
      const log = new BrowserErrorLog(allowedConsoleErrors);
      // every context of this test's (browser.newPage() makes its context with newContext too)
      const newContext = browser.newContext;
      browser.newContext = async function (this: Browser, ...args: Parameters<Browser["newContext"]>) {
        const context = await newContext.apply(this, args);
        log.watchContext(context);
        return context;
      };
      try {
        await use(log);
      } finally {
        browser.newContext = newContext;
      }
      await log.closeLeftovers();
      if (log.errors.length > 0) {
        await testInfo.attach("browser-errors.txt", { body: log.errors.map(describeError).join("\n"), contentType: "text/plain" });
      }
      const unexpected = log.unexpected();
      if (unexpected.length > 0) {
        throw new Error(
          `${unexpected.length} browser error(s) during the test (a console error or an uncaught page error fails every browser test; expected network noise is opted into with test.use({ allowedConsoleErrors }), see helpers.ts):\n` +
            unexpected.map((e) => `  ${describeError(e)}`).join("\n"),
        );
      }
    },
    { auto: true },
  ],
  // the default context (and so `page`): set up after browserErrors, torn down before its check
  context: async ({ context, browserErrors }, use) => {
    browserErrors.watchContext(context);
    await use(context);
  },
});

export { expect };

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

/** Fills in the sign-in form and waits for the ticket list's address. */
async function submitSignIn(page: Page, login: string, password: string) {
  await page.goto("/login");
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
  await page.locator("#login").fill(login);
  await page.locator("#password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/tickets\/view\//);
}

export async function signIn(page: Page, login: string) {
  await submitSignIn(page, login, PASSWORD);
  await expect(page.locator(".table-wrap[data-ready]")).toHaveCount(1);
}

/** Signs in with a login and password in a fresh browser context (another person). */
export async function signInAs(browser: Browser, login: string, password: string): Promise<Page> {
  const context = await browser.newContext({ baseURL: base() });
  const page = await context.newPage();
  failOnServerErrors(page);
  await submitSignIn(page, login, password);
  await expect(page.locator("#current-user")).toBeVisible();
  return page;
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
 * Records one page's console errors and page errors (uncaught exceptions, such as a wasm
 * panic's `RuntimeError: unreachable`) from now on, for a checkpoint in the middle of a test
 * with `expectNoBrowserErrors`. Not needed for the rule itself: the `browserErrors` fixture
 * (above) fails every test on any browser error, and `browserErrors.expectNone(what)` is the
 * checkpoint over all pages of the test.
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
