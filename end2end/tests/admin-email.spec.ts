import { Page } from "@playwright/test";
import { api, expect, personPage, screenshot, test } from "./helpers";

// The admin area's e-mail screens: an admin creates a sender address, a signature and a
// mailbox (saved without connecting; its poller then reports how reading it went), gives a
// group the address and the signature, and looks at, receives again and deletes failed mail.

/** Opens an admin page and waits until it is hydrated (and its form, if any, interactive). */
async function openAdmin(page: Page, path: string, form?: string) {
  await page.goto(path);
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
  if (form) await expect(page.locator(`${form}[data-ready]`)).toHaveCount(1);
}

/** A full-page screenshot from the top (the admin menu is sticky: scrolled, it would sit
 * mid-page in the picture). */
async function shot(page: Page, name: string) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: screenshot(name), fullPage: true });
}

/** The id at the end of the page's address. */
function idInUrl(page: Page): number {
  return Number(new URL(page.url()).pathname.split("/").pop());
}

test("an admin keeps sender addresses, signatures, mailboxes and failed mail in the browser", async ({
  browser,
  browserErrors,
}) => {
  test.setTimeout(180_000); // many pages on a debug bundle, and a mailbox poll to wait for
  // the test saves a taken address and a wrong port on purpose: those two calls answer 422
  browserErrors.allow(
    /^Failed to load resource: the server responded with a status of 422 .*@ .*\/api\/save_admin_(email_address|mailbox)/,
  );
  const stamp = Date.now();
  const rest = await api("admin@tandem.test");
  const admin = await personPage(browser, "admin@tandem.test");
  const page = admin.page;

  // ── a sender address ──
  await openAdmin(page, "/admin/email_addresses");
  await expect(page.locator(".admin-nav a[aria-current=page]")).toHaveText("Sender addresses");
  await page.getByRole("link", { name: "New sender address" }).click();
  await expect(page.locator("#email-address-form[data-ready]")).toHaveCount(1);
  const email = `sales-${stamp}@tandem.test`;
  await page.locator("#email-address-name").fill("Tandem Sales");
  await page.locator("#email-address-email").fill(email);
  await shot(page, "admin-email-address-new");
  await page.locator("#save-email-address").click();
  await expect(page).toHaveURL(/\/admin\/email_addresses\/\d+$/);
  await expect(page.locator("#email-address-form[data-ready]")).toHaveCount(1);
  const addressId = idInUrl(page);
  await expect(page.getByRole("heading", { name: email, level: 1 })).toBeVisible();
  await expect(page.locator("#email-address-name")).toHaveValue("Tandem Sales");

  // the same address twice: the domain's error, readable, inside the page
  await openAdmin(page, "/admin/email_addresses/new", "#email-address-form");
  await page.locator("#email-address-name").fill("Copy");
  await page.locator("#email-address-email").fill(email.toUpperCase());
  await page.locator("#save-email-address").click();
  await expect(page.locator("#email-address-form + p.error, .admin-form p.error[role=alert]")).toHaveText(
    `Email address '${email}' is already used for another email address.`,
  );
  await expect(page).toHaveURL(/\/admin\/email_addresses\/new$/);

  await openAdmin(page, "/admin/email_addresses");
  await expect(page.locator("#email-address-table tr", { hasText: email })).toContainText("Tandem Sales");
  await shot(page, "admin-email-addresses");

  // ── a signature, with the placeholders it may use ──
  await openAdmin(page, "/admin/signatures");
  await page.getByRole("link", { name: "New signature" }).click();
  await expect(page.locator("#signature-form[data-ready]")).toHaveCount(1);
  await expect(page.locator("#signature-placeholders")).toContainText("#{user.firstname}");
  await expect(page.locator("#signature-placeholders")).toContainText("#{ticket.number}");
  const signatureName = `Sales ${stamp}`;
  await page.locator("#signature-name").fill(signatureName);
  await page
    .locator("#signature-body")
    .fill("<p>Best regards<br>#{user.firstname} #{user.lastname}<br>Tandem Sales</p><script>alert(1)</script>");
  await shot(page, "admin-signature-new");
  await page.locator("#save-signature").click();
  await expect(page).toHaveURL(/\/admin\/signatures\/\d+$/);
  await expect(page.locator("#signature-form[data-ready]")).toHaveCount(1);
  const signatureId = idInUrl(page);
  // stored sanitised, as the REST API stores it
  await expect(page.locator("#signature-body")).toHaveValue(
    "<p>Best regards<br>#{user.firstname} #{user.lastname}<br>Tandem Sales</p>",
  );
  const stored = await (await rest.get(`/api/v1/signatures/${signatureId}`)).json();
  expect(stored.body).not.toContain("script");
  await openAdmin(page, "/admin/signatures");
  await expect(page.locator("#signature-table")).toContainText(signatureName);
  await shot(page, "admin-signatures");

  // ── a mailbox: saved without connecting; the poller then says how reading it went ──
  await openAdmin(page, "/admin/email_channels");
  await page.getByRole("link", { name: "New mailbox" }).click();
  await expect(page.locator("#mailbox-form[data-ready]")).toHaveCount(1);
  const password = `secret-${stamp}`;
  const mailboxUser = `sales-${stamp}`;
  await page.locator("#mailbox-host").fill("127.0.0.1");
  await page.locator("#mailbox-port").fill("99999");
  await page.locator("#mailbox-ssl").selectOption("off");
  await page.locator("#mailbox-user").fill(mailboxUser);
  await page.locator("#mailbox-password").fill(password);
  await page.locator("#mailbox-group").selectOption({ label: "Sales" });
  await page.locator("#save-mailbox").click();
  await expect(page.locator(".admin-form p.error[role=alert]")).toHaveText("Invalid value for param 'port': 99999");
  // port 1: nobody listens there, so the poll fails (and says so)
  await page.locator("#mailbox-port").fill("1");
  await shot(page, "admin-mailbox-new");
  await page.locator("#save-mailbox").click();
  await expect(page).toHaveURL(/\/admin\/email_channels\/\d+$/);
  await expect(page.locator("#mailbox-form[data-ready]")).toHaveCount(1);
  const mailboxId = idInUrl(page);
  await expect(page.getByRole("heading", { name: `${mailboxUser}@127.0.0.1`, level: 1 })).toBeVisible();
  await expect(page.locator("#mailbox-password")).toHaveValue("");
  await expect(page.locator("#mailbox-form")).toContainText("A password is stored; it is never shown.");
  expect(await page.content()).not.toContain(password);
  const channel = await (await rest.get(`/api/v1/email_channels/${mailboxId}`)).json();
  expect(channel.group_id).toBeTruthy();
  expect(JSON.stringify(channel)).not.toContain(password);

  // saving again with the password left empty keeps it (the REST API has no way to show it,
  // so the poller's error must not be an authentication one… it cannot get that far: port 1)
  await page.locator("#mailbox-folder").fill("Support");
  await page.locator("#save-mailbox").click();
  await expect(page.locator("#mailbox-form .saved-note")).toHaveText("Saved. The mailbox is read on its next poll.");
  const updated = await (await rest.get(`/api/v1/email_channels/${mailboxId}`)).json();
  expect(updated.inbound.options.folder).toBe("Support");

  // the poller tried it: the list shows the failed poll
  await expect
    .poll(
      async () => {
        await openAdmin(page, "/admin/email_channels");
        return page.locator("#mailbox-table tr", { hasText: `${mailboxUser}@127.0.0.1` }).innerText();
      },
      { message: "the mailbox's failed poll in the list", timeout: 45_000, intervals: [2_000] },
    )
    .toContain("Error");
  const row = page.locator("#mailbox-table tr", { hasText: `${mailboxUser}@127.0.0.1` });
  await expect(row).toContainText("Sales");
  await expect(row).toContainText("off · port 1 · Support");
  await shot(page, "admin-mailboxes");
  await row.getByRole("link").click();
  await expect(page.locator("#mailbox-form[data-ready]")).toHaveCount(1);
  await expect(page.locator("#mailbox-status")).toContainText("Last poll: Error");
  await shot(page, "admin-mailbox-edit");

  // ── the group sends from the address, with the signature ──
  const groups: { id: number; name: string }[] = await (await rest.get("/api/v1/groups")).json();
  const sales = groups.find((g) => g.name === "Sales")!;
  await openAdmin(page, `/admin/groups/${sales.id}`, "#group-form");
  await page.locator("#group-email-address").selectOption({ label: `Tandem Sales <${email}>` });
  await page.locator("#group-signature").selectOption({ label: signatureName });
  await page.locator("#save-group").click();
  await expect(page.locator("#group-form .saved-note")).toHaveText("Saved.");
  await shot(page, "admin-group-email");
  const group = await (await rest.get(`/api/v1/groups/${sales.id}`)).json();
  expect(group.email_address_id).toBe(addressId);
  expect(group.signature_id).toBe(signatureId);
  await openAdmin(page, `/admin/email_addresses/${addressId}`, "#email-address-form");
  await expect(page.locator("#email-address-form")).toContainText("Used by: Sales");
  await openAdmin(page, "/admin/signatures");
  await expect(page.locator("#signature-table tr", { hasText: signatureName })).toContainText("Sales");

  // ── failed mail: a message without a sender, received through the REST endpoint ──
  const inbound = await rest.post("/api/v1/channels_email/inbound?group=Sales", {
    headers: { "Content-Type": "message/rfc822" },
    data: Buffer.from(`Subject: Nobody ${stamp}\r\nMessage-ID: <nobody-${stamp}@example.org>\r\n\r\nWho sent this?\r\n`),
  });
  expect(inbound.status(), await inbound.text()).toBe(201);
  const received = await inbound.json();
  expect(received.result).toBe("failed");
  const failedId: number = received.failed_mail_id;
  await openAdmin(page, "/admin/failed_mails");
  const failedRow = page.locator("#failed-mail-table tr", { has: page.locator(`a[href="/admin/failed_mails/${failedId}"]`) });
  await expect(failedRow).toContainText(received.reason);
  await expect(failedRow).toContainText(`Nobody ${stamp}`); // its subject, read as far as it goes
  await shot(page, "admin-failed-mails");
  await failedRow.getByRole("link").click();
  await expect(page).toHaveURL(new RegExp(`/admin/failed_mails/${failedId}$`));
  await expect(page.locator("#failed-reason")).toHaveText(received.reason);
  await expect(page.locator("#failed-raw")).toContainText(`Subject: Nobody ${stamp}`);
  await expect(page.locator("#failed-raw")).toContainText("Who sent this?");
  await shot(page, "admin-failed-mail");

  // receiving it again fails again (still no sender): a new record replaces it
  await page.locator("#reprocess-failed-mail").click();
  await expect(page.locator(".saved-note")).toContainText("Failed again and kept as failed mail");
  await expect(page.locator("#reprocess-failed-mail")).toBeHidden();
  const after: { id: number; reason: string }[] = await (await rest.get("/api/v1/failed_mails")).json();
  expect(after.find((f) => f.id === failedId)).toBeUndefined();
  const again = after.find((f) => f.id > failedId && f.reason === received.reason);
  expect(again, JSON.stringify(after.slice(0, 3))).toBeTruthy();

  // …which the admin deletes
  await openAdmin(page, `/admin/failed_mails/${again!.id}`);
  await page.locator("#delete-failed-mail").click();
  const deleteCall = page.waitForRequest(/\/api\/delete_admin_failed_mail/);
  await page.locator("#confirm-delete").click();
  const deleteRequest = await deleteCall;
  await expect(page).toHaveURL(/\/admin\/failed_mails$/);
  await expect(page.locator(`a[href="/admin/failed_mails/${again!.id}"]`)).toHaveCount(0);
  expect((await rest.get(`/api/v1/failed_mails/${again!.id}/raw`)).status()).toBe(404);

  // ── deleting: the mailbox, the signature and the address (the group then has neither) ──
  await openAdmin(page, `/admin/email_channels/${mailboxId}`, "#mailbox-form");
  await page.locator("#delete-mailbox").click();
  await expect(page.getByText(`Delete the mailbox ${mailboxUser}@127.0.0.1?`)).toBeVisible();
  await page.locator("#confirm-delete").click();
  await expect(page).toHaveURL(/\/admin\/email_channels$/);
  await expect(page.locator("body")).not.toContainText(`${mailboxUser}@127.0.0.1`);

  await openAdmin(page, `/admin/signatures/${signatureId}`, "#signature-form");
  await page.locator("#delete-signature").click();
  await page.locator("#confirm-delete").click();
  await expect(page).toHaveURL(/\/admin\/signatures$/);
  await expect(page.locator("body")).not.toContainText(signatureName);

  await openAdmin(page, `/admin/email_addresses/${addressId}`, "#email-address-form");
  await page.locator("#delete-email-address").click();
  await page.locator("#confirm-delete").click();
  await expect(page).toHaveURL(/\/admin\/email_addresses$/);
  await expect(page.locator("body")).not.toContainText(email);
  const cleared = await (await rest.get(`/api/v1/groups/${sales.id}`)).json();
  expect(cleared.email_address_id).toBeNull();
  expect(cleared.signature_id).toBeNull();

  // the same server function called by an agent, for a failed mail that exists: refused
  const kept = await (
    await rest.post("/api/v1/channels_email/inbound?group=Sales", {
      headers: { "Content-Type": "message/rfc822" },
      data: Buffer.from(`Subject: Kept ${stamp}\r\n\r\nStill nobody.\r\n`),
    })
  ).json();
  expect(kept.result).toBe("failed");
  const agent = await personPage(browser, "agent1@tandem.test");
  const refused = await agent.page.request.post(deleteRequest.url(), {
    headers: { "Content-Type": deleteRequest.headers()["content-type"] },
    data: `id=${kept.failed_mail_id}`,
  });
  expect(refused.status()).toBe(403);
  expect(await refused.text()).toContain("Not allowed: the admin area is for administrators.");
  expect((await rest.get(`/api/v1/failed_mails/${kept.failed_mail_id}/raw`)).status()).toBe(200);
  await agent.context.close();

  await rest.dispose();
  await admin.context.close();
});

test("the e-mail screens are for admins only", async ({ browser }) => {
  const agent = await personPage(browser, "agent1@tandem.test");
  for (const path of ["/admin/email_addresses", "/admin/email_channels/new", "/admin/signatures", "/admin/failed_mails"]) {
    await agent.page.goto(path);
    await expect(agent.page.getByRole("heading", { name: "Not allowed", level: 1 })).toBeVisible();
    await expect(agent.page.locator(".admin-nav")).toHaveCount(0);
  }
  await agent.context.close();
});
