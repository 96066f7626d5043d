#!/usr/bin/env node
// Contract harness between the Rust server (yrs) and the composer (Yjs + y-tiptap + Tiptap).
//
//   node contract/validate.mjs [--base64] <update> [<update> …]
//       Applies the Yjs v1 update(s) (binary files written by yrs' encode_state_as_update_v1 or
//       encode_v1, applied in order; "-" reads stdin; --base64: the files hold base64 text) to a
//       Y.Doc, checks the XmlFragment "default" against the composer's schema exactly as the
//       editor would read it, and prints one JSON line:
//         {"ok":true,"html":"<p>…</p>","json":{…ProseMirror JSON…},"meta":{},"ticket":{},"attachments":[]}
//         {"ok":false,"error":"first problem","errors":[…], …whatever could still be derived}
//       An empty fragment is valid ("empty":true, html "<p></p>"): the editor fills it the same way.
//       Exit code 0 when ok, 1 when not, 2 on bad usage.
//
//   node contract/validate.mjs --from-html <file.html | -> [--json]
//       Parses the HTML with Tiptap's generateJSON (happy-dom) and the same extensions, turns it
//       into a Y.Doc with y-tiptap's prosemirrorJSONToYDoc (fragment "default") and prints the
//       v1 update as base64 (one line). --json prints {"ok":true,"update":"…","json":…,"html":…}.
//
// Checks beyond ProseMirror's node.check(): y-tiptap silently deletes Y nodes it cannot map to
// the schema (and drops unknown attributes), so the harness also walks the Y tree itself and
// reports unknown node/mark/attribute names, wrong attribute types, text where the schema allows
// none, and any change the conversion tried to make to the document.

import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import * as Y from 'yjs'
import { yXmlFragmentToProseMirrorRootNode, prosemirrorJSONToYDoc } from '@tiptap/y-tiptap'
import { generateHTML, generateJSON } from '@tiptap/html/server'
import { extensions, schema } from '../src/extensions.js'

export const BODY = 'default'
export const KNOWN_ROOTS = ['default', 'meta', 'ticket', 'attachments']

const typeName = (v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v)

// Walk the Y tree and report what y-tiptap would drop or mangle.
export function lintFragment (fragment) {
  const errors = []
  const attrProblems = (where, given, spec) => {
    for (const [k, v] of Object.entries(given || {})) {
      if (!spec || !(k in spec)) { errors.push(`${where}: unknown attribute "${k}"`); continue }
      const def = spec[k].default
      if (v === null || v === undefined) continue
      if (typeof def === 'number' && typeof v !== 'number') errors.push(`${where}: attribute "${k}" must be a number, got ${typeName(v)} ${JSON.stringify(v)}`)
      if (typeof v === 'object') errors.push(`${where}: attribute "${k}" must be a scalar, got ${typeName(v)}`)
    }
  }
  const walk = (t, path, parentType) => {
    if (t instanceof Y.XmlText) {
      if (!parentType || !parentType.inlineContent) {
        errors.push(`${path}: text is not allowed in ${parentType ? parentType.name : 'the root fragment'}`)
      }
      t.toDelta().forEach((d, i) => {
        if (typeof d.insert !== 'string') errors.push(`${path}[${i}]: embedded ${typeName(d.insert)} in text (y-tiptap expects strings only)`)
        for (const [attrName, mattrs] of Object.entries(d.attributes || {})) {
          const mark = attrName.replace(/--[a-zA-Z0-9+/=]{8}$/, '') // y-prosemirror's hashed names for overlapping marks
          const mt = schema.marks[mark]
          if (!mt) { errors.push(`${path}[${i}]: unknown mark "${mark}"`); continue }
          if (mattrs === null || typeof mattrs !== 'object' || Array.isArray(mattrs)) {
            errors.push(`${path}[${i}]: mark "${mark}" must carry a map of attributes (e.g. {}), got ${typeName(mattrs)}`)
            continue
          }
          attrProblems(`${path}[${i}] mark ${mark}`, mattrs, mt.spec.attrs || {})
        }
      })
      return
    }
    if (t instanceof Y.XmlElement) {
      const nt = schema.nodes[t.nodeName]
      const here = `${path}/${t.nodeName}`
      if (!nt || t.nodeName === 'text' || nt === schema.topNodeType) {
        errors.push(`${here}: unknown node "${t.nodeName}"`)
        return
      }
      attrProblems(here, t.getAttributes(), nt.spec.attrs || {})
      t.toArray().forEach((c, i) => walk(c, `${here}[${i}]`, nt))
      return
    }
    errors.push(`${path}: unexpected Y type ${t && t.constructor ? t.constructor.name : typeName(t)}`)
  }
  fragment.toArray().forEach((c, i) => {
    if (!(c instanceof Y.XmlElement)) errors.push(`[${i}]: the fragment may only hold XmlElements (blocks), found ${c && c.constructor ? c.constructor.name : typeName(c)}`)
    else walk(c, `[${i}]`, schema.topNodeType)
  })
  return errors
}

/** Validate a doc that already holds the updates. Returns the report object. */
export function validateDoc (doc) {
  const errors = []
  let fragment
  try { fragment = doc.getXmlFragment(BODY) } catch (e) {
    return { ok: false, error: `root "${BODY}" is not an XmlFragment: ${e.message}`, errors: [`root "${BODY}" is not an XmlFragment: ${e.message}`] }
  }
  const extraRoots = [...doc.share.keys()].filter(k => !KNOWN_ROOTS.includes(k))
  if (extraRoots.length) errors.push(`unexpected root types: ${extraRoots.join(', ')}`)
  errors.push(...lintFragment(fragment))
  const blocksBefore = fragment.length

  // y-tiptap deletes what it cannot convert: record any change made during the conversion
  let changed = false
  const onUpdate = () => { changed = true }
  doc.on('update', onUpdate)
  let node = null
  try {
    node = yXmlFragmentToProseMirrorRootNode(fragment, schema)
  } catch (e) {
    errors.push(`y-tiptap conversion failed: ${e.message}`)
  } finally {
    doc.off('update', onUpdate)
  }
  if (changed) errors.push('y-tiptap deleted content it could not map to the schema (a client would do the same)')

  const report = { ok: false }
  if (node && node.childCount === 0 && blocksBefore === 0) {
    // an empty draft: the editor shows it as one empty paragraph (ProseMirror fills `block+`)
    node = schema.topNodeType.createAndFill()
    report.empty = true
  }
  if (node) {
    let valid = true
    try { node.check() } catch (e) { valid = false; errors.push(`node.check(): ${e.message}`) }
    report.json = node.toJSON()
    if (valid) {
      try {
        // round trip through JSON as the editor's setContent/fromJSON would
        schema.nodeFromJSON(report.json).check()
        report.html = generateHTML(report.json, extensions)
      } catch (e) {
        errors.push(`rendering failed: ${e.message}`)
      }
    }
  }
  for (const [key, get] of [['meta', () => doc.getMap('meta')], ['ticket', () => doc.getMap('ticket')], ['attachments', () => doc.getArray('attachments')]]) {
    try { report[key] = get().toJSON() } catch (e) { errors.push(`root "${key}" has the wrong type: ${e.message}`) }
  }
  if (errors.length === 0) {
    report.ok = true
  } else {
    report.error = errors[0]
    report.errors = errors
  }
  return report
}

/** Apply v1 updates (Uint8Arrays) to a fresh doc and validate it. */
export function validateUpdates (updates) {
  const doc = new Y.Doc()
  try {
    for (const u of updates) Y.applyUpdate(doc, u)
  } catch (e) {
    return { ok: false, error: `applyUpdate failed: ${e.message}`, errors: [`applyUpdate failed: ${e.message}`] }
  }
  // an update whose dependencies are missing stays pending instead of failing
  if (doc.store.pendingStructs || doc.store.pendingDs) {
    const msg = 'update(s) incomplete: Yjs keeps structs pending (missing earlier updates)'
    return { ok: false, error: msg, errors: [msg] }
  }
  return validateDoc(doc)
}

/** HTML -> ProseMirror JSON (Tiptap's parser) -> Y.Doc (y-tiptap) -> v1 update. */
export function htmlToUpdate (html) {
  const json = generateJSON(html, extensions)
  schema.nodeFromJSON(json).check()
  const doc = prosemirrorJSONToYDoc(schema, json, BODY)
  return { update: Y.encodeStateAsUpdate(doc), json, html: generateHTML(json, extensions) }
}

function readInput (path) {
  return path === '-' ? readFileSync(0) : readFileSync(path)
}

function usage (msg) {
  if (msg) process.stderr.write(`validate.mjs: ${msg}\n`)
  process.stderr.write('usage: node contract/validate.mjs [--base64] <update.bin|-> [more updates…]\n' +
    '       node contract/validate.mjs --from-html <file.html|-> [--json]\n')
  process.exit(2)
}

function main (argv) {
  const flags = new Set(argv.filter(a => a.startsWith('--')))
  const files = argv.filter(a => !a.startsWith('--'))
  for (const f of flags) if (!['--base64', '--from-html', '--json', '--help'].includes(f)) usage(`unknown option ${f}`)
  if (flags.has('--help')) usage()
  if (files.length === 0) usage('no input file')

  if (flags.has('--from-html')) {
    if (files.length !== 1) usage('--from-html takes one file')
    let r
    try {
      r = htmlToUpdate(readInput(files[0]).toString('utf8'))
    } catch (e) {
      if (flags.has('--json')) process.stdout.write(JSON.stringify({ ok: false, error: e.message }) + '\n')
      else process.stderr.write(`validate.mjs: ${e.message}\n`)
      process.exit(1)
    }
    const b64 = Buffer.from(r.update).toString('base64')
    process.stdout.write((flags.has('--json') ? JSON.stringify({ ok: true, update: b64, json: r.json, html: r.html }) : b64) + '\n')
    return
  }

  let updates
  try {
    updates = files.map(f => {
      const buf = readInput(f)
      return flags.has('--base64') ? new Uint8Array(Buffer.from(buf.toString('utf8').trim(), 'base64')) : new Uint8Array(buf)
    })
  } catch (e) {
    process.stdout.write(JSON.stringify({ ok: false, error: `cannot read input: ${e.message}` }) + '\n')
    process.exit(1)
  }
  const report = validateUpdates(updates)
  process.stdout.write(JSON.stringify(report) + '\n')
  process.exit(report.ok ? 0 : 1)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv.slice(2))
