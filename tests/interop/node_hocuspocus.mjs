// Stock Hocuspocus providers (npm @hocuspocus/provider 2.15, 3.x or 4.x) driven by
// tests/interop/test_hocuspocus.py over stdin/stdout, one JSON object per line.
// Usage: node node_hocuspocus.mjs MAJOR
// Commands (stdin): {"cmd":"socket","socket":S,"url":U}
//   {"cmd":"open","id":P,"socket":S,"name":N,"token":T}   a provider for document N on socket S
//     ("tokens":[T1,T2,...] instead: a token function giving each in turn)
//   {"cmd":"insert","id":P,"text":X}   {"cmd":"presence","id":P,"name":X}
//   {"cmd":"stateless","id":P,"payload":X}   {"cmd":"detach","id":P}   {"cmd":"exit"}
// Events (stdout): every provider event as {"event":E,"id":P,...}, with the provider's text,
// its unsynced change count and the names in its awareness states where they apply.
import WebSocket from 'ws'
import * as Y from 'yjs'
import { createInterface } from 'node:readline'

const major = process.argv[2]
const { HocuspocusProvider, HocuspocusProviderWebsocket } = await import(`hocuspocus-provider-${major}`)

const sockets = new Map()
const providers = new Map()
const emit = (event) => process.stdout.write(JSON.stringify(event) + '\n')
// A provider that throws on a frame it cannot read does so from a socket listener: reported,
// so a test can tell, instead of ending the process.
process.on('uncaughtException', (error) => emit({ event: 'uncaught', message: String(error?.stack ?? error) }))

const names = (provider) =>
  [...provider.awareness.getStates().values()].map((state) => state.user?.name).filter(Boolean).sort()

function openSocket({ socket, url }) {
  const ws = new HocuspocusProviderWebsocket({ url, WebSocketPolyfill: WebSocket })
  ws.on('status', ({ status }) => emit({ event: 'status', socket, status }))
  ws.on('open', () => emit({ event: 'open', socket }))
  ws.on('close', ({ event }) => emit({ event: 'socketClose', socket, code: event?.code }))
  sockets.set(socket, ws)
}

function openProvider({ id, socket, name, token, tokens }) {
  const document = new Y.Doc()
  const text = document.getText('content')
  const options = { websocketProvider: sockets.get(socket), name, document }
  if (token !== undefined && token !== null) options.token = token
  if (tokens) {
    // A token function, as an app that fetches fresh tokens has: each call the next token
    // (the last one again once they run out), reported as a `token` event.
    let calls = 0
    options.token = () => {
      calls += 1
      emit({ event: 'token', id, calls })
      return tokens[Math.min(calls, tokens.length) - 1]
    }
  }
  if (major === '2') options.broadcast = false
  const provider = new HocuspocusProvider(options)
  if (major !== '2') provider.attach()
  providers.set(id, { provider, text })
  const state = () => ({ id, text: text.toString(), unsynced: provider.unsyncedChanges })
  provider.on('synced', () => emit({ event: 'synced', ...state() }))
  provider.on('authenticated', () =>
    emit({ event: 'authenticated', id, scope: provider.authorizedScope }),
  )
  provider.on('authenticationFailed', ({ reason }) => emit({ event: 'denied', id, reason }))
  provider.on('unsyncedChanges', () => emit({ event: 'unsynced', ...state() }))
  provider.on('stateless', ({ payload }) => emit({ event: 'stateless', id, payload }))
  provider.on('close', ({ event }) =>
    emit({ event: 'close', id, code: event?.code, reason: event?.reason }),
  )
  provider.awareness.on('change', () => emit({ event: 'awareness', id, names: names(provider) }))
  text.observe(() => emit({ event: 'text', ...state() }))
}

const commands = {
  socket: openSocket,
  open: openProvider,
  insert: ({ id, text }) => {
    const entry = providers.get(id)
    entry.text.insert(entry.text.length, text)
  },
  presence: ({ id, name }) => providers.get(id).provider.setAwarenessField('user', { name }),
  stateless: ({ id, payload }) => providers.get(id).provider.sendStateless(payload),
  detach: ({ id }) => {
    const { provider } = providers.get(id)
    if (major === '2') provider.disconnect()
    else provider.detach()
  },
  exit: () => {
    for (const { provider } of providers.values()) provider.destroy()
    for (const ws of sockets.values()) ws.destroy()
    process.exit(0)
  },
}

for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue
  const command = JSON.parse(line)
  try {
    commands[command.cmd](command)
    emit({ event: 'done', cmd: command.cmd, id: command.id ?? command.socket })
  } catch (error) {
    emit({ event: 'error', cmd: command.cmd, message: String(error?.stack ?? error) })
  }
}
