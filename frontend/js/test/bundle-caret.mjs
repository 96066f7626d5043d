#!/usr/bin/env node
// The caret-aware diff in the real bundle (issue 17): composer.bundle.js, whose y-tiptap is
// patched at build time by src/caret-diff.js, runs under happy-dom against test/relay.mjs.
// (test/composer.mjs runs src/composer.js with the unpatched y-tiptap of node_modules, so only
// the bundle can show the patch at work.)
//  1. Typing "ca" before "cat" stores the typed "ca" as the first Yjs item of the paragraph's
//     text, from the composer's own client, not after the server's "ca".
//     Deleting the first of two equal words deletes its items, not the second word's.
//  2. The composer types "ca" before the server's "cat" while the server, concurrently, inserts
//     "r" after its "ca"; with the server's client id below and above the composer's, both end
//     with "cacart" (unpatched, the lower server id gives "carcat").
//  3. Key by key: "cat " typed before "cat" while the server deletes its "cat": "cat " is left.
// COMPOSER_BUNDLE=path runs it against another build (e.g. an unpatched one, to see it fail).
// Prints "N passed, N failed".
import { resolve } from 'node:path'
import { pathToFileURL, fileURLToPath } from 'node:url'
import { closeDom } from './dom.mjs'
import * as Y from 'yjs'
import { createRelay } from './relay.mjs'

const bundle = resolve(fileURLToPath(new URL('..', import.meta.url)), process.env.COMPOSER_BUNDLE || 'composer.bundle.js')
// the bundle carries its own copy of yjs; only binary updates cross between the two
const warn = console.error
console.error = (...args) => { if (!String(args[0]).startsWith('Yjs was already imported')) warn(...args) }
const { createComposer } = await import(pathToFileURL(bundle).href)
console.error = warn

let passed = 0
let failed = 0
const check = (name, cond, detail) => {
  if (cond) { passed++; console.log(`ok   ${name}`) } else { failed++; console.log(`FAIL ${name}${detail !== undefined ? `\n     ${typeof detail === 'string' ? detail : JSON.stringify(detail)}` : ''}`) }
}
const sleep = (ms) => new Promise(r => setTimeout(r, ms))
const until = async (f, ms = 5000) => {
  const t0 = Date.now()
  while (Date.now() - t0 < ms) { if (f()) return true; await sleep(5) }
  return f()
}
const mount = () => { const el = document.createElement('div'); document.body.appendChild(el); return el }

const relay = createRelay()
/** A room whose server document holds one paragraph `text`, and a composer synced to it. */
async function roomWithCat (name, text = 'cat') {
  const room = relay.room(name)
  room.doc.transact(() => {
    const p = new Y.XmlElement('paragraph')
    room.doc.getXmlFragment('default').insert(0, [p])
    const t = new Y.XmlText()
    p.insert(0, [t])
    t.insert(0, text, {})
  })
  const c = createComposer(mount(), {
    collab: { url: 'ws://relay.test/ws/tickets', room: name, user: { id: 4, name: 'Alice' }, WebSocketPolyfill: relay.WebSocket }
  })
  await until(() => c.status() === 'synced' && c.html() === `<p>${text}</p>`)
  return { room, c }
}
/** Types `text` at the start of the first paragraph, as ProseMirror does for keystrokes. */
const typeAtStart = (c, text) => {
  const ed = c._editor()
  c.focus('start')
  ed.view.dispatch(ed.state.tr.insertText(text))
}
/** The visible items of a Y text, in order: [client, string, clock]. */
const items = (ytext) => {
  const out = []
  for (let n = ytext._start; n !== null; n = n.right) if (!n.deleted) out.push([n.id.client, n.content.str, n.id.clock])
  return out
}

// ---- 1. the typed text is stored where it was typed -------------------------------------------
{
  const { room, c } = await roomWithCat('61')
  typeAtStart(c, 'ca')
  const ydoc = c._ydoc()
  const first = items(ydoc.getXmlFragment('default').get(0).get(0))
  check('typed "ca" before "cat": the editor shows "cacat"', c.html() === '<p>cacat</p>', c.html())
  check('typed "ca" before "cat": the first Yjs item is the composer\'s "ca"',
    first.length === 2 && first[0][0] === ydoc.clientID && first[0][1] === 'ca' && first[1][1] === 'cat', first)
  await until(() => room.text() === '<paragraph>cacat</paragraph>')
  const atServer = items(room.doc.getXmlFragment('default').get(0).get(0))
  check('and so at the server', atServer.length === 2 && atServer[0][0] === ydoc.clientID && atServer[0][1] === 'ca', atServer)
  c.destroy()
}

// ---- 1b. the first of two equal words deleted: its own items go, not the second word's -------
{
  const { room, c } = await roomWithCat('64', 'cat cat')
  const ed = c._editor()
  const ytext = c._ydoc().getXmlFragment('default').get(0).get(0)
  // the server wrote "cat cat" as one item: the second word's clocks start 4 after its first
  const secondWord = items(ytext)[0][2] + 4
  ed.commands.setTextSelection({ from: 1, to: 5 }) // "cat " of "cat cat"
  ed.view.dispatch(ed.state.tr.deleteSelection())
  const left = items(ytext)
  check('deleted the first of two equal words: the editor shows "cat"', c.html() === '<p>cat</p>', c.html())
  check('deleted the first of two equal words: what is left is the second word\'s items',
    left.length === 1 && left[0][1] === 'cat' && left[0][2] === secondWord, [left, secondWord])
  await until(() => room.text() === '<paragraph>cat</paragraph>')
  c.destroy()
}

// ---- 2. concurrent edits at that spot merge as typed ------------------------------------------
for (const [name, serverId, order] of [['62', 0, 'server id below the composer\'s'], ['63', 2 ** 32 - 1, 'server id above the composer\'s']]) {
  const { room, c } = await roomWithCat(name)
  // both edits in one synchronous block: the relay delivers on a later tick, so neither has
  // seen the other's change
  typeAtStart(c, 'ca')
  room.doc.clientID = serverId
  room.doc.getXmlFragment('default').get(0).get(0).insert(2, 'r')
  await until(() => c.html() === room.text().replace(/paragraph>/g, 'p>') && c.html().length === '<p>cacart</p>'.length)
  check(`concurrent, ${order}: the composer reads "cacart"`, c.html() === '<p>cacart</p>', c.html())
  check(`concurrent, ${order}: the server reads "cacart"`, room.text() === '<paragraph>cacart</paragraph>', room.text())
  c.destroy()
}

// ---- 3. key by key: a word typed before an equal word that is deleted meanwhile --------------
// (what the browser does: one transaction per key; unpatched, the typed word took the deleted
// word's first letter and "at c" was left)
{
  const { room, c } = await roomWithCat('65')
  const ed = c._editor()
  c.focus('start')
  for (const ch of 'cat ') ed.view.dispatch(ed.state.tr.insertText(ch))
  room.doc.getXmlFragment('default').get(0).get(0).delete(0, 3)
  await until(() => c.html() === room.text().replace(/paragraph>/g, 'p>') && !c.html().includes('cat cat'))
  check('key by key, "cat " typed before "cat" while the server deletes its "cat": "cat " is left',
    c.html() === '<p>cat </p>' && room.text() === '<paragraph>cat </paragraph>', [c.html(), room.text()])
  c.destroy()
}

relay.destroy()
await closeDom()
console.log(`bundle-caret: ${passed} passed, ${failed} failed`)
process.exit(failed ? 1 : 0)
