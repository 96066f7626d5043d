// The web app's reply box around createComposer: what a page needs besides the editor.
//   - pasted or dropped images go inline (as data: URLs; the server turns them into inline
//     attachments when the article is stored), other files go to the upload cache
//     (POST /api/v1/attachments with the form_id) and show as chips the page renders
//   - unsent text of a local (not co-edited) reply is kept in localStorage until it is sent,
//     so a failed save or a closed tab never loses it
//   - in co-editing mode it remembers the shared draft id the server announces
//
// mountReply(el, opts) -> handle
//   opts {
//     formId, csrfToken       upload cache key and the session's CSRF token
//     storageKey?             localStorage key for unsent text (local mode only)
//     placeholder?, collab?   as createComposer (collab: {url, room, user, params})
//     editable?               false: read-only (watching a shared draft)
//     onChange?(empty, local) after every change: whether the reply is empty, and whether
//                             the change was made here (not by another co-editor)
//     onFiles?(list)          the uploaded files: [{id, filename, size, content_type}]
//     onBusy?(n)              uploads in flight
//     onError?(message)       an upload failed
//     onState?, onSubmit?, onPeers?, onStatus?, onMeta?, onTicket?   as createComposer
//     ticketId?               text modules (`::`, src/text-modules.js) for this ticket, read
//                             from GET /api/v1/text_modules?ticket_id=…&query=… (placeholders
//                             filled by the server; agents only). Default: the value of the
//                             nearest `[data-text-modules]` around `el` (the ticket view sets
//                             it to the ticket id for agents who may change the ticket)
//     mentions?: {load(query) -> Promise<[{id, name, email}]>}   `@` mentions (src/mentions.js):
//                             the agents who may be mentioned on this ticket matching the query
//                             (the page asks its server); without it, `@` opens nothing
//   }
//   handle: html(), isEmpty(), command(name, arg), active(name), focus(), addFiles(FileList),
//           removeFile(id), files(), sharedDraftId(), setMeta(key, value),
//           setTicketAttr(key, value), sent(), close(status), destroy(), composer
//           close(status): the ticket is gone, the draft socket stops for good (createComposer)

import { createComposer } from './composer.js'
import { textModulePicker } from './text-modules.js'
import { mentionPicker } from './mentions.js'

const INLINE_IMAGE_LIMIT = 2 * 1024 * 1024

function readDataUrl (file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader()
    reader.onload = () => resolve(String(reader.result))
    reader.onerror = () => reject(reader.error || new Error('cannot read the file'))
    reader.readAsDataURL(file)
  })
}

function storage () {
  try { return window.localStorage } catch (_) { return null }
}

export function mountReply (el, opts = {}) {
  const files = []
  let busy = 0
  let draftId = null
  let composer = null
  const store = !opts.collab && opts.storageKey ? storage() : null
  const call = (fn, ...args) => { if (typeof fn === 'function') { try { fn(...args) } catch (e) { console.error(e) } } }
  const changed = () => call(opts.onFiles, files.slice())
  const setBusy = (d) => { busy += d; call(opts.onBusy, busy) }

  async function toCache (file) {
    const form = new FormData()
    form.append('form_id', opts.formId)
    form.append('File', file, file.name)
    const res = await fetch('/api/v1/attachments', {
      method: 'POST',
      body: form,
      credentials: 'same-origin',
      headers: { 'X-CSRF-Token': opts.csrfToken || '' }
    })
    const body = await res.json().catch(() => ({}))
    if (!res.ok) throw new Error(body.error_human || body.error || `HTTP ${res.status}`)
    const data = body.data || body
    const entry = { id: data.id, filename: data.filename || file.name, size: Number(data.size || file.size), content_type: file.type || 'application/octet-stream' }
    files.push(entry)
    changed()
    return entry
  }

  async function upload (file) {
    setBusy(1)
    try {
      if ((file.type || '').startsWith('image/') && file.size <= INLINE_IMAGE_LIMIT) {
        return { url: await readDataUrl(file), filename: file.name, content_type: file.type }
      }
      await toCache(file)
      return { url: null } // a chip, nothing inline
    } finally {
      setBusy(-1)
    }
  }

  const collab = opts.collab && {
    ...opts.collab,
    onPeers: opts.onPeers,
    onStatus: opts.onStatus,
    onMeta: opts.onMeta,
    onTicket: opts.onTicket,
    onControl: (msg) => {
      if (msg && (msg.t === 'hello') && msg.shared_draft_id != null) draftId = msg.shared_draft_id
      if (msg && (msg.t === 'sent' || msg.t === 'deleted' || msg.t === 'ticket_deleted')) draftId = null
      call(opts.onControl, msg)
    }
  }

  const host = el.closest ? el.closest('[data-text-modules]') : null
  const ticketId = opts.ticketId ?? (host ? host.dataset.textModules : null)
  let noTextModules = false
  const picker = ticketId != null && opts.editable !== false
    ? textModulePicker(el, {
      load: async (query) => {
        if (noTextModules) throw new Error('no text modules')
        const url = `/api/v1/text_modules?ticket_id=${encodeURIComponent(ticketId)}&query=${encodeURIComponent(query)}`
        const res = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
        if (res.status === 401 || res.status === 403) noTextModules = true // customers: never again
        if (!res.ok) throw new Error(`HTTP ${res.status}`)
        return res.json()
      },
      insert: (html) => composer.insertTrigger(html)
    })
    : null
  const mentions = opts.mentions && typeof opts.mentions.load === 'function' && opts.editable !== false
    ? mentionPicker(el, {
      load: (query) => opts.mentions.load(query),
      insert: (content) => composer.insertTrigger(content)
    })
    : null
  // the list each trigger kind opens (createComposer reports the kind)
  const pickers = { textModule: picker, mention: mentions }

  composer = createComposer(el, {
    html: store ? (store.getItem(opts.storageKey) || '') : '',
    placeholder: opts.placeholder,
    editable: opts.editable !== false,
    onState: opts.onState,
    onSubmit: opts.onSubmit,
    onTrigger: (query, kind) => { if (pickers[kind]) pickers[kind].onTrigger(query) },
    onTriggerKey: (key, kind) => (pickers[kind] ? pickers[kind].onTriggerKey(key) : false),
    onChange: (html, local) => {
      const empty = composer ? composer.isEmpty() : false
      if (store) {
        try { if (empty) store.removeItem(opts.storageKey); else store.setItem(opts.storageKey, html) } catch (_) {}
      }
      call(opts.onChange, empty, local !== false)
    },
    onUpload: upload,
    onUploadError: (err, file) => call(opts.onError, `${file && file.name ? file.name : 'File'}: ${err && err.message ? err.message : err}`),
    collab
  })
  call(opts.onChange, composer.isEmpty(), false)

  return {
    composer,
    html: () => composer.html(),
    isEmpty: () => composer.isEmpty(),
    command: (name, arg) => composer.command(name, arg),
    active: (name) => composer.active(name),
    focus: () => composer.focus(),
    files: () => files.slice(),
    busy: () => busy,
    sharedDraftId: () => draftId,
    // co-editing: the draft's article settings (meta map) and ticket changes (ticket map)
    setMeta: (key, value) => composer.setMeta(key, value),
    setTicketAttr: (key, value) => composer.setTicketAttr(key, value),
    addFiles (list) {
      for (const file of Array.from(list || [])) {
        setBusy(1)
        toCache(file).catch((err) => call(opts.onError, `${file.name}: ${err.message || err}`)).finally(() => setBusy(-1))
      }
    },
    // files already in the upload cache (a forwarded article's copies) become chips too
    addCached (list) {
      for (const f of Array.from(list || [])) {
        if (!f || f.id == null || files.some((x) => x.id === f.id)) continue
        files.push({ id: f.id, filename: String(f.filename || 'file'), size: Number(f.size || 0), content_type: f.content_type || 'application/octet-stream' })
      }
      changed()
    },
    removeFile (id) {
      const i = files.findIndex((f) => f.id === id)
      if (i < 0) return
      files.splice(i, 1)
      changed()
      fetch(`/api/v1/attachments/${id}`, { method: 'DELETE', credentials: 'same-origin', headers: { 'X-CSRF-Token': opts.csrfToken || '' } }).catch(() => {})
    },
    // after a successful send: empty editor, no chips, nothing kept locally
    sent () {
      files.length = 0
      changed()
      if (store) { try { store.removeItem(opts.storageKey) } catch (_) {} }
      if (!opts.collab) composer.clear()
    },
    // the ticket is gone (deleted, no access): stop the draft socket for good, read-only
    close: (status) => composer.close(status),
    destroy: () => {
      for (const p of Object.values(pickers)) if (p) p.destroy()
      composer.destroy()
    }
  }
}
