// A remote update that leaves the editor showing stale text (issue 14's co-editing soak).
//
// What: when a Yjs update arrives, y-tiptap (`@tiptap/y-tiptap`, the ProseMirror ⇄ Yjs binding)
// rebuilds the editor's document from the Yjs type and then puts the local selection back
// (`restoreRelativeSelection`): it turns the selection's Yjs relative positions into document
// positions, partly through its map of Yjs types to ProseMirror nodes. When that map still
// holds the size of a node from before the update, a position can land past the end of the new
// document, and ProseMirror's `doc.resolve` throws "RangeError: Position N out of range". The
// throw ends `_typeChanged` before it dispatches the rebuilt document: the editor keeps showing
// the old text until the next change, and y-protocols logs "Caught error while handling a Yjs
// update". The co-editing soak (three browsers, outages, reloads, kill -9) hit it about once
// in five runs.
//
// Why this way: the fault is upstream and open (https://github.com/yjs/y-prosemirror/issues/272,
// y-tiptap 3.0.9 has the same code), and y-tiptap has no hook for it. As for the caret-aware
// diff (src/caret-diff.js), the bundle build (scripts/build.mjs) rewrites y-tiptap's dist file:
// `restoreRelativeSelection` runs as before, and when it throws a RangeError the selection is
// put at the nearest valid place to where it was (its old absolute position, clamped to the new
// document) instead of aborting the rebuild. Any other error is thrown as before.
//
// Source: @tiptap/y-tiptap 3.0.9 dist/y-tiptap.js (`restoreRelativeSelection`,
// `ProsemirrorBinding._typeChanged`); prosemirror-model `Node.resolve`.

/**
 * Rewrites y-tiptap's `restoreRelativeSelection` (see the top of this file): the original
 * becomes `restoreRelativeSelectionExact`, and `restoreRelativeSelection` calls it and, on a
 * RangeError, selects the valid position nearest to the selection's old head (`absHead`, or
 * the document's start). Throws when y-tiptap's source does not hold the function's header
 * exactly once, so that an upgrade breaks the build instead of silently dropping the fix.
 *
 * @param {string} source y-tiptap's dist/y-tiptap.js (already through `patchYTiptap` or not)
 * @return {string}
 */
export function patchSelectionRestore (source) {
  const header = 'const restoreRelativeSelection = (tr, relSel, binding, oldDoc) => {\n'
  const at = source.indexOf(header)
  if (at < 0 || source.indexOf(header, at + 1) >= 0) {
    throw new Error('patchSelectionRestore: expected exactly one occurrence of\n' + header +
      `in @tiptap/y-tiptap's dist/y-tiptap.js, found ${at < 0 ? 'none' : 'more than one'}. ` +
      'y-tiptap has changed: check whether restoreRelativeSelection still throws on positions ' +
      'past the end (y-prosemirror#272, frontend/js/src/selection-restore.js) and adapt or drop ' +
      'the patch.')
  }
  const guarded =
    '// Tandem (y-prosemirror#272): a position past the end of the rebuilt document must not\n' +
    '// abort the rebuild; the selection goes to the nearest valid place instead\n' +
    'const restoreRelativeSelection = (tr, relSel, binding, oldDoc) => {\n' +
    '  try {\n' +
    '    restoreRelativeSelectionExact(tr, relSel, binding, oldDoc);\n' +
    '  } catch (e) {\n' +
    '    if (!(e instanceof RangeError)) throw e\n' +
    '    const end = tr.doc.content.size;\n' +
    "    const old = relSel != null && typeof relSel.absHead === 'number' ? relSel.absHead : 0;\n" +
    '    tr.setSelection(TextSelection.near(tr.doc.resolve(Math.min(Math.max(old, 0), end))));\n' +
    '  }\n' +
    '};\n\n' +
    'const restoreRelativeSelectionExact = (tr, relSel, binding, oldDoc) => {\n'
  return source.slice(0, at) + guarded + source.slice(at + header.length)
}
