/**
 * The liquidation-price calculator over HTTP: a hypothetical account on a venue preset (the same
 * input as `plimsoll liq-price --file`, src/core/calculator/input.ts) → liquidation and bankruptcy
 * price with the margin breakdown that explains them, and optional what-ifs. Read-only; any key.
 */
import { z } from 'zod';
import { LiquidationPriceInputSchema, parseLiquidationPriceInput } from '../../core/calculator/input.ts';
import { CalculatorError, liquidationPriceFor } from '../../core/calculator/liquidation-price.ts';
import { ApiError } from '../errors.ts';
import { type RouteDef, route } from '../route.ts';

export const calculatorRoutes: RouteDef[] = [
  route({
    method: 'post',
    path: '/v1/calculator/liquidation-price',
    tag: 'risk',
    summary:
      'Liquidation price of a hypothetical position on a venue preset, with its breakdown and what-ifs',
    auth: ['trader', 'feed', 'liquidator', 'venue', 'operator'],
    body: LiquidationPriceInputSchema,
    response: z.record(z.string(), z.unknown()),
    handler: (_ctx, { body }) => {
      const parsed = parseLiquidationPriceInput(body);
      if (!parsed.ok) throw new ApiError('INVALID_REQUEST', parsed.issues);
      try {
        return liquidationPriceFor(parsed.value);
      } catch (e) {
        if (e instanceof CalculatorError) throw new ApiError('INVALID_REQUEST', e.message);
        throw e;
      }
    },
  }),
];
