// Real y-websocket clients for the hub tests, driven over stdin/stdout with JSON lines.
//
// Each input line is a command {id, op, ...}; each reply is {id, ok, ...} or {id, error}.
// Unsolicited lines {event, client, ...} report socket closes. One process may hold many
// clients; each has its own WebSocket (disableBc: true, so they never sync in-process).
import readline from 'node:readline'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

const clients = new Map()

function out (obj) {
  process.stdout.write(JSON.stringify(obj) + '\n')
}

function get (name) {
  const c = clients.get(name)
  if (!c) throw new Error(`no client ${name}`)
  return c
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function waitFor (predicate, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) return false
    await sleep(5)
  }
  return true
}

function connect ({ client, url, doc, token, user, waitMs = 10000 }) {
  const ydoc = new Y.Doc()
  const provider = new WebsocketProvider(url, doc, ydoc, {
    params: token ? { token } : {},
    disableBc: true,
    WebSocketPolyfill: WebSocket,
    maxBackoffTime: 500
  })
  const c = { ydoc, provider, text: ydoc.getText('code'), closes: [] }
  clients.set(client, c)
  if (user) provider.awareness.setLocalStateField('user', user)
  provider.on('connection-close', (event) => {
    const info = { code: event ? event.code : null, reason: event ? String(event.reason || '') : '' }
    c.closes.push(info)
    out({ event: 'close', client, ...info })
  })
  return new Promise((resolve) => {
    if (provider.synced) return resolve({ synced: true })
    const timer = setTimeout(() => resolve({ synced: false, closes: c.closes }), waitMs)
    provider.once('sync', () => { clearTimeout(timer); resolve({ synced: true }) })
  })
}

const ops = {
  connect,
  async insert ({ client, index, text }) {
    const c = get(client)
    c.text.insert(index ?? c.text.length, text)
    return {}
  },
  // Type characters one by one at the end, with a pause between keystrokes.
  async type ({ client, text, delay = 0 }) {
    const c = get(client)
    for (const ch of text) {
      c.text.insert(c.text.length, ch)
      if (delay) await sleep(delay)
    }
    return {}
  },
  async text ({ client, name = 'code' }) {
    return { text: get(client).ydoc.getText(name).toString() }
  },
  async meta ({ client }) {
    return { meta: get(client).ydoc.getMap('meta').toJSON() }
  },
  async setMeta ({ client, key, value }) {
    get(client).ydoc.getMap('meta').set(key, value)
    return {}
  },
  // Delete `length` characters at `index` (the end when omitted).
  async remove ({ client, index, length }) {
    const c = get(client)
    c.text.delete(index ?? c.text.length - length, length)
    return {}
  },
  async waitText ({ client, text, timeout = 10000 }) {
    const c = get(client)
    const ok = await waitFor(() => c.text.toString() === text, timeout)
    return { ok, text: c.text.toString() }
  },
  async waitLength ({ client, length, timeout = 10000 }) {
    const c = get(client)
    const ok = await waitFor(() => c.text.length >= length, timeout)
    return { ok, text: c.text.toString() }
  },
  // Other clients' awareness states, as this client sees them.
  async awareness ({ client }) {
    const c = get(client)
    const mine = c.ydoc.clientID
    const states = []
    c.provider.awareness.getStates().forEach((state, id) => {
      if (id !== mine) states.push({ clientID: id, state })
    })
    return { states, clientID: mine }
  },
  // The board document: a Y.Map `elements` of Excalidraw element id -> element.
  async setElements ({ client, elements }) {
    const c = get(client)
    const map = c.ydoc.getMap('elements')
    c.ydoc.transact(() => { for (const el of elements) map.set(el.id, el) })
    return {}
  },
  // A project's files (the `files` Y.Map of Y.Text beside the entry file `code`).
  async setFiles ({ client, files, entry }) {
    const c = get(client)
    const map = c.ydoc.getMap('files')
    c.ydoc.transact(() => {
      if (entry !== undefined) c.ydoc.getMap('meta').set('entry', entry)
      for (const [path, text] of Object.entries(files)) {
        if (text === null) { map.delete(path); continue }
        const ytext = new Y.Text()
        ytext.insert(0, text)
        map.set(path, ytext)
      }
    })
    return {}
  },
  async editFile ({ client, path, index, text }) {
    get(client).ydoc.getMap('files').get(path).insert(index, text)
    return {}
  },
  async files ({ client }) {
    const c = get(client)
    return { files: Object.fromEntries([...c.ydoc.getMap('files').entries()].map(([k, v]) => [k, v.toString()])) }
  },
  async waitFiles ({ client, files, timeout = 10000 }) {
    const map = get(client).ydoc.getMap('files')
    const same = () => Object.entries(files).every(([k, v]) => map.has(k) && map.get(k).toString() === v)
    const ok = await waitFor(same, timeout)
    return { ok }
  },
  async elements ({ client }) {
    return { elements: get(client).ydoc.getMap('elements').toJSON() }
  },
  async waitElements ({ client, count, timeout = 10000 }) {
    const map = get(client).ydoc.getMap('elements')
    const ok = await waitFor(() => map.size === count, timeout)
    return { ok, elements: map.toJSON() }
  },
  // Any field of this client's awareness state (the IDE's open file is `file`).
  async setAwareness ({ client, field, value }) {
    get(client).provider.awareness.setLocalStateField(field, value)
    return {}
  },
  async setCursor ({ client, cursor }) {
    get(client).provider.awareness.setLocalStateField('cursor', cursor)
    return {}
  },
  async status ({ client }) {
    const c = get(client)
    return { connected: c.provider.wsconnected, synced: c.provider.synced, closes: c.closes }
  },
  async disconnect ({ client }) {
    const c = get(client)
    c.provider.destroy()
    clients.delete(client)
    return {}
  },
  // Let the provider reconnect after the server came back.
  async waitSynced ({ client, timeout = 15000 }) {
    const c = get(client)
    const ok = await waitFor(() => c.provider.wsconnected && c.provider.synced, timeout)
    return { ok }
  }
}

const rl = readline.createInterface({ input: process.stdin })
rl.on('line', async (line) => {
  let cmd
  try {
    cmd = JSON.parse(line)
  } catch {
    return
  }
  try {
    const result = await ops[cmd.op](cmd)
    out({ id: cmd.id, ok: true, ...result })
  } catch (err) {
    out({ id: cmd.id, error: String(err && err.stack ? err.stack : err) })
  }
})
rl.on('close', () => process.exit(0))
out({ event: 'ready' })
