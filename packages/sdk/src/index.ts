// @parley/sdk: browser-safe entry (no Node imports). Node-only helpers live in ./node.ts.
export { createClient } from './client.ts';
export { ParleyError, isParleyError, SDK_ERROR_CODES, type SdkErrorCode } from './errors.ts';
export { MemoryKeyStore } from './memory-store.ts';
export { IdbStore, type IdbStoreOptions } from './idb-store.ts';
export { checkPassword } from './account.ts';
export {
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  RECOMMENDED_PASSWORD_LENGTH,
  passwordHint,
  passwordProblem,
} from './password-policy.ts';
export { MAX_SESSION_MESSAGES, MAX_SESSION_AGE_MS } from './outbound.ts';
export { connectUrl } from './connection.ts';
export { MAX_RATCHET_STEPS } from './inbound.ts';
export { integritySentence, vaultSentence } from './integrity-words.ts';
export type * from './types.ts';
export { HISTORY_VISIBILITIES, type HistoryVisibility } from '@parley/protocol';
