/**
 * Request bodies of the command endpoints: strict objects (an unknown field is a 400), decimal
 * strings for every amount, price and size, and an optional `commandId` (idempotency key). Each is
 * turned into one engine command by its route.
 */
import { z } from 'zod';
import { commandId, idString, subaccountRef, timeMs } from './common.ts';
import { decimal, positiveDecimal } from './decimal.ts';

export const CommandReplySchema = z.object({
  seq: z.number().int(),
  replayed: z.literal(true).optional(),
  events: z.array(z.object({ seq: z.number().int(), type: z.string() })),
});

export const DepositBody = z.strictObject({
  account: idString,
  sub: idString.optional(),
  asset: idString,
  amount: positiveDecimal,
  commandId,
});
export const WithdrawalBody = DepositBody;
export const TransferBody = z.strictObject({
  account: idString,
  fromSub: idString,
  toSub: idString,
  asset: idString,
  amount: positiveDecimal,
  commandId,
});
export const InsuranceContributionBody = DepositBody;

export const MarginModeBody = z.strictObject({
  symbol: idString,
  marginMode: z.enum(['cross', 'isolated']),
  commandId,
});
export const LeverageBody = z.strictObject({
  symbol: idString,
  /** Maximum leverage ("20"); null removes the cap. */
  leverage: positiveDecimal.nullable(),
  commandId,
});
export const IsolatedMarginBody = z.strictObject({
  symbol: idString,
  /** Signed: + moves balance into the isolated position, − releases it. */
  amount: decimal,
  commandId,
});
export const PortfolioMarginBody = z.strictObject({ enabled: z.boolean(), commandId });

export const FillBody = z.strictObject({
  symbol: idString,
  buyer: subaccountRef,
  seller: subaccountRef,
  /** Size in base units (ccxt `amount`). */
  amount: positiveDecimal,
  price: positiveDecimal,
  taker: z.enum(['buyer', 'seller']).optional(),
  /** The buyer's resting order this fill executes (its remaining size shrinks). */
  buyOrderId: idString.optional(),
  /** The seller's resting order this fill executes. */
  sellOrderId: idString.optional(),
  timeMs: timeMs.optional(),
  commandId,
});

export const PlaceOrderBody = z.strictObject({
  /** Client-chosen order id, unique among resting orders. */
  orderId: idString,
  account: idString,
  sub: idString.optional(),
  symbol: idString,
  side: z.enum(['buy', 'sell']),
  /** Size in base units (ccxt `amount`). */
  amount: positiveDecimal,
  price: positiveDecimal,
  reduceOnly: z.boolean().optional(),
  timeMs: timeMs.optional(),
  commandId,
});
export const CheckOrderBody = PlaceOrderBody.omit({ commandId: true });
export const AmendOrderBody = z.strictObject({
  amount: positiveDecimal.optional(),
  price: positiveDecimal.optional(),
  timeMs: timeMs.optional(),
  commandId,
});
export const LiquidationBody = z.strictObject({
  account: idString,
  sub: idString.optional(),
  /** Liquidate the isolated position in this market instead of the cross scope. */
  isolatedSymbol: idString.optional(),
  /** The subaccount taking over the position (a liquidator key: one of its own accounts). */
  liquidator: subaccountRef.optional(),
  fillPrice: positiveDecimal.optional(),
  collateralAsset: idString.optional(),
  debtToCover: positiveDecimal.optional(),
  commandId,
});

export const PricesBody = z.strictObject({
  timeMs: timeMs.optional(),
  marks: z.record(idString, positiveDecimal).optional(),
  assets: z.record(idString, positiveDecimal).optional(),
  exchangeRates: z.record(idString, positiveDecimal).optional(),
  commandId,
});
export const OracleObservationsBody = z.strictObject({
  timeMs: timeMs.optional(),
  /** Raw oracle inputs (docs/oracle.md); each is validated by the oracle, a bad one counted and skipped. */
  inputs: z.array(z.record(z.string(), z.unknown())).max(10_000),
  commandId,
});
export const FundingBody = z.strictObject({
  symbol: idString,
  timeMs: timeMs.optional(),
  premiumIndex: decimal.optional(),
  indexPrice: positiveDecimal.optional(),
  commandId,
});
export const ExpiryBody = z.strictObject({
  symbol: idString,
  price: positiveDecimal,
  timeMs: timeMs.optional(),
  commandId,
});

/** Operator configuration: the engine's own configuration schemas validate `config`. */
export const ConfigBody = z.strictObject({ config: z.record(z.string(), z.unknown()), commandId });
export const PolicyBody = z.strictObject({
  liquidation: z.record(z.string(), z.unknown()).optional(),
  guards: z.record(z.string(), z.unknown()).optional(),
  portfolio: z.record(z.string(), z.unknown()).nullable().optional(),
  commandId,
});
export const PauseBody = z.strictObject({ paused: z.boolean(), commandId });
/** forced: true holds the market in safe mode whatever its oracle says; false releases the hold. */
export const SafeModeBody = z.strictObject({ forced: z.boolean(), commandId });
