import { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { BrowserContext, Page, request } from "@playwright/test";
import { PASSWORD, base, createTicket, expect, failOnServerErrors, screenshot, test } from "./helpers";
import { agentPage, freePort, startTandem, ticketOn } from "./own-server";

// The co-editing soak in real browsers (issue 17). One Tandem of its own (SQLite), so that it
// can be killed (-9) and started again on the same database and port in the middle of the run.
// Three Chromium pages (Anna in two tabs of one browser context, Ada in another context) and
// one stock y-websocket client in Node (Ada again, token auth) edit one reply draft at once,
// each with a seeded random mix: typing unique marker words, deleting its own markers,
// bold/italic over any range, Ctrl+Z, going offline and back (Ada's context, Anna's context,
// the Node client), one tab reloaded in the middle of typing a marker, and one kill -9 of the
// server followed by a restart. At the end every editor, the Node client and the REST view
// hold the same text; every acknowledged marker is in it exactly once and a marker its writer
// removed is not; no marker is in it twice; and no page shows a caret or a presence state that
// is not the live editor it claims to be (no one's own name on a caret that is not theirs).
//
// What counts as acknowledged: a writer that keeps its document (the pages that are never
// reloaded, the Node client) resends everything it holds, so every complete marker it holds
// at the end of its turns must be there exactly once, and every marker it deleted (or took
// back with Ctrl+Z) must be gone; its own editor is the truth about its own markers, because
// nobody else deletes them. The tab that is reloaded loses what it had not sent: its markers
// typed before the reload count only when another client (the Node client, which hears only
// from the server, or another page) had seen them before the reload; the rest may be missing
// but never doubled. Everything it types after the reload counts.
//
// SOAK_SECONDS=300 runs the random edits for 300 s instead of 25; SOAK_SEED repeats a run.

const SECONDS = Number(process.env.SOAK_SECONDS ?? 25);
const SEED = Number(process.env.SOAK_SEED ?? Date.now() % 2 ** 31);

// the composer's own y-websocket, yjs and ws (frontend/js/node_modules; CommonJS builds only,
// so yjs exists once in this process), as in third-party-ywebsocket.spec.ts
const composerDir = path.resolve(__dirname, "../../frontend/js");
const fromComposer = createRequire(path.join(composerDir, "package.json"));
const Y = fromComposer("yjs");
const { WebsocketProvider } = fromComposer("y-websocket");
const WebSocket = fromComposer("ws");
const encoding = fromComposer("lib0/encoding");
const decoding = fromComposer("lib0/decoding");
const MESSAGE_AWARENESS = 1;
const MESSAGE_CONTROL = 100;

/** mulberry32: a small seeded generator, so a failing run can be repeated (SOAK_SEED). */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, below: (n: number) => Math.floor(next() * n), pick: <T>(xs: T[]) => xs[Math.floor(next() * xs.length)] };
}

/**
 * Markers: `x`, the writer's own letter, three digits, `q` (e.g. `xb017q`); a prefix of one left
 * by an interrupted typing run never matches. Every marker starts with the same letter on
 * purpose, so that writers keep typing a letter right before an equal letter (a marker typed
 * after one's own, in front of another writer's). y-tiptap used to store such a letter as a
 * Yjs item AFTER the equal one (its diff of the paragraph's text, lib0 `simpleDiff`, ignored
 * the caret); concurrent edits placed by items then split words (a word missing its first
 * letter, a stray letter beside another writer's word), which an earlier version of this soak
 * dodged by giving each writer its own first letter. The composer bundle now diffs at the caret
 * (issue 17: frontend/js/src/caret-diff.js, docs/collab-editing.md §4.4), and this soak checks
 * that it holds in real browsers.
 */
const MARKER = /x([a-d])(\d{3})q/g;
const markersIn = (text: string) => [...text.matchAll(MARKER)].map((m) => m[0]);
/** The writer's letter in one of its markers. */
const tagOf = (marker: string) => marker[1];
const count = (text: string, marker: string) => text.split(marker).length - 1;
const norm = (s: string) => s.replace(/\s+/g, " ").trim();

/** A WebSocket class for y-websocket that sends request headers with the upgrade. */
function socketWithHeaders(headers: Record<string, string>) {
  return class extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers });
    }
  };
}

/** A stock y-websocket client in Node (no Tandem code): its document, its CONTROL messages. */
function nodeClient(wsBase: string, ticketId: number, headers: Record<string, string>) {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(wsBase, String(ticketId), doc, {
    WebSocketPolyfill: socketWithHeaders(headers),
    disableBc: true,
  });
  const controls: any[] = [];
  provider.messageHandlers[MESSAGE_CONTROL] = (_e: any, decoder: any) => {
    controls.push(JSON.parse(decoding.readVarString(decoder)));
  };
  return { doc, provider, controls };
}

/** The body of a Y document as text, blocks separated by a newline (as the pages read it). */
function yText(doc: any): string {
  const text = (node: any): string => {
    if (node instanceof Y.XmlText) return node.toDelta().map((d: any) => (typeof d.insert === "string" ? d.insert : "")).join("");
    if (node instanceof Y.XmlElement) return node.toArray().map(text).join("");
    return "";
  };
  return doc.getXmlFragment("default").toArray().map(text).join("\n");
}

/** What a page shows: its editor's text (ProseMirror's document, no caret widgets), its HTML,
 * its own Yjs client id, the presence states it holds and the caret labels it renders. */
type PageView = {
  text: string;
  html: string;
  clientId: number;
  states: { id: number; name: string | null; cursor: boolean }[];
  labels: string[];
};

async function view(page: Page): Promise<PageView | null> {
  return page.evaluate(() => {
    const el = document.querySelector(".composer .ProseMirror") as any;
    const ed = el?.editor;
    if (!ed || ed.isDestroyed) return null;
    const caret = ed.extensionManager.extensions.find((e: any) => e.name === "collaborationCaret");
    const awareness = caret?.options?.provider?.awareness;
    return {
      text: ed.state.doc.textBetween(0, ed.state.doc.content.size, "\n"),
      html: ed.getHTML(),
      clientId: awareness ? awareness.clientID : -1,
      states: awareness
        ? [...awareness.getStates()].map(([id, s]: [number, any]) => ({ id, name: s?.user?.name ?? null, cursor: s?.cursor != null }))
        : [],
      labels: [...el.querySelectorAll(".collaboration-carets__label")].map((l: Element) => l.textContent ?? ""),
    };
  });
}

/** Waits until the page's composer is connected and synced ("Shared draft: live"). */
async function live(page: Page, timeout = 30_000) {
  await expect(page.locator(".coeditors")).toContainText("live", { timeout });
  await expect.poll(async () => (await view(page))?.clientId ?? -1, { timeout }).toBeGreaterThan(0);
}

/**
 * Selects through the editor (focused, so that the next real keystrokes act on it), in its
 * text: `after` puts the caret after that marker and its space; `cover` selects the marker and
 * its space; `words: [i, j]` selects from the start of the i-th word to the start of the j-th
 * (or the end). False when it is not there.
 */
async function select(page: Page, where: { after: string } | { cover: string } | { words: [number, number] }): Promise<boolean> {
  return page.evaluate((where: any) => {
    const ed = (document.querySelector(".composer .ProseMirror") as any)?.editor;
    if (!ed) return false;
    const positions: number[] = [];
    let text = "";
    ed.state.doc.descendants((node: any, pos: number) => {
      if (node.isText) {
        for (let i = 0; i < node.text.length; i++) positions.push(pos + i);
        text += node.text;
      }
    });
    if (positions.length === 0) return false;
    const at = (i: number) => (i < positions.length ? positions[i] : positions[positions.length - 1] + 1);
    const around = (marker: string) => {
      const i = text.indexOf(marker);
      if (i < 0) return null;
      const end = i + marker.length + (text[i + marker.length] === " " ? 1 : 0);
      return [i, end];
    };
    let range: number[] | null;
    if (where.after !== undefined) {
      const r = around(where.after);
      range = r && [r[1], r[1]];
    } else if (where.cover !== undefined) {
      range = around(where.cover);
    } else {
      const starts = [0, ...[...text.matchAll(/ /g)].map((m) => m.index! + 1)];
      const [i, j] = where.words;
      range = [starts[Math.min(i, starts.length - 1)], j < starts.length ? starts[j] : text.length];
    }
    if (!range || range[1] < range[0]) return false;
    // focused at once (Tiptap's focus command waits for an animation frame when the editor
    // is not focused yet, e.g. after a reload: the first keystroke would miss it)
    ed.view.focus();
    ed.commands.setTextSelection({ from: at(range[0]), to: at(range[1]) });
    return true;
  }, where);
}

type Writer = {
  name: string;
  tag: string;
  user: string;
  page?: Page;
  context?: BrowserContext;
  /** every marker it finished typing (or, the reloaded tab, started) */
  typed: string[];
  /** its markers in its own editor after its last turn */
  alive: Set<string>;
  /** client ids it had (a reload gives the tab a new document) */
  ids: number[];
  /** markers it holds more than once at some point (should never happen) */
  doubled: string[];
  /** the reloaded tab: markers typed before the reload that another client had seen */
  acked?: Set<string>;
  /** the reloaded tab: markers typed before the reload (only acknowledged ones count) */
  beforeReload?: Set<string>;
  actions: Record<string, number>;
  /** its own markers appearing or vanishing other than by its own turns */
  anomalies: string[];
};

const newWriter = (name: string, tag: string, user: string): Writer => ({
  name, tag, user, typed: [], alive: new Set(), ids: [], doubled: [], actions: {}, anomalies: [],
});

function nextMarker(w: Writer) {
  const m = `x${w.tag}${String(w.typed.length + 1).padStart(3, "0")}q`;
  w.typed.push(m);
  return m;
}

/** Its markers in `text`: which it holds, and any it holds twice. */
function recount(w: Writer, text: string) {
  w.alive = new Set(markersIn(text).filter((m) => tagOf(m) === w.tag));
  for (const m of w.alive) if (count(text, m) > 1) w.doubled.push(m);
}

test("soak: three Chromium pages and a Node y-websocket client co-edit one draft through outages, a reload and a kill -9", async ({
  browser,
  browserErrors,
}) => {
  test.setTimeout(120_000 + SECONDS * 2_000);
  const dir = mkdtempSync(path.join(tmpdir(), "tandem-soak-"));
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const escapedOrigin = origin.replace(/[.:/]/g, (c) => `\\${c}`);
  // expected noise, and only this: the test cuts the network of a browser context on purpose
  // (ERR_INTERNET_DISCONNECTED) and kills the server once (ERR_CONNECTION_REFUSED until it is
  // back); the draft socket, the tab's live socket and the page's requests to this server fail
  // meanwhile and are retried
  browserErrors.allow(
    new RegExp(
      `^WebSocket connection to '${escapedOrigin.replace("http", "ws")}\\/ws\\/(tickets\\/\\d+|live)[^']*' failed: ` +
        `(Error in connection establishment: net::ERR_(CONNECTION_REFUSED|INTERNET_DISCONNECTED)|Connection closed before receiving a handshake response) @ `,
    ),
  );
  browserErrors.allow(new RegExp(`^Failed to load resource: net::ERR_(CONNECTION_REFUSED|INTERNET_DISCONNECTED) @ ${escapedOrigin}\\/`));
  let server: ChildProcess = await startTandem(dir, port);
  const log: string[] = [];
  const note = (line: string) => log.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${line}`);
  let t0 = Date.now();
  const random = rng(SEED);
  let node: ReturnType<typeof nodeClient> | undefined;
  let summarize = () => log.join("\n");
  try {
    const { rest, id } = await ticketOn(origin, "Soak: one draft, many editors");
    await rest.dispose();

    // the Node client authenticates as an integration does: Ada's personal access token
    const adaRest = await request.newContext({
      baseURL: origin,
      extraHTTPHeaders: { Authorization: "Basic " + Buffer.from(`admin@tandem.test:${PASSWORD}`).toString("base64") },
    });
    const created = await adaRest.post("/api/v1/user_access_token", { data: { name: "soak", permission: ["ticket.agent"] } });
    expect(created.status()).toBe(201);
    const token = (await created.json()).token;

    // the pages: Anna in two tabs of one context, Ada in another
    const anna = await agentPage(browser, origin, "agent1@tandem.test");
    const ada = await agentPage(browser, origin, "admin@tandem.test");
    const annaTab2 = await anna.context.newPage();
    const A = newWriter("anna-tab-1", "a", "Anna Agent");
    const B = newWriter("anna-tab-2 (reloaded)", "b", "Anna Agent");
    const C = newWriter("ada", "c", "Ada Admin");
    const D = newWriter("node y-websocket (Ada)", "d", "Ada Admin");
    [A.page, A.context] = [anna.page, anna.context];
    [B.page, B.context] = [annaTab2, anna.context];
    [C.page, C.context] = [ada.page, ada.context];
    const pages = [A, B, C];
    summarize = () =>
      [
        `seed ${SEED}, ${SECONDS} s`,
        ...[A, B, C, D].map(
          (w) => `${w.name}: typed ${w.typed.length}, holds ${w.alive.size}, turns ${JSON.stringify(w.actions)}, client ids ${w.ids.join(" ")}`,
        ),
        `reloaded tab: ${B.acked?.size ?? 0} of the ${B.beforeReload?.size ?? 0} markers typed before the reload were acknowledged`,
        ...log,
      ].join("\n");
    for (const w of pages) {
      failOnServerErrors(w.page!);
      await w.page!.goto(`/tickets/${id}`);
      await expect(w.page!.locator(".zoom[data-ready]")).toHaveCount(1);
      await live(w.page!);
      w.ids.push((await view(w.page!))!.clientId);
    }

    node = nodeClient(origin.replace(/^http/, "ws") + "/ws/tickets", id, { Authorization: `Token token=${token}` });
    const nodeDoc = node.doc;
    const nodeProvider = node.provider;
    // a presence without a caret (y-protocols peers ignore a state still at its first clock)
    nodeProvider.awareness.setLocalStateField("cursor", null);
    await expect.poll(() => nodeProvider.synced, { message: "the Node client synced", timeout: 15_000 }).toBe(true);
    D.ids.push(nodeDoc.clientID);
    // what the Node client has seen, at any time: it hears only what the server relays
    const seenByNode = new Set<string>();
    nodeDoc.on("update", () => markersIn(yText(nodeDoc)).forEach((m) => seenByNode.add(m)));

    // who owns which Yjs client id (for the presence checks)
    const owner = new Map<number, string>();
    const own = (w: Writer, clientId: number) => {
      if (!w.ids.includes(clientId)) w.ids.push(clientId);
      owner.set(clientId, w.user);
    };
    for (const w of [...pages, D]) own(w, w.ids[0]);

    // one paragraph to start from: each writer's first marker, one after the other
    const pageText = async (w: Writer) => (await view(w.page!))?.text ?? "";
    for (const w of pages) {
      const m = nextMarker(w);
      await w.page!.locator(".composer .ProseMirror").click();
      await w.page!.keyboard.press("Control+End");
      await w.page!.keyboard.type(`${m} `, { delay: 10 });
      await expect.poll(() => seenByNode.has(m), { message: `${m} reached the Node client`, timeout: 15_000 }).toBe(true);
      recount(w, await pageText(w));
    }
    {
      const m = nextMarker(D);
      const paragraph = nodeDoc.getXmlFragment("default").get(0);
      const text = paragraph.toArray().find((n: any) => n instanceof Y.XmlText);
      text.insert(text.length, `${m} `, {});
      recount(D, yText(nodeDoc));
      for (const w of pages) await expect.poll(() => pageText(w), { timeout: 15_000 }).toContain(m);
    }

    // ---- the random mix ------------------------------------------------------------------
    t0 = Date.now();
    const end = t0 + SECONDS * 1000;
    const at = (fraction: number) => t0 + fraction * SECONDS * 1000;
    let reloadB = false;
    let reloaded = false;
    let reloadedBack = false;
    const presenceFaults: string[] = [];
    const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const tick = (w: Writer, what: string) => (w.actions[what] = (w.actions[what] ?? 0) + 1);

    /** One page's turn: type a marker after one of its own, delete one of its own, format a
     * range, or one of those followed by Ctrl+Z. Its own editor then says which of its
     * markers it holds. */
    async function pageTurn(w: Writer, canDelete: boolean, canUndo: boolean) {
      const page = w.page!;
      const roll = random.next();
      const before = new Set(w.alive);
      let expected = new Set(before);
      let did = "";
      if (roll < 0.5 || w.alive.size === 0) {
        const after = random.pick([...w.alive]);
        if (!after || !(await select(page, { after }))) return;
        const m = nextMarker(w);
        await page.keyboard.type(`${m} `, { delay: 10 + random.below(20) });
        expected.add(m);
        did = "type";
      } else if (roll < 0.7 && canDelete && w.alive.size >= 2) {
        // its own marker and the space after it, selected through the editor, then Backspace
        const victim = random.pick([...w.alive]);
        if (!(await select(page, { cover: victim }))) return;
        await page.keyboard.press("Backspace");
        expected.delete(victim);
        did = "delete";
      } else {
        // bold or italic over any range of words (others' markers too)
        const words = (await pageText(w)).split(" ").length;
        const i = random.below(words);
        if (!(await select(page, { words: [i, i + 1 + random.below(4)] }))) return;
        await page.keyboard.press(random.next() < 0.5 ? "Control+b" : "Control+i");
        did = "format";
      }
      tick(w, did);
      let undone = false;
      if (canUndo && random.next() < 0.2) {
        undone = true;
        // takes back this turn (a typing run split by a stall is taken back in part, which
        // leaves a prefix that is no marker)
        const focused = await page.evaluate(() => {
          const ed = (document.querySelector(".composer .ProseMirror") as any)?.editor;
          const had = !!ed?.view.hasFocus();
          ed?.view.focus();
          return had;
        });
        if (!focused) note(`${w.name}: the editor had lost the focus before Ctrl+Z`);
        await page.keyboard.press("Control+z");
        tick(w, `undo ${did}`);
        expected = before;
      }
      const v = await view(page);
      if (v && !w.ids.includes(v.clientId)) {
        note(`${w.name}: new client id ${v.clientId} (its document was replaced)`);
        own(w, v.clientId);
      }
      recount(w, v?.text ?? "");
      // nobody else touches its markers: its editor holds exactly what its turns left. After
      // Ctrl+Z it holds what the undo manager took back, which is noted when that is not
      // exactly this turn (its grouping is by time, see the report): from then on its editor
      // is the truth about its markers all the same
      const lost = [...expected].filter((m) => !w.alive.has(m));
      const back = [...w.alive].filter((m) => !expected.has(m));
      if (lost.length || back.length) {
        const what = `after ${did}${undone ? " + Ctrl+Z" : ""}: missing ${lost.join(" ") || "-"}, unexpected ${back.join(" ") || "-"}`;
        if (undone) note(`${w.name}: Ctrl+Z took back more than this turn: ${what}`);
        else w.anomalies.push(what);
      }
    }

    /** The Node client's turn: a marker after one of its own, or one of its own deleted, in
     * the Y document directly (the composer's schema: one paragraph, unformatted text). */
    function nodeTurn() {
      const paragraph = nodeDoc.getXmlFragment("default").get(0);
      const ytext = paragraph?.toArray().find((n: any) => n instanceof Y.XmlText);
      if (!ytext) return;
      const text = ytext.toDelta().map((d: any) => (typeof d.insert === "string" ? d.insert : "")).join("");
      if (random.next() < 0.7 || D.alive.size < 2) {
        const after = random.pick([...D.alive]);
        const i = after ? text.indexOf(after) : -1;
        if (i < 0) return;
        let end = i + after.length;
        if (text[end] === " ") end++;
        ytext.insert(end, `${nextMarker(D)} `, {});
        tick(D, "type");
      } else {
        const victim = random.pick([...D.alive]);
        const i = text.indexOf(victim);
        if (i < 0) return;
        ytext.delete(i, victim.length + (text[i + victim.length] === " " ? 1 : 0));
        tick(D, "delete");
      }
      recount(D, yText(nodeDoc));
    }

    /** The tab reloaded in the middle of typing a marker. */
    async function reloadMidTyping(w: Writer) {
      const page = w.page!;
      // acknowledged: seen by the Node client (it hears only the server) or by another page
      w.acked = new Set([...seenByNode].filter((m) => tagOf(m) === w.tag));
      for (const other of [A, C]) markersIn(await pageText(other)).filter((m) => tagOf(m) === w.tag).forEach((m) => w.acked!.add(m));
      w.beforeReload = new Set(w.typed);
      const after = random.pick([...w.alive]);
      if (!after || !(await select(page, { after }))) return;
      const m = nextMarker(w);
      w.beforeReload.add(m);
      const typing = page.keyboard.type(`${m} `, { delay: 60 }).catch(() => {});
      await page
        .waitForFunction((prefix) => (document.querySelector(".composer .ProseMirror") as any)?.editor?.state.doc.textContent.includes(prefix), m.slice(0, 4), { timeout: 5_000 })
        .catch(() => {});
      note(`${w.name}: reload while typing ${m}`);
      await page.reload();
      await typing;
      await expect(page.locator(".zoom[data-ready]")).toHaveCount(1, { timeout: 30_000 });
      await live(page);
      own(w, (await view(page))!.clientId);
      recount(w, await pageText(w));
      note(`${w.name}: back, client ${w.ids.at(-1)}, holds ${w.alive.size} markers`);
    }

    const pageLoop = async (w: Writer, canDelete: boolean, canUndo: boolean) => {
      while (Date.now() < end) {
        if (w === B && reloadB && !reloaded) {
          reloaded = true;
          await reloadMidTyping(w);
          reloadedBack = true;
          continue;
        }
        await pageTurn(w, canDelete, canUndo);
        // a pause longer than the undo manager's capture time (500 ms): Ctrl+Z takes back
        // this writer's last turn only
        await wait(600 + random.below(400));
      }
    };
    const nodeLoop = async () => {
      let offlineUntil = 0;
      while (Date.now() < end) {
        nodeTurn();
        if (offlineUntil === 0 && random.next() < 0.05) {
          nodeProvider.disconnect();
          offlineUntil = Date.now() + 1000 + random.below(2000);
          note("node client offline");
        } else if (offlineUntil > 0 && Date.now() > offlineUntil) {
          nodeProvider.connect();
          offlineUntil = 0;
          note("node client back");
        }
        await wait(300 + random.below(500));
      }
      if (!nodeProvider.shouldConnect) nodeProvider.connect();
    };
    /** Samples every page's presence: a client id must carry its owner's name, wherever shown. */
    const presenceLoop = async () => {
      while (Date.now() < end) {
        for (const w of pages) {
          const v = await view(w.page!).catch(() => null);
          for (const s of v?.states ?? []) {
            const expected = owner.get(s.id);
            if (expected && s.name !== null && s.name !== expected) {
              presenceFaults.push(`${w.name} shows client ${s.id} (${expected}'s) as ${s.name}`);
            }
          }
        }
        await wait(1000);
      }
    };
    /** Offline and back, one reload, one kill -9. */
    const director = async () => {
      const offline = async (context: BrowserContext, who: string) => {
        note(`${who} offline`);
        await context.setOffline(true);
        await wait(2000 + random.below(1500));
        await context.setOffline(false);
        note(`${who} online`);
      };
      await wait(at(0.2) - Date.now());
      await offline(C.context!, "Ada's context");
      await wait(at(0.4) - Date.now());
      note("kill -9");
      const exited = new Promise((r) => server.once("exit", r));
      server.kill("SIGKILL");
      await exited;
      await wait(1500);
      server = await startTandem(dir, port);
      note("server restarted");
      await wait(at(0.55) - Date.now());
      reloadB = true;
      // Anna's context goes offline once the reloaded tab is back (a tab reloaded offline
      // loses what it had not sent: not what this soak is about)
      while (!reloadedBack && Date.now() < end) await wait(100);
      await wait(Math.max(500, at(0.75) - Date.now()));
      if (Date.now() + 3_000 < end) await offline(A.context!, "Anna's context (both tabs)");
      // longer runs: an outage every 40 s, the contexts in turn
      for (let k = 0; Date.now() + 45_000 < end; k++) {
        await wait(40_000);
        await offline(k % 2 ? A.context! : C.context!, k % 2 ? "Anna's context" : "Ada's context");
      }
    };

    await Promise.all([
      pageLoop(A, true, true),
      pageLoop(B, false, false),
      pageLoop(C, true, true),
      nodeLoop(),
      presenceLoop(),
      director(),
    ]);
    note("editing over");

    // ---- convergence -----------------------------------------------------------------------
    for (const w of pages) await live(w.page!, 60_000);
    await expect.poll(() => nodeProvider.synced, { message: "the Node client synced again", timeout: 60_000 }).toBe(true);
    const texts = async () => {
      const views = await Promise.all(pages.map((w) => view(w.page!)));
      return [...views.map((v) => norm(v?.text ?? "")), norm(yText(nodeDoc))];
    };
    await expect
      .poll(async () => new Set(await texts()).size, { message: "every editor holds the same text", timeout: 60_000 })
      .toBe(1);
    const views = await Promise.all(pages.map((w) => view(w.page!)));
    const final = norm(views[0]!.text);
    // the same document, formatting included
    for (const v of views) expect(v!.html).toBe(views[0]!.html);

    // the server has it too: the REST view of the draft
    const reader = await request.newContext({
      baseURL: origin,
      extraHTTPHeaders: { Authorization: "Basic " + Buffer.from(`agent1@tandem.test:${PASSWORD}`).toString("base64") },
    });
    const restText = async () => {
      const draft = await (await reader.get(`/api/v1/tickets/${id}/shared_draft`)).json();
      const zoom = draft.assets?.TicketSharedDraftZoom?.[draft.shared_draft_id];
      return norm((zoom?.new_article?.body ?? "").replace(/<[^>]+>/g, "").replace(/&nbsp;/g, " "));
    };
    const spaced = (s: string) => norm(s.replace(/\s+/g, " "));
    await expect.poll(restText, { message: "the REST view holds the editors' text", timeout: 30_000 }).toBe(spaced(final));
    await reader.dispose();

    // ---- every acknowledged marker exactly once, nothing twice, nothing taken back -------
    const problems: string[] = [];
    for (const m of new Set(markersIn(final))) if (count(final, m) > 1) problems.push(`${m} is there ${count(final, m)} times`);
    for (const w of [A, C, D]) {
      for (const m of w.alive) if (count(final, m) !== 1) problems.push(`${w.name}: ${m} (held) is there ${count(final, m)} times`);
      for (const m of w.typed) if (!w.alive.has(m) && count(final, m) !== 0) problems.push(`${w.name}: ${m} (taken back) is there ${count(final, m)} times`);
      for (const m of w.doubled) problems.push(`${w.name} held ${m} twice at some point`);
      for (const a of w.anomalies) problems.push(`${w.name}: its own markers changed by themselves, ${a}`);
    }
    const required = (m: string) => !B.beforeReload?.has(m) || B.acked?.has(m);
    for (const m of B.typed) {
      const n = count(final, m);
      if (required(m) ? n !== 1 : n > 1) problems.push(`${B.name}: ${m} (${required(m) ? "acknowledged" : "unacknowledged"}) is there ${n} times`);
    }
    expect(reloaded, "the tab was reloaded").toBe(true);

    // ---- presence: every client id with its owner's name, no ghosts, no own caret --------
    const liveIds = new Set([A.ids.at(-1), B.ids.at(-1), C.ids.at(-1), D.ids.at(-1)]);
    const presence = async () => {
      const faults: string[] = [];
      for (const w of pages) {
        const v = (await view(w.page!))!;
        for (const s of v.states) {
          if (s.id === v.clientId) continue;
          if (!liveIds.has(s.id)) faults.push(`${w.name} holds the state of client ${s.id} (${owner.get(s.id) ?? "unknown"}, not a live editor) as ${s.name}`);
          else if (s.name !== owner.get(s.id)) faults.push(`${w.name} shows client ${s.id} (${owner.get(s.id)}'s) as ${s.name}`);
        }
        // carets: one per other live editor with a caret, with its owner's name; so one's own
        // name only on the caret of one's own other tab
        const expected = v.states.filter((s) => s.id !== v.clientId && s.cursor && liveIds.has(s.id)).map((s) => owner.get(s.id)).sort();
        const shown = [...v.labels].sort();
        const ownShown = shown.filter((l) => l === w.user).length;
        const ownOthers = [...liveIds].filter((i) => i !== v.clientId && owner.get(i!) === w.user && pages.some((p) => p.ids.at(-1) === i)).length;
        if (ownShown > ownOthers) faults.push(`${w.name} shows ${ownShown} caret(s) named ${w.user}, its own user (other tabs of it: ${ownOthers})`);
        // (a caret whose position does not resolve yet is not drawn: fewer is fine, others not)
        const left = [...expected];
        for (const label of shown) {
          const i = left.indexOf(label);
          if (i < 0) faults.push(`${w.name} shows a caret named ${label}; its live peers with a caret are ${JSON.stringify(expected)}`);
          else left.splice(i, 1);
        }
      }
      return faults;
    };
    // presence settles a moment after the text (the last caret moves)
    let presenceNow: string[] = [];
    await expect
      .poll(async () => (presenceNow = await presence()), { message: "presence and carets", timeout: 15_000 })
      .toEqual([])
      .catch(() => {});

    for (const w of pages) await w.page!.screenshot({ path: screenshot(`coedit-soak-${w.tag}`), fullPage: true });
    note(`final text ${final.length} characters, ${markersIn(final).length} markers`);
    expect(problems, `markers (seed ${SEED})\nfinal: ${final}`).toEqual([]);
    expect([...presenceFaults, ...presenceNow], `presence (seed ${SEED})`).toEqual([]);
    await adaRest.dispose();
  } finally {
    const summary = summarize();
    test.info().annotations.push({ type: "soak", description: summary });
    console.log(summary);
    node?.provider.destroy();
    node?.doc.destroy();
    // the pages go before their server (a socket refused afterwards is not the test's)
    for (const context of browser.contexts()) await context.close().catch(() => {});
    if (server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((r) => server.once("exit", r));
      server.kill("SIGKILL");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

// A targeted experiment for the "own name on a remote caret" report: y-websocket providers echo
// every presence state they hear back to the server (their awareness "update" handler does not
// look at the origin). An echo of an editor's state that arrives after that editor left (a tab
// reloaded or cut off while its caret moved) must not bring the state back under the echoing
// connection: everyone who joins later would see the departed editor's caret with the echoing
// agent's name (the agent's own name, for the agent's own other tab).
test("an echo of a departed editor's presence is not taken over by the echoing connection", async () => {
  const ticket = await createTicket(`Presence echo ${Date.now()}`, "nicole@customer.test", "Users");
  const wsBase = base().replace(/^http/, "ws") + "/ws/tickets";
  const basic = (login: string) => ({ Authorization: "Basic " + Buffer.from(`${login}:${PASSWORD}`).toString("base64") });
  const clients: ReturnType<typeof nodeClient>[] = [];
  const connect = (login: string) => {
    const c = nodeClient(wsBase, ticket.id, basic(login));
    clients.push(c);
    return c;
  };
  const synced = (c: ReturnType<typeof nodeClient>) =>
    expect.poll(() => c.provider.synced, { message: "synced", timeout: 10_000 }).toBe(true);
  try {
    // Anna's editor (with a caret) and Ada's
    const anna = connect("agent1@tandem.test");
    anna.provider.awareness.setLocalStateField("cursor", { anchor: null, head: null });
    const ada = connect("admin@tandem.test");
    // (a state still at clock 0, a provider's initial `{}`, is ignored by y-protocols peers)
    ada.provider.awareness.setLocalStateField("cursor", null);
    await synced(anna);
    await synced(ada);
    const annaId = anna.doc.clientID;
    await expect.poll(() => ada.provider.awareness.getStates().get(annaId)?.user?.name, { timeout: 10_000 }).toBe("Anna Agent");
    // what Ada's provider would echo: Anna's last state, as Ada holds it
    const clock = ada.provider.awareness.meta.get(annaId).clock;
    const state = JSON.stringify(ada.provider.awareness.getStates().get(annaId));

    // Anna's tab goes away without a goodbye (a reload, a cut network)
    anna.provider.shouldConnect = false;
    anna.provider.ws.terminate();
    await expect.poll(() => ada.provider.awareness.getStates().has(annaId), { message: "Anna left", timeout: 10_000 }).toBe(false);

    // …and Ada's echo of Anna's last state arrives after that
    const update = encoding.createEncoder();
    encoding.writeVarUint(update, 1);
    encoding.writeVarUint(update, annaId);
    encoding.writeVarUint(update, clock);
    encoding.writeVarString(update, state);
    const frame = encoding.createEncoder();
    encoding.writeVarUint(frame, MESSAGE_AWARENESS);
    encoding.writeVarUint8Array(frame, encoding.toUint8Array(update));
    ada.provider.ws.send(encoding.toUint8Array(frame));
    // a flush is answered on the same socket, so the echo has been handled once `saved` is here
    const saves = () => ada.controls.filter((m) => m.t === "saved").length;
    const before = saves();
    const flush = encoding.createEncoder();
    encoding.writeVarUint(flush, MESSAGE_CONTROL);
    encoding.writeVarString(flush, JSON.stringify({ t: "flush" }));
    ada.provider.ws.send(encoding.toUint8Array(flush));
    await expect.poll(saves, { timeout: 10_000 }).toBeGreaterThan(before);

    // Ada in a second tab joins: the departed editor's caret is not there, under no name
    const adaTab2 = connect("admin@tandem.test");
    adaTab2.provider.awareness.setLocalStateField("cursor", null);
    await synced(adaTab2);
    await expect.poll(() => adaTab2.provider.awareness.getStates().get(ada.doc.clientID)?.user?.name, { timeout: 10_000 }).toBe("Ada Admin");
    const ghost = adaTab2.provider.awareness.getStates().get(annaId);
    expect(ghost?.user?.name, "Anna's departed caret, seen by a tab that joined later").toBeUndefined();

    // Anna comes back with the same document: her presence is hers again
    anna.provider.connect();
    await synced(anna);
    anna.provider.awareness.setLocalStateField("cursor", { anchor: null, head: null, moved: 1 });
    await expect.poll(() => adaTab2.provider.awareness.getStates().get(annaId)?.user?.name, { timeout: 10_000 }).toBe("Anna Agent");
  } finally {
    for (const c of clients) {
      c.provider.destroy();
      c.doc.destroy();
    }
  }
});
