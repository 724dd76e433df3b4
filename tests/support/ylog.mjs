// Replay and audit a room's update log (tests/cluster): read from stdin one JSON object
// {snapshot: base64 | null, updates: [base64, ...], authors?: [string, ...]} and print one
// JSON line with
//   text:      the `code` text after applying the snapshot, then the updates in order;
//   items:     per client id, how many distinct item clocks the log holds (its characters);
//   overlaps:  clock ranges that two log entries both hold (an update persisted twice), but
//              for entries by `reconcile`: the reconciler's difference may repeat what follows
//              a hole in the log (codepair/hub/reconcile.py), which costs bytes, not text.
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
const authors = [log.snapshot ? 'snapshot' : null, ...(log.authors ?? log.updates.map(() => ''))]
const present = [log.snapshot, ...log.updates].map((b, i) => [b, authors[i]]).filter(([b]) => b)
const entries = present.map(([b]) => Buffer.from(b, 'base64'))
const byReconcile = present.map(([, author]) => author === 'reconcile')

const doc = new Y.Doc()
const ranges = new Map() // client -> [[clock, end, entry]]
const items = {}
entries.forEach((update, entry) => {
  Y.applyUpdate(doc, update)
  for (const struct of Y.decodeUpdate(update).structs) {
    if (struct.constructor.name === 'Skip') continue
    const { client, clock } = struct.id
    if (!ranges.has(client)) ranges.set(client, [])
    ranges.get(client).push([clock, clock + struct.length, entry, struct.constructor.name === 'Item'])
  }
})
const overlaps = []
for (const [client, list] of ranges) {
  list.sort((a, b) => a[0] - b[0])
  // Distinct clocks of Items (a clock held twice counts once).
  let covered = 0
  let reach = 0
  for (const [start, end, , isItem] of list) {
    if (isItem && end > Math.max(start, reach)) covered += end - Math.max(start, reach)
    if (isItem) reach = Math.max(reach, end)
  }
  if (covered) items[client] = covered
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length && list[j][0] < list[i][1]; j++) {
      if (byReconcile[list[i][2]] || byReconcile[list[j][2]]) continue
      overlaps.push({ client, a: list[i], b: list[j] })
    }
  }
}
process.stdout.write(JSON.stringify({
  text: doc.getText('code').toString(),
  items,
  overlaps: overlaps.slice(0, 20),
  entries: entries.length
}) + '\n')
