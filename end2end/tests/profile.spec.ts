import { Page, request } from "@playwright/test";
import { api, base, expect, screenshot, signInAs, test } from "./helpers";

// The profile (/profile): own name and e-mail, password change (the other sessions end),
// signing out other sessions, personal access tokens. Each test works on a fresh agent made
// through the REST API, so the demo accounts keep their passwords.

const FIRST_PASSWORD = "Amber-Lantern-4817";
const SECOND_PASSWORD = "Cobalt-Meadow-5930";

/** A new agent (REST, as the admin); returns its login. */
async function freshAgent(name: string): Promise<string> {
  const admin = await api("admin@tandem.test");
  const login = `${name.toLowerCase()}.${Date.now()}@tandem.test`;
  const response = await admin.post("/api/v1/users", {
    data: { firstname: name, lastname: "Profile", email: login, password: FIRST_PASSWORD, roles: ["Agent"] },
  });
  expect(response.status(), await response.text()).toBe(201);
  await admin.dispose();
  return login;
}

async function openProfile(page: Page, form = "#password-form") {
  await page.goto("/profile");
  await expect(page.locator(`${form}[data-ready]`)).toHaveCount(1);
}

test("a password change with the current password ends the user's other sessions", async ({ browser }) => {
  const login = await freshAgent("Robin");
  const here = await signInAs(browser, login, FIRST_PASSWORD);
  const elsewhere = await signInAs(browser, login, FIRST_PASSWORD);

  await openProfile(here);
  await here.locator("#password-current").fill(FIRST_PASSWORD);
  await here.locator("#password-new").fill(SECOND_PASSWORD);
  await here.locator("#password-repeat").fill(SECOND_PASSWORD);
  await here.locator("#change-password").click();
  await expect(here.locator("#password-form .saved-note")).toHaveText(
    "Password changed. Your other sessions were signed out.",
  );
  await expect(here.locator("#password-current")).toHaveValue("");

  // the second browser is signed out; this one stays signed in
  await elsewhere.reload();
  await expect(elsewhere).toHaveURL(/\/login$/);
  await here.reload();
  await expect(here.locator("#password-form[data-ready]")).toHaveCount(1);
  await expect(here.locator("#current-user")).toHaveText("Robin Profile");

  // the new password signs in, the old one no longer does
  const client = await request.newContext({ baseURL: base() });
  const basic = (password: string) => ({ Authorization: "Basic " + Buffer.from(`${login}:${password}`).toString("base64") });
  expect((await client.get("/api/v1/users/me", { headers: basic(SECOND_PASSWORD) })).status()).toBe(200);
  expect((await client.get("/api/v1/users/me", { headers: basic(FIRST_PASSWORD) })).status()).toBe(401);
  await client.dispose();
});

test("'Sign out other sessions' ends the other browser's session and keeps this one", async ({ browser }) => {
  const login = await freshAgent("Kim");
  const here = await signInAs(browser, login, FIRST_PASSWORD);
  const elsewhere = await signInAs(browser, login, FIRST_PASSWORD);
  await openProfile(here, "#sessions-form");
  await here.locator("#sign-out-others").click();
  await expect(here.locator("#sessions-form .saved-note")).toHaveText("1 other session signed out.");
  await elsewhere.reload();
  await expect(elsewhere).toHaveURL(/\/login$/);
  await here.reload();
  await expect(here.locator("#current-user")).toHaveText("Kim Profile");
});

test("own name and e-mail are changed; a personal access token is shown once, works and is deleted", async ({
  browser,
}) => {
  const login = await freshAgent("Sasha");
  const page = await signInAs(browser, login, FIRST_PASSWORD);
  await openProfile(page, "#account-form");
  await expect(page.locator("#me-firstname")).toHaveValue("Sasha");
  await page.locator("#me-lastname").fill("Renamed");
  await page.locator("#save-account").click();
  await expect(page.locator("#account-form .saved-note")).toHaveText("Saved.");
  await page.reload();
  await expect(page.locator("#current-user")).toHaveText("Sasha Renamed");

  // a token with the agent permission
  await expect(page.locator("#token-form[data-ready]")).toHaveCount(1);
  await expect(page.locator("#no-tokens")).toBeVisible();
  await page.locator("#token-name").fill("Reporting script");
  await page.locator("#token-form").getByLabel("ticket.agent").check();
  await page.locator("#create-token").click();
  const secret = page.locator("#token-secret");
  await expect(secret).toHaveText(/^\S{20,}$/);
  const token = (await secret.textContent())!.trim();
  await expect(page.locator("#token-table")).toContainText("Reporting script");
  await expect(page.locator("#token-table")).toContainText("ticket.agent");
  await page.screenshot({ path: screenshot("profile"), fullPage: true });

  const client = await request.newContext({ baseURL: base() });
  const withToken = { headers: { Authorization: `Token token=${token}` } };
  const me = await client.get("/api/v1/users/me", withToken);
  expect(me.status()).toBe(200);
  expect((await me.json()).lastname).toBe("Renamed");

  // after a reload the secret is gone; deleting the token stops it working
  await page.reload();
  await expect(page.locator("#token-form[data-ready]")).toHaveCount(1);
  await expect(page.locator("#token-secret")).toHaveCount(0);
  await page.getByRole("button", { name: "Delete token Reporting script" }).click();
  await expect(page.locator("#no-tokens")).toBeVisible();
  expect((await client.get("/api/v1/users/me", withToken)).status()).toBe(401);
  await client.dispose();
});
