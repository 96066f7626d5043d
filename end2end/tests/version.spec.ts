// Fault 4 of issue 16: a tab running an older bundle than the server gets 404s from every server
// function. The tab compares the build id compiled into its bundle with the server's
// (`/api/tandem_build`, a path without a hash, so every version can ask) and offers a reload.
import { expect, failOnServerErrors, openList, signIn, test } from "./helpers";

test.beforeEach(async ({ page }) => failOnServerErrors(page));

test("a tab of the same build as the server offers no reload", async ({ page }) => {
  // the server's build, at a path every version of the app can ask
  const answer = await page.request.post("/api/tandem_build");
  expect(answer.status()).toBe(200);
  expect(typeof (await answer.json())).toBe("string");
  await signIn(page, "agent1@tandem.test");
  // the live socket connects after the page hydrated: then the tab asks for the server's build
  let asked = 0;
  page.on("requestfinished", (r) => {
    if (r.url().endsWith("/api/tandem_build")) asked++;
  });
  await openList(page, "/tickets/view/open");
  await expect(page.locator(".live-dot.online")).toHaveCount(1);
  await expect.poll(() => asked).toBeGreaterThan(0);
  await page.waitForTimeout(300); // the answer reached the page
  await expect(page.getByTestId("update-banner")).toHaveCount(0);
});

test("the server runs a newer build: the tab says so and reloads into it", async ({ page, browserErrors }) => {
  // the test answers the tab's server-function calls with 404s on purpose (an updated server)
  browserErrors.allow(/^Failed to load resource: the server responded with a status of 404 \(Not Found\) @ /);
  await signIn(page, "agent1@tandem.test");
  await openList(page, "/tickets/view/open");
  await expect(page.getByTestId("update-banner")).toHaveCount(0);

  // the server is updated: its build differs, and this bundle's server functions are gone
  await page.route("**/api/tandem_build", (route) =>
    route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify("a-newer-build") }),
  );
  await page.route(/\/api\/list_tickets\d*$/, (route) =>
    route.fulfill({
      status: 404,
      contentType: "text/plain",
      body: "Could not find a server function at the route /api/list_tickets. It's likely that either\n 1. The API prefix you specify in the `#[server]` macro doesn't match the prefix at which your server function handler is mounted, or \n2. The server function is not registered.",
    }),
  );
  // a server function call of this tab fails with the 404
  await page.locator("nav.tabs .tab").nth(1).click();
  const banner = page.getByTestId("update-banner");
  await expect(banner).toBeVisible();
  await expect(banner).toContainText("Tandem was updated");
  // the part that failed says the same, in words
  await expect(page.locator("main .error-box")).toContainText("Reload the page");
  await expect(page.locator("body")).not.toContainText("Could not find a server function");

  // Reload: the tab loads the server's bundle and works again
  await page.unroute("**/api/tandem_build");
  await page.unroute(/\/api\/list_tickets\d*$/);
  await page.locator("#reload-app").click();
  await expect(page.locator(".table-wrap[data-ready]")).toHaveCount(1);
  await expect(page.getByTestId("update-banner")).toHaveCount(0);
  await expect(page.locator("main .error-box")).toHaveCount(0);
});

test("the build is compared whenever the live connection opens (the server restarted)", async ({ page }) => {
  await signIn(page, "agent1@tandem.test");
  // from here on the server answers with another build (an update behind a restart)
  await page.route("**/api/tandem_build", (route) =>
    route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify("a-newer-build") }),
  );
  await openList(page, "/tickets/view/open");
  await expect(page.locator(".live-dot.online")).toHaveCount(1);
  await expect(page.getByTestId("update-banner")).toBeVisible();
  await expect(page.locator("#reload-app")).toBeVisible();
});
