#!/usr/bin/env node
// Self-test of contract/validate.mjs through its command line, with updates built by hand with
// the raw Yjs API the way the Rust server builds them with yrs (XmlElement per node, numeric
// attributes as numbers, XmlText with {mark: {attrs}} formatting, explicit {} for plain text).
// Prints "N passed, N failed" and exits non-zero on failure.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as Y from 'yjs'

const here = dirname(fileURLToPath(import.meta.url))
const validate = join(here, 'validate.mjs')
const tmp = mkdtempSync(join(tmpdir(), 'tandem-contract-'))
let passed = 0
let failed = 0
const check = (name, cond, detail) => {
  if (cond) { passed++; console.log(`ok   ${name}`) } else { failed++; console.log(`FAIL ${name}${detail ? `\n     ${detail}` : ''}`) }
}
const run = (args, input) => {
  const r = spawnSync(process.execPath, [validate, ...args], { input, encoding: 'utf8' })
  let json = null
  try { json = JSON.parse(r.stdout) } catch (_) {}
  return { code: r.status, stdout: r.stdout.trim(), stderr: r.stderr, json }
}
let n = 0
const writeUpdate = (doc) => {
  const p = join(tmp, `u${n++}.bin`)
  writeFileSync(p, Y.encodeStateAsUpdate(doc))
  return p
}

// --- element helpers (mirror of what the Rust writer does) ---------------------------------
const el = (name, attrs = {}, children = []) => ({ name, attrs, children })
const text = (...runs) => ({ text: runs }) // runs: [string, {mark: attrs}?]
function build (parent, nodes) {
  nodes.forEach((n) => {
    if (n.text) {
      const t = new Y.XmlText()
      parent.insert(parent.length, [t])
      for (const [s, fmt] of n.text) t.insert(t.length, s, fmt || {})
    } else {
      const e = new Y.XmlElement(n.name)
      parent.insert(parent.length, [e])
      for (const [k, v] of Object.entries(n.attrs)) e.setAttribute(k, v)
      build(e, n.children)
    }
  })
}
const docOf = (nodes, extra) => {
  const doc = new Y.Doc()
  doc.transact(() => {
    build(doc.getXmlFragment('default'), nodes)
    if (extra) extra(doc)
  })
  return doc
}

// --- 1. a valid document with every node and mark the server writes -------------------------
const good = [
  el('heading', { level: 2 }, [text(['Grüße 😀 & <script>'])]),
  el('paragraph', {}, [
    text(['plain ', {}], ['bold', { bold: {} }], [' ', {}], ['both', { bold: {}, italic: {} }], [' u', { underline: {} }], [' s', { strike: {} }], [' ', {}], ['c', { code: {} }], [' ', {}],
      ['link', { link: { href: 'https://example.test/?a=1&b=2', target: '_blank', rel: 'noopener noreferrer nofollow', class: null } }]),
    el('hardBreak'),
    text(['after break', {}]),
    el('image', { src: 'https://example.test/a.png', alt: 'A', title: 'T' })
  ]),
  el('bulletList', {}, [el('listItem', {}, [el('paragraph', {}, [text(['one'])])]), el('listItem', {}, [el('paragraph', {}, [text(['two'])])])]),
  el('orderedList', { start: 3 }, [el('listItem', {}, [el('paragraph', {}, [text(['three'])])])]),
  el('blockquote', {}, [el('paragraph', {}, [text(['quoted'])])]),
  el('codeBlock', { language: 'rust' }, [text(['fn main() {}'])]),
  el('horizontalRule'),
  el('paragraph')
]
const goodDoc = docOf(good, (doc) => {
  doc.getMap('meta').set('subject', 'Re: printer')
  doc.getMap('meta').set('internal', false)
  doc.getMap('ticket').set('group_id', 2)
  doc.getArray('attachments').push([{ id: 7, filename: 'a.png', size: 12, content_type: 'image/png' }])
})
const goodPath = writeUpdate(goodDoc)
const expectedHtml = '<h2>Grüße 😀 &amp; &lt;script&gt;</h2>' +
  '<p>plain <strong>bold</strong> <strong><em>both</em></strong><u> u</u><s> s</s> <code>c</code> ' +
  '<a target="_blank" rel="noopener noreferrer nofollow" href="https://example.test/?a=1&amp;b=2">link</a><br>after break' +
  '<img src="https://example.test/a.png" alt="A" title="T"></p>' +
  '<ul><li><p>one</p></li><li><p>two</p></li></ul><ol start="3"><li><p>three</p></li></ol>' +
  '<blockquote><p>quoted</p></blockquote><pre><code class="language-rust">fn main() {}</code></pre><hr><p></p>'
{
  const r = run([goodPath])
  check('valid hand-made update: ok', r.code === 0 && r.json && r.json.ok === true, r.stdout)
  check('valid hand-made update: HTML', r.json && r.json.html === expectedHtml, `got      ${r.json && r.json.html}\n     expected ${expectedHtml}`)
  check('valid hand-made update: maps', r.json && r.json.meta && r.json.meta.subject === 'Re: printer' && r.json.ticket.group_id === 2 &&
    r.json.attachments.length === 1 && r.json.attachments[0].filename === 'a.png', JSON.stringify(r.json && [r.json.meta, r.json.ticket, r.json.attachments]))
  const j = r.json && r.json.json
  check('valid hand-made update: PM JSON keeps numbers', j && j.content[0].attrs.level === 2 && j.content[3].attrs.start === 3, JSON.stringify(j && j.content[0]))
  // the same bytes as base64 on stdin
  const b = run(['--base64', '-'], Buffer.from(Y.encodeStateAsUpdate(goodDoc)).toString('base64'))
  check('--base64 from stdin', b.code === 0 && b.json.html === expectedHtml, b.stdout)
}

// --- 2. several updates applied in order (snapshot + incremental patch) ----------------------
{
  const doc = docOf([el('paragraph', {}, [text(['first'])])])
  const base = Y.encodeStateAsUpdate(doc)
  const sv = Y.encodeStateVector(doc)
  doc.transact(() => {
    const p = new Y.XmlElement('paragraph')
    doc.getXmlFragment('default').insert(1, [p])
    const t = new Y.XmlText()
    p.insert(0, [t])
    t.insert(0, 'second', {})
  })
  const patch = Y.encodeStateAsUpdate(doc, sv)
  const a = join(tmp, 'base.bin'); const b = join(tmp, 'patch.bin')
  writeFileSync(a, base); writeFileSync(b, patch)
  const r = run([a, b])
  check('snapshot + patch', r.code === 0 && r.json.html === '<p>first</p><p>second</p>', r.stdout)
  const r2 = run([b])
  check('patch without its base is reported as incomplete', r2.code === 1 && /incomplete/.test(r2.json.error), r2.stdout)
}

// --- 3. documents a client would damage: each must be rejected with a clear reason ----------
const bad = [
  ['heading level as a string', [el('heading', { level: '2' }, [text(['x'])])], /must be a number/],
  ['unknown node name (div)', [el('div', {}, [text(['x'])])], /unknown node "div"/],
  ['unknown mark (strong)', [el('paragraph', {}, [text(['x', { strong: {} }])])], /unknown mark "strong"/],
  ['mark value not a map (bold: true)', [el('paragraph', {}, [text(['x', { bold: true }])])], /must carry a map/],
  ['unknown attribute on image', [el('paragraph', {}, [el('image', { src: 'a.png', class: 'x' })])], /unknown attribute "class"/],
  ['text directly in a list', [el('bulletList', {}, [text(['x'])])], /text is not allowed in bulletList/],
  ['inline image at the top level', [el('image', { src: 'a.png' })], /node\.check|deleted content|Invalid content/],
  ['listItem not starting with a paragraph', [el('bulletList', {}, [el('listItem', {}, [el('blockquote', {}, [el('paragraph', {}, [text(['x'])])])])])], /node\.check|deleted content|Invalid content/],
  ['code mark combined with bold', [el('paragraph', {}, [text(['x', { bold: {}, code: {} }])])], /Invalid collection of marks|node\.check/],
  ['empty list', [el('bulletList')], /node\.check|deleted content|Invalid content/]
]
for (const [name, nodes, re] of bad) {
  const r = run([writeUpdate(docOf(nodes))])
  check(`rejects: ${name}`, r.code === 1 && r.json && r.json.ok === false && re.test(r.json.errors.join(' | ')), r.stdout)
}
{
  const doc = new Y.Doc()
  doc.getXmlFragment('default').insert(0, [new Y.XmlText('loose text')])
  const r = run([writeUpdate(doc)])
  check('rejects: text at the root of the fragment', r.code === 1 && /only hold XmlElements/.test(r.json.error), r.stdout)
}
{
  const doc = new Y.Doc()
  doc.getMap('drafts').set('x', 1)
  const r = run([writeUpdate(doc)])
  check('rejects: unexpected root type', r.code === 1 && /unexpected root types: drafts/.test(r.json.error), r.stdout)
}
{
  const p = join(tmp, 'garbage.bin')
  writeFileSync(p, Buffer.from([1, 2, 3, 250, 251]))
  const r = run([p])
  check('rejects: garbage bytes', r.code === 1 && r.json && r.json.ok === false, r.stdout + r.stderr)
}

// --- 4. the reverse direction: HTML -> base64 update -> validate -----------------------------
{
  const html = '<div>Hello <b>Bob</b>,<br></div><div><br></div><ul><li>one</li></ul>' +
    '<blockquote><div>quoted<br>line</div></blockquote><p><a href="https://example.test/">x</a> <img src="https://example.test/i.png" alt="i"></p><script>alert(1)</script>'
  const hp = join(tmp, 'in.html')
  writeFileSync(hp, html)
  const enc = run(['--from-html', hp])
  check('--from-html prints base64', enc.code === 0 && /^[A-Za-z0-9+/]+=*$/.test(enc.stdout), enc.stdout + enc.stderr)
  const dec = run(['--base64', '-'], enc.stdout)
  const want = '<p>Hello <strong>Bob</strong>,<br></p><p><br></p><ul><li><p>one</p></li></ul>' +
    '<blockquote><p>quoted<br>line</p></blockquote><p><a target="_blank" rel="noopener noreferrer nofollow" href="https://example.test/">x</a> <img src="https://example.test/i.png" alt="i"></p>'
  check('--from-html round trip validates', dec.code === 0 && dec.json.html === want, `got ${dec.json && dec.json.html}\n     want ${want}`)
  const js = run(['--from-html', '--json', hp])
  check('--from-html --json', js.code === 0 && js.json.ok === true && js.json.html === want && /^[A-Za-z0-9+/]+=*$/.test(js.json.update) && js.json.json.type === 'doc', js.stdout)
}

{
  const r = run([writeUpdate(new Y.Doc())])
  check('empty document is a valid empty draft', r.code === 0 && r.json.empty === true && r.json.html === '<p></p>', r.stdout)
}

// --- 5. usage errors ----------------------------------------------------------------------
{
  const r = run([])
  check('no arguments: exit 2', r.code === 2)
}

rmSync(tmp, { recursive: true, force: true })
console.log(`contract: ${passed} passed, ${failed} failed`)
process.exit(failed ? 1 : 0)
