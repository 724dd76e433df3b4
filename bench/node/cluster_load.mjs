// Load generator for bench/cluster_bench.py: rooms with one writer and N readers, the readers
// spread over one or more instances (`--urls` holds `|`-separated URL templates; {room} is
// replaced by a room id). The writer is on the first instance; reader i on instance
// i % instances. Sends `--rate` keystroke updates per second in total, spread over the rooms,
// for `--seconds`, and prints one JSON line: latency percentiles for the readers on the
// writer's instance ("local") and on the others ("cross"), and updates lost.
import WebSocket from 'ws'
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, v, i, all) => (i % 2 ? acc : [...acc, [v.replace(/^--/, ''), all[i + 1]]]), [])
)
const urls = String(args.urls).split('|')
const rooms = String(args.rooms).split(',')
const readersPer = Number(args.readers || 10)
const rate = Number(args.rate || 1000)
const seconds = Number(args.seconds || 5)
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

function openClient (url, room) {
  const ws = new WebSocket(url.replace('{room}', room), { perMessageDeflate: false })
  const client = { ws, arrivals: [], closed: false }
  client.ready = new Promise((resolve, reject) => {
    ws.on('open', () => ws.send(STEP1_EMPTY))
    ws.on('message', (data) => {
      if (data[0] !== 0) return
      if (data[1] === 1 && !client.synced) {
        client.synced = true
        resolve(client)
      } else if (data[1] === 2) {
        client.arrivals.push(now())
      }
    })
    ws.on('error', reject)
    ws.on('close', () => { client.closed = true })
  })
  return client
}

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

const groups = []
for (const room of rooms) {
  const readers = []
  for (let i = 0; i < readersPer; i++) {
    const r = await openClient(urls[i % urls.length], room).ready
    r.cross = i % urls.length !== 0
    readers.push(r)
  }
  const writer = await openClient(urls[0], room).ready
  groups.push({ readers, writer, sendTimes: [] })
}
await sleep(500) // let the rooms' bus subscriptions settle
const perRoom = rate / groups.length
const n = Math.ceil(perRoom * seconds)
for (const g of groups) g.frames = makeUpdates(n)
const start = now()
let sent = 0
while (sent < n) {
  const due = Math.min(n, Math.floor(((now() - start) / 1000) * perRoom) + 1)
  for (; sent < due; sent++) {
    for (const g of groups) {
      g.sendTimes.push(now())
      g.writer.ws.send(g.frames[sent])
    }
  }
  await sleep(1)
}
const elapsed = (now() - start) / 1000
const deadline = now() + 15000
while (groups.some((g) => g.readers.some((r) => r.arrivals.length < n)) && now() < deadline) await sleep(10)
const lat = { local: [], cross: [] }
let lost = 0
for (const g of groups) {
  for (const r of g.readers) {
    lost += Math.max(0, n - r.arrivals.length)
    r.arrivals.forEach((t, i) => { if (i < n) lat[r.cross ? 'cross' : 'local'].push(t - g.sendTimes[i]) })
  }
}
const summary = (xs) => {
  xs.sort((a, b) => a - b)
  return { p50: percentile(xs, 50), p99: percentile(xs, 99), samples: xs.length }
}
process.stdout.write(JSON.stringify({
  achieved: Math.round((n * groups.length) / elapsed),
  local: summary(lat.local),
  cross: summary(lat.cross),
  lost,
  closed: groups.flatMap((g) => g.readers).filter((r) => r.closed).length
}) + '\n')
process.exit(0)
