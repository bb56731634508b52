// @hocuspocus/server with its SQLite extension, as its users deploy it, for
// `benchmarks/compare.py --hocuspocus`: default server settings (store debounce 2 s, at most
// 10 s), documents kept in the SQLite file DATABASE.
//
//   PORT=1234 DATABASE=/tmp/x/hocuspocus.db node hocuspocus_server.mjs
//
// Listens on 127.0.0.1 (HOST to change it); an HTTP GET answers "Welcome to Hocuspocus!"
// (compare.py's readiness check). SIGTERM stops it (the server's own signal handler, which
// stores the open documents first).

import { Server } from '@hocuspocus/server'
import { SQLite } from '@hocuspocus/extension-sqlite'

const port = Number(process.env.PORT || 1234)
const host = process.env.HOST || '127.0.0.1'
const database = process.env.DATABASE
if (!database) throw new Error('set DATABASE to the SQLite file')

const server = new Server({
  port,
  address: host,
  quiet: true,
  extensions: [new SQLite({ database })]
})

// Server 3.x passes its `address` to http.Server#listen as `address`, which Node ignores (it
// reads `host`), so it would listen on every interface: hand Node the host it expects.
const listen = server.httpServer.listen.bind(server.httpServer)
server.httpServer.listen = (options, callback) => listen({ port: options.port, host }, callback)

await server.listen()
console.log(`hocuspocus server listening on ${host}:${port}, SQLite ${database}`)
