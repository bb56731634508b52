// The Chromium the browser scenarios drive: playwright-core from web/node_modules and Debian's
// chromium (COLLAB_CHROMIUM to use another).
import { createRequire } from 'node:module'

export const require = createRequire(new URL('../../web/package.json', import.meta.url))
export const { chromium } = require('playwright-core')
export const CHROMIUM = process.env.COLLAB_CHROMIUM || '/usr/bin/chromium'
export const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']
