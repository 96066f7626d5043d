import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, screenshot, test } from "./helpers";
import { agentPage, freePort, startTandem, ticketOn } from "./own-server";

// kill -9 of the server while two agents type in a shared draft. This test runs its own Tandem
// (the debug binary the test command built) on a free port with its own SQLite database, so
// that it can kill and restart it without disturbing the other tests' server.

test("kill -9 while two agents type: they reconnect and nothing the server acknowledged is lost", async ({
  browser,
  browserErrors,
}) => {
  // the test kills the server on purpose: until it is back, the sockets' reconnects are refused
  browserErrors.allow(
    /^WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/ws\/(tickets\/\d+|live)[^']*' failed: Error in connection establishment: net::ERR_CONNECTION_REFUSED @ /,
  );
  const dir = mkdtempSync(path.join(tmpdir(), "tandem-crash-"));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let server = await startTandem(dir, port);
  try {
    const { rest, id } = await ticketOn(base, "Crash test");

    const anna = await agentPage(browser, base, "agent1@tandem.test");
    const ada = await agentPage(browser, base, "admin@tandem.test");
    for (const p of [anna.page, ada.page]) {
      await p.goto(`/tickets/${id}`);
      await expect(p.locator(".zoom[data-ready]")).toHaveCount(1);
      await expect(p.locator(".coeditors")).toContainText("live");
    }
    await anna.page.locator(".ProseMirror").click();
    await anna.page.keyboard.type("Anna was here before the crash.");
    await ada.page.locator(".ProseMirror").click();
    await ada.page.keyboard.press("Control+End");
    await ada.page.keyboard.type(" Ada too.");
    // acknowledged: the server says it stored the draft
    for (const p of [anna.page, ada.page]) {
      await expect(p.locator(".ProseMirror")).toContainText("Ada too.");
      await expect(p.locator(".draft-saved")).toHaveText("· saved");
    }

    server.kill("SIGKILL");
    await expect(anna.page.locator(".coeditors")).toContainText("offline", { timeout: 15_000 });
    // typed while the server is down: kept in the browser, merged after the reconnect
    await anna.page.keyboard.type(" Typed during the outage.");
    server = await startTandem(dir, port);

    for (const p of [anna.page, ada.page]) {
      await expect(p.locator(".coeditors")).toContainText("live", { timeout: 30_000 });
      await expect(p.locator(".ProseMirror")).toContainText("Anna was here before the crash.");
      await expect(p.locator(".ProseMirror")).toContainText("Ada too.");
    }
    await expect(ada.page.locator(".ProseMirror")).toContainText("Typed during the outage.", { timeout: 15_000 });
    await anna.page.screenshot({ path: screenshot("coediting-after-crash"), fullPage: true });

    // and the server has it: the REST view of the draft after the restart
    await expect
      .poll(async () => JSON.stringify(await (await rest.get(`/api/v1/tickets/${id}/shared_draft`)).json()), { timeout: 15_000 })
      .toContain("Typed during the outage.");
    await rest.dispose();
    await anna.context.close();
    await ada.context.close();
  } finally {
    server.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});
