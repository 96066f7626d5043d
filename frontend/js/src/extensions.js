// The composer's content extensions: the ONE list that defines the document schema.
//
// Used by src/composer.js (the browser bundle), contract/validate.mjs (the yrs <-> y-tiptap
// contract harness), test/smoke.mjs and scripts/schema-md.mjs (which writes SCHEMA.md).
// Anything that changes node/mark names or attributes here changes what the Rust serializer and
// parser must read and write (docs/collab-editing.md §7.4): regenerate SCHEMA.md (`npm run schema`)
// and update the Rust side in the same change. Behaviour-only extensions (Collaboration,
// CollaborationCaret, Placeholder, the Mod-Enter shortcut) live in composer.js: they add no
// nodes or marks.

import { getSchema } from '@tiptap/core'
import StarterKit from '@tiptap/starter-kit'
import Image from '@tiptap/extension-image'
import Link from '@tiptap/extension-link'

/** URL schemes a link may use: what the server's HTML sanitiser keeps (docs/input-rules.md). */
const LINK_SCHEMES = ['http', 'https', 'mailto', 'tel']

/**
 * Tiptap's link check, narrowed to the server's schemes: the server refuses a co-editing
 * update carrying any other (`unsafe_content`), so the editor never makes one.
 * @param {string} url
 * @param {{defaultValidate: (url: string) => boolean}} ctx
 */
export function isAllowedLink (url, ctx) {
  if (typeof url !== 'string' || !ctx.defaultValidate(url)) return false
  // as browsers read it: leading controls and spaces, tabs and newlines anywhere are ignored
  const normalized = url.replace(/^[\u0000-\u0020]+/, '').replace(/[\t\n\r]/g, '').toLowerCase()
  const scheme = /^([a-z][a-z0-9+.-]*):/.exec(normalized)
  return scheme === null || LINK_SCHEMES.includes(scheme[1])
}

/** A mention link's user id (`data-mention-user-id`): digits, or null (what the server keeps). */
export function mentionUserId (value) {
  const id = value == null ? '' : String(value)
  return /^[0-9]{1,18}$/.test(id) && !/^0+$/.test(id) ? id : null
}

/**
 * Tiptap's link, not inclusive: text typed right after a link is plain text. (Tiptap makes the
 * mark inclusive when autolink is on, so a link grew with every word typed after it.) It also
 * carries a mention's user id, `data-mention-user-id` (Zammad's mention link, which the `@` list
 * inserts: src/mentions.js); the server reads it when the article is stored.
 */
export const ClosedLink = Link.extend({
  inclusive: () => false,
  addAttributes () {
    return {
      ...this.parent?.(),
      'data-mention-user-id': {
        default: null,
        parseHTML: (element) => mentionUserId(element.getAttribute('data-mention-user-id')),
        renderHTML: (attributes) => {
          const id = mentionUserId(attributes['data-mention-user-id'])
          return id === null ? {} : { 'data-mention-user-id': id }
        }
      }
    }
  }
})

/**
 * The schema-defining extensions.
 * @param {{collab?: boolean}} [o] collab: true drops StarterKit's UndoRedo (Collaboration brings
 *   a per-user Yjs undo manager). It does not change the schema.
 */
export function createExtensions ({ collab = false } = {}) {
  return [
    StarterKit.configure({
      undoRedo: collab ? false : undefined,
      link: false // ClosedLink below
    }),
    ClosedLink.configure({
      openOnClick: false, // a composer: clicking a link places the caret
      autolink: true,
      linkOnPaste: true,
      defaultProtocol: 'https',
      isAllowedUri: isAllowedLink
    }),
    // Inline, so an image can sit inside a paragraph next to text (Zammad bodies do that).
    // Pasted HTML may not bring data: URIs (allowBase64: false). Pasted or dropped image files
    // are inserted by the web app's reply box (reply.js) as data: URLs of at most 2 MiB, which
    // the server turns into inline attachments when the article is stored; other files go to
    // the upload cache.
    Image.configure({ inline: true, allowBase64: false })
  ]
}

/** The list the harness and schema dump use (same schema as the composer in either mode). */
export const extensions = createExtensions()

/** ProseMirror schema built from `extensions`. */
export const schema = getSchema(extensions)

// ---------------------------------------------------------------------------------------------
// Paste cleanup for Word / Outlook / LibreOffice HTML (ProseMirror's transformPastedHTML step).
// ProseMirror's schema-driven parser already drops everything the schema doesn't know; this only
// removes what would otherwise leak through as text or wrong structure: conditional comments,
// <xml>/<style> blocks, <o:p> and other namespaced tags, the fake bullets of Word lists,
// class="Mso…", mso-* style declarations and images pointing at local files.
// With a DOMParser (browser, or happy-dom in tests) Word's list paragraphs become real lists.

const OFFICE_MARKERS = /urn:schemas-microsoft-com|xmlns:[ow]=|class=["']?Mso|mso-|<o:p>/i

/**
 * @param {string} html pasted HTML
 * @param {{DOMParser?: any}} [env] defaults to globalThis.DOMParser when present
 * @returns {string} cleaned HTML
 */
export function cleanPastedHtml (html, env = {}) {
  if (typeof html !== 'string' || html === '') return html
  const fromOffice = OFFICE_MARKERS.test(html)
  let out = html
    // Word list bullets: <![if !supportLists]><span>·<span>   </span></span><![endif]>
    .replace(/<!\[if !supportLists\]>([\s\S]*?)<!\[endif\]>/gi,
      (_, b) => `<tandem-bullet>${b.replace(/<[^>]*>/g, '').replace(/&nbsp;/g, ' ').trim()}</tandem-bullet>`)
    // conditional comments, downlevel-hidden and ordinary comments (<!--StartFragment--> …)
    .replace(/<!--\[if[\s\S]*?<!\[endif\]-->/gi, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    // downlevel-revealed markers: keep the content, drop the markers
    .replace(/<!\[(?:if [^\]]*|endif)\]>/gi, '')
    .replace(/<(xml|style|script|title)\b[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/<(?:meta|link)\b[^>]*>/gi, '')
    // <o:p>, <w:…>, <v:…>, <st1:…> etc: drop the tags, keep their text
    .replace(/<\/?[a-z][a-z0-9]*:[a-z][^>]*>/gi, '')

  const DP = env.DOMParser || (typeof globalThis.DOMParser === 'function' ? globalThis.DOMParser : null)
  if (fromOffice && DP) {
    try { out = wordListsToLists(out, DP) } catch (_) { /* fall back to the string cleanup */ }
  }

  return out
    // whatever bullets are left (no DOM available): drop them with their text
    .replace(/<tandem-bullet>[\s\S]*?<\/tandem-bullet>/gi, '')
    // class="MsoNormal", class=MsoListParagraphCxSpFirst, …
    .replace(/\sclass\s*=\s*(?:"Mso[^"]*"|'Mso[^']*'|Mso[^\s>]*)/gi, '')
    // mso-* declarations inside style attributes; drop style attributes left empty
    .replace(/\sstyle\s*=\s*("([^"]*)"|'([^']*)')/gi, (m, _q, dq, sq) => {
      const css = (dq !== undefined ? dq : sq)
        .split(';')
        .map(d => d.trim())
        .filter(d => d !== '' && !/^mso-/i.test(d) && !/^tab-stops\s*:/i.test(d))
        .join(';')
      return css === '' ? '' : ` style="${css.replace(/"/g, '&quot;')}"`
    })
    // images that point at the paster's disk (Word's clip_image001.png) or nowhere
    .replace(/<img\b[^>]*\ssrc\s*=\s*["']?\s*(?:file:|["'\s>])[^>]*>/gi, '')
}

// Group consecutive Word list paragraphs (style="mso-list:l0 level2 lfo1") into <ul>/<ol> with
// nesting by level. The list kind comes from the fake bullet text: "1." / "a)" / "iv." => ordered.
function wordListsToLists (html, DP) {
  const doc = new DP().parseFromString(`<!DOCTYPE html><html><body>${html}</body></html>`, 'text/html')
  const body = doc.body
  const isListPara = (el) => el && el.nodeType === 1 && el.tagName === 'P' &&
    (/mso-list\s*:\s*l\d+/i.test(el.getAttribute('style') || '') ||
     /^MsoListParagraph/i.test(el.getAttribute('class') || ''))
  const levelOf = (el) => {
    const m = /level(\d+)/i.exec(el.getAttribute('style') || '')
    return m ? Math.max(1, parseInt(m[1], 10)) : 1
  }
  const listIdOf = (el) => {
    const m = /mso-list\s*:\s*(l\d+)/i.exec(el.getAttribute('style') || '')
    return m ? m[1].toLowerCase() : null
  }
  const orderedOf = (el) => {
    const b = el.querySelector('tandem-bullet')
    return !!b && /^\(?[0-9a-z]{1,4}[.)]$/i.test((b.textContent || '').trim())
  }
  const paras = Array.from(body.querySelectorAll('p')).filter(isListPara)
  const done = new Set()
  for (const first of paras) {
    if (done.has(first)) continue
    // collect the run of consecutive paragraphs of the same Word list (mso-list:l0, l1, …);
    // whitespace text between them is fine
    const run = [first]
    const id = listIdOf(first)
    let n = first.nextSibling
    while (n) {
      if (n.nodeType === 3 && !n.textContent.trim()) { n = n.nextSibling; continue }
      if (isListPara(n) && listIdOf(n) === id) { run.push(n); n = n.nextSibling; continue }
      break
    }
    const root = doc.createElement(orderedOf(first) ? 'ol' : 'ul')
    first.parentNode.insertBefore(root, first)
    const stack = [{ list: root, level: levelOf(first), lastLi: null }]
    for (const p of run) {
      done.add(p)
      const level = levelOf(p)
      while (stack.length > 1 && level < stack[stack.length - 1].level) stack.pop()
      let top = stack[stack.length - 1]
      if (level > top.level && top.lastLi) {
        const sub = doc.createElement(orderedOf(p) ? 'ol' : 'ul')
        top.lastLi.appendChild(sub)
        top = { list: sub, level, lastLi: null }
        stack.push(top)
      }
      p.querySelectorAll('tandem-bullet').forEach(b => b.remove())
      const li = doc.createElement('li')
      const para = doc.createElement('p')
      while (p.firstChild) para.appendChild(p.firstChild)
      li.appendChild(para)
      top.list.appendChild(li)
      top.lastLi = li
      p.remove()
    }
  }
  return body.innerHTML
}
