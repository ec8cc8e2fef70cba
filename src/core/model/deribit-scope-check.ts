/**
 * Which engine books Deribit's portfolio margin (the engine's `portfolio.model: 'deribit-pm'`,
 * account/portfolio-deribit.ts) can margin, checked when the engine is configured, a market is
 * set or the portfolio policy changes: every market's base needs its pair's parameters, and a
 * book is one settlement currency — all markets coin-settled in the settlement coin (inverse
 * perpetuals and futures, coin-settled options), or all linear. The scenario models
 * (crypto-pm, paradex-pm, span-16) value positions in the quote, so they take linear books only.
 */
import type { DeribitModelParams } from '../portfolio/deribit-pm.ts';
import { isCoinSettledOption, type MarketConfig } from './config.ts';

/** A market settled in the coin: an inverse perpetual or future, or a coin-settled option. */
export function coinSettled(c: MarketConfig): boolean {
  return c.contractType === 'inverse' || isCoinSettledOption(c);
}

/** Deribit's pair of a base (btc_usd) and the book currency of a settlement asset (btc). */
export const pairOf = (base: string) => `${base.toLowerCase()}_usd`;
export const bookCurrencyOf = (settlementId: string) => settlementId.toLowerCase();

/** What keeps the engine's portfolio model from margining these markets, or undefined. */
export function portfolioScopeIssue(
  model: unknown,
  deribitParams: DeribitModelParams | undefined,
  settlementId: string,
  markets: readonly MarketConfig[],
): string | undefined {
  const coin = markets.filter(coinSettled);
  if (model !== 'deribit-pm') {
    if (coin.length > 0)
      return `market ${coin[0]!.id} is coin-settled: portfolio margin of coin-settled books is model 'deribit-pm'`;
    return undefined;
  }
  if (!deribitParams) return undefined;
  for (const m of markets)
    if (!deribitParams.currency_pair[pairOf(m.base)])
      return `deribit-pm: no parameters for ${pairOf(m.base)} (market ${m.id})`;
  if (coin.length > 0 && coin.length < markets.length)
    return 'deribit-pm margins one settlement currency: the markets are all coin-settled or all linear';
  const currency = coin.length > 0 ? bookCurrencyOf(settlementId) : 'usd';
  if (!deribitParams.currency[currency]) return `deribit-pm: no currency parameters for ${currency}`;
  return undefined;
}
