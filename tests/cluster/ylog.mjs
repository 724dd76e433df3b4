// Replay and audit a room's update log (tests/cluster): read from stdin one JSON object
// {snapshot: base64 | null, updates: [base64, ...]} and print one JSON line with
//   text:      the `code` text after applying the snapshot, then the updates in order;
//   items:     per client id, how many item clocks the log holds (its inserted characters);
//   overlaps:  clock ranges that two log entries both hold (an update persisted twice).
// yjs is loaded from tests/node, where the test clients' packages are installed.
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import path from 'node:path'

const here = path.dirname(fileURLToPath(import.meta.url))
const require = createRequire(path.join(here, '..', 'node', 'package.json'))
const Y = require('yjs')

let input = ''
for await (const chunk of process.stdin) input += chunk
const log = JSON.parse(input)
const entries = [log.snapshot, ...log.updates].filter(Boolean).map((b) => Buffer.from(b, 'base64'))

const doc = new Y.Doc()
const ranges = new Map() // client -> [[clock, end, entry]]
const items = {}
entries.forEach((update, entry) => {
  Y.applyUpdate(doc, update)
  for (const struct of Y.decodeUpdate(update).structs) {
    if (struct.constructor.name === 'Skip') continue
    const { client, clock } = struct.id
    if (!ranges.has(client)) ranges.set(client, [])
    ranges.get(client).push([clock, clock + struct.length, entry])
    if (struct.constructor.name === 'Item') items[client] = (items[client] || 0) + struct.length
  }
})
const overlaps = []
for (const [client, list] of ranges) {
  list.sort((a, b) => a[0] - b[0])
  for (let i = 1; i < list.length; i++) {
    if (list[i][0] < list[i - 1][1]) overlaps.push({ client, a: list[i - 1], b: list[i] })
  }
}
process.stdout.write(JSON.stringify({
  text: doc.getText('code').toString(),
  items,
  overlaps: overlaps.slice(0, 20),
  entries: entries.length
}) + '\n')
