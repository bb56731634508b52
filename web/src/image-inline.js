// A rich version rendered by the server (HTML) shows in a sandboxed frame of its own origin,
// which neither the page's token nor its session cookie reaches: its uploaded images
// (<img src="/api/rooms/ROOM/images/ID">) are fetched here, with the page's headers, and put in
// as data: URLs. Images by URL stay as they are.

const SERVED = /^\/api\/rooms\/[^/?#]+\/images\/([A-Za-z0-9_-]{1,64})$/

function dataUrl (blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader()
    reader.onload = () => resolve(reader.result)
    reader.onerror = () => reject(reader.error)
    reader.readAsDataURL(blob)
  })
}

/** `html` with the images of `room` it shows inlined (those that cannot be read left as they are). */
export async function inlineImages (html, { room, authHeaders = () => ({}) }) {
  if (!html.includes('/images/')) return html
  const page = new DOMParser().parseFromString(html, 'text/html')
  const imgs = [...page.querySelectorAll('img[src]')].filter((img) => SERVED.test(img.getAttribute('src')))
  await Promise.all(imgs.map(async (img) => {
    const id = SERVED.exec(img.getAttribute('src'))[1]
    try {
      const res = await fetch(`/api/rooms/${encodeURIComponent(room)}/images/${encodeURIComponent(id)}`, { headers: authHeaders(), credentials: 'same-origin' })
      if (res.ok) img.setAttribute('src', await dataUrl(await res.blob()))
    } catch { /* left as it is: its alt text shows */ }
  }))
  return imgs.length ? page.body.innerHTML : html
}
