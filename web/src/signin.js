// The sign-in page (/signin): email and password (POST /api/session), or the organisation's
// provider (/auth/oidc/login) when the server has one; then on to `?next=` (paths on this
// server only) or the home page. `?error=` (a provider's refusal) is shown on arrival.
import { loadMe, localPath, signIn } from './session.js'

function elements () {
  const $ = (id) => document.getElementById(id)
  return {
    error: $('signin-error'),
    form: $('signin-form'),
    email: $('signin-email'),
    password: $('signin-password'),
    submit: $('signin-submit'),
    oidc: $('signin-oidc'),
    oidcButton: $('signin-oidc-button'),
    or: $('signin-or'),
    dev: $('signin-dev'),
    intro: $('signin-intro')
  }
}

function showError (ui, text) {
  ui.error.textContent = text
  ui.error.hidden = !text
  for (const field of [ui.email, ui.password]) {
    if (text) field.setAttribute('aria-describedby', 'signin-error')
    else field.removeAttribute('aria-describedby')
  }
}

/** "Try again in 30 seconds." when the server says how long, unless its detail says it. */
function throttleText (err) {
  if (!err.retryAfter || /\d/.test(err.message)) return err.message
  return `${err.message}. Try again in ${err.retryAfter} second${err.retryAfter === 1 ? '' : 's'}.`
}

function bindForm (ui, next) {
  ui.form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const email = ui.email.value.trim()
    const password = ui.password.value
    if (!email || !password) {
      showError(ui, email ? 'Type your password.' : 'Type your email address.')
      ;(email ? ui.password : ui.email).focus()
      return
    }
    ui.submit.disabled = true
    ui.submit.textContent = 'Signing in…'
    try {
      await signIn(email, password)
      location.assign(next)
      return
    } catch (err) {
      const text = err.status === 429 ? throttleText(err) : err.message
      showError(ui, text.charAt(0).toUpperCase() + text.slice(1))
      ui.submit.textContent = 'Sign in'
      // Throttled: the button comes back when the server will listen again.
      const wait = err.status === 429 && err.retryAfter ? err.retryAfter * 1000 : 0
      setTimeout(() => { ui.submit.disabled = false }, wait)
      ui.password.focus()
      ui.password.select()
    }
  })
}

async function main () {
  const ui = elements()
  const params = new URLSearchParams(location.search)
  const next = localPath(params.get('next') || '/')
  if (params.get('error')) showError(ui, params.get('error'))
  bindForm(ui, next)
  const me = await loadMe()
  if (me.development) {
    ui.form.hidden = true
    ui.intro.hidden = true
    ui.dev.hidden = false
    return
  }
  if (me.signed_in) {
    location.replace(next)
    return
  }
  const oidc = me.sign_in.oidc
  if (oidc) {
    ui.oidcButton.textContent = `Sign in with ${oidc.name}`
    ui.oidcButton.href = `${oidc.url || '/auth/oidc/login'}?next=${encodeURIComponent(next)}`
    ui.oidc.hidden = false
    // One main way in: the provider's button; the password form's is the second.
    ui.submit.classList.replace('primary-button', 'secondary-button')
    // Without built-in accounts the provider is the only way in.
    if (!me.sign_in.password && !me.unknown) {
      ui.form.hidden = true
      ui.or.hidden = true
    }
  }
  if (!ui.form.hidden && !ui.error.textContent) ui.email.focus()
}

main()
