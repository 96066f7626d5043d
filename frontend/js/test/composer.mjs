#!/usr/bin/env node
// The composer API in Node: happy-dom as the DOM, test/relay.mjs as the server. Covers the local
// editor (commands, toolbar state, HTML in/out, Mod-Enter, uploads) and co-editing (two
// composers converge, meta/ticket maps, presence, CONTROL hello/flush/deleted/reset, stale epoch
// after a reconnect, read-only role, AUTH denied, ticket_deleted and close() after refused
// handshakes: no reconnect). Prints "N passed, N failed".
import { closeDom } from './dom.mjs'
import * as Y from 'yjs'
import { createRelay } from './relay.mjs'
const { createComposer, textModuleTrigger } = await import('../src/composer.js')
const { textModulePicker } = await import('../src/text-modules.js')

let passed = 0
let failed = 0
const check = (name, cond, detail) => {
  if (cond) { passed++; console.log(`ok   ${name}`) } else { failed++; console.log(`FAIL ${name}${detail !== undefined ? `\n     ${typeof detail === 'string' ? detail : JSON.stringify(detail)}` : ''}`) }
}
const sleep = (ms) => new Promise(r => setTimeout(r, ms))
const until = async (f, ms = 5000) => { // generous: CI machines are shared and busy
  const t0 = Date.now()
  while (Date.now() - t0 < ms) { if (f()) return true; await sleep(5) }
  return f()
}
const mount = () => { const el = document.createElement('div'); document.body.appendChild(el); return el }
const key = (c, k, mods = {}) => c._editor().view.someProp('handleKeyDown', f => f(c._editor().view,
  new window.KeyboardEvent('keydown', { key: k, ctrlKey: true, metaKey: false, bubbles: true, ...mods })))

// ---- what a reply sends: links end where they end, no trailing empty paragraphs ----------
{
  const c = createComposer(mount(), { html: '<p>see <a href="https://example.test/">the site</a></p>' })
  const ed = c._editor()
  // typing right after a link: the way ProseMirror inserts typed text (marks at the caret)
  c.focus('end')
  ed.view.dispatch(ed.state.tr.insertText(' for details'))
  check('link: text typed right after a link is not part of it',
    c.html() === '<p>see <a target="_blank" rel="noopener noreferrer nofollow" href="https://example.test/">the site</a> for details</p>', c.html())
  check('link: the caret after a link carries no link mark', c.active('link') === false)
  // Enter at the end, twice: empty paragraphs the editor keeps are not sent
  c.setHtml('<p>Thanks!</p><p></p><p><br></p><p></p>')
  check('trailing empty paragraphs are not sent', c.html() === '<p>Thanks!</p>', c.html())
  c.setHtml('<p>one</p><p></p><p>two</p>')
  check('empty paragraphs between others stay', c.html() === '<p>one</p><p></p><p>two</p>', c.html())
  c.setHtml('<p>Hello</p>')
  check('quote: an article is quoted at the end as a blockquote',
    c.command('quote', '<p>the customer wrote</p>') === true &&
    c.html() === '<p>Hello</p><blockquote><p>the customer wrote</p></blockquote>', c.html())
  check('quote: nothing to quote', c.command('quote', '  ') === false)
  c.destroy()
}

// ---- text modules: `::` opens the list, Enter inserts the module in place of `::query` -----
{
  check('trigger: `::` after a blank or at the start',
    textModuleTrigger('Hello ::') === '' && textModuleTrigger('::tha') === 'tha' && textModuleTrigger('a\u00a0::x') === 'x')
  check('trigger: not inside a word, not after a blank, not with a colon',
    textModuleTrigger('http::x') === null && textModuleTrigger('Hello :: x') === null &&
    textModuleTrigger('::a:b') === null && textModuleTrigger('no trigger') === null && textModuleTrigger(null) === null)
  const el = mount()
  const triggers = []
  const loaded = []
  let c = null
  const picker = textModulePicker(el, {
    load: async (q) => {
      loaded.push(q)
      return [{ id: 1, name: 'Thanks', keywords: 'thx', content: '<p>Thanks, <strong>Nicole</strong>!</p>' },
        { id: 2, name: 'Thanks again', keywords: '', content: '<p>Again</p>' }].filter(m => m.name.toLowerCase().includes(q))
    },
    insert: (html) => c.insertTrigger(html)
  })
  c = createComposer(el, {
    html: '<p>Hello</p>',
    onTrigger: (q) => { triggers.push(q); picker.onTrigger(q) },
    onTriggerKey: (k) => picker.onTriggerKey(k)
  })
  const ed = c._editor()
  c.focus('end')
  check('trigger: no list before `::`', c.trigger() === null && el.querySelector('.text-module-picker').hidden === true)
  ed.view.dispatch(ed.state.tr.insertText(' ::'))
  ed.view.dispatch(ed.state.tr.insertText('tha'))
  check('trigger: onTrigger reports the query as it is typed', triggers.join('|') === '|tha' && c.trigger() === 'tha', triggers)
  await until(() => el.querySelectorAll('[role=option]').length === 2)
  const options = [...el.querySelectorAll('[role=option]')]
  check('picker: the matching modules are listed, the first selected',
    options.length === 2 && options[0].getAttribute('aria-selected') === 'true' && options[0].textContent.startsWith('Thanks'),
    options.map(o => o.textContent))
  check('picker: only the newest query was loaded (debounced)', loaded.join('|') === 'tha', loaded)
  key(c, 'ArrowDown', { ctrlKey: false })
  check('picker: ArrowDown moves the selection',
    el.querySelectorAll('[role=option]')[1].getAttribute('aria-selected') === 'true')
  key(c, 'ArrowUp', { ctrlKey: false })
  key(c, 'Enter', { ctrlKey: false })
  check('picker: Enter inserts the module in place of `::tha`',
    c.html() === '<p>Hello </p><p>Thanks, <strong>Nicole</strong>!</p>', c.html())
  check('picker: the list closes after inserting', el.querySelector('.text-module-picker').hidden === true && c.trigger() === null)
  // Escape closes the list; Enter then is an ordinary Enter again
  c.setHtml('<p>Hi</p>'); c.focus('end')
  ed.view.dispatch(c._editor().state.tr.insertText(' ::'))
  await until(() => el.querySelectorAll('[role=option]').length === 2)
  key(c, 'Escape', { ctrlKey: false })
  check('picker: Escape closes the list', el.querySelector('.text-module-picker').hidden === true && c.trigger() === '')
  check('picker: with the list closed, keys are not taken', picker.onTriggerKey('Enter') === false)
  check('insertTrigger: nothing without an open trigger', (c.setHtml('<p>plain</p>'), c.focus('end'), c.insertTrigger('<p>x</p>')) === false && c.html() === '<p>plain</p>', c.html())
  picker.destroy()
  check('picker: destroy removes the list', el.querySelector('.text-module-picker') === null)
  c.destroy()
}

// ---- local mode -------------------------------------------------------------------------
{
  const changes = []
  const states = []
  let submitted = 0
  const c = createComposer(mount(), {
    html: '<div>Hello <b>world</b><br></div>',
    placeholder: 'Write a reply…',
    onChange: h => changes.push(h),
    onState: s => states.push(s),
    onSubmit: () => { submitted++ }
  })
  check('local: initial HTML parsed (div -> p)', c.html() === '<p>Hello <strong>world</strong><br></p>', c.html())
  check('local: isEmpty false', c.isEmpty() === false)
  c.setHtml('<p>abc</p>')
  c.focus('all')
  check('local: command bold', c.command('bold') === true && c.html() === '<p><strong>abc</strong></p>', c.html())
  check('local: active bold', c.active('bold') === true && c.state().bold === true)
  check('local: onState reported bold', states.some(s => s.bold === true))
  c.command('undo')
  check('local: undo', c.html() === '<p>abc</p>', c.html())
  check('local: redo possible', c.active('redo') === true)
  c.command('heading2')
  check('local: heading2', /^<h2>abc<\/h2>/.test(c.html()) && c.active('heading2'), c.html())
  c.command('paragraph'); c.focus('all')
  c.command('link', 'https://example.test/')
  check('local: link(href)', c.html().includes('<a target="_blank" rel="noopener noreferrer nofollow" href="https://example.test/">abc</a>') && c.active('link'), c.html())
  c.command('unlink')
  check('local: unlink', !c.html().includes('<a'), c.html())
  for (const n of ['italic', 'underline', 'strike', 'code']) { c.focus('all'); c.command(n) }
  check('local: italic/underline/strike/code toggled', c.active('code') && c.html().includes('<code>'), c.html())
  c.setHtml('<p>x</p>'); c.focus('end')
  for (const n of ['bulletList', 'orderedList', 'blockquote', 'codeBlock']) {
    c.setHtml('<p>x</p>'); c.focus('end')
    check(`local: ${n}`, c.command(n) === true && c.active(n) === true, c.html())
  }
  check('local: unknown command returns false', c.command('nope') === false)
  c.setHtml('<p>send me</p>')
  key(c, 'Enter')
  check('local: Mod-Enter calls onSubmit', submitted === 1, submitted)
  c.clear()
  check('local: clear (nothing to send)', c.isEmpty() === true && c.html() === '', c.html())
  check('local: onChange fired', changes.length > 3)
  check('local: placeholder rendered', c._editor().view.dom.innerHTML.includes('data-placeholder="Write a reply…"'))
  c.setMeta('subject', 'Re: x'); c.setTicketAttr('state_id', 2)
  check('local: meta/ticket maps', c.meta().subject === 'Re: x' && c.ticket().state_id === 2)
  c.setMeta('subject', null)
  check('local: setMeta(null) deletes', !('subject' in c.meta()))
  c.setEditable(false)
  check('local: setEditable(false)', c._editor().isEditable === false)
  c.destroy()
  check('local: destroy removes the editor', document.body.lastChild.innerHTML === '')
}

// ---- uploads (paste/drop go through onUpload, images inserted by URL) ---------------------
{
  const uploads = []
  const c = createComposer(mount(), {
    html: '<p>before after</p>',
    onUpload: (file) => new Promise(resolve => {
      uploads.push(file.name)
      setTimeout(() => resolve({ url: `/api/v1/attachments/${uploads.length}`, id: uploads.length, filename: file.name, size: file.size, content_type: file.type }), 20)
    })
  })
  const ed = c._editor()
  const view = ed.view
  const paste = (files, html = '', text = '') => {
    const dt = { files, items: [], types: [...(html ? ['text/html'] : []), ...(text ? ['text/plain'] : []), ...(files.length ? ['Files'] : [])], getData: (t) => t === 'text/html' ? html : t === 'text/plain' ? text : '' }
    const ev = { clipboardData: dt, preventDefault () { this.prevented = true } }
    const handled = view.someProp('handlePaste', f => f(view, ev, null))
    return { handled, prevented: !!ev.prevented }
  }
  c.focus(8) // "before |after"
  const png = new window.File([new Uint8Array([137, 80, 78, 71])], 'shot.png', { type: 'image/png' })
  const r = paste([png])
  // text typed while the upload runs must not move the image elsewhere
  ed.commands.insertContentAt(1, 'X')
  await until(() => c.html().includes('<img'))
  check('upload: pasted screenshot goes to onUpload', r.handled === true && r.prevented && uploads[0] === 'shot.png')
  check('upload: image inserted inline by URL at the paste position', c.html() === '<p>Xbefore <img src="/api/v1/attachments/1" alt="shot.png">after</p>', c.html())
  const word = paste([png], '<html xmlns:o="urn:schemas-microsoft-com:office:office"><body><p class=MsoNormal>Hi<o:p></o:p></p></body></html>', 'Hi')
  check('upload: Word paste (HTML + preview picture) is pasted as HTML, not uploaded', word.handled !== true && uploads.length === 1)
  const pdf = new window.File([new Uint8Array([37, 80, 68, 70])], 'a.pdf', { type: 'application/pdf' })
  paste([pdf])
  await until(() => uploads.length === 2)
  await sleep(40)
  check('upload: non-image file uploaded, nothing inserted', uploads[1] === 'a.pdf' && (c.html().match(/<img/g) || []).length === 1, c.html())
  c.destroy()
}

// ---- collaboration ---------------------------------------------------------------------------
const relay = createRelay()
const WS = relay.WebSocket
const room = relay.room('42')
const events = { a: { status: [], control: [], meta: [], peers: [] }, b: { status: [], control: [], meta: [], peers: [] } }
const collabOpts = (who, user) => ({
  placeholder: 'Reply…',
  onChange: () => {},
  collab: {
    url: 'ws://relay.test/ws/tickets',
    room: '42',
    user,
    WebSocketPolyfill: WS,
    onStatus: s => events[who].status.push(s),
    onControl: m => { events[who].control.push(m) },
    onMeta: m => events[who].meta.push(m),
    onPeers: p => events[who].peers.push(p)
  }
})
// content the server already has (e.g. loaded from the snapshot row)
room.doc.transact(() => {
  const p = new Y.XmlElement('paragraph')
  room.doc.getXmlFragment('default').insert(0, [p])
  const t = new Y.XmlText()
  p.insert(0, [t])
  t.insert(0, 'from the server', {})
})
const alice = createComposer(mount(), collabOpts('a', { id: 4, name: 'Alice', color: '#74c0fc' }))
const bob = createComposer(mount(), collabOpts('b', { id: 5, name: 'Bob', color: '#ff8787' }))
await until(() => alice.status() === 'synced' && bob.status() === 'synced')
check('collab: both synced', alice.status() === 'synced' && bob.status() === 'synced', [alice.status(), bob.status()])
check('collab: status sequence', events.a.status.join(',').startsWith('connecting,connected') && events.a.status.includes('synced'), events.a.status)
check('collab: hello received, epoch stored', events.a.control[0] && events.a.control[0].t === 'hello' && alice.epoch() === 1, events.a.control)
check('collab: server content shown', alice.html() === '<p>from the server</p>' && bob.html() === '<p>from the server</p>', [alice.html(), bob.html()])
await until(() => alice.peers().length === 2 && bob.peers().length === 2)
check('collab: presence lists both', alice.peers().map(p => p.name).join() === 'Alice,Bob' && bob.peers().map(p => p.name).join() === 'Bob,Alice', [alice.peers(), bob.peers()])
check('collab: peers carry id/color/self', alice.peers()[0].self === true && alice.peers()[1].id === 5 && alice.peers()[1].color === '#ff8787')

alice.focus('end')
alice._editor().commands.insertContent(' and Alice')
alice.focus('all'); alice.command('bold')
await until(() => bob.html() === alice.html())
check('collab: typing + bold converge', bob.html() === '<p><strong>from the server and Alice</strong></p>', bob.html())
check('collab: server doc has the marks as {bold: {}}', JSON.stringify(room.doc.getXmlFragment('default').get(0).get(0).toDelta()) === '[{"insert":"from the server and Alice","attributes":{"bold":{}}}]',
  JSON.stringify(room.doc.getXmlFragment('default').get(0).get(0).toDelta()))

alice.setMeta('subject', 'Re: printer'); alice.setTicketAttr('state_id', 3)
// two Y transactions, two messages: wait for both (and for the callback), not just the first
await until(() => bob.meta().subject === 'Re: printer' && bob.ticket().state_id === 3 && events.b.meta.some(m => m.subject === 'Re: printer'))
check('collab: meta map syncs + onMeta', bob.meta().subject === 'Re: printer' && events.b.meta.some(m => m.subject === 'Re: printer') && bob.ticket().state_id === 3)
room.doc.getArray('attachments').push([{ id: 9, filename: 'a.pdf', size: 3, content_type: 'application/pdf' }])
await until(() => alice.attachments().length === 1)
check('collab: attachments array written by the server reaches clients', alice.attachments()[0].filename === 'a.pdf')

// a REST write on the server side is a normal update for the clients
room.doc.transact(() => {
  const p = new Y.XmlElement('paragraph')
  room.doc.getXmlFragment('default').insert(1, [p])
  const t = new Y.XmlText(); p.insert(0, [t]); t.insert(0, 'via REST', {})
})
await until(() => alice.html().includes('via REST') && bob.html().includes('via REST'))
check('collab: server-side change reaches both', alice.html() === bob.html() && alice.html().endsWith('<p>via REST</p>'), alice.html())

// undo is per user (Yjs undo manager): Bob's undo must not undo Alice's bold
bob.focus('end'); bob._editor().commands.insertContent(' bob')
await until(() => alice.html().includes(' bob'))
bob.command('undo')
await until(() => !alice.html().includes(' bob'))
check('collab: per-user undo', !alice.html().includes(' bob') && alice.html().includes('<strong>'), alice.html())

check('collab: control() flush', alice.control({ t: 'flush' }) === true)
await until(() => events.a.control.some(m => m.t === 'saved'))
check('collab: server got flush, answered saved', room.controls.some(m => m.t === 'flush') && events.a.control.some(m => m.t === 'saved'))

// DELETE shared_draft: "deleted" -> both drop their doc, reconnect, see the new (empty) epoch
const before = room.epoch
room.drop('deleted')
await until(() => alice.status() === 'synced' && bob.status() === 'synced' && alice.epoch() === before + 1 && bob.epoch() === before + 1)
check('collab: deleted -> docs dropped, new epoch', alice.epoch() === before + 1 && bob.epoch() === before + 1, [alice.epoch(), bob.epoch()])
check('collab: deleted -> editors empty, maps empty', alice.isEmpty() && bob.isEmpty() && Object.keys(bob.meta()).length === 0, [alice.html(), bob.meta()])
check('collab: old content did not come back to the server', !room.text().includes('Alice'), room.text())

// stale client: Bob loses the network, the draft is deleted meanwhile, Bob reconnects
alice.setHtml('<p>epoch two text</p>')
await until(() => bob.html().includes('epoch two'))
relay.cut('42')
room.epoch++ // as if DELETE happened while Bob was away (no "deleted" reached him)
room.fresh()
await until(() => alice.status() === 'synced' && bob.status() === 'synced' && bob.epoch() === room.epoch && alice.epoch() === room.epoch, 5000)
check('collab: reconnect URL carries ?epoch= of the doc it holds', relay.urls.some(u => u.endsWith(`/ws/tickets/42?epoch=${room.epoch - 1}`)), relay.urls)
check('collab: reconnect sends resume with the old epoch', room.controls.some(m => m.t === 'resume' && m.epoch === room.epoch - 1), room.controls)
check('collab: stale doc dropped on hello with a new epoch', bob.epoch() === room.epoch && bob.isEmpty(), [bob.epoch(), bob.html()])
check('collab: stale content not resurrected', !room.text().includes('epoch two'), room.text())

// a sidebar choice or article setting made while the draft loads wins over the draft's older
// value: Yjs settles concurrent sets of a key by client id, so without waiting for the sync a
// choice lost about every other time (the browser test of pending states saw it)
{
  const loading = relay.room('45')
  loading.doc.transact(() => {
    loading.doc.getMap('ticket').set('state_id', '2')
    loading.doc.getMap('meta').set('subject', 'older subject')
  })
  for (let i = 0; i < 8; i++) {
    const state = String(10 + i)
    const tickets = []
    const c = createComposer(mount(), {
      onChange: () => {},
      collab: { url: 'ws://relay.test/ws/tickets', room: '45', user: { id: 20 + i, name: `Hal ${i}` }, WebSocketPolyfill: WS, onTicket: t => tickets.push(t.state_id) }
    })
    check(`collab: choice before sync (${i}): not synced yet`, c.status() !== 'synced', c.status())
    c.setTicketAttr('state_id', state)
    c.setMeta('subject', `subject ${i}`)
    c.setTicketAttr('owner_id', '3'); c.setTicketAttr('owner_id', null)
    check(`collab: choice before sync (${i}): shown at once`, c.ticket().state_id === state && c.meta().subject === `subject ${i}` && tickets[tickets.length - 1] === state, [c.ticket(), tickets])
    await until(() => c.status() === 'synced' && loading.doc.getMap('ticket').get('state_id') === state)
    await sleep(20)
    check(`collab: choice before sync (${i}): kept after the sync, also on the server`,
      c.ticket().state_id === state && c.meta().subject === `subject ${i}` && loading.doc.getMap('ticket').get('state_id') === state &&
      loading.doc.getMap('meta').get('subject') === `subject ${i}` && !('owner_id' in c.ticket()) && !loading.doc.getMap('ticket').has('owner_id'),
      [c.ticket(), c.meta(), loading.doc.getMap('ticket').toJSON()])
    const from = tickets.indexOf(state)
    check(`collab: choice before sync (${i}): the draft's older value never reported after it`, tickets.slice(from).every(v => v === state), tickets)
    c.destroy()
  }
}

// read-only role
room.role = 'read'
const carol = createComposer(mount(), collabOpts('a', { id: 6, name: 'Carol', color: '#8ce99a' }))
await until(() => carol.status() === 'synced')
check('collab: role read -> editor not editable', carol._editor().isEditable === false)
carol.destroy()
room.role = 'edit'

// permission denied
const other = relay.room('43'); other.deny = 'no access to ticket 43'
const seen = []
const dave = createComposer(mount(), { collab: { url: 'ws://relay.test/ws/tickets', room: '43', user: { id: 7, name: 'Dave' }, WebSocketPolyfill: WS, onStatus: (s, d) => seen.push([s, d]) } })
await until(() => dave.status() === 'denied')
await sleep(50)
check('collab: AUTH denied -> status denied, stays there', dave.status() === 'denied' && seen.some(([s, d]) => s === 'denied' && d === 'no access to ticket 43'), seen)
dave.destroy()

// the ticket is deleted: "ticket_deleted" (not "deleted", a discarded draft) -> both stop for
// good: no reconnect (the server refuses it with 404 forever), read-only, text kept, "gone"
{
  const gone = relay.room('44')
  const seen = { e: [], f: [] }
  const opts = (who, user) => ({
    onChange: () => {},
    collab: { url: 'ws://relay.test/ws/tickets', room: '44', user, WebSocketPolyfill: WS, onStatus: s => seen[who].push(s) }
  })
  const erin = createComposer(mount(), opts('e', { id: 8, name: 'Erin' }))
  const frank = createComposer(mount(), opts('f', { id: 9, name: 'Frank' }))
  await until(() => erin.status() === 'synced' && frank.status() === 'synced')
  erin.setHtml('<p>a reply nobody sends</p>')
  await until(() => frank.html().includes('nobody sends'))
  const attempts = () => relay.urls.filter(u => new URL(u).pathname.endsWith('/44')).length
  const before = attempts()
  gone.remove()
  await until(() => erin.status() === 'gone' && frank.status() === 'gone')
  await sleep(600) // y-websocket would retry after 100-200 ms
  check('collab: ticket_deleted -> status gone, no reconnect', erin.status() === 'gone' && frank.status() === 'gone' && attempts() === before,
    [erin.status(), frank.status(), attempts() - before])
  check('collab: ticket_deleted -> provider dropped, read-only, text kept',
    erin._provider() === null && frank._editor().isEditable === false && frank.html() === '<p>a reply nobody sends</p>', frank.html())
  check('collab: ticket_deleted -> no "disconnected"/"connecting" after "gone"', seen.f.slice(seen.f.indexOf('gone')).join() === 'gone', seen.f)
  frank.setEditable(true)
  frank.resetDoc()
  await sleep(300)
  check('collab: after close, setEditable(true) and resetDoc() neither edit nor reconnect',
    frank._editor().isEditable === false && frank._provider() === null && attempts() === before && frank.status() === 'gone')
  check('collab: after close, control() is refused', erin.control({ t: 'flush' }) === false)

  // a composer that missed the message (its socket was reconnecting): every handshake is
  // refused, which a browser cannot tell from an outage, so it retries until the page, which
  // learns of the deletion on its own, calls close()
  const statuses = []
  const late = createComposer(mount(), { collab: { url: 'ws://relay.test/ws/tickets', room: '44', user: { id: 10, name: 'Gina' }, WebSocketPolyfill: WS, onStatus: s => statuses.push(s) } })
  await until(() => attempts() >= before + 2)
  check('collab: refused handshakes -> retried (like an outage)', late.status() !== 'gone' && attempts() >= before + 2, [late.status(), attempts() - before])
  late.close('gone')
  const stoppedAt = attempts()
  await sleep(600)
  check('collab: close() after refused handshakes -> no more attempts, status gone, read-only',
    attempts() === stoppedAt && late.status() === 'gone' && late._provider() === null && late._editor().isEditable === false && statuses[statuses.length - 1] === 'gone',
    [attempts() - stoppedAt, statuses])
  late.destroy(); erin.destroy(); frank.destroy()
}

// explicit resetDoc without reconnect
alice.resetDoc({ reconnect: false })
check('collab: resetDoc({reconnect:false}) -> offline, empty', alice.status() === 'disconnected' && alice._provider() === null && alice.isEmpty())

// leaving removes the caret/presence at the others
alice.destroy()
await until(() => bob.peers().length === 1)
check('collab: destroy removes presence', bob.peers().length === 1 && bob.peers()[0].name === 'Bob', bob.peers())
bob.destroy()
relay.destroy()
await closeDom()

console.log(`composer: ${passed} passed, ${failed} failed`)
process.exit(failed ? 1 : 0)
