/**
 * A BitMEX-style inverse perpetual (XBTUSD: 1 contract = 1 USD, margin and PnL in XBT; Deribit's
 * BTC-PERPETUAL is the same contract at 10 USD). Isolated margin is the initial margin at entry,
 * PV / leverage, and the maintenance margin is a rate of the entry value, so the isolated
 * liquidation and bankruptcy prices are the ones these venues publish:
 *
 *     long:  LP = EP·lev / (lev + 1 − MMR·lev)     BP = EP·lev / (lev + 1)
 *     short: LP = EP·lev / (lev − 1 + MMR·lev)     BP = EP·lev / (lev − 1)
 *
 * (the root of IM + side·Q·(1/EP − 1/P) = PV·MMR, resp. = 0; the engine's trigger with
 * `requirementOn: 'entry'`). That is the contract as MCS and Deribit margin it; BitMEX itself
 * adds fees and the next funding payment (`bitmexInverseConfig({ feesAndFunding: true })`, market
 * `marginAddOns`): maintenance = 0.5 % + exit taker fee + funding rate, initial = 1/leverage +
 * entry and exit taker fees, so for an isolated position margined at the initial rate
 *
 *     long:  LP = EP / (1 + IM − MM)               short: LP = EP / (1 − IM + MM)
 *
 * (the formula BitMEX support gives, with the funding the position pays: a short pays a negative rate).
 */
import type { EngineConfigInput } from '../model/engine-config.ts';
import { inverseLiquidationPriceOnEntry } from './inverse-formula.ts';
import type { VenuePreset } from './types.ts';

/**
 * XBTUSD's base risk limit: IM 1% (100×), MM 0.5%, taker 0.075%. `feesAndFunding`: BitMEX's own
 * add-ons (exit taker fee and next funding rate in maintenance, both taker fees in initial).
 */
export function bitmexInverseConfig(opts: { feesAndFunding?: boolean } = {}): EngineConfigInput {
  return {
    settlementAsset: 'XBT',
    assets: [{ id: 'XBT', decimals: 8 }],
    markets: [
      {
        id: 'XBTUSD',
        kind: 'perpetual',
        base: 'XBT',
        contractType: 'inverse',
        contractValue: '1',
        stepSize: '1',
        contractSize: '1',
        tickSize: '0.5',
        margin: { kind: 'fixed', initialRatio: '0.01', maintenance: { ratio: '0.005' } },
        takerFee: '0.00075',
        makerFee: '0',
        requirementOn: 'entry',
        maxPositionSize: '10000000000',
        ...(opts.feesAndFunding
          ? { marginAddOns: { maintenanceTakerFee: true, maintenanceFunding: true, initialTakerFees: true } }
          : {}),
      },
    ],
    liquidation: { dustNotional: '0.0001' },
  };
}

export const bitmexInverse: VenuePreset = {
  id: 'bitmex-inverse',
  name: 'BitMEX/Deribit-style inverse perpetual',
  kind: 'perpetuals',
  summary:
    'Inverse XBTUSD (1 contract = 1 USD), margin and PnL in XBT; fixed IM 1% and MM 0.5% of the entry value; isolated LP = EP·lev / (lev + 1 − MMR·lev) for a long.',
  formula:
    'isolated long LP = EP·lev / (lev + 1 − MMR·lev), short LP = EP·lev / (lev − 1 + MMR·lev); bankruptcy EP·lev / (lev ± 1); PnL = contracts × cv × (1/EP − 1/exit)',
  sources: [
    {
      title: 'BitMEX: Liquidation (bankruptcy price, insurance fund, ADL)',
      url: 'https://www.bitmex.com/app/liquidation',
    },
    {
      title: 'MCS (BTC-margined inverse venue): Find the liquidation price — worked example',
      url: 'https://blog.mycoinstory.com/find-the-liquidation-price/',
    },
    {
      title: 'MCS: Bankruptcy Price (isolated and cross, inverse)',
      url: 'https://help.mycoinstory.com/hc/en-us/articles/360040683032-Bankruptcy-Price',
    },
  ],
  config: () => bitmexInverseConfig(),
  engineGaps: [
    {
      rule: 'BitMEX adds the exit taker fee and the next funding rate to the maintenance rate (maintenance = 0.5% + exit fee + funding) and deducts both taker fees from the initial margin.',
      implementedBy:
        '— (executed by the engine: market `marginAddOns`, set by `bitmexInverseConfig({ feesAndFunding: true })`; the default config is the contract as MCS and Deribit margin it)',
      engineNeeds: '—',
    },
  ],
  inverseClosedForm: inverseLiquidationPriceOnEntry,
};
