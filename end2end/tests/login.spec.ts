import { expect, screenshot, test } from "./helpers";

// No page or server-function call may fail with a server error, whatever the user types.
test.beforeEach(async ({ page }) => {
  page.on("response", (response) => {
    expect(response.status(), `${response.request().method()} ${response.url()}`).toBeLessThan(500);
  });
});

async function signIn(page, login: string, password: string) {
  await page.goto("/login");
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1); // the JS path, not the form post
  await page.locator("#login").fill(login);
  await page.locator("#password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("agent signs in and sees their name", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/login$/); // anonymous visitors are sent to sign in
  await signIn(page, "agent1@tandem.test", "tandem-demo");
  await expect(page).toHaveURL(/\/tickets\/view\/mine$/); // agents start at their tickets
  await expect(page.locator("#current-user")).toContainText("Anna Agent");
  await page.screenshot({ path: screenshot("login-home"), fullPage: true });
});

test("a wrong password shows an error and stays on the sign-in page", async ({ page, browserErrors }) => {
  // the test signs in with a wrong password on purpose: the sign-in server function answers
  // 401, which Chromium logs as a failed resource (nothing else may be logged)
  browserErrors.allow(/^Failed to load resource: the server responded with a status of 401 \(Unauthorized\) @ https?:\/\/[^/]+\/api\/sign_in\d*$/);
  await signIn(page, "agent1@tandem.test", "not-the-password");
  await expect(page.locator('.error[role="alert"]')).toContainText("Invalid");
  await expect(page).toHaveURL(/\/login/);
  await expect(page.locator("#password")).toBeVisible();
  await page.screenshot({ path: screenshot("login-error") });
});

test("signing out ends the session", async ({ page }) => {
  await signIn(page, "nicole@customer.test", "tandem-demo");
  await expect(page.locator("#current-user")).toHaveText("Nicole Braun");
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/");
  await expect(page).toHaveURL(/\/login$/);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the sign-in form still works (server-rendered form post)", async ({ page }) => {
    await page.goto("/login");
    await page.locator("#login").fill("agent2@tandem.test");
    await page.locator("#password").fill("wrong");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert")).toContainText("Invalid login or password");
    await page.locator("#login").fill("agent2@tandem.test");
    await page.locator("#password").fill("tandem-demo");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.locator("#current-user")).toHaveText("Bob Agent");
  });
});
