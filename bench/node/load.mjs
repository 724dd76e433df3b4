// Load generator for bench/hub_bench.py: raw y-websocket protocol clients on `ws`.
//
// The same script drives our hub and the reference Node server; only the URL differs
// (`--url` is a template where {room} is replaced by a room id). Lean clients (no Y.Doc per
// reader) so that the load generator costs little next to the server it measures.
//
//   node load.mjs propagation --url T --rooms R1 --readers 20 --updates 1000 --rate 100
//   node load.mjs saturation  --url T --rooms R1,R2,... --readers 10 --rates 250,500,... --seconds 3
//   node load.mjs connect     --url T --rooms R1,R2,... --conns 2000
// Prints one JSON line with the results. `connect` then waits for a line on stdin before
// exiting, so that the caller can read the server's memory with every socket open.
import readline from 'node:readline'
import WebSocket from 'ws'
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'

const args = Object.fromEntries(
  process.argv.slice(3).reduce((acc, v, i, all) => (i % 2 ? acc : [...acc, [v.replace(/^--/, ''), all[i + 1]]]), [])
)
const mode = process.argv[2]
const rooms = String(args.rooms).split(',')
const now = () => Number(process.hrtime.bigint()) / 1e6 // ms
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

const STEP1_EMPTY = Uint8Array.from([0, 0, 1, 0])

function updateFrame (update) {
  const enc = encoding.createEncoder()
  encoding.writeVarUint(enc, 0)
  encoding.writeVarUint(enc, 2)
  encoding.writeVarUint8Array(enc, update)
  return encoding.toUint8Array(enc)
}

// A client that syncs (STEP1 -> STEP2) and counts update frames, with their arrival times.
function openClient (room, { record = false } = {}) {
  const url = args.url.replace('{room}', room)
  const ws = new WebSocket(url, { perMessageDeflate: false })
  ws.binaryType = 'nodebuffer'
  const client = { ws, arrivals: record ? [] : null, updates: 0, synced: null, closed: false }
  client.ready = new Promise((resolve, reject) => {
    ws.on('open', () => ws.send(STEP1_EMPTY))
    ws.on('message', (data) => {
      if (data[0] !== 0) return
      if (data[1] === 1 && !client.synced) {
        client.synced = now()
        resolve(client)
      } else if (data[1] === 2) {
        client.updates++
        if (client.arrivals) client.arrivals.push(now())
      }
    })
    ws.on('error', reject)
    ws.on('close', () => { client.closed = true })
  })
  return client
}

// Keystroke updates from a real Y.Doc, made before the clock starts.
function makeUpdates (n) {
  const doc = new Y.Doc()
  const text = doc.getText('code')
  const frames = []
  doc.on('update', (u) => frames.push(updateFrame(u)))
  for (let i = 0; i < n; i++) text.insert(text.length, String.fromCharCode(97 + (i % 26)))
  return frames
}

function percentile (sorted, p) {
  if (!sorted.length) return null
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

function latencies (sendTimes, readers) {
  const out = []
  for (const r of readers) {
    r.arrivals.forEach((t, i) => { if (i < sendTimes.length) out.push(t - sendTimes[i]) })
  }
  return out.sort((a, b) => a - b)
}

async function waitDelivered (readers, count, timeoutMs) {
  const deadline = now() + timeoutMs
  while (readers.some((r) => r.updates < count) && now() < deadline) await sleep(5)
}

async function propagation () {
  const n = Number(args.updates)
  const interval = 1000 / Number(args.rate)
  const readers = await Promise.all(
    Array.from({ length: Number(args.readers) }, () => openClient(rooms[0], { record: true }).ready)
  )
  const writer = await openClient(rooms[0]).ready
  const frames = makeUpdates(n)
  await sleep(200)
  const sendTimes = []
  const start = now()
  for (let i = 0; i < n; i++) {
    const due = start + i * interval
    while (now() < due) await sleep(Math.max(0, due - now() - 0.5))
    sendTimes.push(now())
    writer.ws.send(frames[i])
  }
  await waitDelivered(readers, n, 10000)
  const lat = latencies(sendTimes, readers)
  const lost = readers.reduce((acc, r) => acc + Math.max(0, n - r.updates), 0)
  return { p50: percentile(lat, 50), p99: percentile(lat, 99), samples: lat.length, lost }
}

async function saturation () {
  const readersPer = Number(args.readers)
  const seconds = Number(args.seconds || 3)
  const groups = []
  for (const room of rooms) {
    const readers = await Promise.all(
      Array.from({ length: readersPer }, () => openClient(room, { record: true }).ready)
    )
    const writer = await openClient(room).ready
    groups.push({ room, readers, writer })
  }
  const steps = []
  for (const rate of String(args.rates).split(',').map(Number)) {
    const perRoom = rate / groups.length
    const n = Math.ceil(perRoom * seconds)
    for (const g of groups) {
      g.frames = makeUpdates(n)
      g.sendTimes = []
      for (const r of g.readers) { r.arrivals = []; r.updates = 0 }
    }
    await sleep(300)
    const start = now()
    const tick = 2 // ms: send what is due every tick, spread over the rooms
    let sent = 0
    while (sent < n) {
      const due = Math.min(n, Math.floor(((now() - start) / 1000) * perRoom) + 1)
      for (; sent < due; sent++) {
        for (const g of groups) {
          g.sendTimes.push(now())
          g.writer.ws.send(g.frames[sent])
        }
      }
      await sleep(tick)
    }
    const elapsed = (now() - start) / 1000
    const all = groups.flatMap((g) => g.readers)
    await Promise.all(groups.map((g) => waitDelivered(g.readers, n, 15000)))
    const lat = groups.flatMap((g) => latencies(g.sendTimes, g.readers)).sort((a, b) => a - b)
    const lost = all.reduce((acc, r) => acc + Math.max(0, n - r.updates), 0)
    const closed = all.filter((r) => r.closed).length
    steps.push({
      rate,
      achieved: Math.round((n * groups.length) / elapsed),
      p50: percentile(lat, 50),
      p99: percentile(lat, 99),
      lost,
      closed
    })
    if (percentile(lat, 99) > 200 || closed) break
  }
  return { steps }
}

async function connect () {
  const total = Number(args.conns)
  const start = now()
  const clients = []
  for (let i = 0; i < total; i++) clients.push(openClient(rooms[i % rooms.length]))
  const settled = await Promise.allSettled(clients.map((c) => c.ready))
  const failed = settled.filter((s) => s.status === 'rejected').length
  const last = Math.max(...clients.map((c) => c.synced || 0))
  process.stdout.write(JSON.stringify({ seconds: (last - start) / 1000, failed }) + '\n')
  const rl = readline.createInterface({ input: process.stdin })
  await new Promise((resolve) => rl.once('line', resolve))
  for (const c of clients) c.ws.terminate()
  return null
}

const result = await { propagation, saturation, connect }[mode]()
if (result) process.stdout.write(JSON.stringify(result) + '\n')
process.exit(0)
