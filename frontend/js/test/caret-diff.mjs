#!/usr/bin/env node
// The caret-aware diff (src/caret-diff.js, issue 17) without an editor:
//  1. caretAwareDiff places a change at the caret: typing before an equal text, deleting the
//     first of two equal words, a run that starts after an inline node; plain simpleDiff when
//     the caret is elsewhere;
//  2. two Y.Docs with fixed client ids, in both orders, share "cat"; A types "ca" before it
//     (the diff caretAwareDiff returns), B inserts "r" after "ca" at the same time; after
//     exchanging updates both read "cacart". The same with lib0's simpleDiff gives "carcat"
//     when A's client id is the larger one: the fault the patch removes;
//  3. patchYTiptap rewrites the installed y-tiptap, and throws on a source it does not know.
// Prints "N passed, N failed".
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import * as Y from 'yjs'
import { simpleDiff } from 'lib0/diff'
import { TextSelection } from '@tiptap/pm/state'
import { schema } from '../src/extensions.js'
import { caretAwareDiff, caretInRun, patchYTiptap } from '../src/caret-diff.js'

let passed = 0
let failed = 0
const check = (name, cond, detail) => {
  if (cond) { passed++; console.log(`ok   ${name}`) } else { failed++; console.log(`FAIL ${name}${detail !== undefined ? `\n     ${typeof detail === 'string' ? detail : JSON.stringify(detail)}` : ''}`) }
}
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b)
const apply = (text, d) => text.slice(0, d.index) + d.insert + text.slice(d.index + d.remove)

/** A document of paragraphs (each an array of inline nodes) and a caret at `pos`. */
const docWith = (...paragraphs) => schema.node('doc', null, paragraphs.map(c => schema.node('paragraph', null, c)))
const caretAt = (doc, pos) => TextSelection.create(doc, pos)
const t = (text, marks) => schema.text(text, marks)

// ---- 1. where the diff goes -------------------------------------------------------------------
{
  // "cat" -> the user types "ca" at the start: "cacat", caret after the typed "ca" (pos 1 + 2)
  const doc = docWith([t('cacat')])
  const run = [doc.firstChild.firstChild]
  const d = caretAwareDiff('cat', 'cacat', run, caretAt(doc, 3))
  check('typed before an equal text: inserted at the caret', same(d, { index: 0, remove: 0, insert: 'ca' }), d)
  check('  (lib0 simpleDiff puts it after the equal text)', same(simpleDiff('cat', 'cacat'), { index: 2, remove: 0, insert: 'ca' }))
  check('no selection: simpleDiff', same(caretAwareDiff('cat', 'cacat', run, null), simpleDiff('cat', 'cacat')))

  // the caret in another paragraph: this run's change is diffed as before
  const two = docWith([t('cacat')], [t('dog')])
  const d2 = caretAwareDiff('cat', 'cacat', [two.firstChild.firstChild], caretAt(two, 8))
  check('caret in another paragraph: simpleDiff', same(d2, simpleDiff('cat', 'cacat')), d2)

  // typed after an equal text: simpleDiff was right already, and stays right
  const after = docWith([t('catcat')])
  const d3 = caretAwareDiff('cat', 'catcat', [after.firstChild.firstChild], caretAt(after, 7))
  check('typed after an equal text: still after it', same(d3, { index: 3, remove: 0, insert: 'cat' }), d3)

  // the first of two equal words deleted (selection, Backspace): the caret is at 0
  const del = docWith([t('cat')])
  const d4 = caretAwareDiff('catcat', 'cat', [del.firstChild.firstChild], caretAt(del, 1))
  check('first of two equal words deleted: the first is removed', same(d4, { index: 0, remove: 3, insert: '' }), d4)
  check('  (lib0 simpleDiff removes the second)', same(simpleDiff('catcat', 'cat'), { index: 3, remove: 3, insert: '' }))

  // "aa" -> an "a" typed between them: the new item goes at 1, not at the end
  const mid = docWith([t('aaa')])
  const d5 = caretAwareDiff('aa', 'aaa', [mid.firstChild.firstChild], caretAt(mid, 3))
  check('typed between equal letters: at the caret', same(d5, { index: 1, remove: 0, insert: 'a' }), d5)

  // a run after an inline node (a hard break is a separate Y item; the run starts at offset 3),
  // made of two text nodes (bold and plain)
  const bold = schema.marks.bold.create()
  const inl = docWith([t('hi'), schema.nodes.hardBreak.create(), t('ca', [bold]), t('cat')])
  const runNodes = [inl.firstChild.child(2), inl.firstChild.child(3)]
  check('caret offset counts from the run start', caretInRun(runNodes, caretAt(inl, 1 + 3 + 2), 5) === 2, caretInRun(runNodes, caretAt(inl, 6), 5))
  const d6 = caretAwareDiff('cat', 'cacat', runNodes, caretAt(inl, 6))
  check('run after an inline node: inserted at the caret', same(d6, { index: 0, remove: 0, insert: 'ca' }), d6)
  check('caret before the run (in "hi"): simpleDiff', same(caretAwareDiff('cat', 'cacat', runNodes, caretAt(inl, 2)), simpleDiff('cat', 'cacat')))

  // whatever the caret says, the result turns the old text into the new one
  const texts = ['', 'a', 'aa', 'cat', 'cacat', 'catcat', 'abab', 'ababab', 'x😀y', 'x😀😀y']
  let ok = true
  for (const a of texts) {
    for (const b of texts) {
      const d = docWith(b ? [t(b)] : [])
      const nodes = b ? [d.firstChild.firstChild] : []
      for (let pos = 1; pos <= b.length + 1; pos++) {
        if (apply(a, caretAwareDiff(a, b, nodes, caretAt(d, pos))) !== b) { ok = false; console.log(`     ${a} -> ${b} at ${pos - 1}`) }
      }
    }
  }
  check('every diff turns the old text into the new one, whatever the caret', ok)
}

// ---- 2. concurrent edits: A types "ca" before "cat", B inserts "r" after "ca" of "cat" ----------
/**
 * Two docs with the given client ids share "cat" (written by a third), then edit at the same
 * time and exchange their updates. A's change is the diff `diffA` gives; it returns both texts.
 */
function concurrent (idA, idB, diffA) {
  const origin = new Y.Doc()
  origin.clientID = 100
  origin.getText('t').insert(0, 'cat')
  const shared = Y.encodeStateAsUpdate(origin)
  const a = new Y.Doc(); a.clientID = idA; Y.applyUpdate(a, shared)
  const b = new Y.Doc(); b.clientID = idB; Y.applyUpdate(b, shared)
  const d = diffA('cat', 'cacat')
  a.transact(() => { a.getText('t').delete(d.index, d.remove); a.getText('t').insert(d.index, d.insert) })
  b.getText('t').insert(2, 'r')
  const fromA = Y.encodeStateAsUpdate(a, Y.encodeStateVector(b))
  const fromB = Y.encodeStateAsUpdate(b, Y.encodeStateVector(a))
  Y.applyUpdate(a, fromB)
  Y.applyUpdate(b, fromA)
  return [a.getText('t').toString(), b.getText('t').toString()]
}
{
  const doc = docWith([t('cacat')])
  const caretAware = (o, n) => caretAwareDiff(o, n, [doc.firstChild.firstChild], caretAt(doc, 3))
  for (const [idA, idB] of [[1, 2], [2, 1]]) {
    const r = concurrent(idA, idB, caretAware)
    check(`caret-aware, A=${idA} B=${idB}: both read "cacart"`, r[0] === 'cacart' && r[1] === 'cacart', r)
  }
  // the fault, documented: with simpleDiff A's "ca" and B's "r" have the same origin ("a" of
  // "cat"), and the client ids decide their order
  const low = concurrent(1, 2, simpleDiff)
  const high = concurrent(2, 1, simpleDiff)
  check('simpleDiff, A=1 B=2: "cacart" (by luck of the ids)', low[0] === 'cacart' && low[1] === 'cacart', low)
  check('simpleDiff, A=2 B=1: "carcat" (the fault)', high[0] === 'carcat' && high[1] === 'carcat', high)
}

// ---- 3. the patch of y-tiptap's dist file -----------------------------------------------------
{
  const require = createRequire(import.meta.url)
  const file = require.resolve('@tiptap/y-tiptap').replace(/y-tiptap\.cjs$/, 'y-tiptap.js')
  const source = readFileSync(file, 'utf8')
  const patched = patchYTiptap(source, '/x/caret-diff.js')
  check('patch: imports caretAwareDiff', patched.includes('import { caretAwareDiff } from "/x/caret-diff.js";'))
  check('patch: updateYText diffs with the caret', /caretAwareDiff\(\s*str,\s*content\.map\(\(c\) => c\.insert\)\.join\(''\),\s*ptexts,\s*caretSelection\s*\)/.test(patched))
  check('patch: simpleDiff is no longer called', !/simpleDiff\(/.test(patched))
  check('patch: the selection is set only for the view\'s own document, and cleared in finally',
    patched.includes('caretSelection = view != null && view.state.doc === doc ? view.state.selection : null;') &&
    /finally \{\s*caretSelection = null;\s*\}/.test(patched))
  const throws = (f) => { try { f(); return null } catch (e) { return e.message } }
  const changed = source.replace("content.map((c) => c.insert).join('')\n  );", "content.map((c) => c.insert).join(''),\n  );")
  const msg = throws(() => patchYTiptap(changed, '/x/caret-diff.js'))
  check('patch: a changed updateYText fails loudly, naming the rewrite', msg !== null && msg.includes('(updateYText)') && msg.includes('found none'), msg)
  const twice = throws(() => patchYTiptap(source + "\nimport { simpleDiff } from 'lib0/diff';\n", '/x/caret-diff.js'))
  check('patch: a pattern found twice fails too', twice !== null && twice.includes('more than one'), twice)
  check('patch: the import path is required', throws(() => patchYTiptap(source)) !== null)
}

console.log(`caret-diff: ${passed} passed, ${failed} failed`)
process.exit(failed ? 1 : 0)
