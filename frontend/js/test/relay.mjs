// An in-process stand-in for the Rust relay (collab-editing.md §6/§7.1), with a fake WebSocket
// class for y-websocket's WebSocketPolyfill option. Used by test/composer.mjs to exercise the
// composer's collaboration plumbing (sync, awareness, CONTROL 100, epochs, read-only role, AUTH
// denied) in Node. It is a test double, not a reference server.
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import * as syncProtocol from 'y-protocols/sync'
import * as awarenessProtocol from 'y-protocols/awareness'

export const MSG_SYNC = 0
export const MSG_AWARENESS = 1
export const MSG_AUTH = 2
export const MSG_QUERY_AWARENESS = 3
export const MSG_CONTROL = 100

const later = (f) => setTimeout(f, 0)

export class Room {
  constructor (name) {
    this.name = name
    this.epoch = 1
    this.role = 'edit' // role given to new connections
    this.deny = null // a reason string => AUTH permission denied on connect
    this.gone = false // the ticket was deleted: handshakes are refused (HTTP 404 before the upgrade)
    this.controls = [] // CONTROL messages received from clients
    this.conns = new Set()
    this.fresh()
  }

  fresh () {
    if (this.awareness) this.awareness.destroy()
    if (this.doc) this.doc.destroy()
    this.doc = new Y.Doc()
    this.awareness = new awarenessProtocol.Awareness(this.doc)
    this.awareness.setLocalState(null)
    this.doc.on('update', (update, origin) => {
      const enc = encoding.createEncoder()
      encoding.writeVarUint(enc, MSG_SYNC)
      syncProtocol.writeUpdate(enc, update)
      const buf = encoding.toUint8Array(enc)
      for (const c of this.conns) if (c !== origin) c.send(buf)
    })
    this.awareness.on('update', ({ added, updated, removed }) => {
      const changed = added.concat(updated, removed)
      const enc = encoding.createEncoder()
      encoding.writeVarUint(enc, MSG_AWARENESS)
      encoding.writeVarUint8Array(enc, awarenessProtocol.encodeAwarenessUpdate(this.awareness, changed))
      const buf = encoding.toUint8Array(enc)
      for (const c of this.conns) c.send(buf)
    })
  }

  /** DELETE / send: tell everyone, close the sockets, start a new epoch with an empty doc. */
  drop (t = 'deleted') {
    for (const c of [...this.conns]) c.control({ t })
    for (const c of [...this.conns]) c.close(1000)
    this.epoch++
    this.fresh()
  }

  /** The ticket is deleted: "ticket_deleted", the sockets close, every new handshake is refused. */
  remove () {
    for (const c of [...this.conns]) c.control({ t: 'ticket_deleted' })
    for (const c of [...this.conns]) c.close(1000)
    this.gone = true
  }

  text () { return this.doc.getXmlFragment('default').toString() }
}

export class ServerConn {
  constructor (room, socket) {
    this.room = room
    this.socket = socket
    this.clientIds = new Set()
    this.role = room.role
  }

  send (buf) { this.socket._deliver(buf) }
  control (obj) {
    const enc = encoding.createEncoder()
    encoding.writeVarUint(enc, MSG_CONTROL)
    encoding.writeVarString(enc, JSON.stringify(obj))
    this.send(encoding.toUint8Array(enc))
  }

  open () {
    const room = this.room
    if (room.deny) {
      const enc = encoding.createEncoder()
      encoding.writeVarUint(enc, MSG_AUTH)
      encoding.writeVarUint(enc, 0) // permission denied
      encoding.writeVarString(enc, room.deny)
      this.send(encoding.toUint8Array(enc))
      this.socket._serverClose(4403)
      return
    }
    room.conns.add(this)
    this.control({ t: 'hello', ticket_id: Number(room.name), epoch: room.epoch, rev: 0, role: this.role })
    const enc = encoding.createEncoder()
    encoding.writeVarUint(enc, MSG_SYNC)
    syncProtocol.writeSyncStep1(enc, room.doc)
    this.send(encoding.toUint8Array(enc))
    const states = [...room.awareness.getStates().keys()]
    if (states.length) {
      const a = encoding.createEncoder()
      encoding.writeVarUint(a, MSG_AWARENESS)
      encoding.writeVarUint8Array(a, awarenessProtocol.encodeAwarenessUpdate(room.awareness, states))
      this.send(encoding.toUint8Array(a))
    }
  }

  receive (buf) {
    const room = this.room
    if (!room.conns.has(this)) return
    const dec = decoding.createDecoder(buf)
    const enc = encoding.createEncoder()
    const type = decoding.readVarUint(dec)
    switch (type) {
      case MSG_SYNC: {
        encoding.writeVarUint(enc, MSG_SYNC)
        if (this.role === 'read') {
          // read-only peers may ask (step 1) but their updates are dropped
          const sub = decoding.readVarUint(dec)
          if (sub === syncProtocol.messageYjsSyncStep1) syncProtocol.readSyncStep1(dec, enc, room.doc)
        } else {
          syncProtocol.readSyncMessage(dec, enc, room.doc, this)
        }
        if (encoding.length(enc) > 1) this.send(encoding.toUint8Array(enc))
        break
      }
      case MSG_AWARENESS: {
        const update = decoding.readVarUint8Array(dec)
        // remember which awareness client ids this socket announced (cleanup on close)
        const d = decoding.createDecoder(update)
        const n = decoding.readVarUint(d)
        for (let i = 0; i < n; i++) {
          this.clientIds.add(decoding.readVarUint(d))
          decoding.readVarUint(d)
          decoding.readVarString(d)
        }
        awarenessProtocol.applyAwarenessUpdate(room.awareness, update, this)
        break
      }
      case MSG_QUERY_AWARENESS: {
        encoding.writeVarUint(enc, MSG_AWARENESS)
        encoding.writeVarUint8Array(enc, awarenessProtocol.encodeAwarenessUpdate(room.awareness, [...room.awareness.getStates().keys()]))
        this.send(encoding.toUint8Array(enc))
        break
      }
      case MSG_CONTROL: {
        const msg = JSON.parse(decoding.readVarString(dec))
        room.controls.push(msg)
        if (msg.t === 'resume' && msg.epoch !== room.epoch) this.control({ t: 'reset', epoch: room.epoch })
        if (msg.t === 'flush') this.control({ t: 'saved', rev: 1 })
        break
      }
      default:
        throw new Error(`relay: unknown message type ${type}`)
    }
  }

  closed () {
    if (!this.room.conns.delete(this)) return
    awarenessProtocol.removeAwarenessStates(this.room.awareness, [...this.clientIds], null)
  }

  close (code) { this.closed(); this.socket._serverClose(code) }
}

/** A relay with rooms, and the WebSocket class to hand to the composer. */
export function createRelay () {
  const rooms = new Map()
  const sockets = new Set()
  const urls = []
  const room = (name) => {
    if (!rooms.has(name)) rooms.set(name, new Room(name))
    return rooms.get(name)
  }
  class FakeWebSocket {
    static CONNECTING = 0
    static OPEN = 1
    static CLOSING = 2
    static CLOSED = 3
    constructor (url) {
      this.CONNECTING = 0; this.OPEN = 1; this.CLOSING = 2; this.CLOSED = 3
      this.url = url
      urls.push(url)
      this.readyState = 0
      this.binaryType = 'blob'
      this.onopen = this.onmessage = this.onclose = this.onerror = null
      sockets.add(this)
      const name = new URL(url).pathname.split('/').pop()
      this._conn = new ServerConn(room(name), this)
      later(() => {
        if (this.readyState !== 0) return
        if (this._conn.room.gone) {
          // a refused handshake, as a browser reports it: error, then close 1006, never open
          this.readyState = 3
          sockets.delete(this)
          if (this.onerror) this.onerror({})
          if (this.onclose) this.onclose({ code: 1006, reason: '' })
          return
        }
        this.readyState = 1
        this._conn.open() // hello + step 1 are on the wire before the client's first frame
        if (this.readyState === 1 && this.onopen) this.onopen({})
      })
    }

    send (data) {
      if (this.readyState !== 1) throw new Error('fake ws: send on a socket that is not open')
      const copy = new Uint8Array(data).slice()
      later(() => this._conn.receive(copy))
    }

    close () {
      if (this.readyState >= 2) return
      this.readyState = 3
      sockets.delete(this)
      later(() => {
        this._conn.closed()
        if (this.onclose) this.onclose({ code: 1000, reason: '' })
      })
    }

    _deliver (buf) {
      const copy = new Uint8Array(buf).slice()
      later(() => { if (this.readyState !== 3 && this.onmessage) this.onmessage({ data: copy.buffer }) })
    }

    _serverClose (code) {
      if (this.readyState >= 2) return
      this.readyState = 2 // frames already queued are still delivered, like a TCP close
      sockets.delete(this)
      later(() => { this.readyState = 3; if (this.onclose) this.onclose({ code, reason: '' }) })
    }
  }
  return {
    room,
    urls,
    WebSocket: FakeWebSocket,
    /** break every socket of a room without a goodbye (network loss) */
    cut (name) {
      for (const s of [...sockets]) if (s._conn.room === room(name)) { s._conn.closed(); s._serverClose(1006) }
    },
    destroy () { for (const r of rooms.values()) { r.awareness.destroy(); r.doc.destroy() } }
  }
}
