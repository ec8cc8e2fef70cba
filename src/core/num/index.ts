export * from './fixed.ts';
export * from './units.ts';
