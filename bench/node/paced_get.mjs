// Open-loop HTTP load for bench/rest_bench.py: GET a URL at a fixed rate, whatever the
// answers' latency (wrk has no fixed-rate mode), on keep-alive connections.
//
//   node paced_get.mjs --url U --token T --rate 200 --seconds 14
// Prints one JSON line: {sent, ok, errors, rps, p50, p99} (latencies in ms).
import http from 'node:http'

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, v, i, all) => (i % 2 ? acc : [...acc, [v.replace(/^--/, ''), all[i + 1]]]), [])
)
const url = new URL(args.url)
const rate = Number(args.rate)
const seconds = Number(args.seconds)
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 })
const now = () => Number(process.hrtime.bigint()) / 1e6

const latencies = []
let sent = 0
let ok = 0
let errors = 0

function one () {
  return new Promise((resolve) => {
    const start = now()
    const req = http.get(url, { agent, headers: { authorization: `Bearer ${args.token}` } }, (res) => {
      res.resume()
      res.on('end', () => {
        latencies.push(now() - start)
        if (res.statusCode === 200) ok++
        else errors++
        resolve()
      })
    })
    req.on('error', () => { errors++; resolve() })
  })
}

const pending = []
const begin = now()
const end = begin + seconds * 1000
while (now() < end) {
  const due = begin + (sent * 1000) / rate
  const wait = due - now()
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
  pending.push(one())
  sent++
}
const sending = (now() - begin) / 1000
await Promise.all(pending)
agent.destroy()
latencies.sort((a, b) => a - b)
const pct = (p) => latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : null
process.stdout.write(JSON.stringify({ sent, ok, errors, rps: sent / sending, p50: pct(0.5), p99: pct(0.99) }) + '\n')
