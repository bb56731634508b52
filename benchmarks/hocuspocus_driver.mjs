// Node side of `benchmarks/compare.py --hocuspocus`: stock HocuspocusProvider clients
// (@hocuspocus/provider 3.x, pinned in package.json) against one Hocuspocus server.
//
//   node hocuspocus_driver.mjs <workload> <server url> '<options JSON>'
//
// <server url> is what HocuspocusProviderWebsocket takes: ws://127.0.0.1:PORT for
// @hocuspocus/server (benchmarks/hocuspocus_server.mjs), ws://127.0.0.1:PORT/hocuspocus for
// collab. The client code is the same for both. Every provider gets a HocuspocusProviderWebsocket
// of its own, except in "multiplex", where each client opens `docs` providers on one socket.
// Progress goes to stderr; the result is one JSON line on stdout ("multiplex" first prints
// {"ready": ...}, then waits for a line on stdin before going on). Every loop is bounded by a
// count and a deadline.

import * as Y from 'yjs'
import WebSocket from 'ws'
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider'
import { createInterface } from 'node:readline'

process.setMaxListeners(0)

const [workload, serverUrl, optionsJson] = process.argv.slice(2)
const options = JSON.parse(optionsJson || '{}')
const prefix = options.prefix || 'bench'

// Close codes of sockets we did not close ourselves; providers refused by the server.
const closeCodes = {}
let connectErrors = 0
const errorMessages = []
let denied = 0

const now = () => performance.now()
/** Milliseconds on the wall clock, to the microsecond: comparable between driver processes. */
const wall = () => performance.timeOrigin + performance.now()
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const log = (...args) => console.error('  [hp-driver]', ...args)

/** A HocuspocusProviderWebsocket (connecting at once) that records closes it did not ask for. */
const openSocket = () => {
  const socket = new HocuspocusProviderWebsocket({ url: serverUrl, WebSocketPolyfill: WebSocket })
  socket.closingOnPurpose = false
  socket.on('close', ({ event }) => {
    if (socket.closingOnPurpose) return
    const code = event?.code ?? 'none'
    closeCodes[code] = (closeCodes[code] || 0) + 1
  })
  socket.on('disconnect', ({ event }) => {
    if (socket.closingOnPurpose || !event || event.code !== undefined) return
    connectErrors++
    const message = String(event.message || event.type || event)
    if (errorMessages.length < 3 && !errorMessages.includes(message)) errorMessages.push(message)
  })
  return socket
}

/** A provider for document `name` on `socket` (a new socket of its own if none is given). */
const openProvider = (name, doc, socket = openSocket()) => {
  const provider = new HocuspocusProvider({ websocketProvider: socket, name, document: doc })
  provider.attach()
  provider.on('authenticationFailed', ({ reason }) => {
    denied++
    if (errorMessages.length < 3 && !errorMessages.includes(reason)) errorMessages.push(reason)
  })
  return provider
}

const destroyAll = (providers) => {
  const sockets = new Set(providers.map((p) => p.configuration.websocketProvider))
  for (const socket of sockets) socket.closingOnPurpose = true
  for (const p of providers) p.destroy()
  for (const socket of sockets) socket.destroy()
}

/** Resolves when `provider` is synced, or rejects after `ms`. */
const synced = (provider, ms) => new Promise((resolve, reject) => {
  if (provider.isSynced) return resolve()
  const timer = setTimeout(() => { provider.off('synced', onSync); reject(new Error('sync timeout')) }, ms)
  const onSync = () => {
    clearTimeout(timer)
    provider.off('synced', onSync)
    resolve()
  }
  provider.on('synced', onSync)
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

async function fanout ({ readers = 20, rate = 50, seconds = 10 }) {
  const room = `${prefix}-fanout`
  const writerDoc = new Y.Doc()
  const writer = openProvider(room, writerDoc)
  const latencies = []
  const docs = Array.from({ length: readers }, () => new Y.Doc())
  for (const doc of docs) {
    const map = doc.getMap('m')
    map.observe(() => { latencies.push(now() - map.get('t')) })
  }
  const providers = [writer, ...docs.map((doc) => openProvider(room, doc))]
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
  destroyAll(providers)
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
  const providers = [openProvider(room, observerDoc), ...docs.map((doc) => openProvider(room, doc))]
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
  destroyAll(providers)
  return { updates_per_s: delivered / elapsed, sent: sent.reduce((a, b) => a + b, 0) }
}

async function convergence ({ clients = 8, edits = 200, seed = 7, timeout = 30000 }) {
  const room = `${prefix}-convergence`
  const docs = Array.from({ length: clients }, () => new Y.Doc())
  const providers = docs.map((doc) => openProvider(room, doc))
  await Promise.all(providers.map((p) => synced(p, 15000)))
  const rng = random(seed)
  const started = now()
  for (let round = 0; round < edits; round++) {
    for (const doc of docs) {
      const text = doc.getText('content')
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
    const text = docs[0].getText('content').toString()
    return docs.every((d) => Buffer.from(Y.encodeStateVector(d)).toString('base64') === vector &&
      d.getText('content').toString() === text)
  }
  const converged = await until(equal, timeout, 1)
  const convergeMs = converged ? now() - lastSent : null
  // Stored: every provider's unsynced changes at 0 (collab: committed; Hocuspocus: applied).
  const stored = await until(() => providers.every((p) => p.unsyncedChanges === 0), timeout, 1)
  const storedMs = stored ? now() - lastSent : null
  destroyAll(providers)
  return {
    converge_ms: convergeMs,
    acknowledged_ms: storedMs,
    edit_phase_ms: lastSent - started,
    length: docs[0].getText('content').length
  }
}

/** Opens `clients` clients, each with a socket of its own, at most `parallel` connecting at
 * once; client i joins room i % rooms. Then all disconnect at once and reconnect. */
async function reconnect ({ clients = 1000, rooms = 10, parallel = 50, timeout = 60000 }) {
  const providers = []
  const times = new Array(clients).fill(null)
  const deadline = now() + timeout
  let next = 0
  const worker = async () => {
    while (next < clients && now() < deadline) {
      const i = next++
      const started = now()
      const provider = openProvider(`${prefix}-storm-${i % rooms}`, new Y.Doc())
      providers.push(provider)
      try {
        await synced(provider, Math.max(1, deadline - now()))
        times[i] = now() - started
      } catch {}
    }
  }
  await Promise.all(Array.from({ length: parallel }, worker))
  const ready = times.filter((t) => t !== null).length
  log(`${ready}/${clients} synced; reconnecting all at once`)
  await sleep(1000)
  const sockets = providers.map((p) => p.configuration.websocketProvider)
  const resynced = new Array(providers.length).fill(null)
  const started = now()
  for (const socket of sockets) { socket.closingOnPurpose = true; socket.disconnect() }
  await until(() => sockets.every((s) => s.status === 'disconnected'), 10000, 5)
  providers.forEach((provider, i) => {
    provider.on('synced', () => { if (resynced[i] === null) resynced[i] = now() - started })
  })
  for (const socket of sockets) { socket.closingOnPurpose = false; socket.connect() }
  await until(() => resynced.every((t) => t !== null), timeout, 10)
  const ok = resynced.filter((t) => t !== null)
  destroyAll(providers)
  return {
    initially_synced: ready,
    resynced: ok.length,
    p50_ms: percentile(ok, 50),
    p99_ms: percentile(ok, 99),
    max_ms: ok.length ? Math.max(...ok) : null
  }
}

/** `count` clients (numbered from `first`), each one socket with `docs` providers on it: client
 * c opens documents (c * docs + k) % rooms for k < docs. A client's time is from opening its
 * socket to all of its documents synced; at most `parallel` clients connect at once, within
 * `timeout` ms. With `observe`, each provider on a document below `writerRooms` records the
 * delivery latency of the wall-clock stamps that a "multiWriters" driver sets in map 'm'. Prints
 * {"ready": ...}, waits (at most `hold` ms) for a line: the writers' {"sent": [per room]}, then
 * waits (at most `drain` ms) until every observer has seen its room's updates. */
async function multiplex ({
  first = 0, count = 1000, docs = 10, rooms = 1000, parallel = 50, timeout = 120000,
  settle = 2000, observe = false, writerRooms = 0, hold = 120000, drain = 30000
}) {
  const providers = []
  const sockets = []
  const times = new Array(count).fill(null)
  const latencies = []
  const observers = [] // [room, seen count] per observing provider
  const deadline = now() + timeout
  let next = 0
  const worker = async () => {
    while (next < count && now() < deadline) {
      const c = next++
      const started = now()
      const socket = openSocket()
      sockets.push(socket)
      const mine = []
      for (let k = 0; k < docs; k++) {
        const room = ((first + c) * docs + k) % rooms
        const doc = new Y.Doc()
        if (observe && room < writerRooms) {
          const entry = [room, 0]
          observers.push(entry)
          const map = doc.getMap('m')
          map.observe((event) => {
            if (!event.keysChanged.has('t')) return
            latencies.push(wall() - map.get('t'))
            entry[1]++
          })
        }
        mine.push(openProvider(`${prefix}-mux-${room}`, doc, socket))
      }
      providers.push(...mine)
      try {
        await Promise.all(mine.map((p) => synced(p, Math.max(1, deadline - now()))))
        times[c] = now() - started
      } catch {}
    }
  }
  const report = setInterval(() => log(`${times.filter((t) => t !== null).length}/${count} clients synced`), 10000)
  await Promise.all(Array.from({ length: parallel }, worker))
  clearInterval(report)
  const ok = times.filter((t) => t !== null)
  log(`${ok.length}/${count} clients synced; settling`)
  await sleep(settle)
  const connected = sockets.filter((s) => s.status === 'connected').length
  process.stdout.write(JSON.stringify({ ready: true, connected }) + '\n')
  const lines = createInterface({ input: process.stdin })
  const line = await Promise.race([
    new Promise((resolve) => { lines.once('line', resolve); lines.once('close', () => resolve('')) }),
    sleep(hold).then(() => '')
  ])
  lines.close()
  const sent = (line && JSON.parse(line).sent) || []
  const owed = (room) => sent[room] || 0
  const expected = observers.reduce((sum, [room]) => sum + owed(room), 0)
  if (expected > 0) await until(() => observers.every(([room, n]) => n >= owed(room)), drain, 20)
  const delivered = observers.reduce((sum, [room, n]) => sum + Math.min(n, owed(room)), 0)
  const stillConnected = sockets.filter((s) => s.status === 'connected').length
  const syncedDocs = providers.filter((p) => p.isSynced).length
  destroyAll(providers)
  return {
    synced: ok.length,
    synced_docs: syncedDocs,
    connected: stillConnected,
    times: ok.map((t) => Math.round(t * 10) / 10),
    latencies: latencies.map((t) => Math.round(t * 100) / 100),
    delivered,
    expected
  }
}

/** One socket with a provider on each document 0 .. writerRooms - 1 (as "multiplex" names
 * them); once synced, prints {"ready": ...} and waits for a line, then sets a wall-clock stamp
 * in map 'm' of each document in turn, `rate` times a second per document for `seconds`. */
async function multiWriters ({ writerRooms = 10, rate = 2, seconds = 10, timeout = 60000, hold = 240000 }) {
  const socket = openSocket()
  const docs = Array.from({ length: writerRooms }, () => new Y.Doc())
  const providers = docs.map((doc, j) => openProvider(`${prefix}-mux-${j}`, doc, socket))
  const ok = await Promise.all(providers.map((p) => synced(p, timeout).then(() => true, () => false)))
  process.stdout.write(JSON.stringify({ ready: true, writers_synced: ok.filter(Boolean).length }) + '\n')
  const lines = createInterface({ input: process.stdin })
  await Promise.race([
    new Promise((resolve) => { lines.once('line', resolve); lines.once('close', resolve) }),
    sleep(hold)
  ])
  lines.close()
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
  await sleep(200)
  const connected = socket.status === 'connected'
  destroyAll(providers)
  return { sent, writer_connected: connected }
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
  const providers = Array.from({ length: watchers }, () => openProvider(room, new Y.Doc()))
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
  const mover = openProvider(room, moverDoc)
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
    destroyAll([provider])
    await until(() => removals.length >= before + watchers, timeout)
  }
  await leave(mover, moverId)
  for (let i = 1; i < leaves; i++) {
    const doc = new Y.Doc()
    const joiner = openProvider(room, doc)
    await synced(joiner, 15000)
    joiner.awareness.setLocalStateField('cursor', { index: 0, t: wall() })
    await until(() => providers.every((p) => p.awareness.getStates().has(doc.clientID)), timeout)
    await leave(joiner, doc.clientID)
  }
  destroyAll(providers)
  return {
    change_p50_ms: percentile(changes, 50),
    change_p99_ms: percentile(changes, 99),
    changes_seen_pct: (100 * changes.length) / (count * watchers),
    leave_p50_ms: percentile(removals, 50),
    leave_max_ms: removals.length ? Math.max(...removals) : null,
    removed: removals.length
  }
}

const workloads = { presence, fanout, throughput, convergence, reconnect, multiplex, multiWriters }

const main = async () => {
  const run = workloads[workload]
  if (!run) throw new Error(`unknown workload ${workload}; one of ${Object.keys(workloads)}`)
  const result = await run(options)
  await sleep(200) // let close events of server-closed sockets arrive
  const line = JSON.stringify({
    ...result, close_codes: closeCodes, connect_errors: connectErrors, denied, errors: errorMessages
  })
  // Writes to a pipe are asynchronous: exiting before this one is flushed would cut it at 64 KiB.
  await new Promise((resolve) => process.stdout.write(line + '\n', resolve))
}

const hardStop = setTimeout(() => { log('driver deadline reached'); process.exit(3) }, options.deadline || 300000)
hardStop.unref()
main().then(() => process.exit(0), (error) => { log(error.stack || error); process.exit(1) })
