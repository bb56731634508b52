// Node side of benchmarks/cluster_bench.py: stock y-websocket 3.x clients spread over the
// processes of one collab cluster (or one process).
//
//   node cluster_driver.mjs <workload> '<options JSON>'
//
// options.urls lists the processes' WebSocket bases (ws://127.0.0.1:PORT/ws); client k of a
// workload goes to urls[k % urls.length] unless the workload says otherwise. The result is one
// JSON line on stdout; "outage" also reads lines on stdin (see there). Every loop is bounded by
// a count and a deadline; progress goes to stderr.

import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import { createInterface } from 'node:readline'

process.setMaxListeners(0)

const [workload, optionsJson] = process.argv.slice(2)
const options = JSON.parse(optionsJson || '{}')
const urls = options.urls
const prefix = options.prefix || 'cluster'

const now = () => performance.now()
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const log = (...args) => console.error('  [cluster driver]', ...args)

const connect = (url, room, doc) =>
  new WebsocketProvider(url, room, doc, { WebSocketPolyfill: WebSocket, disableBc: true })

const synced = (provider, ms) => new Promise((resolve, reject) => {
  if (provider.synced) return resolve()
  const timer = setTimeout(() => reject(new Error('sync timeout')), ms)
  provider.on('sync', (state) => { if (state) { clearTimeout(timer); resolve() } })
})

const until = async (condition, ms, step = 10) => {
  const deadline = now() + ms
  while (now() < deadline) {
    if (condition()) return true
    await sleep(step)
  }
  return condition()
}

const percentile = (values, p) => {
  if (values.length === 0) return null
  const sorted = Float64Array.from(values).sort()
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

const closeAll = (providers) => { for (const p of providers) p.destroy() }

/** One writer on urls[0] setting a timestamp `rate` times a second; `readersPer` readers on
 * every process. Delivery latency, split by whether the reader is on the writer's process. */
async function latency ({ readersPer = 10, rate = 100, seconds = 5, room = `${prefix}-latency` }) {
  const writerDoc = new Y.Doc()
  const providers = [connect(urls[0], room, writerDoc)]
  const same = []
  const other = []
  for (let p = 0; p < urls.length; p++) {
    for (let r = 0; r < readersPer; r++) {
      const doc = new Y.Doc()
      const map = doc.getMap('m')
      const into = p === 0 ? same : other
      map.observe(() => { into.push(now() - map.get('t')) })
      providers.push(connect(urls[p], room, doc))
    }
  }
  await Promise.all(providers.map((p) => synced(p, 30000)))
  const map = writerDoc.getMap('m')
  const count = Math.round(rate * seconds)
  const started = now()
  for (let i = 0; i < count; i++) {
    const wait = started + (i * 1000) / rate - now()
    if (wait > 0) await sleep(wait)
    map.set('t', now())
  }
  const expected = count * readersPer * urls.length
  await until(() => same.length + other.length >= expected, 10000)
  closeAll(providers)
  const all = [...same, ...other]
  return {
    same_p50_ms: percentile(same, 50),
    same_p99_ms: percentile(same, 99),
    other_p50_ms: percentile(other, 50),
    other_p99_ms: percentile(other, 99),
    all_p50_ms: percentile(all, 50),
    all_p99_ms: percentile(all, 99),
    all_max_ms: all.length ? Math.max(...all) : null,
    delivered: all.length / expected
  }
}

/** `rooms` rooms, each with `writers` writers spread over the processes and one observer on a
 * process of its own (where possible), each writer keeping `window` updates in flight to the
 * observer. Committed updates per second that reached the observers. */
async function throughput ({ rooms = 1, writers = 3, window = 16, seconds = 5, warmup = 1 }) {
  const state = []
  const providers = []
  for (let r = 0; r < rooms; r++) {
    const room = `${prefix}-tp-${r}`
    const observerDoc = new Y.Doc()
    providers.push(connect(urls[(r + writers) % urls.length], room, observerDoc))
    const docs = Array.from({ length: writers }, () => new Y.Doc())
    docs.forEach((doc, w) => providers.push(connect(urls[(r + w) % urls.length], room, doc)))
    state.push({ observed: observerDoc.getMap('m'), docs, seen: new Array(writers).fill(0), sent: new Array(writers).fill(0) })
  }
  await Promise.all(providers.map((p) => synced(p, 60000)))
  let stopAt = now() + (warmup + seconds) * 1000
  const pump = (s) => {
    if (now() >= stopAt) return
    for (let w = 0; w < writers; w++) {
      while (s.sent[w] - s.seen[w] < window) s.docs[w].getMap('m').set(`w${w}`, ++s.sent[w])
    }
  }
  for (const s of state) {
    s.observed.observe((event) => {
      for (const key of event.keysChanged) s.seen[Number(key.slice(1))] = s.observed.get(key)
      pump(s)
    })
  }
  const timer = setInterval(() => state.forEach(pump), 50)
  state.forEach(pump)
  const total = () => state.reduce((sum, s) => sum + s.seen.reduce((a, b) => a + b, 0), 0)
  await sleep(warmup * 1000)
  const before = total()
  const started = now()
  await sleep(seconds * 1000)
  const delivered = total() - before
  const elapsed = (now() - started) / 1000
  stopAt = 0
  clearInterval(timer)
  closeAll(providers)
  return { updates_per_s: delivered / elapsed }
}

/** A writer on urls[0] at `rate`/s and a reader on the last process, while the orchestrator
 * breaks the bus: it writes "break" on stdin, breaks it, writes "mend", mends it. Reports the
 * longest delivery delay, and how long after "mend" the reader had every update. */
async function outage ({ rate = 50, seconds = 60, room = `${prefix}-outage` }) {
  const writerDoc = new Y.Doc()
  const readerDoc = new Y.Doc()
  const providers = [connect(urls[0], room, writerDoc), connect(urls[urls.length - 1], room, readerDoc)]
  await Promise.all(providers.map((p) => synced(p, 30000)))
  const sentAt = new Map()
  const delays = []
  const readerMap = readerDoc.getMap('m')
  let lastSeen = 0
  readerMap.observe(() => {
    const i = readerMap.get('i')
    for (let k = lastSeen + 1; k <= i; k++) if (sentAt.has(k)) delays.push(now() - sentAt.get(k))
    lastSeen = Math.max(lastSeen, i)
  })
  const writerMap = writerDoc.getMap('m')
  let sent = 0
  let writing = true
  const write = async () => {
    const started = now()
    while (writing && now() - started < seconds * 1000) {
      sent++
      sentAt.set(sent, now())
      writerMap.set('i', sent)
      await sleep(1000 / rate)
    }
  }
  const writer = write()
  let mendedAt = null
  const lines = createInterface({ input: process.stdin })
  for await (const line of lines) {
    if (line === 'mend') { mendedAt = now(); break }
  }
  await until(() => lastSeen === sent, 20000)
  const caughtUp = lastSeen === sent ? now() - mendedAt : null
  writing = false
  await writer
  await until(() => lastSeen === sent, 10000)
  closeAll(providers)
  return {
    max_delay_ms: delays.length ? Math.max(...delays) : null,
    p50_ms: percentile(delays, 50),
    after_mend_ms: caughtUp,
    delivered: lastSeen === sent
  }
}

const workloads = { latency, throughput, outage }

const main = async () => {
  const run = workloads[workload]
  if (!run) throw new Error(`unknown workload ${workload}`)
  process.stdout.write(JSON.stringify(await run(options)) + '\n')
}

const hardStop = setTimeout(() => { log('driver deadline reached'); process.exit(3) }, options.deadline || 300000)
hardStop.unref()
main().then(() => process.exit(0), (error) => { log(error.stack || error); process.exit(1) })
