import { APIRequestContext } from "@playwright/test";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  api,
  createTicket,
  expect,
  expectNoBrowserErrors,
  openTicket,
  personPage,
  test,
  watchBrowserErrors,
} from "./helpers";
import { agentPage, freePort, startTandem, ticketOn } from "./own-server";

// E-mail in and out through the browser: an agent's e-mail reply (with a file) reaches the SMTP
// sink `./tandem.sh test` starts beside the server (aiosmtpd, messages in
// $TANDEM_TEST_MAILDIR/new), the thread shows it was sent, and the customer's answer — put
// into the IMAP mailbox Tandem reads (the Dovecot `./tandem.sh test` starts beside the server,
// TANDEM_TEST_IMAP_*) — appears live and reopens the closed ticket.

const maildir = process.env.TANDEM_TEST_MAILDIR;
const imap = process.env.TANDEM_TEST_IMAP_PORT
  ? {
      port: Number(process.env.TANDEM_TEST_IMAP_PORT),
      user: process.env.TANDEM_TEST_IMAP_USER!,
      password: process.env.TANDEM_TEST_IMAP_PASSWORD!,
    }
  : undefined;

/** Runs a Python imaplib script against the test mailbox (argv: port, user, password; the
 * message, if any, on stdin) and returns what it printed. */
function imapScript(script: string, input = ""): string {
  const python = path.join(process.cwd(), "..", ".venv", "bin", "python");
  return execFileSync(python, ["-c", script, String(imap!.port), imap!.user, imap!.password], {
    input,
    encoding: "utf8",
    timeout: 20_000,
  }).trim();
}

const IMAP_LOGIN = "import imaplib,sys\nm=imaplib.IMAP4('127.0.0.1',int(sys.argv[1]))\nm.login(sys.argv[2],sys.argv[3])\n";

/** Delivers a message into the mailbox's INBOX (IMAP APPEND, unseen), as a mail server would. */
function imapAppend(message: string) {
  imapScript(
    IMAP_LOGIN + "r=m.append('INBOX',None,None,sys.stdin.buffer.read())\nassert r[0]=='OK',r\nm.logout()",
    message,
  );
}

/** How many messages the mailbox's INBOX holds. */
function imapCount(): number {
  return Number(imapScript(IMAP_LOGIN + "m.select('INBOX')\nprint(len(m.search(None,'ALL')[1][0].split()))\nm.logout()"));
}

/** A message as aiosmtpd's Mailbox stored it: its raw text and unfolded headers. */
type Mail = { file: string; raw: string; headers: Map<string, string> };

function parseMail(file: string): Mail {
  const raw = fs.readFileSync(file, "utf8");
  const end = raw.search(/\r?\n\r?\n/);
  const head = (end >= 0 ? raw.slice(0, end) : raw).replace(/\r?\n[ \t]+/g, " ");
  const headers = new Map<string, string>();
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0) {
      const name = line.slice(0, colon).trim().toLowerCase();
      if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
    }
  }
  return { file, raw, headers };
}

/** Waits until the sink received a message with this Message-ID. */
async function waitForMail(messageId: string): Promise<Mail> {
  const dir = path.join(maildir!, "new");
  let found: Mail | undefined;
  await expect
    .poll(
      () => {
        const files = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
        found = files
          .map((f) => parseMail(path.join(dir, f)))
          .find((m) => m.headers.get("message-id") === messageId);
        return found !== undefined;
      },
      { message: `a message ${messageId} in ${dir}`, timeout: 20_000 },
    )
    .toBe(true);
  return found!;
}

async function json(response: Awaited<ReturnType<APIRequestContext["get"]>>, status = 200) {
  const text = await response.text();
  expect(response.status(), `${response.url()}: ${text}`).toBe(status);
  return JSON.parse(text);
}

test("an agent's e-mail reply is sent, shown as sent, and the customer's answer reopens the ticket live", async ({
  browser,
}, testInfo) => {
  test.skip(!maildir, "TANDEM_TEST_MAILDIR is not set: the server has no SMTP sink (./tandem.sh test starts one)");
  test.skip(!imap, "TANDEM_TEST_IMAP_PORT is not set: the server has no IMAP mailbox (./tandem.sh test starts one)");
  const stamp = Date.now();

  // the admin gives group "Users" a sender address
  const admin = await api("admin@tandem.test");
  const senderEmail = `support-${stamp}@tandem.test`;
  const address = await json(
    await admin.post("/api/v1/email_addresses", { data: { name: "Tandem Support", email: senderEmail } }),
    201,
  );
  const groups: { id: number; name: string }[] = await json(await admin.get("/api/v1/groups"));
  const users = groups.find((g) => g.name === "Users")!;
  const group = await json(await admin.put(`/api/v1/groups/${users.id}`, { data: { email_address_id: address.id } }));
  expect(group.email_address_id).toBe(address.id);

  // …and reads the customers' mail from a mailbox (created now, polled from now on)
  const channel = await json(
    await admin.post("/api/v1/email_channels", {
      data: {
        group_id: users.id,
        host: "127.0.0.1",
        port: imap!.port,
        ssl: "off",
        user: imap!.user,
        password: imap!.password,
        folder: "INBOX",
        keep_on_server: false,
      },
    }),
    201,
  );
  expect(JSON.stringify(channel)).not.toContain(imap!.password);

  const title = `Invoice missing ${stamp}`;
  const ticket = await createTicket(title, "nicole@customer.test", "Users");

  // the agent answers by e-mail in the browser
  const agent = await personPage(browser, "agent1@tandem.test");
  const errors = watchBrowserErrors(agent.page);
  const page = agent.page;
  await openTicket(page, ticket.id);
  await page.locator("select[name=article-type]").selectOption("email");
  await expect(page.locator("input[name=internal]")).not.toBeChecked();
  const hint = page.getByTestId("email-hint");
  await expect(hint).toHaveText("Sent by e-mail to the recipients");
  await expect(hint).toHaveClass(/\bon\b/);
  await expect(page.locator("input[name=to]")).toHaveValue("nicole@customer.test");
  await expect(page.locator("input[name=cc]")).toHaveValue("");
  await expect(page.locator("input[name=subject]")).toHaveValue(title);

  const editor = page.locator(".ProseMirror");
  await editor.click();
  await page.keyboard.type("Here is the invoice you asked for.");
  await page.locator(".composer input[type=file]").setInputFiles({
    name: "invoice-4711.pdf",
    mimeType: "application/pdf",
    buffer: Buffer.from("%PDF-1.4\n% invoice 4711\n%%EOF\n"),
  });
  await expect(page.locator(".chip", { hasText: "invoice-4711.pdf" })).toBeVisible();
  await page.locator("#submit-reply").click();

  const reply = page.locator(".thread .article.sender-agent.kind-email", { hasText: "Here is the invoice" });
  await expect(reply).toBeVisible();
  await expect(reply.locator(".attachment", { hasText: "invoice-4711.pdf" })).toBeVisible();

  // the article as the REST API has it: its Message-ID
  const rest = await api("agent1@tandem.test");
  const articles: { id: number; type: string; sender: string; message_id: string | null; body: string }[] = await json(
    await rest.get(`/api/v1/ticket_articles/by_ticket/${ticket.id}`),
  );
  const sent = articles.find((a) => a.type === "email" && a.sender === "Agent" && a.body.includes("Here is the invoice"));
  expect(sent, JSON.stringify(articles)).toBeTruthy();
  const messageId = sent!.message_id!;
  expect(messageId).toMatch(/^<.+@.+>$/);

  // the message the SMTP sink received
  const mail = await waitForMail(messageId);
  const from = mail.headers.get("from") ?? "";
  expect(from).toContain("Anna Agent via Tandem Support");
  expect(from).toContain(`<${senderEmail}>`);
  expect(mail.headers.get("to")).toContain("nicole@customer.test");
  expect(mail.headers.get("x-rcptto")).toBe("nicole@customer.test"); // the envelope (aiosmtpd)
  expect(mail.headers.get("subject")).toContain(`[Ticket#${ticket.number}]`);
  expect(mail.headers.get("message-id")).toBe(messageId);
  expect(mail.raw).toMatch(/filename="?invoice-4711\.pdf"?/);

  // the thread says it was sent (the worker's announcement, no reload)
  const delivery = reply.getByTestId("delivery");
  await expect(delivery).toHaveText("Sent", { timeout: 15_000 });
  await expect(delivery).toHaveClass(/delivery-sent/);
  await expect(delivery).toHaveAttribute("title", /^Sent \d{4}-\d{2}-\d{2} \d{2}:\d{2}/);
  await page.locator(".thread").screenshot({ path: testInfo.outputPath("email-thread-sent.png") });

  // closed by the agent; the customer's answer threads by In-Reply-To and reopens it, live
  const closed = await json(await rest.put(`/api/v1/tickets/${ticket.id}`, { data: { state: "closed" } }));
  expect(closed.state_id).toBeTruthy();
  await expect(page.locator("select[name=state_id] option:checked")).toHaveText("closed");
  const answer = [
    "From: Nicole Braun <nicole@customer.test>",
    `To: Tandem Support <${senderEmail}>`,
    `Subject: Re: ${mail.headers.get("subject")}`,
    `Message-ID: <answer-${stamp}@customer.test>`,
    `In-Reply-To: ${messageId}`,
    `Date: ${new Date().toUTCString()}`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "",
    "Thanks, the invoice arrived. Could you also send the one for March?",
    "",
  ].join("\r\n");
  // the customer's mail server delivers it into the mailbox; Tandem's poller takes it from there
  imapAppend(answer);
  const customerArticle = page.locator(".thread .article.sender-customer.kind-email", {
    hasText: "the one for March",
  });
  await expect(customerArticle).toBeVisible({ timeout: 45_000 });
  await expect(page.locator("select[name=state_id] option:checked")).toHaveText("open");
  // stored once, on this ticket, and taken off the server (keep_on_server: false)
  const after: { type: string; sender: string; message_id: string | null }[] = await json(
    await rest.get(`/api/v1/ticket_articles/by_ticket/${ticket.id}`),
  );
  expect(after.filter((a) => a.message_id === `<answer-${stamp}@customer.test>`)).toHaveLength(1);
  await expect.poll(() => imapCount(), { message: "the mailbox is emptied", timeout: 15_000 }).toBe(0);
  const polled = await json(await admin.get(`/api/v1/email_channels/${channel.id}`));
  expect(polled.status_in).toBe("ok");
  expect(polled.last_log_in).toBeNull();
  await expect(reply.getByTestId("delivery")).toHaveText("Sent");
  await page.screenshot({ path: testInfo.outputPath("email-ticket-reopened.png"), fullPage: true });

  expectNoBrowserErrors(errors, "during the e-mail round trip");
  await json(await admin.delete(`/api/v1/email_channels/${channel.id}`));
  await rest.dispose();
  await admin.dispose();
  await agent.context.close();
});

test("with sending off the composer warns, and the e-mail article says it was not delivered", async ({
  browser,
}, testInfo) => {
  test.skip(!!process.env.TANDEM_SMTP_URL, "TANDEM_SMTP_URL is set in this environment");
  // a Tandem of its own, started without TANDEM_SMTP_URL
  const dir = fs.mkdtempSync(path.join(tmpdir(), "tandem-mail-off-"));
  const port = await freePort();
  const server = await startTandem(dir, port);
  try {
    const base = `http://127.0.0.1:${port}`;
    const { rest, id } = await ticketOn(base, "Sending off");
    const agent = await agentPage(browser, base, "agent1@tandem.test");
    const errors = watchBrowserErrors(agent.page);
    const page = agent.page;
    await page.goto(`/tickets/${id}`);
    await expect(page.locator(".zoom[data-ready]")).toHaveCount(1);
    await page.locator("select[name=article-type]").selectOption("email");
    const hint = page.getByTestId("email-hint");
    await expect(hint).toHaveText(
      "E-mail sending is off on this server (TANDEM_SMTP_URL is not set): the article is stored but not sent",
    );
    await expect(hint).toHaveClass(/\boff\b/);
    await page.locator(".reply").screenshot({ path: testInfo.outputPath("email-composer-sending-off.png") });
    await page.locator(".ProseMirror").click();
    await page.keyboard.type("This one stays here.");
    await page.locator("#submit-reply").click();
    const reply = page.locator(".thread .article.kind-email", { hasText: "This one stays here." });
    const delivery = reply.getByTestId("delivery");
    await expect(delivery).toHaveText("Not delivered: E-mail sending is off: TANDEM_SMTP_URL is not set.");
    await expect(delivery).toHaveClass(/delivery-failed/);
    // the same after a reload (rendered on the server, then hydrated)
    await page.reload();
    await expect(page.locator(".zoom[data-ready]")).toHaveCount(1);
    await expect(reply.getByTestId("delivery")).toHaveText(
      "Not delivered: E-mail sending is off: TANDEM_SMTP_URL is not set.",
    );
    await page.locator(".thread").screenshot({ path: testInfo.outputPath("email-thread-not-sent.png") });
    expectNoBrowserErrors(errors, "with e-mail sending off");
    await rest.dispose();
    await agent.context.close();
  } finally {
    server.kill("SIGTERM");
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
