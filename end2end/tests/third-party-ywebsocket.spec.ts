import { createRequire } from "node:module";
import path from "node:path";
import { api, base, createTicket, expect, openTicket, personPage, PASSWORD, test } from "./helpers";

// Protocol compliance of the live shared draft (`/ws/tickets/{id}`, docs/collab-editing.md §6)
// with a y-sync client nobody here wrote: the stock `WebsocketProvider` of the npm package
// `y-websocket`, running in Node (no browser, no Tandem composer code), over the npm `ws`
// WebSocket. It authenticates the way an integration does (a personal access token, or HTTP
// Basic) and sends no `Origin` header, like any non-browser client.
//
// The packages are the composer's own pinned ones (frontend/js/package.json: yjs, y-websocket,
// lib0; ws as a dev dependency), loaded from frontend/js/node_modules, which `./tandem.sh test`
// installs before the browser tests run. Only their CommonJS builds are loaded, so yjs exists
// once in this process (two copies of yjs would break `instanceof` checks inside y-websocket).

const composerDir = path.resolve(__dirname, "../../frontend/js");
const fromComposer = createRequire(path.join(composerDir, "package.json"));
function load(name: string) {
  try {
    return fromComposer(name);
  } catch (e) {
    throw new Error(`cannot load ${name} from ${composerDir}/node_modules (run \`npm ci\` there): ${e}`);
  }
}
const Y = load("yjs");
const { WebsocketProvider } = load("y-websocket");
const WebSocket = load("ws");
const encoding = load("lib0/encoding");
const decoding = load("lib0/decoding");

/** y-protocols' custom message type Tandem uses for its JSON control messages. */
const MESSAGE_CONTROL = 100;
const WAIT = { timeout: 10_000 };

const wsBase = () => base().replace(/^http/, "ws") + "/ws/tickets";

/** A WebSocket class for y-websocket's `WebSocketPolyfill` that adds request headers to the
 * upgrade (the provider itself passes only the URL and sub-protocols). */
function socketWithHeaders(headers: Record<string, string>) {
  return class extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers });
    }
  };
}

type Client = {
  doc: any;
  provider: any;
  /** Tandem's CONTROL messages this client received, parsed. */
  controls: any[];
  /** Frames of message types the stock provider has no handler for (it logs and drops them). */
  unknownTypes: number[];
  destroy(): void;
};

/**
 * A stock y-websocket client of ticket `ticketId`. `controls`: also register a handler for
 * message type 100 (the documented extension point, `provider.messageHandlers[100]`); without
 * it the client is entirely unmodified and we only count the frames it cannot read.
 */
function connect(ticketId: number, headers: Record<string, string>, { controls = true } = {}): Client {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(wsBase(), String(ticketId), doc, {
    WebSocketPolyfill: socketWithHeaders(headers),
    disableBc: true,
  });
  const client: Client = {
    doc,
    provider,
    controls: [],
    unknownTypes: [],
    destroy() {
      provider.destroy();
      doc.destroy(); // also ends the awareness' timer
    },
  };
  if (controls) {
    provider.messageHandlers[MESSAGE_CONTROL] = (_encoder: any, decoder: any) => {
      client.controls.push(JSON.parse(decoding.readVarString(decoder)));
    };
  }
  // what a stock provider does with a frame it has no handler for is console.error("Unable to
  // compute message"); see which types those are without touching the provider's code
  provider.on("status", ({ status }: { status: string }) => {
    if (status !== "connected" || !provider.ws) return;
    provider.ws.addEventListener("message", (event: { data: ArrayBuffer }) => {
      const type = decoding.readVarUint(decoding.createDecoder(new Uint8Array(event.data)));
      if (!provider.messageHandlers[type]) client.unknownTypes.push(type);
    });
  });
  return client;
}

async function synced(client: Client) {
  await expect.poll(() => client.provider.synced, { message: "y-websocket synced", ...WAIT }).toBe(true);
}

/** Sends a Tandem CONTROL message the way the composer does (`varUint 100, varString JSON`). */
function sendControl(client: Client, message: object) {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE_CONTROL);
  encoding.writeVarString(encoder, JSON.stringify(message));
  client.provider.ws.send(encoding.toUint8Array(encoder));
}

/** The body's blocks as plain text, one string per top-level block. */
function blocks(doc: any): string[] {
  const text = (node: any): string => {
    if (node instanceof Y.XmlText) return node.toDelta().map((d: any) => (typeof d.insert === "string" ? d.insert : "")).join("");
    if (node instanceof Y.XmlElement) return node.toArray().map(text).join("");
    return "";
  };
  return doc.getXmlFragment("default").toArray().map(text);
}

/** Appends a paragraph to the body in the composer's schema (frontend/js/SCHEMA.md):
 * XmlElement("paragraph") holding one XmlText; unformatted text carries `{}` attributes. */
function appendParagraph(doc: any, words: string) {
  const body = doc.getXmlFragment("default");
  doc.transact(() => {
    const paragraph = new Y.XmlElement("paragraph");
    body.insert(body.length, [paragraph]);
    const text = new Y.XmlText();
    paragraph.insert(0, [text]);
    text.insert(0, words, {});
  });
}

/** What the draft's REST view says: `{body, etag}`. */
async function restDraft(rest: any, ticketId: number) {
  const response = await rest.get(`/api/v1/tickets/${ticketId}/shared_draft`);
  expect(response.status()).toBe(200);
  const draft = await response.json();
  const zoom = draft.assets?.TicketSharedDraftZoom?.[draft.shared_draft_id];
  return { body: (zoom?.new_article?.body ?? "") as string, etag: response.headers()["etag"] as string | undefined };
}

/** The upgrade's HTTP status for these headers (a raw `ws` handshake, no provider). */
function handshakeStatus(ticketId: number, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${wsBase()}/${ticketId}`, { headers });
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error("no answer to the upgrade"));
    }, 10_000);
    socket.on("open", () => {
      clearTimeout(timer);
      socket.close();
      resolve(101);
    });
    socket.on("unexpected-response", (_request: any, response: { statusCode: number }) => {
      clearTimeout(timer);
      socket.terminate();
      resolve(response.statusCode);
    });
    socket.on("error", () => {}); // terminate() after unexpected-response reports one
  });
}

/** The editor's text without the other editors' caret labels, whitespace normalised. */
const editorText = async (page: any) =>
  (
    (await page.locator(".ProseMirror").evaluate((el: HTMLElement) => {
      const copy = el.cloneNode(true) as HTMLElement;
      copy.querySelectorAll(".collaboration-carets__caret").forEach((c) => c.remove());
      return copy.textContent ?? "";
    })) as string
  )
    .replace(/\s+/g, " ")
    .trim();

test("a stock y-websocket client (npm y-websocket in Node, token auth) reads, edits and co-edits the live draft", async ({
  browser,
}) => {
  // a stock provider reports each frame it has no handler for with console.error("Unable to
  // compute message"): counted here (and their types checked below) instead of printed
  let unreadable = 0;
  const consoleError = console.error;
  console.error = (...args: unknown[]) => {
    if (args.length === 1 && args[0] === "Unable to compute message") unreadable++;
    else consoleError.apply(console, args);
  };
  const clients: Client[] = [];
  const rest = await api("agent1@tandem.test");
  let tokenId: number | undefined;
  try {
    const ticket = await createTicket(`Third-party y-websocket ${Date.now()}`, "nicole@customer.test", "Users");
    const me = await (await rest.get("/api/v1/users/me")).json();
    const agentName = `${me.firstname} ${me.lastname}`.trim();

    // a personal access token, as an integration would use
    const created = await rest.post("/api/v1/user_access_token", {
      data: { name: "third-party y-websocket test", permission: ["ticket.agent"] },
    });
    expect(created.status()).toBe(201);
    const { token, id } = await created.json();
    tokenId = id;
    const tokenAuth = { Authorization: `Token token=${token}` };

    // the handshake as a non-browser client meets it: no Origin is fine; a foreign Origin,
    // missing credentials (403, as on REST) and a wrong token (401) are refused before the upgrade
    expect(await handshakeStatus(ticket.id, tokenAuth)).toBe(101);
    expect(await handshakeStatus(ticket.id, { ...tokenAuth, Origin: "https://evil.example" })).toBe(403);
    expect(await handshakeStatus(ticket.id, {})).toBe(403);
    expect(await handshakeStatus(ticket.id, { Authorization: "Token token=not-a-token" })).toBe(401);

    // (1) an agent writes the draft over REST; the client's Yjs document holds that text, in
    // the composer's schema (paragraphs, a bold mark as {bold: {}}, UTF-16 text intact)
    const restText = "Written over REST: Grüße 😀";
    const put = await rest.put(`/api/v1/tickets/${ticket.id}/shared_draft`, {
      data: {
        form_id: "third-party-ywebsocket",
        new_article: { body: `<p>${restText} and <strong>bold</strong></p><p>Second block.</p>`, type: "note", internal: true },
        ticket_attributes: {},
      },
    });
    expect([200, 201]).toContain(put.status());

    const a = connect(ticket.id, tokenAuth);
    clients.push(a);
    await synced(a);
    expect(blocks(a.doc)).toEqual([`${restText} and bold`, "Second block."]);
    const first = a.doc.getXmlFragment("default").get(0);
    expect(first.nodeName).toBe("paragraph");
    expect(first.get(0).toDelta()).toEqual([{ insert: `${restText} and ` }, { insert: "bold", attributes: { bold: {} } }]);
    expect(a.doc.getMap("meta").get("type")).toBe("note");
    const hello = a.controls.find((m) => m.t === "hello");
    expect(hello, "CONTROL hello").toMatchObject({ t: "hello", ticket_id: ticket.id, role: "edit", user: { id: me.id, name: agentName } });

    // (2) the client edits through Yjs; the REST view shows the new paragraph
    const mine = "Typed by a third-party y-websocket client ✓";
    appendParagraph(a.doc, mine);
    await expect
      .poll(async () => (await restDraft(rest, ticket.id)).body, { message: "REST body shows the Yjs edit", ...WAIT })
      .toContain(mine);
    // …and the `flush` control message stores it at once, answered with `saved`
    const saves = () => a.controls.filter((m) => m.t === "saved");
    const savedBefore = saves().length;
    sendControl(a, { t: "flush" });
    await expect.poll(() => saves().length, { message: "CONTROL saved", ...WAIT }).toBeGreaterThan(savedBefore);
    // the REST view is at the revision the last `saved` announced (its ETag is "<epoch>-<rev>";
    // the 50 ms update-log batch may announce one more revision right after the flush's)
    await expect
      .poll(
        async () => {
          const { etag } = await restDraft(rest, ticket.id);
          const want = `"${hello.epoch}-${saves().at(-1).rev}"`;
          return etag === want ? "at the saved revision" : `ETag ${etag}, last saved ${want}`;
        },
        { message: "REST ETag", ...WAIT },
      )
      .toBe("at the saved revision");
    const stored = await restDraft(rest, ticket.id);
    expect(stored.body).toContain(mine);
    expect(stored.body).toContain(restText);
    expect(a.controls.filter((m) => m.t === "error")).toEqual([]);

    // (3) a second, independent client (HTTP Basic this time, another agent, and entirely
    // stock: no CONTROL handler) gets the document, sees the first one's changes live, and
    // sees its presence under the authenticated name, whatever name it claimed
    a.provider.awareness.setLocalStateField("user", { name: "Somebody Else", color: "#12ab34" });
    const b = connect(
      ticket.id,
      { Authorization: "Basic " + Buffer.from(`admin@tandem.test:${PASSWORD}`).toString("base64") },
      { controls: false },
    );
    clients.push(b);
    await synced(b);
    expect(blocks(b.doc)).toEqual(blocks(a.doc));

    const live = `Live from A at ${Date.now()}`;
    appendParagraph(a.doc, live);
    await expect.poll(() => blocks(b.doc).at(-1), { message: "B sees A's paragraph", ...WAIT }).toBe(live);
    // and the other way round
    appendParagraph(b.doc, "Reply from B");
    await expect.poll(() => blocks(a.doc).at(-1), { message: "A sees B's paragraph", ...WAIT }).toBe("Reply from B");

    const presenceOfA = () => b.provider.awareness.getStates().get(a.doc.clientID);
    await expect.poll(() => presenceOfA()?.user?.name, { message: "A's presence in B", ...WAIT }).toBe(agentName);
    expect(presenceOfA().user).toMatchObject({ id: me.id, name: agentName, color: "#12ab34" });

    // (4) a browser: agent1's composer shows the third-party client's text, and what the
    // client types next arrives live
    const anna = await personPage(browser, "agent1@tandem.test"); // fails on server errors
    await openTicket(anna.page, ticket.id);
    await expect(anna.page.locator(".coeditors")).toContainText("live");
    await expect.poll(() => editorText(anna.page), WAIT).toContain(mine);
    const typedLive = `Arrives in the browser ${Date.now()}`;
    appendParagraph(a.doc, typedLive);
    await expect.poll(() => editorText(anna.page), WAIT).toContain(typedLive);
    expect(await editorText(anna.page)).toContain("Reply from B");
    // the browser's presence reaches the stock client too
    await expect
      .poll(
        () =>
          [...b.provider.awareness.getStates().entries()]
            .filter(([client]: [number, any]) => client !== a.doc.clientID && client !== b.doc.clientID)
            .map(([, state]: [number, any]) => state?.user?.name),
        { message: "the browser's presence in B", ...WAIT },
      )
      .toContain(agentName);
    await anna.context.close();

    // every frame Tandem sent was one the stock provider reads, except Tandem's own CONTROL
    // frames (type 100: hello, saved, …), which a client without a handler logs and skips
    expect([...new Set(b.unknownTypes)].filter((type) => type !== MESSAGE_CONTROL)).toEqual([]);
    expect(a.unknownTypes).toEqual([]);
    expect(unreadable).toBe(b.unknownTypes.length);
    test.info().annotations.push({
      type: "stock client",
      description: `CONTROL frames the client without a type-100 handler skipped ("Unable to compute message"): ${b.unknownTypes.length}`,
    });
  } finally {
    console.error = consoleError;
    for (const c of clients) c.destroy();
    if (tokenId !== undefined) await rest.delete(`/api/v1/user_access_token/${tokenId}`);
    await rest.dispose();
  }
});
