// collab service worker: lets /d/{room} pages reload while offline.
// Pages: network first, cached copy when the network fails. Assets: hashed, so cache first.
const VERSION = 'b49f4bec2101'
const ASSETS = `collab-assets-${VERSION}`
const PAGES = 'collab-pages'
const PRECACHE = ["/assets/editor-XT4XNIKU.js","/assets/editor-XXO4GGZC.css","/assets/chunk-2OURRXD4.js","/assets/chunk-5BT3VCKI.js","/assets/chunk-6HYP45YE.js","/assets/chunk-7DAIP47Z.js","/assets/chunk-BAQX4TZZ.js","/assets/chunk-DLJCOCNV.js","/assets/chunk-KIZ7RNOD.js","/assets/chunk-L7R3WTLA.js","/assets/chunk-LPJLTLCG.js","/assets/chunk-UARFTXU5.js"]

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(ASSETS).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting()))
})

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith('collab-assets-') && key !== ASSETS) await caches.delete(key)
    }
    await self.clients.claim()
  })())
})

async function networkFirst (request) {
  const cache = await caches.open(PAGES)
  try {
    const response = await fetch(request)
    if (response.ok) await cache.put(request, response.clone())
    return response
  } catch (err) {
    const cached = await cache.match(request, { ignoreSearch: true })
    if (cached) return cached
    throw err
  }
}

async function cacheFirst (request) {
  const cached = await caches.match(request)
  if (cached) return cached
  const response = await fetch(request)
  if (response.ok) (await caches.open(ASSETS)).put(request, response.clone())
  return response
}

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url)
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return
  if (event.request.mode === 'navigate' && url.pathname.startsWith('/d/')) {
    event.respondWith(networkFirst(event.request))
  } else if (url.pathname.startsWith('/assets/')) {
    event.respondWith(cacheFirst(event.request))
  }
})
