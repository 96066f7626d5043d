// Caret-aware text diffs for the editor binding (issue 17, "co-editing that never duplicates").
//
// What: y-tiptap (`@tiptap/y-tiptap`, the ProseMirror ⇄ Yjs binding) turns each local change of
// a paragraph's text into Yjs operations by diffing the old and the new text of the run
// (`updateYText`). It uses lib0's `simpleDiff`, which ignores the caret and takes the longest
// common prefix. Text typed right before an equal text is then stored as Yjs items AFTER that
// text: old "cat", the user types "ca" at the start, the new text is "cacat" and `simpleDiff`
// says "insert 'ca' at index 2". The local text is the same, but the new items are anchored to
// the wrong neighbours (their Yjs origins), so a concurrent edit by another agent at that spot
// can interleave with them and garble words: A types "ca" before "cat" while B inserts "r"
// after the "ca" of "cat"; the right merge is "cacart", with `simpleDiff` it is "carcat" when
// A's client id is the larger one. The co-editing soak saw this as split and doubled words.
//
// Why this way: lib0 has the caret-aware variant, `simpleDiffStringWithCursor` ('lib0/diff'),
// and y-prosemirror's issue #161 (the upstream of y-tiptap) describes the same fault. y-tiptap
// has no option for it, so the bundle build (scripts/build.mjs) rewrites y-tiptap's dist file
// with `patchYTiptap` below: the binding remembers the editor's selection while it writes a
// change to Yjs, and `updateYText` diffs with `caretAwareDiff`.
//
// Only the bundle (composer.bundle.js) is patched. src/composer.js run directly in Node (as
// test/composer.mjs does) and the contract harness use the unpatched y-tiptap.
//
// Source: lib0/diff (`simpleDiffString`, `simpleDiffStringWithCursor`, lib0 0.2.120);
// https://github.com/yjs/y-prosemirror/issues/161.

import { simpleDiff, simpleDiffStringWithCursor } from 'lib0/diff'

/**
 * Where the caret is in a text run, as an offset into the run's text, or null when it is not
 * in it.
 *
 * `ptexts` are the ProseMirror text nodes of one run (the consecutive text nodes between two
 * inline nodes, such as an image or a hard break, which y-tiptap stores as one Y.XmlText).
 * The run is the one holding the caret when its first node is a child of the textblock the
 * selection's head is in (compared by identity: ProseMirror's nodes are immutable objects, and
 * y-tiptap hands over the very nodes of the document the selection belongs to).
 *
 * @param {Array<import('prosemirror-model').Node>} ptexts the run's text nodes
 * @param {import('prosemirror-state').Selection|null} selection the editor's selection, or null
 * @param {number} length the run's new text length
 * @return {number|null}
 */
export function caretInRun (ptexts, selection, length) {
  if (!selection || !ptexts || ptexts.length === 0) return null
  const $head = selection.$head
  const parent = $head && $head.parent
  if (!parent || !parent.isTextblock) return null
  let runStart = -1
  parent.forEach((child, offset) => {
    if (runStart < 0 && child === ptexts[0]) runStart = offset
  })
  if (runStart < 0) return null
  const caret = $head.parentOffset - runStart
  return caret >= 0 && caret <= length ? caret : null
}

/**
 * The `{index, remove, insert}` change that turns `oldText` into `newText` (a run's text before
 * and after a local edit), placed at the caret when the caret is in that run.
 *
 * After typing, the caret stands at the END of the typed text, and `simpleDiffStringWithCursor`
 * takes its `cursor` as the furthest point where the change may start. So the cursor handed to
 * it is the caret less the number of characters the edit added: typing "ca" before "cat"
 * leaves the caret at 2 in "cacat", the cursor is 0 and the diff is "insert 'ca' at 0". (With
 * the caret itself as the cursor the result would be "insert 'ca' at 2", the very fault this
 * fixes.) For a deletion the caret is where the deleted text was, which is the cursor itself.
 * Whatever the caret, the result always turns `oldText` into `newText`: the caret only decides
 * where an ambiguous change goes.
 *
 * Without the caret in the run (another paragraph changed, a change made by a command with no
 * selection in it) this is lib0's plain `simpleDiff`, as in y-tiptap.
 *
 * @param {string} oldText the run's text as Yjs holds it
 * @param {string} newText the run's text in the editor's new document
 * @param {Array<import('prosemirror-model').Node>} ptexts the run's text nodes (new document)
 * @param {import('prosemirror-state').Selection|null} selection the editor's selection in the
 *   new document, or null
 * @return {{index: number, remove: number, insert: string}}
 */
export function caretAwareDiff (oldText, newText, ptexts, selection) {
  const caret = caretInRun(ptexts, selection, newText.length)
  if (caret === null) return simpleDiff(oldText, newText)
  const added = Math.max(0, newText.length - oldText.length)
  return simpleDiffStringWithCursor(oldText, newText, Math.max(0, caret - added))
}

/**
 * Replaces the one occurrence of `find` in `source`; throws when there is none or more than
 * one, so that an upgrade of y-tiptap breaks the build instead of silently dropping the fix.
 * @param {string} source
 * @param {string} find
 * @param {string} replacement
 * @param {string} what names the rewrite in the error
 */
function replaceOnce (source, find, replacement, what) {
  const at = source.indexOf(find)
  const again = at < 0 ? -1 : source.indexOf(find, at + 1)
  if (at < 0 || again >= 0) {
    throw new Error(`patchYTiptap (${what}): expected exactly one occurrence of\n${find}\n` +
      `in @tiptap/y-tiptap's dist/y-tiptap.js, found ${at < 0 ? 'none' : 'more than one'}. ` +
      'y-tiptap has changed: check whether it diffs with the caret now (issue 17, ' +
      'frontend/js/src/caret-diff.js) and adapt or drop the patch.')
  }
  return source.slice(0, at) + replacement + source.slice(at + find.length)
}

/**
 * Rewrites the source of `@tiptap/y-tiptap/dist/y-tiptap.js` (3.0.9) so that local edits are
 * diffed at the caret (see the top of this file). Three rewrites, each of an exact pattern:
 *  1. after the `lib0/diff` import: import `caretAwareDiff` from `caretDiffModule`, and a
 *     module-level `caretSelection` (null, or the selection of the change being written);
 *  2. `_prosemirrorChanged(doc)`: around `updateYFragment` (which writes the new document to
 *     Yjs), `caretSelection` is the view's selection when `doc` is the view's current document
 *     (a selection of another document would point at the wrong places), and null again
 *     afterwards, even when it throws;
 *  3. `updateYText`: `caretAwareDiff(old, new, ptexts, caretSelection)` instead of `simpleDiff`.
 * Throws when a pattern is not found exactly once.
 *
 * @param {string} source y-tiptap's dist/y-tiptap.js
 * @param {string} caretDiffModule how the patched file imports this module (build.mjs passes
 *   this file's absolute path)
 * @return {string}
 */
export function patchYTiptap (source, caretDiffModule) {
  if (typeof caretDiffModule !== 'string' || caretDiffModule === '') {
    throw new Error('patchYTiptap: the import path of caret-diff.js is missing')
  }
  let out = replaceOnce(source,
    "import { simpleDiff } from 'lib0/diff';\n",
    "import { simpleDiff } from 'lib0/diff';\n" +
    `import { caretAwareDiff } from ${JSON.stringify(caretDiffModule)};\n` +
    '// Tandem (issue 17): the selection of the change _prosemirrorChanged is writing, for updateYText\n' +
    'let caretSelection = null;\n',
    'import')
  out = replaceOnce(out,
    '  _prosemirrorChanged (doc) {\n' +
    '    this.doc.transact(() => {\n' +
    '      updateYFragment(this.doc, this.type, doc, this);\n',
    '  _prosemirrorChanged (doc) {\n' +
    '    this.doc.transact(() => {\n' +
    '      const view = this.prosemirrorView;\n' +
    '      caretSelection = view != null && view.state.doc === doc ? view.state.selection : null;\n' +
    '      try {\n' +
    '        updateYFragment(this.doc, this.type, doc, this);\n' +
    '      } finally {\n' +
    '        caretSelection = null;\n' +
    '      }\n',
    '_prosemirrorChanged')
  out = replaceOnce(out,
    '  const { insert, remove, index } = simpleDiff(\n' +
    '    str,\n' +
    "    content.map((c) => c.insert).join('')\n" +
    '  );\n',
    '  const { insert, remove, index } = caretAwareDiff(\n' +
    '    str,\n' +
    "    content.map((c) => c.insert).join(''),\n" +
    '    ptexts,\n' +
    '    caretSelection\n' +
    '  );\n',
    'updateYText')
  return out
}
