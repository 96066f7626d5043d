#!/usr/bin/env node
// Smoke test of the shared extension list (src/extensions.js):
//  1. the schema has the node/mark/attribute names of collab-editing.md §7.4, and prints what it
//     has beyond them;
//  2. a document with bold/italic/underline/strike/code/link/heading/lists/blockquote/codeBlock/
//     hardBreak/image/horizontalRule survives HTML -> PM JSON -> Y.Doc (y-tiptap) -> PM -> HTML
//     unchanged, and the Y tree uses exactly those names;
//  3. Word/Outlook paste cleanup (with a DOM: lists rebuilt; without: junk stripped).
// Prints what it found and "N passed, N failed".
import { Window } from 'happy-dom'
import * as Y from 'yjs'
import { prosemirrorJSONToYDoc, yXmlFragmentToProseMirrorRootNode } from '@tiptap/y-tiptap'
import { generateHTML, generateJSON } from '@tiptap/html/server'
import { extensions, schema, cleanPastedHtml, isAllowedLink } from '../src/extensions.js'

let passed = 0
let failed = 0
const check = (name, cond, detail) => {
  if (cond) { passed++; console.log(`ok   ${name}`) } else { failed++; console.log(`FAIL ${name}${detail !== undefined ? `\n     ${typeof detail === 'string' ? detail : JSON.stringify(detail)}` : ''}`) }
}

// ---- 1. names from collab-editing.md §7.4 (tables are not in the composer) ---------------------
const SPEC_NODES = { paragraph: [], heading: ['level'], bulletList: [], orderedList: ['start'], listItem: [], blockquote: [], codeBlock: ['language'], hardBreak: [], horizontalRule: [], image: ['src', 'alt', 'title'] }
const SPEC_MARKS = { bold: [], italic: [], underline: [], strike: [], code: [], link: ['href', 'target', 'rel', 'class'] }
for (const [n, attrs] of Object.entries(SPEC_NODES)) {
  const t = schema.nodes[n]
  check(`node ${n}${attrs.length ? `{${attrs}}` : ''} exists`, !!t && attrs.every(a => a in (t.spec.attrs || {})), t && Object.keys(t.spec.attrs || {}))
}
for (const [m, attrs] of Object.entries(SPEC_MARKS)) {
  const t = schema.marks[m]
  check(`mark ${m}${attrs.length ? `{${attrs}}` : ''} exists`, !!t && attrs.every(a => a in (t.spec.attrs || {})), t && Object.keys(t.spec.attrs || {}))
}
const extraNodes = Object.keys(schema.nodes).filter(n => !(n in SPEC_NODES) && !['doc', 'text'].includes(n))
const extraMarks = Object.keys(schema.marks).filter(m => !(m in SPEC_MARKS))
const extraAttrs = []
for (const [n, t] of Object.entries(schema.nodes)) for (const a of Object.keys(t.spec.attrs || {})) if (SPEC_NODES[n] && !SPEC_NODES[n].includes(a)) extraAttrs.push(`${n}.${a} (default ${JSON.stringify(t.spec.attrs[a].default)})`)
for (const [m, t] of Object.entries(schema.marks)) for (const a of Object.keys(t.spec.attrs || {})) if (SPEC_MARKS[m] && !SPEC_MARKS[m].includes(a)) extraAttrs.push(`${m}.${a} (default ${JSON.stringify(t.spec.attrs[a].default)})`)
console.log(`     schema nodes: ${Object.keys(schema.nodes).join(', ')}`)
console.log(`     schema marks: ${Object.keys(schema.marks).join(', ')}`)
console.log(`     beyond §7.4: nodes [${extraNodes.join(', ')}], marks [${extraMarks.join(', ')}], attrs [${extraAttrs.join(', ')}]`)
check('no nodes or marks beyond §7.4 (besides doc/text)', extraNodes.length === 0 && extraMarks.length === 0, { extraNodes, extraMarks })

// ---- 2. round trip through y-tiptap -----------------------------------------------------------
const html = '<h1>Title</h1><h3>Sub</h3>' +
  '<p>plain <strong>bold</strong> <em>italic</em> <u>under</u> <s>strike</s> <code>code</code> ' +
  '<a target="_blank" rel="noopener noreferrer nofollow" href="https://example.test/?q=1&amp;r=2">link</a><br>next line ' +
  '<img src="https://example.test/a.png" alt="alt" title="title"></p>' +
  '<ul><li><p>one</p><ul><li><p>nested</p></li></ul></li><li><p>two</p></li></ul>' +
  '<ol start="3"><li><p>three</p></li></ol>' +
  '<blockquote><p>quote<br>second</p></blockquote>' +
  '<pre><code class="language-rust">fn main() {}</code></pre><hr><p>Grüße 😀 &amp; &lt;script&gt;</p>'
const json = generateJSON(html, extensions)
schema.nodeFromJSON(json).check()
const names = { nodes: new Map(), marks: new Map() }
const collect = (n) => {
  if (n.type !== 'text' && n.type !== 'doc') names.nodes.set(n.type, { ...(names.nodes.get(n.type) || {}), ...(n.attrs || {}) })
  for (const m of n.marks || []) names.marks.set(m.type, m.attrs || {})
  for (const c of n.content || []) collect(c)
}
collect(json)
console.log('     nodes found:', [...names.nodes].map(([k, v]) => Object.keys(v).length ? `${k}${JSON.stringify(v)}` : k).join(' '))
console.log('     marks found:', [...names.marks].map(([k, v]) => Object.keys(v).length ? `${k}${JSON.stringify(v)}` : k).join(' '))
for (const n of Object.keys(SPEC_NODES)) check(`HTML parse produced ${n}`, names.nodes.has(n))
for (const m of Object.keys(SPEC_MARKS)) check(`HTML parse produced mark ${m}`, names.marks.has(m))
check('heading level and list start are numbers', names.nodes.get('heading').level === 3 && json.content[0].attrs.level === 1 && names.nodes.get('orderedList').start === 3)

const ydoc = prosemirrorJSONToYDoc(schema, json, 'default')
const update = Y.encodeStateAsUpdate(ydoc)
const doc2 = new Y.Doc()
Y.applyUpdate(doc2, update)
const yNames = new Set()
const yMarks = new Set()
const walk = (t) => {
  if (t instanceof Y.XmlElement) { yNames.add(t.nodeName); t.toArray().forEach(walk) }
  if (t instanceof Y.XmlText) t.toDelta().forEach(d => Object.keys(d.attributes || {}).forEach(k => yMarks.add(k)))
}
doc2.getXmlFragment('default').toArray().forEach(walk)
console.log(`     Y element names: ${[...yNames].join(', ')}`)
console.log(`     Y text formats:  ${[...yMarks].join(', ')}`)
check('Y element names are the PM node names', [...yNames].every(n => names.nodes.has(n)) && [...names.nodes.keys()].every(n => yNames.has(n)))
check('Y text formats are the PM mark names', [...yMarks].sort().join() === [...names.marks.keys()].sort().join())
const ylevel = doc2.getXmlFragment('default').get(0).getAttribute('level')
check('Y heading level is stored as a number', ylevel === 1 && typeof ylevel === 'number', typeof ylevel)
let changed = false
doc2.on('update', () => { changed = true })
const back = yXmlFragmentToProseMirrorRootNode(doc2.getXmlFragment('default'), schema)
back.check()
check('y-tiptap reads it back without deleting anything', changed === false)
check('PM JSON identical after the Y round trip', JSON.stringify(back.toJSON()) === JSON.stringify(json))
const html2 = generateHTML(back.toJSON(), extensions)
check('HTML identical after the Y round trip', html2 === html, `got  ${html2}\n     want ${html}`)
console.log(`     v1 update: ${update.length} bytes for ${html.length} bytes of HTML`)

// ---- 2b. links: only the schemes the server keeps ---------------------------------------------
{
  const ctx = { defaultValidate: () => true }
  for (const ok of ['https://example.com', 'http://x.test/a', 'mailto:a@b.test', 'tel:+4930123', '/tickets/1', '#top', 'example.com']) {
    check(`link ${ok} allowed`, isAllowedLink(ok, ctx))
  }
  for (const bad of ['javascript:alert(1)', ' JavaScript:alert(1)', 'java\tscript:alert(1)', '\u0001javascript:x', 'data:text/html,x', 'vbscript:x', 'cid:logo', 'ftp://x.test/f']) {
    check(`link ${JSON.stringify(bad)} refused`, !isAllowedLink(bad, ctx))
  }
  check('Tiptap\'s own check still applies', !isAllowedLink('https://example.com', { defaultValidate: () => false }))
  const html = generateHTML(generateJSON('<p><a href="javascript:alert(1)">x</a><a href="https://ok.test">y</a></p>', extensions), extensions)
  check('a pasted javascript: link loses its href', !html.includes('javascript:') && html.includes('https://ok.test'), html)
}

// ---- 3. paste cleanup -----------------------------------------------------------------------
const word = `<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word">
<head><meta name=Generator content="Microsoft Word 15"><style><!-- p.MsoNormal {mso-style-parent:""; margin:0cm;} --></style>
<!--[if gte mso 9]><xml><o:OfficeDocumentSettings><o:AllowPNG/></o:OfficeDocumentSettings></xml><![endif]--></head>
<body lang=DE style='tab-interval:35.4pt'><!--StartFragment-->
<p class=MsoNormal style='mso-margin-top-alt:auto;color:red'>Hello <b style='mso-bidi-font-weight:normal'>bold</b><o:p></o:p></p>
<p class=MsoListParagraphCxSpFirst style='text-indent:-18.0pt;mso-list:l0 level1 lfo1'><![if !supportLists]><span style='font-family:Symbol;mso-fareast-font-family:Symbol'><span style='mso-list:Ignore'>·<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp; </span></span></span><![endif]>first<o:p></o:p></p>
<p class=MsoListParagraphCxSpMiddle style='text-indent:-18.0pt;mso-list:l0 level2 lfo1'><![if !supportLists]><span style='font-family:"Courier New"'><span style='mso-list:Ignore'>o<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp; </span></span></span><![endif]>nested<o:p></o:p></p>
<p class=MsoListParagraphCxSpLast style='text-indent:-18.0pt;mso-list:l0 level1 lfo1'><![if !supportLists]><span style='font-family:Symbol'><span style='mso-list:Ignore'>·<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp; </span></span></span><![endif]>second<o:p></o:p></p>
<p class=MsoListParagraph style='mso-list:l1 level1 lfo2'><![if !supportLists]><span><span style='mso-list:Ignore'>1.<span>&nbsp;&nbsp; </span></span></span><![endif]>numbered<o:p></o:p></p>
<p class=MsoNormal><img width=10 height=10 src="file:///C:/Users/x/AppData/Local/Temp/clip_image001.png" v:shapes="Grafik_x0020_1">end<o:p></o:p></p>
<!--EndFragment--></body></html>`
const win = new Window()
const cleaned = cleanPastedHtml(word, { DOMParser: win.DOMParser })
const pj = generateJSON(cleaned, extensions)
const pasted = generateHTML(pj, extensions)
console.log(`     Word paste -> ${pasted}`)
check('paste: no Mso/mso-/o:p/conditional comments left', !/Mso|mso-|o:p|\[if|endif|AllowPNG|Generator/.test(cleaned), cleaned)
check('paste: Word list paragraphs became real (nested) lists', pasted.includes('<ul><li><p>first</p><ul><li><p>nested</p></li></ul></li><li><p>second</p></li></ul><ol><li><p>numbered</p></li></ol>'), pasted)
check('paste: fake bullets gone, formatting kept', !/·|&nbsp;&nbsp;/.test(pasted) && pasted.includes('<p>Hello <strong>bold</strong></p>'), pasted)
check('paste: file: image dropped', !pasted.includes('<img') && pasted.includes('<p>end</p>'), pasted)
const noDom = cleanPastedHtml(word, { DOMParser: null })
const pasted2 = generateHTML(generateJSON(noDom, extensions), extensions)
check('paste without a DOM: junk stripped, bullets dropped', !/Mso|mso-|·|o:p/.test(noDom) && pasted2.includes('<p>first</p><p>nested</p>'), pasted2)
check('paste: non-Office HTML left alone', cleanPastedHtml('<p class="x" style="color:red">a</p>', { DOMParser: win.DOMParser }) === '<p class="x" style="color:red">a</p>')
await win.happyDOM.close()

console.log(`smoke: ${passed} passed, ${failed} failed`)
process.exit(failed ? 1 : 0)
