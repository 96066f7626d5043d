// A small stand-in for linkifyjs (20 KB minified) with the four functions
// @tiptap/extension-link uses (autolink while typing, links in pasted text). It finds
// scheme URLs (http, https, ftp, mailto), www. hosts, host names with a common top-level
// domain, and e-mail addresses. The bundle aliases `linkifyjs` to this file (scripts/build.mjs);
// Tiptap still checks every href with its own isAllowedUri before it links anything.

const TLDS = 'com|org|net|edu|gov|int|mil|io|dev|app|info|biz|co|me|tv|eu|de|at|ch|uk|fr|it|es|nl|be|lu|dk|se|no|fi|pl|cz|sk|hu|ie|pt|gr|ro|ru|us|ca|au|nz|jp|cn|in|br|mx|za|test'
const PATTERN = new RegExp(
  '(?:(?:https?|ftp)://[^\\s<>"\']+' +
  '|mailto:[^\\s<>"\']+' +
  '|[a-z0-9._%+-]+@[a-z0-9-]+(?:\\.[a-z0-9-]+)*\\.[a-z]{2,}' +
  '|(?:www\\.)?[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\\.(?:' + TLDS + ')(?![a-z0-9-])(?::\\d+)?(?:[/?#][^\\s<>"\']*)?)',
  'gi'
)
const TRAILING = /[.,;:!?'")\]}]+$/
const SCHEME = /^[a-z][a-z0-9+.-]*:/i

function entity (value, start, defaultProtocol) {
  const email = !SCHEME.test(value) && value.includes('@') && !value.includes('/')
  const href = email ? `mailto:${value}` : SCHEME.test(value) ? value : `${defaultProtocol || 'http'}://${value}`
  return { type: email ? 'email' : 'url', value, isLink: true, href, start, end: start + value.length }
}

/** Links in `text`: [{type, value, isLink, href, start, end}]. */
export function find (text, second) {
  const defaultProtocol = second && typeof second === 'object' ? second.defaultProtocol : undefined
  const found = []
  for (const match of String(text).matchAll(PATTERN)) {
    const value = match[0].replace(TRAILING, '')
    if (value) found.push(entity(value, match.index, defaultProtocol))
  }
  return found
}

/** `text` cut into link and plain-text tokens that cover all of it (linkify's token API). */
export function tokenize (text) {
  text = String(text)
  const tokens = []
  const plain = (value, start) => ({
    isLink: false,
    toObject: () => ({ type: 'text', value, isLink: false, href: value, start, end: start + value.length })
  })
  let at = 0
  for (const link of find(text)) {
    if (link.start > at) tokens.push(plain(text.slice(at, link.start), at))
    tokens.push({ isLink: true, toObject: (protocol) => entity(link.value, link.start, protocol) })
    at = link.end
  }
  if (at < text.length) tokens.push(plain(text.slice(at), at))
  return tokens
}

/** Custom protocols are not recognised in plain text (only the ones above). */
export function registerCustomProtocol () {}

export function reset () {}
