/**
 * Reading a request body, refusing one over a size limit (413 BODY_TOO_LARGE).
 *
 * Under @hono/node-server the body is read straight from Node's IncomingMessage (`c.env.incoming`):
 * reading it through `c.req` makes the adapter build a full WHATWG Request per request (undici's
 * Request, an AbortSignal, web streams), and hono's body-limit middleware builds a second one; a
 * CPU profile of `serve` under load showed that as the largest single cost of a small request.
 * Elsewhere (`app.request()` in tests, other runtimes) the standard Request body is read.
 */
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { ApiError } from './errors.ts';

function tooLarge(maxBytes: number): ApiError {
  return new ApiError('BODY_TOO_LARGE', `request body over ${maxBytes} bytes`);
}

/** The request body as UTF-8 text ('' for GET and HEAD); throws BODY_TOO_LARGE past `maxBytes`. */
export async function readBody(c: Context, maxBytes: number): Promise<string> {
  if (c.req.method === 'GET' || c.req.method === 'HEAD') return '';
  const declared = Number(c.req.header('content-length') ?? Number.NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming === undefined) {
    const text = await c.req.text();
    if (Buffer.byteLength(text) > maxBytes) throw tooLarge(maxBytes);
    return text;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming as AsyncIterable<Buffer>) {
    size += chunk.length;
    // stop reading: the answer is 413 whatever else arrives (a chunked body has no length)
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}
