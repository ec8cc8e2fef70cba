/**
 * A small signing client for the HTTP API (fetch + HMAC, no other dependency): every request is
 * signed afresh (new timestamp and nonce). `request` answers the parsed JSON of a 2xx and throws
 * PlimsollApiError with the server's `{code, message, details}` otherwise.
 *
 * @example
 *   const client = new PlimsollClient({ url: 'http://127.0.0.1:8080', keyId: 'alice', secret });
 *   const risk = await client.account('alice');
 *   await client.withdraw({ account: 'alice', asset: 'USDT', amount: '100' });
 */
import { signedHeaders } from './auth.ts';

export interface ClientOptions {
  readonly url: string;
  readonly keyId?: string;
  readonly secret?: string;
  /** Added to Date.now() when signing (server time − local time), see `syncClock`. */
  readonly clockOffsetMs?: number;
}

export class PlimsollApiError extends Error {
  override name = 'PlimsollApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(`${status} ${code}: ${message}`);
  }
}

type Json = Record<string, unknown>;

export class PlimsollClient {
  private readonly base: string;
  private clockOffsetMs: number;

  constructor(private readonly opts: ClientOptions) {
    this.base = opts.url.replace(/\/+$/, '');
    this.clockOffsetMs = opts.clockOffsetMs ?? 0;
  }

  /** Measures the server clock (GET /v1/time) so signatures fall inside its window. */
  async syncClock(): Promise<number> {
    const before = Date.now();
    const { serverTime } = await this.request<{ serverTime: number }>('GET', '/v1/time');
    this.clockOffsetMs = serverTime - Math.round((before + Date.now()) / 2);
    return this.clockOffsetMs;
  }

  /** Any route: signed when the client has a key. `path` includes the query string. */
  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const text = body === undefined ? '' : JSON.stringify(body);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (text !== '') headers['content-type'] = 'application/json';
    if (this.opts.keyId !== undefined && this.opts.secret !== undefined) {
      Object.assign(
        headers,
        signedHeaders(
          { id: this.opts.keyId, secret: this.opts.secret },
          method,
          path,
          text,
          Date.now() + this.clockOffsetMs,
        ),
      );
    }
    const res = await fetch(this.base + path, {
      method,
      headers,
      ...(text === '' ? {} : { body: text }),
    });
    const raw = await res.text();
    let parsed: unknown;
    try {
      parsed = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      parsed = raw;
    }
    if (!res.ok) {
      const e = (parsed ?? {}) as { code?: string; message?: string; details?: Record<string, unknown> };
      throw new PlimsollApiError(res.status, e.code ?? 'HTTP_ERROR', e.message ?? raw, e.details);
    }
    return parsed as T;
  }

  markets(): Promise<Json> {
    return this.request('GET', '/v1/markets');
  }
  accounts(): Promise<Json> {
    return this.request('GET', '/v1/accounts');
  }
  account(account: string): Promise<Json> {
    return this.request('GET', `/v1/accounts/${encodeURIComponent(account)}`);
  }
  subaccount(account: string, sub = '0'): Promise<Json> {
    return this.request(
      'GET',
      `/v1/accounts/${encodeURIComponent(account)}/subaccounts/${encodeURIComponent(sub)}`,
    );
  }
  deposit(body: {
    account: string;
    sub?: string;
    asset: string;
    amount: string;
    commandId?: string;
  }): Promise<Json> {
    return this.request('POST', '/v1/deposits', body);
  }
  withdraw(body: {
    account: string;
    sub?: string;
    asset: string;
    amount: string;
    commandId?: string;
  }): Promise<Json> {
    return this.request('POST', '/v1/withdrawals', body);
  }
  transfer(body: {
    account: string;
    fromSub: string;
    toSub: string;
    asset: string;
    amount: string;
    commandId?: string;
  }): Promise<Json> {
    return this.request('POST', '/v1/transfers', body);
  }
  prices(body: {
    marks?: Record<string, string>;
    assets?: Record<string, string>;
    timeMs?: number;
    commandId?: string;
  }): Promise<Json> {
    return this.request('POST', '/v1/prices', body);
  }
  fill(body: {
    symbol: string;
    buyer: { account: string; sub?: string };
    seller: { account: string; sub?: string };
    amount: string;
    price: string;
    taker?: 'buyer' | 'seller';
    commandId?: string;
  }): Promise<Json> {
    return this.request('POST', '/v1/fills', body);
  }
  liquidate(body: {
    account: string;
    sub?: string;
    isolatedSymbol?: string;
    liquidator?: { account: string; sub?: string };
    commandId?: string;
  }): Promise<Json> {
    return this.request('POST', '/v1/liquidations', body);
  }
  insuranceFund(): Promise<Json> {
    return this.request('GET', '/v1/insurance-fund');
  }
  state(): Promise<{ seq: number; timeMs: number; stateHash: string }> {
    return this.request('GET', '/v1/state');
  }
}
