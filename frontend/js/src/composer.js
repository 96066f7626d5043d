// Tandem composer bridge: Tiptap 3 (+ Yjs co-editing) behind a small API for the Leptos
// component, which imports the bundle with
//   #[wasm_bindgen(module = "/js/composer.bundle.js")] extern "C" { fn createComposer(…); … }
//
// createComposer(el, opts) -> handle
//   el    HTMLElement the editor mounts into (the editor adds its own contenteditable child)
//   opts  {
//     html?: string            initial HTML (local mode only; in collab mode the server's doc wins)
//     placeholder?: string     shown while the document is empty
//     editable?: bool          default true
//     onChange?(html, local)   after every document change; local: made in this editor
//                              (false for changes that arrived from other editors)
//     onState?(active)         toolbar state changed: {bold: true, heading1: false, …, undo, redo}
//     onSubmit?()              Mod-Enter (Ctrl/Cmd+Enter)
//     onTrigger?(query, kind)  a trigger is typed: the text before the caret, at the start of
//                              a line or after a space, ends with one (TRIGGERS below):
//                                kind 'textModule': `::query` (no spaces or colons, at most 40
//                                  characters; '' right after `::`)
//                                kind 'mention': `@query` (Zammad's `@@query` too; at least one
//                                  character, no spaces, at most 40; not `@@`)
//                              Reports the query, then (query null, same kind) once the text no
//                              longer ends with it; when one trigger turns into another, null
//                              for the old kind comes first. Reported on changes only
//     onTriggerKey?(key, kind) while a trigger is open: ArrowUp, ArrowDown, Enter, Tab and
//                              Escape go here first; return true when the list used the key
//     onUpload?(File) -> Promise<{url, id, filename, size, content_type}>
//                              pasted/dropped files; images are then inserted inline by URL.
//                              Without it, pasted/dropped files are ignored.
//     onUploadError?(error, File)
//     collab?: {               co-editing (docs/collab-editing.md §5/§6); omit for a local editor
//       url                    WebSocket base, e.g. "ws://host/ws/tickets" (room is appended)
//       room                   ticket id as a string
//       user: {id, name, color}   awareness user (the server validates/overwrites it)
//       params?                extra query parameters for the upgrade request (the composer
//                              adds epoch=N once it knows the draft's epoch)
//       onPeers?(peers)        [{clientId, id, name, color, self}] whenever awareness changes
//       onStatus?(status, detail)  "connecting" | "connected" | "synced" | "disconnected"
//                              | "closed" (server closed with 4400-4499, no reconnect) | "denied"
//                              | "gone" (the ticket was deleted: CONTROL "ticket_deleted"; no
//                              reconnect, the editor is read-only) | whatever close(status) got
//       onMeta?(meta)          Y.Map "meta" as a plain object (after sync and on every change)
//       onTicket?(ticket)      Y.Map "ticket" as a plain object (same)
//       onAttachments?(list)   Y.Array "attachments" as an array (same)
//       onControl?(msg)        every CONTROL (type 100) message, parsed JSON. Return false to
//                              skip the default handling ("reset"/"deleted"/"sent" drop the doc,
//                              "hello" with role "read" makes the editor read-only,
//                              "ticket_deleted" closes: close("gone"))
//     }
//   }
//
// handle methods
//   html() -> string          Tiptap's HTML without trailing empty paragraphs (what is sent)
//   setHtml(html)             replace the content (in collab mode: one CRDT change everyone sees)
//   clear(), focus(), isEmpty() -> bool, setEditable(bool), destroy()
//   command(name, arg?) -> bool   bold italic underline strike code bulletList orderedList
//                                 blockquote codeBlock heading1 heading2 heading3 paragraph
//                                 horizontalRule hardBreak clearFormatting undo redo
//                                 link(href) unlink quote(html: appended as a blockquote)
//   insertTrigger(content) -> bool   replaces the open trigger (`::query`, `@query`) by
//                             `content`: HTML (a text module) or Tiptap JSON content (a
//                             mention's link, see src/mentions.js); false when no trigger is open
//   trigger() -> string|null  the open trigger's query; triggerKind() -> its kind or null
//   active(name) -> bool      same names (undo/redo: whether possible); state() -> all of them
//   meta() / setMeta(key, value)          Y.Map "meta"   (value null/undefined deletes the key)
//   ticket() / setTicketAttr(key, value)  Y.Map "ticket"
//                             (co-editing: set before the doc's first sync, both are held,
//                             shown at once and written when it syncs, so they win over the
//                             draft's older values)
//   attachments() -> array    Y.Array "attachments" (written by the server)
//   peers() -> array, status() -> string, epoch() -> number|null
//   control(obj) -> bool      send a CONTROL message, e.g. {t: "flush"}; false when offline
//   resetDoc({reconnect = true})  drop the Y.Doc and start from an empty one (new editor view,
//                             new connection); done automatically on reset/deleted/sent
//   close(status = "closed", detail?)  the room is gone for good (the ticket was deleted, the
//                             draft socket is refused): the connection ends and never comes back
//                             (not even through resetDoc), the text stays visible but read-only,
//                             onStatus(status, detail). Done automatically on "ticket_deleted".
//                             A browser cannot see why a WebSocket handshake failed (a 404 looks
//                             like a network outage), so the page calls this when it learns the
//                             ticket is gone.
//
// Without `collab` the maps still work (on a local Y.Doc), so the Leptos side needs no branches.

import { Editor, Extension } from '@tiptap/core'
import Collaboration from '@tiptap/extension-collaboration'
import CollaborationCaret from '@tiptap/extension-collaboration-caret'
import { Placeholder } from '@tiptap/extensions'
import { ySyncPluginKey, absolutePositionToRelativePosition, relativePositionToAbsolutePosition } from '@tiptap/y-tiptap'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import { readAuthMessage } from 'y-protocols/auth'
import { createExtensions, cleanPastedHtml } from './extensions.js'

export { cleanPastedHtml }

export const MESSAGE_CONTROL = 100
const BODY = 'default'

const COMMANDS = {
  bold: (c) => c.toggleBold(),
  italic: (c) => c.toggleItalic(),
  underline: (c) => c.toggleUnderline(),
  strike: (c) => c.toggleStrike(),
  code: (c) => c.toggleCode(),
  bulletList: (c) => c.toggleBulletList(),
  orderedList: (c) => c.toggleOrderedList(),
  blockquote: (c) => c.toggleBlockquote(),
  codeBlock: (c) => c.toggleCodeBlock(),
  heading1: (c) => c.toggleHeading({ level: 1 }),
  heading2: (c) => c.toggleHeading({ level: 2 }),
  heading3: (c) => c.toggleHeading({ level: 3 }),
  paragraph: (c) => c.setParagraph(),
  horizontalRule: (c) => c.setHorizontalRule(),
  hardBreak: (c) => c.setHardBreak(),
  clearFormatting: (c) => c.unsetAllMarks().clearNodes(),
  undo: (c) => c.undo(),
  redo: (c) => c.redo(),
  unlink: (c) => c.extendMarkRange('link').unsetLink()
}

/**
 * The HTML a reply sends: without the empty paragraphs (or ones holding only line breaks) the
 * editor keeps at the end, e.g. after Enter; `''` when nothing else is left.
 * @param {string} html
 */
export function sendableHtml (html) {
  if (typeof html !== 'string') return ''
  const trailing = /(?:<p>(?:\s|&nbsp;|\u00a0|<br\s*\/?>)*<\/p>)+$/
  return html.replace(trailing, '')
}

/**
 * The triggers the composer reports (onTrigger), each a pattern for the end of the text before
 * the caret: after the start of the text or a blank, the whole trigger (group 1) and its query
 * (group 2). `\ufffc` stands for an inline node (an image, a line break), which ends a query.
 */
export const TRIGGERS = [
  // text modules (Zammad's `::`): no blanks or colons, at most 40 characters, '' right after `::`
  { kind: 'textModule', pattern: /(?:^|[\s\u00a0])(::([^\s\u00a0:\ufffc]{0,40}))$/ },
  // mentions: `@` and at least one character that is not `@` (Zammad's `@@` works too), no
  // blanks, at most 40 characters (a name or an e-mail address)
  { kind: 'mention', pattern: /(?:^|[\s\u00a0])(@@?([^\s\u00a0@\ufffc][^\s\u00a0\ufffc]{0,39}))$/ }
]

/**
 * The trigger the text before the caret ends with: `{kind, query, length}` (length: the
 * characters the trigger takes, which inserting replaces), or null.
 * @param {string} textBefore
 */
export function findTrigger (textBefore) {
  if (typeof textBefore !== 'string') return null
  for (const { kind, pattern } of TRIGGERS) {
    const m = pattern.exec(textBefore)
    if (m) return { kind, query: m[2], length: m[1].length }
  }
  return null
}

const triggerOf = (kind) => (textBefore) => {
  const t = findTrigger(textBefore)
  return t && t.kind === kind ? t.query : null
}

/** The text-module query (`::query`) the text before the caret ends with, or null. */
export const textModuleTrigger = triggerOf('textModule')

/** The mention query (`@query`) the text before the caret ends with, or null. */
export const mentionTrigger = triggerOf('mention')

const TRIGGER_KEYS = ['ArrowUp', 'ArrowDown', 'Enter', 'Tab', 'Escape']

const ACTIVE = {
  bold: (e) => e.isActive('bold'),
  italic: (e) => e.isActive('italic'),
  underline: (e) => e.isActive('underline'),
  strike: (e) => e.isActive('strike'),
  code: (e) => e.isActive('code'),
  bulletList: (e) => e.isActive('bulletList'),
  orderedList: (e) => e.isActive('orderedList'),
  blockquote: (e) => e.isActive('blockquote'),
  codeBlock: (e) => e.isActive('codeBlock'),
  heading1: (e) => e.isActive('heading', { level: 1 }),
  heading2: (e) => e.isActive('heading', { level: 2 }),
  heading3: (e) => e.isActive('heading', { level: 3 }),
  paragraph: (e) => e.isActive('paragraph'),
  link: (e) => e.isActive('link'),
  undo: (e) => e.can().undo(),
  redo: (e) => e.can().redo()
}

const CSS = `
.tandem-composer .ProseMirror{outline:none;min-height:6em}
.tandem-composer .ProseMirror p.is-editor-empty:first-child::before{content:attr(data-placeholder);color:#868e96;float:left;height:0;pointer-events:none}
.tandem-composer .ProseMirror img{max-width:100%;height:auto}
.tandem-composer .ProseMirror img.ProseMirror-selectednode{outline:2px solid #74c0fc}
.collaboration-carets__caret{border-left:1px solid;border-right:1px solid;margin-left:-1px;margin-right:-1px;pointer-events:none;position:relative;word-break:normal}
.collaboration-carets__label{border-radius:3px 3px 3px 0;color:#fff;font-size:12px;font-style:normal;font-weight:600;left:-1px;line-height:normal;padding:.1rem .3rem;position:absolute;top:-1.4em;user-select:none;white-space:nowrap}
`

function injectCss (nonce) {
  if (typeof document === 'undefined' || document.getElementById('tandem-composer-css')) return
  const style = document.createElement('style')
  style.id = 'tandem-composer-css'
  if (nonce) style.setAttribute('nonce', nonce)
  style.textContent = CSS
  document.head.appendChild(style)
}

const isImageType = (t) => typeof t === 'string' && /^image\/(png|jpe?g|gif|webp|avif|bmp)$/i.test(t)

function filesOf (dt) {
  if (!dt) return []
  const files = Array.from(dt.files || [])
  if (files.length === 0 && dt.items) {
    for (const it of Array.from(dt.items)) {
      if (it.kind === 'file') { const f = it.getAsFile(); if (f) files.push(f) }
    }
  }
  return files
}

// Word, Outlook, LibreOffice and browsers put a rendered picture of the copied text next to the
// HTML. Upload the files only when the HTML carries no text of its own (a copied image or a
// screenshot); otherwise let ProseMirror paste the HTML.
function htmlWinsOverFiles (dt) {
  const types = Array.from(dt.types || [])
  if (types.includes('text/rtf')) return true
  const html = dt.getData('text/html') || ''
  if (html === '') return false
  if (/urn:schemas-microsoft-com|xmlns:[ow]=/i.test(html)) return true
  const text = html.replace(/<(style|script|xml)\b[\s\S]*?<\/\1>/gi, '').replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<[^>]*>/g, '').replace(/&nbsp;|&#160;/g, ' ').trim()
  return text !== ''
}

/**
 * Create a composer in `el`. See the header of this file for `opts` and the handle.
 * @param {HTMLElement} el
 * @param {object} [opts]
 */
export function createComposer (el, opts = {}) {
  opts = opts || {}
  const collab = opts.collab || null
  injectCss(opts.cssNonce)
  el.classList.add('tandem-composer')

  let editable = opts.editable !== false
  let readOnlyByServer = false
  let destroyed = false
  let closed = null // close(status): the status; the composer never connects again
  let ydoc = null
  let provider = null
  let editor = null
  let generation = 0 // bumps on every resetDoc: pending uploads of an old doc are dropped
  let status = collab ? 'connecting' : 'local'
  let epoch = null
  let lastState = ''
  // Co-editing: article settings and sidebar choices set before this doc first synced with the
  // server ({meta, ticket}: key → value, null deletes). Set on the fresh doc they would be
  // concurrent with what the server holds, and Yjs settles a conflict on a map key by client
  // id, not time, so a choice made while the draft loads could lose to the draft's older value.
  // Kept here (and shown in meta()/ticket() and their callbacks) and written once the doc has
  // synced, after the server's state, so they win. null once synced (or when not co-editing).
  let early = null
  let trigger = null // the open trigger, {kind, query, length} (findTrigger), or null
  let peersCache = []

  // ---- callbacks -----------------------------------------------------------------------
  const call = (fn, ...args) => {
    if (typeof fn !== 'function') return undefined
    try { return fn(...args) } catch (e) { console.error('[composer] callback failed', e) }
    return undefined
  }
  const setStatus = (s, detail) => { status = s; if (collab) call(collab.onStatus, s, detail) }
  const metaMap = () => ydoc.getMap('meta')
  const ticketMap = () => ydoc.getMap('ticket')
  const attachmentsArr = () => ydoc.getArray('attachments')
  // a map's entries as this editor sees them: the doc's, with the early ones over them
  const mapJSON = (name) => {
    if (!ydoc) return {}
    const json = ydoc.getMap(name).toJSON()
    if (early) {
      for (const [key, value] of early[name]) {
        if (value === null) delete json[key]
        else json[key] = value
      }
    }
    return json
  }
  const emitMaps = () => {
    if (!collab || destroyed) return
    call(collab.onMeta, mapJSON('meta'))
    call(collab.onTicket, mapJSON('ticket'))
    call(collab.onAttachments, attachmentsArr().toJSON())
  }
  const computePeers = () => {
    if (!provider) return []
    const self = provider.awareness.clientID
    const list = []
    provider.awareness.getStates().forEach((state, clientId) => {
      const u = state && state.user
      if (!u) return
      list.push({ clientId, id: u.id ?? null, name: u.name ?? '', color: u.color ?? null, self: clientId === self })
    })
    list.sort((a, b) => (b.self - a.self) || String(a.name).localeCompare(String(b.name)) || a.clientId - b.clientId)
    return list
  }
  const emitPeers = () => {
    peersCache = computePeers()
    if (collab) call(collab.onPeers, peersCache)
  }
  const stateOf = () => {
    const s = {}
    if (!editor || editor.isDestroyed) return s
    for (const k of Object.keys(ACTIVE)) { try { s[k] = !!ACTIVE[k](editor) } catch (_) { s[k] = false } }
    return s
  }
  const emitState = () => {
    if (typeof opts.onState !== 'function') return
    const s = stateOf()
    const j = JSON.stringify(s)
    if (j !== lastState) { lastState = j; call(opts.onState, s) }
  }

  // ---- uploads (paste / drop) --------------------------------------------------------------
  // Remember where the file went in while it uploads. Local transactions are mapped; in collab
  // mode y-tiptap replaces the whole ProseMirror doc on remote changes, so use a Y relative
  // position instead.
  function trackPosition (pos) {
    const ed = editor
    const ys = ySyncPluginKey.getState(ed.state)
    const binding = ys && ys.binding
    if (collab && binding && binding.type) {
      let rel = null
      try { rel = absolutePositionToRelativePosition(pos, binding.type, binding.mapping) } catch (_) {}
      return {
        resolve: () => {
          let p = null
          try { p = rel && relativePositionToAbsolutePosition(binding.doc, binding.type, rel, binding.mapping) } catch (_) {}
          return p == null ? ed.state.doc.content.size : p
        },
        dispose () {}
      }
    }
    let p = pos
    const onTr = ({ transaction }) => { p = transaction.mapping.map(p) }
    ed.on('transaction', onTr)
    return { resolve: () => p, dispose: () => ed.off('transaction', onTr) }
  }

  function uploadFiles (files, pos) {
    const gen = generation
    for (const file of files) {
      const tracker = trackPosition(pos)
      let p
      try { p = Promise.resolve(opts.onUpload(file)) } catch (e) { p = Promise.reject(e) }
      p.then((res) => {
        const at = tracker.resolve()
        tracker.dispose()
        if (destroyed || gen !== generation || !editor || editor.isDestroyed || !res || !res.url) return
        if (isImageType(res.content_type || file.type)) {
          const size = editor.state.doc.content.size
          editor.chain().insertContentAt(Math.max(0, Math.min(at, size)), {
            type: 'image',
            attrs: { src: String(res.url), alt: res.filename || file.name || null }
          }).run()
        }
      }, (err) => {
        tracker.dispose()
        if (typeof opts.onUploadError === 'function') call(opts.onUploadError, err, file)
        else console.warn('[composer] upload failed', err)
      })
    }
  }

  const editorProps = {
    transformPastedHTML: (html) => cleanPastedHtml(html),
    handlePaste: (view, event) => {
      if (typeof opts.onUpload !== 'function') return false
      const dt = event.clipboardData
      const files = filesOf(dt)
      if (files.length === 0 || htmlWinsOverFiles(dt)) return false
      event.preventDefault()
      uploadFiles(files, view.state.selection.from)
      return true
    },
    handleDrop: (view, event, _slice, moved) => {
      if (moved || typeof opts.onUpload !== 'function') return false
      const files = filesOf(event.dataTransfer)
      if (files.length === 0) return false
      event.preventDefault()
      const at = view.posAtCoords({ left: event.clientX, top: event.clientY })
      uploadFiles(files, at ? at.pos : view.state.selection.from)
      return true
    }
  }

  const Submit = Extension.create({
    name: 'tandemSubmit',
    priority: 1000, // before the core keymap's Mod-Enter (exitCode)
    addKeyboardShortcuts () {
      return {
        'Mod-Enter': () => {
          if (typeof opts.onSubmit !== 'function') return false
          call(opts.onSubmit)
          return true
        }
      }
    }
  })

  // ---- triggers: `::` (text modules) and `@` (mentions) ----------------------------------------
  const triggerNow = () => {
    if (!editor || editor.isDestroyed || !canEdit()) return null
    const sel = editor.state.selection
    if (!sel.empty || !sel.$from.parent.isTextblock) return null
    const $f = sel.$from
    const text = $f.parent.textBetween(Math.max(0, $f.parentOffset - 60), $f.parentOffset, null, '\ufffc')
    return findTrigger(text)
  }
  const emitTrigger = () => {
    const now = triggerNow()
    const was = trigger
    if (now === was || (now && was && now.kind === was.kind && now.query === was.query)) {
      trigger = now
      return
    }
    trigger = now
    if (was && (!now || now.kind !== was.kind)) call(opts.onTrigger, null, was.kind)
    if (now) call(opts.onTrigger, now.query, now.kind)
  }
  const TriggerKeys = Extension.create({
    name: 'tandemTriggerKeys',
    priority: 1100, // before Submit and the core keymap (Enter splits the paragraph)
    addKeyboardShortcuts () {
      const keys = {}
      for (const k of TRIGGER_KEYS) {
        keys[k] = () => trigger !== null && typeof opts.onTriggerKey === 'function' &&
          call(opts.onTriggerKey, k, trigger.kind) === true
      }
      return keys
    }
  })

  // ---- collaboration plumbing -------------------------------------------------------------
  function sendControl (obj) {
    const ws = provider && provider.ws
    if (!provider || !provider.wsconnected || !ws || ws.readyState !== 1) return false
    const enc = encoding.createEncoder()
    encoding.writeVarUint(enc, MESSAGE_CONTROL)
    encoding.writeVarString(enc, JSON.stringify(obj))
    ws.send(encoding.toUint8Array(enc))
    return true
  }

  function onControl (msg, fromProvider) {
    if (fromProvider !== provider || destroyed) return // a message of a provider we dropped
    const verdict = collab && call(collab.onControl, msg)
    if (verdict === false || !msg || typeof msg !== 'object') return
    switch (msg.t) {
      case 'hello': {
        const e = typeof msg.epoch === 'number' ? msg.epoch : null
        if (epoch !== null && e !== null && e !== epoch) {
          // the draft was deleted/sent/reset while we were away: our doc is stale, never sync it
          // (this runs before the server's sync step 1 is read from the same socket)
          resetDoc({ reconnect: true, epoch: e })
          return
        }
        if (e !== null) {
          epoch = e
          // reconnects carry ?epoch=N: the server refuses a stale doc before any sync step
          provider.params = { ...(collab.params || {}), epoch: String(e) }
        }
        readOnlyByServer = msg.role === 'read'
        applyEditable()
        break
      }
      case 'reset':
        resetDoc({ reconnect: true, epoch: typeof msg.epoch === 'number' ? msg.epoch : null })
        break
      case 'deleted': // the draft was discarded: start a new one
      case 'sent':
        resetDoc({ reconnect: true, epoch: null })
        break
      case 'ticket_deleted': // the ticket is gone: the server refuses every reconnect (404)
        close('gone')
        break
      default:
    }
  }

  function startProvider () {
    const p = new WebsocketProvider(String(collab.url), String(collab.room), ydoc, {
      params: { ...(collab.params || {}), ...(epoch !== null ? { epoch: String(epoch) } : {}) },
      disableBc: true, // every peer goes through the server (auth, epoch, read-only roles)
      resyncInterval: collab.resyncInterval || -1,
      ...(collab.WebSocketPolyfill ? { WebSocketPolyfill: collab.WebSocketPolyfill } : {})
    })
    p.messageHandlers[MESSAGE_CONTROL] = (_encoder, decoder, prov) => {
      let msg
      try { msg = JSON.parse(decoding.readVarString(decoder)) } catch (e) {
        console.warn('[composer] bad CONTROL message', e)
        return
      }
      onControl(msg, prov)
    }
    p.messageHandlers[2] = (_encoder, decoder, prov) => { // AUTH: permission denied
      readAuthMessage(decoder, prov.doc, (_doc, reason) => {
        if (prov !== provider) return
        prov._tandemDenied = true
        setStatus('denied', reason)
        prov.disconnect()
      })
    }
    p.on('status', ({ status: s }) => {
      if (p !== provider || p._tandemDenied) return
      if (s === 'connected' && epoch !== null) sendControl({ t: 'resume', epoch })
      setStatus(s)
    })
    p.on('sync', (synced) => {
      if (p !== provider || !synced) return
      writeEarly()
      setStatus('synced')
      emitMaps()
    })
    p.on('closed', (ev) => { if (p === provider) setStatus('closed', ev) })
    p.awareness.on('change', () => { if (p === provider) emitPeers() })
    if (p.wsconnecting) setStatus('connecting') // emitted by the constructor, before our listener
    return p
  }

  const canEdit = () => editable && !readOnlyByServer && closed === null

  function applyEditable () {
    if (editor && !editor.isDestroyed) editor.setEditable(canEdit(), false)
    emitState()
  }

  // The room is gone for good: drop the connection without reconnecting (a socket to it would
  // be refused forever), keep the text readable, report `s`.
  function close (s = 'closed', detail) {
    if (destroyed || closed !== null || !collab) return
    closed = String(s)
    const p = provider
    provider = null // its last events (status "disconnected") are ignored from here on
    if (p) p.destroy() // also tells the peers our caret is gone
    applyEditable()
    emitPeers()
    setStatus(closed, detail)
  }

  // ---- editor / doc lifecycle -------------------------------------------------------------
  function build ({ connect }) {
    ydoc = new Y.Doc()
    early = collab ? { meta: new Map(), ticket: new Map() } : null
    const extensions = [...createExtensions({ collab: !!collab }), Submit, TriggerKeys]
    if (opts.placeholder) extensions.push(Placeholder.configure({ placeholder: String(opts.placeholder) }))
    if (collab) {
      provider = connect ? startProvider() : null
      extensions.push(Collaboration.configure({ document: ydoc, field: BODY }))
      if (provider) {
        const u = collab.user || {}
        extensions.push(CollaborationCaret.configure({
          provider,
          user: { id: u.id ?? null, name: u.name ?? '', color: u.color || '#74c0fc' }
        }))
      }
      const onMapChange = () => { if (!destroyed) emitMaps() }
      metaMap().observe(onMapChange)
      ticketMap().observe(onMapChange)
      attachmentsArr().observe(onMapChange)
    }
    editor = new Editor({
      element: el,
      extensions,
      content: collab ? undefined : (opts.html || ''),
      editable: canEdit(),
      editorProps,
      injectNonce: opts.cssNonce,
      onUpdate: ({ editor: ed, transaction }) => {
        if (typeof opts.onChange !== 'function') return
        // local: typed here (not a change that arrived from another editor)
        const remote = transaction && transaction.getMeta(ySyncPluginKey) && transaction.getMeta(ySyncPluginKey).isChangeOrigin
        call(opts.onChange, ed.getHTML(), !remote)
      },
      onTransaction: () => { emitState(); emitTrigger() }
    })
    emitPeers()
    emitState()
  }

  function teardown () {
    generation++
    if (editor && !editor.isDestroyed) editor.destroy()
    editor = null
    if (provider) provider.destroy() // also tells the peers our caret is gone
    provider = null
    if (ydoc) ydoc.destroy()
    ydoc = null
  }

  function resetDoc ({ reconnect = true, epoch: newEpoch = null } = {}) {
    if (destroyed) return
    teardown()
    epoch = newEpoch
    readOnlyByServer = false
    build({ connect: reconnect && closed === null })
    if (collab && closed !== null) setStatus(closed)
    else if (collab && !reconnect) setStatus('disconnected')
    if (collab) emitMaps() // the fresh doc is empty until it syncs
    if (typeof opts.onChange === 'function') call(opts.onChange, editor.getHTML())
  }

  build({ connect: true })

  const setKey = (map, key, value) => {
    if (value === undefined || value === null) map.delete(String(key))
    else map.set(String(key), value)
  }
  // setMeta/setTicketAttr: into the doc, or kept until it has synced (see `early`)
  const setShared = (name, key, value) => {
    if (!ydoc) return
    if (!early) return setKey(ydoc.getMap(name), key, value)
    early[name].set(String(key), value === undefined ? null : value)
    emitMaps()
  }
  // the doc has the server's state: the early entries go in after it, in one transaction
  function writeEarly () {
    if (!early || !ydoc) return
    const pending = early
    early = null
    if (pending.meta.size === 0 && pending.ticket.size === 0) return
    ydoc.transact(() => {
      for (const name of ['meta', 'ticket']) {
        for (const [key, value] of pending[name]) setKey(ydoc.getMap(name), key, value)
      }
    })
  }

  // ---- the handle ------------------------------------------------------------------------
  return {
    html: () => (editor ? sendableHtml(editor.getHTML()) : ''),
    setHtml: (html) => { if (editor) editor.commands.setContent(html || '', { emitUpdate: true }) },
    clear: () => { if (editor) editor.commands.clearContent(true) },
    focus: (where) => { if (editor) editor.commands.focus(where === undefined ? null : where) },
    isEmpty: () => (editor ? editor.isEmpty : true),
    setEditable: (on) => { editable = !!on; applyEditable() },
    command: (name, arg) => {
      if (!editor || editor.isDestroyed || closed !== null) return false
      if (name === 'quote') {
        // an article quoted at the end of the reply, then an empty line to answer below it
        const quoted = typeof arg === 'string' ? arg : ''
        if (quoted.trim() === '') return false
        return editor.chain().focus('end').insertContent(`<blockquote>${quoted}</blockquote><p></p>`).focus('end').run()
      }
      if (name === 'link') {
        const href = typeof arg === 'string' ? arg.trim() : ''
        if (href === '') return editor.chain().focus().extendMarkRange('link').unsetLink().run()
        if (editor.state.selection.empty && !editor.isActive('link')) {
          return editor.chain().focus().insertContent({ type: 'text', text: href, marks: [{ type: 'link', attrs: { href } }] }).run()
        }
        return editor.chain().focus().extendMarkRange('link').setLink({ href }).run()
      }
      const f = COMMANDS[name]
      if (!f) { console.warn(`[composer] unknown command ${name}`); return false }
      return f(editor.chain().focus()).run()
    },
    insertTrigger: (content) => {
      const open = triggerNow()
      const html = typeof content === 'string'
      const usable = html ? content.trim() !== '' : (content !== null && typeof content === 'object')
      if (open === null || !usable || closed !== null) return false
      const to = editor.state.selection.from
      return editor.chain().focus().insertContentAt({ from: to - open.length, to }, content).run()
    },
    trigger: () => (trigger ? trigger.query : null),
    triggerKind: () => (trigger ? trigger.kind : null),
    active: (name) => {
      if (!editor || editor.isDestroyed) return false
      const f = ACTIVE[name]
      try { return f ? !!f(editor) : editor.isActive(name) } catch (_) { return false }
    },
    state: () => stateOf(),
    meta: () => mapJSON('meta'),
    setMeta: (key, value) => setShared('meta', key, value),
    ticket: () => mapJSON('ticket'),
    setTicketAttr: (key, value) => setShared('ticket', key, value),
    attachments: () => (ydoc ? attachmentsArr().toJSON() : []),
    peers: () => peersCache.slice(),
    status: () => status,
    epoch: () => epoch,
    control: (obj) => sendControl(obj),
    resetDoc: (o) => resetDoc(o || {}),
    close: (s, detail) => close(s, detail),
    destroy: () => {
      if (destroyed) return
      teardown()
      destroyed = true
      el.classList.remove('tandem-composer')
    },
    // for tests and debugging, not for the Leptos side
    _editor: () => editor,
    _ydoc: () => ydoc,
    _provider: () => provider
  }
}

export default createComposer
