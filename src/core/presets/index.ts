/**
 * The venue presets (DESIGN §5): each a configuration of Plimsoll's models plus
 * the venue's closed-form liquidation price where it publishes one, documented in
 * docs/presets.md with the venue's published rules and links. (The venue formulas
 * the engine does not run are test references in core/reference/.)
 *
 * @example
 *   import { getPreset } from './index.ts';
 *   const engine = Engine.create(getPreset('binance-usdm')!.config());
 */
import { aaveV3 } from './aave-v3.ts';
import { binanceCoinm } from './binance-coinm.ts';
import { binanceUsdm } from './binance-usdm.ts';
import { bitmexInverse } from './bitmex-inverse.ts';
import { bybitInverse } from './bybit-inverse.ts';
import { bybitUsdt } from './bybit-usdt.ts';
import { driftV2 } from './drift-v2.ts';
import { dydxV4 } from './dydx-v4.ts';
import { hyperliquid } from './hyperliquid.ts';
import { mangoV4 } from './mango-v4.ts';
import type { PresetId, VenuePreset } from './types.ts';

export type {
  ClosedFormResult,
  EngineGap,
  InversePositionInput,
  LadderStep,
  LinearPositionInput,
  PresetId,
  PresetSource,
  VenuePreset,
} from './types.ts';

/** Every preset, in a fixed order. */
export const PRESETS: readonly VenuePreset[] = [
  binanceUsdm,
  bybitUsdt,
  dydxV4,
  driftV2,
  hyperliquid,
  aaveV3,
  mangoV4,
  binanceCoinm,
  bybitInverse,
  bitmexInverse,
];

export const PRESET_IDS: readonly PresetId[] = PRESETS.map((p) => p.id);

/** The preset with this id, or undefined. */
export function getPreset(id: string): VenuePreset | undefined {
  return PRESETS.find((p) => p.id === id);
}
