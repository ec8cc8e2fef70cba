import { describe, expect, it } from 'vitest';
import { mseLoss, qlike } from './losses.ts';

describe('losses', () => {
  it('qlike_is_zero_at_the_truth', () => expect(qlike(2e-4, 2e-4)).toBe(0));
  it('qlike_doubled_variance', () => expect(qlike(1e-4, 2e-4)).toBeCloseTo(1 - Math.log(2), 15));
  it('qlike_penalises_under_prediction_more', () => {
    // forecast half vs double the realised variance
    expect(qlike(0.5, 1)).toBeGreaterThan(qlike(2, 1));
  });
  it('qlike_zero_target_is_infinite', () => expect(qlike(1e-4, 0)).toBe(Number.POSITIVE_INFINITY));
  it('qlike_rejects_non_positive_forecast', () => expect(() => qlike(0, 1)).toThrow(RangeError));
  it('mse', () => expect(mseLoss(3, 5)).toBe(4));
});
