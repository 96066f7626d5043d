// src/linkify-lite.js: the small link finder the bundle uses instead of linkifyjs.
import assert from 'node:assert/strict'
import { find, tokenize } from '../src/linkify-lite.js'

let passed = 0
const check = (name, fn) => { fn(); passed++; console.log('ok  ', name) }
const links = (text) => find(text, { defaultProtocol: 'https' }).map((l) => [l.value, l.href, l.start, l.end])
const shape = (text) => tokenize(text).map((t) => (t.toObject('https').isLink ? 'L' : 'T')).join('')

check('scheme URLs, trailing punctuation left out', () =>
  assert.deepEqual(links('see https://example.com/a?b=1.'), [['https://example.com/a?b=1', 'https://example.com/a?b=1', 4, 29]]))
check('www. hosts and bare host names get the default protocol', () => {
  assert.deepEqual(links('www.tandem.test'), [['www.tandem.test', 'https://www.tandem.test', 0, 15]])
  assert.deepEqual(links('go to example.com/x now'), [['example.com/x', 'https://example.com/x', 6, 19]])
})
check('e-mail addresses become mailto links', () =>
  assert.deepEqual(links('mail ann@acme.test, please'), [['ann@acme.test', 'mailto:ann@acme.test', 5, 18]]))
check('file names and version numbers are not links', () => {
  assert.deepEqual(links('file.txt v1.2 report.pdf'), [])
})
check('tokens cover the whole text (autolink checks a word is exactly one link)', () => {
  assert.equal(shape('example.com'), 'L')
  assert.equal(shape('(https://x.org/y)'), 'TLT')
  assert.equal(shape('plain'), 'T')
  const text = 'a www.b.com c'
  assert.equal(tokenize(text).map((t) => t.toObject('https').value).join(''), text)
})
console.log(`linkify-lite: ${passed} passed, 0 failed`)
