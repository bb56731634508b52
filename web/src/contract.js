// Generated from collab/contract.py by `python -m collab.contract_sync`: edit that, not this.
// tests/test_contract.py fails when the two differ.

/** The root type a document keeps its content in (a Y.Text or a Y.XmlFragment). */
export const CONTENT = 'content'

/** Close codes (docs/protocol.md "Close codes"): final or retried, and the state shown. */
export const CLOSE_CODES = new Map([
  [1000, { name: 'normal', final: false, screen: 'unreachable' }],
  [1001, { name: 'going_away', final: false, screen: 'unreachable' }],
  [1002, { name: 'protocol_error', final: true, screen: 'error' }],
  [1003, { name: 'unsupported_data', final: true, screen: 'error' }],
  [1006, { name: 'abnormal', final: false, screen: 'unreachable' }],
  [1007, { name: 'invalid_payload', final: true, screen: 'error' }],
  [1008, { name: 'policy', final: true, screen: 'error' }],
  [1009, { name: 'too_big', final: true, screen: 'error' }],
  [1011, { name: 'internal_error', final: false, screen: 'unreachable' }],
  [1012, { name: 'restarting', final: false, screen: 'restarting' }],
  [1013, { name: 'try_again_later', final: false, screen: 'busy' }],
  [1014, { name: 'bad_gateway', final: false, screen: 'unreachable' }],
  [4400, { name: 'invalid_room_name', final: true, screen: 'bad-name' }],
  [4401, { name: 'token_missing', final: true, screen: 'access-needed' }],
  [4402, { name: 'token_invalid', final: true, screen: 'link-invalid' }],
  [4403, { name: 'forbidden', final: true, screen: 'access-denied' }],
  [4404, { name: 'not_found', final: true, screen: 'not-found' }],
  [4409, { name: 'conflict', final: true, screen: 'error' }],
  [4410, { name: 'room_deleted', final: true, screen: 'deleted' }],
  [4419, { name: 'expired', final: true, screen: 'link-expired' }],
  [4423, { name: 'quarantined', final: true, screen: 'quarantined' }]
])

/** Codes after which reconnecting cannot help. */
export const FINAL_CODES = new Set([1002, 1003, 1007, 1008, 1009, 4400, 4401, 4402, 4403, 4404, 4409, 4410, 4419, 4423])

/** Stop, not reconnect: a final code, or any other 4400-4499 (y-websocket never retries). */
export function isFinal (code) {
  return FINAL_CODES.has(code) || (code >= 4400 && code <= 4499)
}

/** Close reasons a page may match exactly. */
export const REASONS = {
  tokenExpired: 'token expired',
  linkExpired: 'link expired',
  linkRevoked: 'link revoked',
  readOnly: 'read-only access: viewers cannot edit this document'
}
