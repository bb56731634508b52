// Node side of benchmarks/compare.py: stock y-websocket 3.x clients (yjs) against one server.
//
//   node compare_driver.mjs <workload> <server url> '<options JSON>'
//
// <server url> is what WebsocketProvider takes (the room name is appended): ws://127.0.0.1:PORT
// for @y/websocket-server, ws://127.0.0.1:PORT/ws for collab. The client code is the same for
// both. Progress goes to stderr; the result is one JSON line on stdout (workloads "connections"
// and "bigDoc" first print {"ready": ...}, then wait for a line on stdin before going on).
// Every loop is bounded by a count and a deadline.

import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import { createInterface } from 'node:readline'

process.setMaxListeners(0) // each provider adds an 'exit' listener

const [workload, serverUrl, optionsJson] = process.argv.slice(2)
const options = JSON.parse(optionsJson || '{}')
const prefix = options.prefix || 'bench'

// Close codes of sockets the server (or the network) closed, not the ones we closed ourselves.
const closeCodes = {}
let connectErrors = 0
const errorMessages = []

/** A `ws` WebSocket that counts the bytes it receives and records who closed it. */
class CountingSocket extends WebSocket {
  constructor (url, protocols) {
    super(url, protocols)
    this.bytesReceived = 0
    this.closedLocally = false
    this.addEventListener('message', (event) => { this.bytesReceived += event.data.byteLength })
    this.addEventListener('error', (event) => {
      if (this.closedLocally) return // closing a socket still connecting reports an error
      connectErrors++
      if (errorMessages.length < 3 && !errorMessages.includes(event.message)) errorMessages.push(event.message)
    })
    this.addEventListener('close', (event) => {
      if (!this.closedLocally) closeCodes[event.code] = (closeCodes[event.code] || 0) + 1
    })
  }

  close (...args) {
    // ws itself calls close() to answer a close frame from the server; that one is not ours.
    // (_closeFrameReceived is ws 8's, set just before; ws is pinned in package.json.)
    if (!this._closeFrameReceived) this.closedLocally = true
    super.close(...args)
  }
}

const now = () => performance.now()
/** Milliseconds on the wall clock, to the microsecond: comparable between driver processes. */
const wall = () => performance.timeOrigin + performance.now()
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const log = (...args) => console.error('  [driver]', ...args)

/** A stock provider; BroadcastChannel off, or clients in this process would sync without the server. */
const connect = (room, doc, connectNow = true) => new WebsocketProvider(serverUrl, room, doc, {
  WebSocketPolyfill: CountingSocket, disableBc: true, connect: connectNow
})

/** Resolves when `provider` is synced, or rejects after `ms`. */
const synced = (provider, ms) => new Promise((resolve, reject) => {
  if (provider.synced) return resolve()
  const timer = setTimeout(() => { provider.off('sync', onSync); reject(new Error('sync timeout')) }, ms)
  const onSync = (state) => {
    if (!state) return
    clearTimeout(timer)
    provider.off('sync', onSync)
    resolve()
  }
  provider.on('sync', onSync)
})

/** Waits until `condition()` holds, checking every `step` ms; false after `ms`. */
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

/** Deterministic PRNG (mulberry32), so both servers get the same edits. */
const random = (seed) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/** Opens clients first .. first + count - 1 (client i joins room i % rooms), at most `parallel`
 * connecting at once; each one's connect-to-synced time in ms (null: not synced in time). */
const openMany = async ({ first = 0, count, rooms, parallel, deadlineMs, setup = () => {} }) => {
  const providers = []
  const times = new Array(count).fill(null)
  const deadline = now() + deadlineMs
  let next = 0
  const worker = async () => {
    while (next < count && now() < deadline) {
      const i = next++
      const started = now()
      const provider = connect(`${prefix}-${(first + i) % rooms}`, new Y.Doc(), false)
      setup(provider, first + i)
      provider.connect()
      providers.push(provider)
      try {
        await synced(provider, Math.max(1, deadline - now()))
        times[i] = now() - started
      } catch {}
    }
  }
  const report = setInterval(() => {
    log(`${times.filter((t) => t !== null).length}/${count} synced`)
  }, 10000)
  await Promise.all(Array.from({ length: parallel }, worker))
  clearInterval(report)
  return { providers, times }
}

const closeAll = (providers) => { for (const p of providers) p.destroy() }

async function fanout ({ readers = 20, rate = 50, seconds = 10 }) {
  const room = `${prefix}-fanout`
  const writerDoc = new Y.Doc()
  const writer = connect(room, writerDoc)
  const latencies = []
  const docs = Array.from({ length: readers }, () => new Y.Doc())
  for (const doc of docs) {
    const map = doc.getMap('m')
    map.observe(() => { latencies.push(now() - map.get('t')) })
  }
  const providers = [writer, ...docs.map((doc) => connect(room, doc))]
  await Promise.all(providers.map((p) => synced(p, 15000)))
  const map = writerDoc.getMap('m')
  const count = Math.round(rate * seconds)
  const started = now()
  for (let i = 0; i < count; i++) {
    const wait = started + (i * 1000) / rate - now()
    if (wait > 0) await sleep(wait)
    map.set('t', now())
  }
  await until(() => latencies.length >= count * readers, 5000)
  closeAll(providers)
  return {
    p50_ms: percentile(latencies, 50),
    p99_ms: percentile(latencies, 99),
    delivered: latencies.length / (count * readers)
  }
}

async function throughput ({ writers = 4, window = 32, seconds = 5, warmup = 1 }) {
  const room = `${prefix}-throughput`
  const observerDoc = new Y.Doc()
  const seen = new Array(writers).fill(0)
  const sent = new Array(writers).fill(0)
  const observed = observerDoc.getMap('m')
  const docs = Array.from({ length: writers }, () => new Y.Doc())
  const providers = [connect(room, observerDoc), ...docs.map((doc) => connect(room, doc))]
  await Promise.all(providers.map((p) => synced(p, 15000)))
  let stopAt = now() + (warmup + seconds) * 1000
  const pump = () => {
    if (now() >= stopAt) return
    for (let i = 0; i < writers; i++) {
      while (sent[i] - seen[i] < window) docs[i].getMap('m').set(`w${i}`, ++sent[i])
    }
  }
  observed.observe((event) => {
    for (const key of event.keysChanged) seen[Number(key.slice(1))] = observed.get(key)
    pump()
  })
  const timer = setInterval(pump, 50) // in case the server stalls a writer
  pump()
  const total = () => seen.reduce((a, b) => a + b, 0)
  await sleep(warmup * 1000)
  const before = total()
  const started = now()
  await sleep(seconds * 1000)
  const delivered = total() - before
  const elapsed = (now() - started) / 1000
  stopAt = 0
  clearInterval(timer)
  closeAll(providers)
  return { updates_per_s: delivered / elapsed, sent: sent.reduce((a, b) => a + b, 0) }
}

async function convergence ({ clients = 8, edits = 200, seed = 7, timeout = 30000 }) {
  const room = `${prefix}-convergence`
  const docs = Array.from({ length: clients }, () => new Y.Doc())
  const providers = docs.map((doc) => connect(room, doc))
  await Promise.all(providers.map((p) => synced(p, 15000)))
  const rng = random(seed)
  const started = now()
  for (let round = 0; round < edits; round++) {
    for (const doc of docs) {
      const text = doc.getText('t')
      const length = text.length
      if (length > 0 && rng() < 0.4) {
        const at = Math.floor(rng() * length)
        text.delete(at, Math.min(1 + Math.floor(rng() * 3), length - at))
      } else {
        text.insert(Math.floor(rng() * (length + 1)), 'abcdefgh'.slice(0, 1 + Math.floor(rng() * 8)))
      }
    }
    await new Promise((resolve) => setImmediate(resolve)) // let remote updates in between
  }
  const lastSent = now()
  const equal = () => {
    const vector = Buffer.from(Y.encodeStateVector(docs[0])).toString('base64')
    const text = docs[0].getText('t').toString()
    return docs.every((d) => Buffer.from(Y.encodeStateVector(d)).toString('base64') === vector &&
      d.getText('t').toString() === text)
  }
  const converged = await until(equal, timeout, 1)
  const convergeMs = converged ? now() - lastSent : null
  closeAll(providers)
  return { converge_ms: convergeMs, edit_phase_ms: lastSent - started, length: docs[0].getText('t').length }
}

/** Opens `count` clients with awareness and holds them open until a line arrives on stdin.
 * With `observe`, each client in rooms 0 .. writerRooms - 1 records the delivery latency of the
 * wall-clock stamps a `writers` driver sets in map 'm'; the stdin line is then the writers'
 * result ({"sent": [updates sent to room 0, 1, ...]}), and the clients wait (at most `drain` ms)
 * until each has seen all of its room's updates before closing. At most `hold` ms waits for
 * the line. */
async function connections ({
  first = 0, count = 5000, rooms = 100, parallel = 50, settle = 3000, timeout = 120000,
  observe = false, writerRooms = 0, drain = 5000, hold = 60000
}) {
  const latencies = []
  const got = new Array(count).fill(0)
  const { providers, times } = await openMany({
    first,
    count,
    rooms,
    parallel,
    deadlineMs: timeout,
    setup: (provider, i) => {
      provider.awareness.setLocalState({ user: { name: `user ${i}`, color: '#30bced' } })
      if (!observe || i % rooms >= writerRooms) return
      const map = provider.doc.getMap('m')
      map.observe((event) => {
        if (!event.keysChanged.has('t')) return
        latencies.push(wall() - map.get('t'))
        got[i - first]++
      })
    }
  })
  const ok = times.filter((t) => t !== null)
  log(`${ok.length}/${count} synced; waiting for awareness to settle`)
  await sleep(settle)
  const connected = providers.filter((p) => p.wsconnected).length
  process.stdout.write(JSON.stringify({ ready: true, connected }) + '\n')
  const lines = createInterface({ input: process.stdin })
  const line = await Promise.race([
    new Promise((resolve) => { lines.once('line', resolve); lines.once('close', () => resolve('')) }),
    sleep(hold).then(() => '')
  ])
  lines.close()
  const sent = (line && JSON.parse(line).sent) || []
  let expected = 0
  const owed = (k) => (observe && (first + k) % rooms < writerRooms ? sent[(first + k) % rooms] || 0 : 0)
  for (let k = 0; k < count; k++) expected += owed(k)
  if (expected > 0) await until(() => got.every((n, k) => n >= owed(k)), drain, 20)
  const stillConnected = providers.filter((p) => p.wsconnected).length
  closeAll(providers)
  const result = { synced: ok.length, connected: stillConnected, times: ok.map((t) => Math.round(t * 10) / 10) }
  if (!observe) return result
  const delivered = got.reduce((sum, n, k) => sum + Math.min(n, owed(k)), 0)
  return { ...result, latencies: latencies.map((t) => Math.round(t * 100) / 100), delivered, expected }
}

/** One writer in each of rooms 0 .. writerRooms - 1, each setting a wall-clock stamp in map
 * 'm' `rate` times a second for `seconds`; the writers take turns, evenly spread. They join
 * first: once synced they print {"ready": ...} and wait (at most `hold` ms) for a line on
 * stdin, while the caller brings in the readers (a `connections` driver run with `observe`). */
async function writers ({ rooms = 100, writerRooms = 1, rate = 20, seconds = 5, timeout = 60000, hold = 240000 }) {
  const docs = Array.from({ length: writerRooms }, () => new Y.Doc())
  const providers = docs.map((doc, j) => connect(`${prefix}-${j % rooms}`, doc))
  const started = now()
  const ok = await Promise.all(providers.map((p) => synced(p, timeout).then(() => true, () => false)))
  const syncMs = now() - started
  const syncedWriters = ok.filter(Boolean).length
  if (syncedWriters < writerRooms) log(`only ${syncedWriters}/${writerRooms} writers synced`)
  process.stdout.write(JSON.stringify({ ready: true, writers_synced: syncedWriters }) + '\n')
  const lines = createInterface({ input: process.stdin })
  await Promise.race([
    new Promise((resolve) => { lines.once('line', resolve); lines.once('close', resolve) }),
    sleep(hold)
  ])
  lines.close()
  const connectedAtStart = providers.filter((p) => p.wsconnected).length
  const perWriter = Math.round(rate * seconds)
  const sent = new Array(writerRooms).fill(0)
  const maps = docs.map((doc) => doc.getMap('m'))
  const begin = now()
  const step = 1000 / (rate * writerRooms)
  for (let e = 0; e < perWriter * writerRooms; e++) {
    const wait = begin + e * step - now()
    if (wait > 0) await sleep(wait)
    const j = e % writerRooms
    maps[j].set('t', wall())
    sent[j]++
  }
  const lateMs = now() - begin - (perWriter * writerRooms - 1) * step
  await until(() => providers.every((p) => !p.ws || p.ws.bufferedAmount === 0), 10000, 5)
  await sleep(200)
  const connectedAtEnd = providers.filter((p) => p.wsconnected).length
  closeAll(providers)
  return {
    sent,
    sync_ms: syncMs,
    late_ms: lateMs,
    writers_synced: syncedWriters,
    writers_connected: Math.min(connectedAtStart, connectedAtEnd)
  }
}

/** Builds the room's history: `updates` small inserts at random places, one message each. */
async function seed (room, updates) {
  const doc = new Y.Doc()
  const provider = connect(room, doc)
  await synced(provider, 15000)
  const text = doc.getText('t')
  const rng = random(11)
  const started = now()
  for (let i = 0; i < updates; i++) {
    text.insert(Math.floor(rng() * (text.length + 1)), 'xy')
    if (i % 500 === 499) {
      await until(() => !provider.ws || provider.ws.bufferedAmount < 1 << 20, 60000, 1)
    }
  }
  await until(() => !provider.ws || provider.ws.bufferedAmount === 0, 60000, 5)
  const expected = text.toString()
  const deadline = now() + 180000
  let stored = false
  while (!stored && now() < deadline) { // a fresh client sees everything: the server has it all
    const checkDoc = new Y.Doc()
    const checker = connect(room, checkDoc)
    try {
      await synced(checker, 60000)
      stored = checkDoc.getText('t').toString() === expected
    } catch {}
    checker.destroy()
    if (!stored) await sleep(500)
  }
  log(`seeded ${updates} updates in ${Math.round(now() - started)} ms (complete: ${stored})`)
  return { provider, length: expected.length, seed_ms: now() - started, stored }
}

async function join (room, length) {
  const doc = new Y.Doc()
  const started = now()
  const provider = connect(room, doc)
  await synced(provider, 120000)
  const joinMs = now() - started
  const bytes = provider.ws ? provider.ws.bytesReceived : null
  const received = doc.getText('t').length
  provider.destroy()
  return { join_ms: joinMs, bytes, complete: length === null ? null : received === length, length: received }
}

/** phase "seed" (collab: the server is restarted after), "join", or "both" (the reference
 * server keeps a room only while someone is connected, so the seeding client stays). */
async function coldJoin ({ phase = 'both', updates = 100000, length = null }) {
  const room = `${prefix}-history`
  if (phase === 'seed') {
    const seeded = await seed(room, updates)
    seeded.provider.destroy()
    return { length: seeded.length, seed_ms: seeded.seed_ms, stored: seeded.stored }
  }
  if (phase === 'join') return join(room, length)
  const seeded = await seed(room, updates)
  const result = await join(room, seeded.length)
  seeded.provider.destroy()
  return { ...result, seed_ms: seeded.seed_ms }
}

/** A room of ~`megabytes` MB of Y.Text, seeded by one client in `chunk`-byte inserts (one
 * message each, fewer than collab's per-message limit), which stays connected (the reference
 * keeps a room only while someone is connected). A probe client that joined while the room
 * was empty sees every chunk arrive: then the server holds them all. Then `joiners` clients
 * join at once (their connect-to-synced times), {"ready": ...} is printed and a stdin line
 * awaited (the caller reads the server's memory), and the seeding client makes small edits
 * (one character into the text plus a stamp in map 'm') `rate` times a second for `seconds`,
 * whose delivery latency the joiners record. */
async function bigDoc ({ megabytes = 10, chunk = 100000, joiners = 10, rate = 20, seconds = 5, timeout = 120000 }) {
  const room = `${prefix}-bigdoc`
  const doc = new Y.Doc()
  const seeder = connect(room, doc)
  const probeDoc = new Y.Doc()
  const probe = connect(room, probeDoc)
  await Promise.all([synced(seeder, 15000), synced(probe, 15000)])
  const text = doc.getText('t')
  const chunks = Math.ceil((megabytes * 1e6) / chunk)
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789 '
  const started = now()
  for (let i = 0; i < chunks && now() - started < timeout; i++) {
    let piece = ''
    while (piece.length < chunk) piece += alphabet.slice(i % alphabet.length) + alphabet
    text.insert(text.length, piece.slice(0, chunk))
    await until(() => !seeder.ws || seeder.ws.bufferedAmount < 1 << 20, timeout, 1)
  }
  const length = text.length
  const stored = await until(() => probeDoc.getText('t').length === length, timeout, 20)
  const seedMs = now() - started
  probe.destroy()
  log(`seeded ${length} characters in ${Math.round(seedMs)} ms (complete: ${stored})`)
  await sleep(1000)
  const docs = Array.from({ length: joiners }, () => new Y.Doc())
  const latencies = []
  const got = new Array(joiners).fill(0)
  docs.forEach((joinerDoc, i) => {
    const map = joinerDoc.getMap('m')
    map.observe((event) => {
      if (!event.keysChanged.has('t')) return
      latencies.push(now() - map.get('t'))
      got[i]++
    })
  })
  const joinStart = now()
  const times = new Array(joiners).fill(null)
  const providers = docs.map((joinerDoc) => connect(room, joinerDoc))
  await Promise.all(providers.map((p, i) => synced(p, timeout).then(() => { times[i] = now() - joinStart }, () => {})))
  const joined = times.filter((t) => t !== null)
  const complete = docs.filter((d) => d.getText('t').length === length).length
  const bytes = providers.map((p) => (p.ws ? p.ws.bytesReceived : 0))
  process.stdout.write(JSON.stringify({ ready: true, joined: joined.length }) + '\n')
  const lines = createInterface({ input: process.stdin })
  await Promise.race([
    new Promise((resolve) => { lines.once('line', resolve); lines.once('close', resolve) }),
    sleep(60000)
  ])
  lines.close()
  const map = doc.getMap('m')
  const rng = random(5)
  const count = Math.round(rate * seconds)
  const editStart = now()
  for (let i = 0; i < count; i++) {
    const wait = editStart + (i * 1000) / rate - now()
    if (wait > 0) await sleep(wait)
    doc.transact(() => {
      text.insert(Math.floor(rng() * (text.length + 1)), 'x')
      map.set('t', now())
    })
  }
  await until(() => got.every((n) => n >= count), 5000, 10)
  closeAll([seeder, ...providers])
  return {
    length,
    stored,
    seed_ms: seedMs,
    joined: joined.length,
    complete,
    join_times: joined.map((t) => Math.round(t * 10) / 10),
    join_p50_ms: percentile(joined, 50),
    join_p99_ms: percentile(joined, 99),
    join_bytes: Math.max(0, ...bytes),
    latency_p50_ms: percentile(latencies, 50),
    latency_p99_ms: percentile(latencies, 99),
    delivered: got.reduce((sum, n) => sum + Math.min(n, count), 0) / (count * joiners)
  }
}

async function reconnect ({ clients = 1000, rooms = 10, parallel = 50, timeout = 60000 }) {
  const { providers, times } = await openMany({ count: clients, rooms, parallel, deadlineMs: timeout })
  const ready = times.filter((t) => t !== null).length
  log(`${ready}/${clients} synced; reconnecting all at once`)
  await sleep(1000)
  const resynced = new Array(providers.length).fill(null)
  const started = now()
  providers.forEach((provider, i) => {
    provider.on('sync', (state) => { if (state && resynced[i] === null) resynced[i] = now() - started })
  })
  for (const provider of providers) provider.disconnect()
  for (const provider of providers) provider.connect()
  await until(() => resynced.every((t) => t !== null), timeout, 10)
  const ok = resynced.filter((t) => t !== null)
  closeAll(providers)
  return {
    initially_synced: ready,
    resynced: ok.length,
    p50_ms: percentile(ok, 50),
    p99_ms: percentile(ok, 99),
    max_ms: ok.length ? Math.max(...ok) : null
  }
}

/**
 * Presence: `watchers` clients in a room, then one more moves its cursor `rate` times a second
 * for `seconds` (each state carries its wall-clock time), then leaves gracefully (destroy: the
 * provider sends its removal). Then `leaves - 1` more clients join one after another, each
 * leaving once every watcher has its state. Latency from each change to each watcher seeing it;
 * from each leave to each watcher's removal of the client (one leave alone is one event, too
 * few samples for a median).
 */
async function presence ({ watchers = 10, rate = 25, seconds = 4, leaves = 10, timeout = 10000 }) {
  const room = `${prefix}-presence`
  const changes = []
  const removals = []
  let left = null
  let moverId = null
  let leaverId = null // the client whose leave is being timed
  const providers = Array.from({ length: watchers }, () => connect(room, new Y.Doc()))
  for (const provider of providers) {
    const seen = new Set()
    provider.awareness.on('change', ({ added, updated, removed }) => {
      const at = wall()
      if (left !== null && removed.includes(leaverId)) {
        removals.push(at - left)
        return
      }
      if (moverId === null) return
      if (!added.includes(moverId) && !updated.includes(moverId)) return
      const t = provider.awareness.getStates().get(moverId)?.cursor?.t
      if (t !== undefined && !seen.has(t)) {
        seen.add(t)
        changes.push(at - t)
      }
    })
  }
  await Promise.all(providers.map((p) => synced(p, 15000)))
  const moverDoc = new Y.Doc()
  const mover = connect(room, moverDoc)
  moverId = moverDoc.clientID
  await synced(mover, 15000)
  await sleep(200) // the join's own awareness traffic settles
  const count = Math.round(rate * seconds)
  const started = now()
  for (let i = 0; i < count; i++) {
    const wait = started + (i * 1000) / rate - now()
    if (wait > 0) await sleep(wait)
    mover.awareness.setLocalStateField('cursor', { index: i, t: wall() })
  }
  await until(() => changes.length >= count * watchers, timeout)
  const leave = async (provider, clientId) => {
    const before = removals.length
    leaverId = clientId
    left = wall()
    closeAll([provider])
    await until(() => removals.length >= before + watchers, timeout)
  }
  await leave(mover, moverId)
  for (let i = 1; i < leaves; i++) {
    const doc = new Y.Doc()
    const joiner = connect(room, doc)
    await synced(joiner, 15000)
    joiner.awareness.setLocalStateField('cursor', { index: 0, t: wall() })
    await until(() => providers.every((p) => p.awareness.getStates().has(doc.clientID)), timeout)
    await leave(joiner, doc.clientID)
  }
  closeAll(providers)
  return {
    change_p50_ms: percentile(changes, 50),
    change_p99_ms: percentile(changes, 99),
    changes_seen_pct: (100 * changes.length) / (count * watchers),
    leave_p50_ms: percentile(removals, 50),
    leave_max_ms: removals.length ? Math.max(...removals) : null,
    removed: removals.length
  }
}

const workloads = { presence, fanout, throughput, convergence, connections, writers, coldJoin, bigDoc, reconnect }

const main = async () => {
  const run = workloads[workload]
  if (!run) throw new Error(`unknown workload ${workload}; one of ${Object.keys(workloads)}`)
  const result = await run(options)
  await sleep(200) // let close events of server-closed sockets arrive
  const line = JSON.stringify({ ...result, close_codes: closeCodes, connect_errors: connectErrors, errors: errorMessages })
  // Writes to a pipe are asynchronous: exiting before this one is flushed would cut it at 64 KiB.
  await new Promise((resolve) => process.stdout.write(line + '\n', resolve))
}

const hardStop = setTimeout(() => { log('driver deadline reached'); process.exit(3) }, options.deadline || 300000)
hardStop.unref()
main().then(() => process.exit(0), (error) => { log(error.stack || error); process.exit(1) })
