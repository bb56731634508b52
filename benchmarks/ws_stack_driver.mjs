// Node side of benchmarks/ws_stack.py: plain `ws` clients against a one-room broadcast server.
//
//   node ws_stack_driver.mjs latency  <ws url> '<options JSON>'
//   node ws_stack_driver.mjs saturate <ws url> '<options JSON>'
//   node ws_stack_driver.mjs serve    <port>   (the same broadcast app on Node's `ws`, for scale)
//
// The server sends every binary message a client sends to every other connected client. Each
// message is `size` bytes: the sender's performance.now() (float64), writer id and sequence
// number (uint32 each), then lowercase letters from a fixed-seed generator (compressible, as
// Yjs updates partly are). Both modes print {"phase": "start"} and {"phase": "end"} on stdout
// around the measured window (the caller reads the server's CPU time then), then one JSON
// result line. Progress goes to stderr. Every loop is bounded by a count and a deadline.

import WebSocket, { WebSocketServer } from 'ws'
import { createServer } from 'node:http'

const [mode, target, optionsJson] = process.argv.slice(2)
const options = JSON.parse(optionsJson || '{}')

const now = () => performance.now()
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const log = (...args) => console.error('  [ws driver]', ...args)
const say = (object) => new Promise((resolve) => process.stdout.write(JSON.stringify(object) + '\n', resolve))

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

/** Deterministic PRNG (mulberry32). */
const random = (seed) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/** A message of `size` bytes (at least 16): header space, then letters. */
const template = (size) => {
  const rng = random(3)
  const letters = Array.from({ length: Math.max(0, size - 16) }, () => 97 + Math.floor(rng() * 26))
  return Buffer.concat([Buffer.alloc(16), Buffer.from(letters)])
}

const message = (shape, writer, seq) => {
  const data = Buffer.from(shape)
  data.writeDoubleLE(now(), 0)
  data.writeUInt32LE(writer, 8)
  data.writeUInt32LE(seq, 12)
  return data
}

/** Opens `count` sockets; resolves when all are open (rejects after `ms`). */
const openAll = async (count, ms) => {
  const sockets = Array.from({ length: count }, () => new WebSocket(target, { perMessageDeflate: true }))
  const opened = sockets.map((ws) => new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  }))
  const timer = sleep(ms).then(() => { throw new Error('connect timeout') })
  await Promise.race([Promise.all(opened), timer])
  for (const ws of sockets) ws.binaryType = 'nodebuffer'
  return sockets
}

const closeAll = (sockets) => { for (const ws of sockets) ws.terminate() }

const negotiated = (ws) => ws.extensions || ''

/** 1 writer at `rate` messages/s for `seconds` to `readers` readers: delivery latency. */
async function latency ({ readers = 20, rate = 100, seconds = 5, size = 100, connectMs = 15000 }) {
  const sockets = await openAll(readers + 1, connectMs)
  const [writer, ...others] = sockets
  const latencies = []
  let received = 0
  for (const ws of others) {
    ws.on('message', (data) => {
      latencies.push(now() - data.readDoubleLE(0))
      received++
    })
  }
  await sleep(500) // every socket is in the server's room
  const shape = template(size)
  const count = Math.round(rate * seconds)
  const cpu = process.cpuUsage()
  await say({ phase: 'start' })
  const started = now()
  for (let i = 0; i < count; i++) {
    const wait = started + (i * 1000) / rate - now()
    if (wait > 0) await sleep(wait)
    writer.send(message(shape, 0, i))
  }
  await until(() => received >= count * readers, 5000, 5)
  const elapsed = now() - started
  const used = process.cpuUsage(cpu)
  await say({ phase: 'end' })
  const extensions = negotiated(writer)
  closeAll(sockets)
  return {
    p50_ms: percentile(latencies, 50),
    p99_ms: percentile(latencies, 99),
    max_ms: latencies.length ? Math.max(...latencies) : null,
    delivered: received,
    expected: count * readers,
    driver_cpu_pct: (100 * (used.user + used.system)) / 1000 / elapsed,
    extensions
  }
}

/** `writers` writers each keeping `window` messages in flight (in flight: sent, not yet seen
 * by reader 0), `readers` readers; every message received by any socket, per second. */
async function saturate ({ readers = 20, writers = 4, window = 32, seconds = 5, warmup = 1, size = 100, connectMs = 15000 }) {
  const sockets = await openAll(readers + writers, connectMs)
  const writerSockets = sockets.slice(0, writers)
  const readerSockets = sockets.slice(writers)
  const sent = new Array(writers).fill(0)
  const seen = new Array(writers).fill(0)
  const shape = template(size)
  let running = true
  let received = 0
  const pump = () => {
    if (!running) return
    for (let w = 0; w < writers; w++) {
      while (sent[w] - seen[w] < window) writerSockets[w].send(message(shape, w, ++sent[w]))
    }
  }
  for (const ws of sockets) ws.on('message', () => { received++ })
  readerSockets[0].on('message', (data) => {
    const w = data.readUInt32LE(8)
    seen[w] = Math.max(seen[w], data.readUInt32LE(12))
    pump()
  })
  await sleep(500)
  const timer = setInterval(pump, 20) // in case the server stalls a writer
  pump()
  await sleep(warmup * 1000)
  const before = received
  const cpu = process.cpuUsage()
  await say({ phase: 'start' })
  const started = now()
  await sleep(seconds * 1000)
  const delivered = received - before
  const elapsed = now() - started
  const used = process.cpuUsage(cpu)
  await say({ phase: 'end' })
  running = false
  clearInterval(timer)
  const extensions = negotiated(readerSockets[0])
  closeAll(sockets)
  return {
    delivered_per_s: delivered / (elapsed / 1000),
    delivered,
    written: sent.reduce((a, b) => a + b, 0),
    driver_cpu_pct: (100 * (used.user + used.system)) / 1000 / elapsed,
    extensions
  }
}

/** The broadcast app on Node's `ws` (permessage-deflate off, its default), for scale. */
function serve (port) {
  const http = createServer((request, response) => { response.end('ok') })
  const wss = new WebSocketServer({ server: http })
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => {
      if (!isBinary) return
      for (const peer of wss.clients) {
        if (peer !== ws && peer.readyState === WebSocket.OPEN) peer.send(data)
      }
    })
  })
  http.listen(Number(port), '127.0.0.1')
  process.on('SIGTERM', () => process.exit(0))
}

if (mode === 'serve') {
  serve(target)
} else {
  const run = { latency, saturate }[mode]
  if (!run) throw new Error(`unknown mode ${mode}`)
  const hardStop = setTimeout(() => { log('driver deadline reached'); process.exit(3) }, options.deadline || 120000)
  hardStop.unref()
  run(options).then(
    async (result) => { await say(result); process.exit(0) },
    (error) => { log(error.stack || error); process.exit(1) }
  )
}
