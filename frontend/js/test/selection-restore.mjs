#!/usr/bin/env node
// y-tiptap's restoreRelativeSelection with a position past the end of the rebuilt document
// (src/selection-restore.js, y-prosemirror#272):
//  1. the installed y-tiptap, unpatched, throws "RangeError: Position N out of range" for a
//     selection whose Yjs position is measured with a stale node size (the fault);
//  2. patched, it puts the selection at the valid place nearest to the old one instead, and a
//     selection that resolves normally is restored exactly as before;
//  3. patchSelectionRestore throws on a source it does not know.
// The function is internal to y-tiptap: each variant of its dist file is written next to the
// original with an extra export, imported, and removed again.
// Prints "N passed, N failed".
import { readFileSync, writeFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import * as Y from 'yjs'
import { EditorState, TextSelection } from '@tiptap/pm/state'
import { schema } from '../src/extensions.js'
import { patchSelectionRestore } from '../src/selection-restore.js'

let passed = 0
let failed = 0
const check = (name, cond, detail) => {
  if (cond) { passed++; console.log(`ok   ${name}`) } else { failed++; console.log(`FAIL ${name}${detail !== undefined ? `\n     ${typeof detail === 'string' ? detail : JSON.stringify(detail)}` : ''}`) }
}
const throws = (f) => { try { f(); return null } catch (e) { return e } }

const require = createRequire(import.meta.url)
const distFile = join(dirname(require.resolve('@tiptap/y-tiptap')), 'y-tiptap.js')
const source = readFileSync(distFile, 'utf8')

/** y-tiptap's dist (rewritten by `rewrite`) with `restoreRelativeSelection` exported. */
async function loadVariant (name, rewrite) {
  const file = join(dirname(distFile), `.tandem-test-${name}-${process.pid}.js`)
  writeFileSync(file, rewrite(source) + '\nexport { restoreRelativeSelection as restoreForTest };\n')
  try {
    return (await import(pathToFileURL(file).href)).restoreForTest
  } finally {
    rmSync(file, { force: true })
  }
}

// The Yjs document: two paragraphs, "a" and "hello". The binding's map still holds the first
// paragraph's node from before a remote update shortened it (20 characters): a position in the
// second paragraph is measured 19 characters too far, past the end of the new document.
const ydoc = new Y.Doc()
const fragment = ydoc.getXmlFragment('prosemirror')
const first = new Y.XmlElement('paragraph')
first.insert(0, [new Y.XmlText('a')])
const second = new Y.XmlElement('paragraph')
const secondText = new Y.XmlText('hello')
second.insert(0, [secondText])
fragment.insert(0, [first, second])
const paragraph = (text) => schema.node('paragraph', null, text ? [schema.text(text)] : [])
const newDoc = schema.node('doc', null, [paragraph('a'), paragraph('hello')]) // content size 10
const staleMapping = new Map([[first, paragraph('a'.repeat(20))], [second, newDoc.child(1)]])
const freshMapping = new Map([[first, newDoc.child(0)], [second, newDoc.child(1)]])
const caretAfterHello = Y.createRelativePositionFromTypeIndex(secondText, 5)
// where the caret was before the update: after "hell" (1 + 20 + 2 + 4 in the old document)
const relSel = { type: 'text', anchor: caretAfterHello, head: caretAfterHello, absAnchor: 27, absHead: 27 }
const trFor = () => EditorState.create({ schema, doc: newDoc }).tr
const binding = (mapping) => ({ doc: ydoc, type: fragment, mapping })

// ---- 1. the fault, unpatched ------------------------------------------------------------------
{
  const restore = await loadVariant('unpatched', (s) => s)
  const error = throws(() => restore(trFor(), relSel, binding(staleMapping), undefined))
  check('unpatched: a stale node size throws a RangeError (y-prosemirror#272)',
    error instanceof RangeError && /out of range/.test(error.message), String(error))
}

// ---- 2. patched -------------------------------------------------------------------------------
{
  const restore = await loadVariant('patched', patchSelectionRestore)
  const tr = trFor()
  const error = throws(() => restore(tr, relSel, binding(staleMapping), undefined))
  check('patched: no error', error === null, String(error))
  check('patched: the selection is the valid place nearest to the old one (the end)',
    tr.selection instanceof TextSelection && tr.selection.head === 9 && tr.selection.empty, tr.selection.toJSON())
  // a selection that resolves is restored exactly as the unpatched code restores it
  const exact = trFor()
  restore(exact, relSel, binding(freshMapping), undefined)
  check('patched: a resolvable selection is restored where it points (after "hello")',
    exact.selection.head === 9 && exact.selection.anchor === 9, exact.selection.toJSON())
  const inside = { ...relSel, anchor: Y.createRelativePositionFromTypeIndex(secondText, 2), head: Y.createRelativePositionFromTypeIndex(secondText, 4) }
  const range = trFor()
  restore(range, inside, binding(freshMapping), undefined)
  check('patched: a range inside the paragraph stays that range', range.selection.anchor === 6 && range.selection.head === 8, range.selection.toJSON())
  // errors other than RangeError still surface
  const broken = throws(() => restore(trFor(), { ...relSel, anchor: {} }, binding(freshMapping), undefined))
  check('patched: other errors are thrown as before', broken !== null && !(broken instanceof RangeError), String(broken))
}

// ---- 3. an unknown source ---------------------------------------------------------------------
{
  const changed = source.replace('const restoreRelativeSelection = (tr, relSel, binding, oldDoc) => {', 'const restoreRelativeSelection = (tr, relSel, binding) => {')
  const msg = throws(() => patchSelectionRestore(changed))
  check('patch: a changed y-tiptap fails loudly', msg !== null && msg.message.includes('found none'), String(msg))
  const twice = throws(() => patchSelectionRestore(patchSelectionRestore(source).replace('restoreRelativeSelectionExact = (tr, relSel, binding, oldDoc) => {', 'restoreRelativeSelection = (tr, relSel, binding, oldDoc) => {')))
  check('patch: a header found twice fails too', twice !== null && twice.message.includes('more than one'), String(twice))
}

console.log(`selection-restore: ${passed} passed, ${failed} failed`)
process.exit(failed ? 1 : 0)
