/**
 * `plimsoll/client`: a signing HTTP client for a running `plimsoll serve` (docs/server.md).
 *
 * @example
 *   import { PlimsollClient } from 'plimsoll/client';
 *   const client = new PlimsollClient({ url: 'http://127.0.0.1:8080', keyId: 'alice', secret });
 *   console.log(await client.account('alice'));
 */
export { signedHeaders, signingPayload } from '../server/auth.ts';
export { type ClientOptions, PlimsollApiError, PlimsollClient } from '../server/client.ts';
