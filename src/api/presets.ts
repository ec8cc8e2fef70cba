/**
 * `plimsoll/presets`: venue presets — each a configuration of Plimsoll's models that
 * reproduces a venue's published margin and liquidation rules (docs/presets.md),
 * plus the venue's own closed-form formulas.
 *
 * @example
 *   import { getPreset } from 'plimsoll/presets';
 *   const config = getPreset('binance-usdm')?.config();
 */
export * from '../core/presets/index.ts';
