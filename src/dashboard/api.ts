/**
 * The console's API client: plain fetch, and HMAC-SHA256 signatures computed in the browser with
 * WebCrypto exactly as the server verifies them (docs/server.md, src/server/auth.ts):
 * hex HMAC(secret, timestamp \n nonce \n METHOD \n path?query \n body) in the PLIM-* headers; the
 * WebSocket handshake carries the same four values as the query parameters key, ts, nonce, sig.
 *
 * The key id and secret are typed into the page and kept in sessionStorage (gone when the tab
 * closes; never sent — only signatures are). WebCrypto needs a secure context: the console signs
 * when served from https, localhost or 127.0.0.1. Without a key it is the public viewer.
 */

export interface Key {
  readonly id: string;
  readonly secret: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`${status} ${code}: ${message}`);
  }
}

const STORE = 'plimsoll.dashboard.key';
const enc = new TextEncoder();
const hex = (b: ArrayBuffer) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');

export function storedKey(): Key | undefined {
  try {
    const raw = sessionStorage.getItem(STORE);
    const k = raw ? (JSON.parse(raw) as Key) : undefined;
    return k && typeof k.id === 'string' && typeof k.secret === 'string' ? k : undefined;
  } catch {
    return undefined;
  }
}

export function storeKey(k: Key | undefined): void {
  if (k) sessionStorage.setItem(STORE, JSON.stringify(k));
  else sessionStorage.removeItem(STORE);
}

export interface Signature {
  readonly key: string;
  readonly ts: string;
  readonly nonce: string;
  readonly sig: string;
}

export class Api {
  private clockOffsetMs = 0;
  private cryptoKey: Promise<CryptoKey> | undefined;

  constructor(readonly key: Key | undefined) {
    if (key)
      this.cryptoKey = crypto.subtle.importKey(
        'raw',
        enc.encode(key.secret),
        { name: 'HMAC', hash: 'SHA-256' },
        false,
        ['sign'],
      );
  }

  /** Aligns signatures with the server clock (GET /v1/time). */
  async syncClock(): Promise<void> {
    const before = Date.now();
    const { serverTime } = await this.request<{ serverTime: number }>('GET', '/v1/time');
    this.clockOffsetMs = serverTime - Math.round((before + Date.now()) / 2);
  }

  async sign(method: string, pathQuery: string, body: string): Promise<Signature | undefined> {
    if (!this.key || !this.cryptoKey) return undefined;
    const ts = String(Date.now() + this.clockOffsetMs);
    const nonce = hex(crypto.getRandomValues(new Uint8Array(12)).buffer);
    const payload = `${ts}\n${nonce}\n${method.toUpperCase()}\n${pathQuery}\n${body}`;
    const sig = hex(await crypto.subtle.sign('HMAC', await this.cryptoKey, enc.encode(payload)));
    return { key: this.key.id, ts, nonce, sig };
  }

  /** Any route; signed when a key is set. Throws ApiError with the server's code. */
  async request<T>(method: string, pathQuery: string, body?: unknown): Promise<T> {
    const text = body === undefined ? '' : JSON.stringify(body);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (text) headers['content-type'] = 'application/json';
    const s = await this.sign(method, pathQuery, text);
    if (s) {
      headers['PLIM-KEY'] = s.key;
      headers['PLIM-TIMESTAMP'] = s.ts;
      headers['PLIM-NONCE'] = s.nonce;
      headers['PLIM-SIGNATURE'] = s.sig;
    }
    const res = await fetch(pathQuery, { method, headers, ...(text ? { body: text } : {}) });
    const raw = await res.text();
    let parsed: unknown;
    try {
      parsed = raw ? JSON.parse(raw) : undefined;
    } catch {
      parsed = raw;
    }
    if (!res.ok) {
      const e = (parsed ?? {}) as { code?: string; message?: string };
      throw new ApiError(res.status, e.code ?? 'HTTP_ERROR', e.message ?? raw);
    }
    return parsed as T;
  }

  get<T>(pathQuery: string): Promise<T> {
    return this.request<T>('GET', pathQuery);
  }

  /** The event-stream URL, signed like a GET of its path and query. */
  async streamUrl(since: string): Promise<string> {
    const path = `/v1/events?since=${since}`;
    const base = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;
    const s = await this.sign('GET', path, '');
    if (!s) return base + path;
    const q = new URLSearchParams({ key: s.key, ts: s.ts, nonce: s.nonce, sig: s.sig });
    return `${base}${path}&${q}`;
  }

  /** What this key is: scopes are learned from which reads succeed. */
  get role(): 'public' | 'signed' {
    return this.key ? 'signed' : 'public';
  }
}
