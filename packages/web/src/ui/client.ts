// The one SDK client of the page: cookie auth (HttpOnly session cookie + CSRF header, nothing secret in
// localStorage), the browser's WebSocket (the SDK's default: the browser sends the cookie with the upgrade),
// and keys kept as non-extractable CryptoKeys in IndexedDB.
import { createClient, IdbStore } from '@parley/sdk';
import type { ParleyClient } from '@parley/sdk';

export function createBrowserClient(): ParleyClient {
  return createClient({
    server: window.location.origin,
    store: new IdbStore({ name: 'parley' }),
    auth: 'cookie',
  });
}
