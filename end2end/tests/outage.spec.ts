// Fault 2 of issue 16: a failed server call must not replace the whole app. With the server
// stopped, the top bar and navigation stay; the part that could not load says so in words, with
// a Retry; an offline banner shows while the server is unreachable; a failed send is readable;
// and once the server is back the app recovers by itself (no reload, no click).
import { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, screenshot, test } from "./helpers";
import { agentPage, freePort, startTandem, ticketOn } from "./own-server";

async function stop(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

test("the server goes away and comes back: the app keeps its frame, says what failed, and recovers by itself", async ({
  browser,
  browserErrors,
}) => {
  // the test stops the server on purpose: requests and sockets fail while it is down
  browserErrors.allow(/^Failed to load resource: net::ERR_CONNECTION_REFUSED @ /);
  browserErrors.allow(/^WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/ws\/.*' failed/);
  const dir = mkdtempSync(path.join(tmpdir(), "tandem-outage-"));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let server = await startTandem(dir, port);
  try {
    const { rest, id } = await ticketOn(base, "Printer on fire");
    await rest.dispose();
    const { context, page } = await agentPage(browser, base, "agent1@tandem.test");
    await page.goto(`/tickets/${id}`);
    await expect(page.locator(".zoom[data-ready]")).toHaveCount(1);
    await expect(page.locator(".live-dot.online")).toHaveCount(1);
    await expect(page.getByTestId("offline-banner")).toHaveCount(0);
    await page.locator(".composer .ProseMirror").click();
    await page.keyboard.type("We are on it.");

    // the server stops
    await stop(server);
    await expect(page.getByTestId("offline-banner")).toBeVisible();
    await expect(page.getByTestId("offline-banner")).toContainText("server cannot be reached");

    // sending fails in words, and the text stays in the editor
    await page.locator("#submit-reply").click();
    const sendError = page.locator(".reply-actions [role=alert]");
    await expect(sendError).toContainText("The server cannot be reached");
    await expect(sendError).not.toContainText("Failed to fetch");
    await expect(sendError).not.toContainText("server function");
    await expect(page.locator(".composer .ProseMirror")).toContainText("We are on it.");

    // "Tickets" in the top bar: the frame stays, only the list says it could not load
    await page.locator("nav.mainnav").getByRole("link", { name: "Tickets", exact: true }).click();
    await expect(page).toHaveURL(/\/tickets\/view\/mine$/);
    await expect(page.locator("header.topbar")).toBeVisible();
    await expect(page.locator("#current-user")).toHaveText("Anna Agent");
    const failed = page.locator("main .error-box");
    await expect(failed).toBeVisible();
    await expect(failed).toContainText("The server cannot be reached");
    await expect(failed.getByRole("button", { name: "Retry" })).toBeVisible();
    await expect(page.locator("body")).not.toContainText("error reaching server");
    await expect(page.locator("body")).not.toContainText("Failed to fetch");
    await expect(page.getByTestId("offline-banner")).toBeVisible();
    await page.screenshot({ path: screenshot("offline-banner"), fullPage: false });

    // Retry while the server is still down: the same readable error, the app still alive
    await failed.getByRole("button", { name: "Retry" }).click();
    await expect(page.locator("main .error-box")).toContainText("The server cannot be reached");
    await expect(page.locator("header.topbar")).toBeVisible();

    // the server comes back (same database, same session): the app recovers by itself
    server = await startTandem(dir, port);
    await expect(page.getByTestId("offline-banner")).toHaveCount(0, { timeout: 20_000 });
    await expect(page.locator("main .error-box")).toHaveCount(0, { timeout: 20_000 });
    await expect(page.locator(".table-wrap[data-ready]")).toHaveCount(1);
    await expect(page.locator("nav.tabs .tab").first()).toBeVisible();
    await page.screenshot({ path: screenshot("offline-recovered"), fullPage: false });
    browserErrors.expectNone("after the outage");
    await context.close();
  } finally {
    await stop(server);
    rmSync(dir, { recursive: true, force: true });
  }
});
