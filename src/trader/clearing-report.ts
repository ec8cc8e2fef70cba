/**
 * The clearing view as data for people and programs: a JSON document with every amount as an
 * exact decimal string (USD amounts at 6 places, settlement amounts in their asset), and a
 * self-contained HTML page (inline style, no script, no outside resource) of the same figures.
 */
import { formatDecimal } from '../core/num/index.ts';
import type { ArrivalReport } from './arrival.ts';
import type { ClearingView } from './clearing.ts';
import type { Requirement } from './netting.ts';
import { usd } from './transfer-plan.ts';

const req = (r: Requirement) => ({
  initialMargin: usd(r.initialMargin),
  maintenanceMargin: usd(r.maintenanceMargin),
});

/** The JSON document of `plimsoll clearing --json`. */
export function clearingJson(view: ClearingView, arrival?: ArrivalReport) {
  return {
    band: formatDecimal(view.bandPpm, 6),
    totalCollateral: usd(view.totalCollateralUsd6),
    totalEquity: usd(view.totalEquityUsd6),
    closest: view.closest,
    venues: view.venues.map((v) => ({
      venue: v.venue,
      preset: v.preset,
      settlementAsset: v.settlementAsset,
      walletBalance: v.walletBalance,
      collateral: v.collateral,
      equity: v.equity,
      initialMargin: v.initialMargin,
      maintenanceMargin: v.maintenanceMargin,
      freeCollateral: v.freeCollateral,
      health: v.health,
      marginRatio: v.marginRatio,
      liquidatable: v.liquidatable,
      closestDistance: v.closestDistance,
      positions: v.positions,
      needs: v.needs.map((n) => ({ scope: n.scope, topUp: formatDecimal(n.topUp, v.settlementDecimals) })),
      deficit: usd(v.deficitUsd6),
      surplus: usd(v.surplusUsd6),
      ignoredAssets: v.ignoredAssets,
    })),
    plan:
      view.plan.status === 'ok'
        ? {
            status: 'ok',
            transfers: view.plan.transfers.map((t) => ({
              from: t.from,
              to: t.to,
              amount: usd(t.amount),
              fee: usd(t.fee),
            })),
            totalFee: usd(view.plan.totalFee),
          }
        : {
            status: 'infeasible',
            totalDeficit: usd(view.plan.totalDeficit),
            totalSurplus: usd(view.plan.totalSurplus),
            unreachable: view.plan.unreachable,
          },
    after: view.after?.map((a) => ({ ...a, netFlowUsd6: undefined, netFlow: usd(a.netFlowUsd6) })) ?? null,
    netting: {
      netPreset: view.netting.netPreset,
      netPositions: view.netting.netPositions,
      venues: req(view.netting.venues),
      separate: req(view.netting.separate),
      netted: req(view.netting.netted),
      freedByNetting: req(view.netting.freedByNetting),
      freedVersusVenues: req(view.netting.freedVersusVenues),
      portfolioGrid: { grid: view.netting.portfolioGrid.grid, ...req(view.netting.portfolioGrid) },
    },
    ...(arrival === undefined
      ? {}
      : {
          arrival: {
            target: arrival.target,
            horizonNote: arrival.note,
            venues: arrival.venues.map((a) => ({
              ...a,
              holdUsd6: undefined,
              extraUsd6: undefined,
              hold: usd(a.holdUsd6),
              extra: usd(a.extraUsd6),
            })),
          },
        }),
  };
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pct = (fraction: string | null) =>
  fraction === null ? '—' : `${(Number(fraction) * 100).toFixed(2)}%`;

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const tr = rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`;
}

/** The self-contained HTML page of `plimsoll clearing --html FILE`. */
export function clearingHtml(view: ClearingView, arrival?: ArrivalReport): string {
  const j = clearingJson(view, arrival);
  const venues = table(
    [
      'venue',
      'preset',
      'collateral',
      'equity',
      'IM',
      'MM',
      'free',
      'margin ratio',
      'closest LP',
      'needs',
      'can spare',
    ],
    j.venues.map((v) => [
      v.venue,
      v.preset,
      `${v.collateral} ${v.settlementAsset}`,
      v.equity,
      v.initialMargin,
      v.maintenanceMargin,
      v.freeCollateral,
      pct(v.marginRatio),
      pct(v.closestDistance),
      v.deficit,
      v.surplus,
    ]),
  );
  const positions = table(
    [
      'venue',
      'market',
      'scope',
      'side',
      'size',
      'mark',
      'liquidation',
      'distance',
      'band edge',
      'health at edge',
    ],
    j.venues.flatMap((v) =>
      v.positions.map((p) => [
        v.venue,
        p.market,
        p.scope,
        p.side,
        p.size,
        p.markPrice,
        p.liquidationPrice ?? '—',
        pct(p.distance),
        p.bandEdge,
        p.healthAtBandEdge,
      ]),
    ),
  );
  const plan =
    j.plan.status === 'ok'
      ? (j.plan.transfers ?? []).length === 0
        ? '<p>No transfer needed: every liquidation price is already outside the band.</p>'
        : `${table(
            ['from', 'to', 'amount (USD)', 'fee (USD)'],
            (j.plan.transfers ?? []).map((t) => [t.from, t.to, t.amount, t.fee]),
          )}<p>Total fee: ${esc(j.plan.totalFee ?? '0')} USD.</p>`
      : `<p class="bad">No plan keeps every venue outside the band: the venues lack ${esc(j.plan.totalDeficit ?? '')} USD and can spare ${esc(j.plan.totalSurplus ?? '')} USD${(j.plan.unreachable ?? []).length > 0 ? `; no route reaches ${esc((j.plan.unreachable ?? []).join(', '))}` : ''}.</p>`;
  const n = j.netting;
  const netting = table(
    ['requirement', 'IM (USD)', 'MM (USD)'],
    [
      ['venues, each on its own preset', n.venues.initialMargin, n.venues.maintenanceMargin],
      [`same books kept apart on ${n.netPreset}`, n.separate.initialMargin, n.separate.maintenanceMargin],
      [`one netted account on ${n.netPreset}`, n.netted.initialMargin, n.netted.maintenanceMargin],
      ['freed by netting', n.freedByNetting.initialMargin, n.freedByNetting.maintenanceMargin],
      [
        `every position on the ${n.portfolioGrid.grid} scenario grid (screening)`,
        n.portfolioGrid.initialMargin,
        n.portfolioGrid.maintenanceMargin,
      ],
    ],
  );
  const arrivalHtml =
    j.arrival === undefined
      ? ''
      : `<h2>Top-ups in transit</h2><p>${esc(j.arrival.horizonNote)}</p>${table(
          [
            'venue',
            'route',
            'median latency (min)',
            'P(liquidated before arrival)',
            'hold (USD)',
            'extra (USD)',
          ],
          j.arrival.venues.map((a) => [
            a.venue,
            a.route,
            String(a.medianMinutes),
            a.probability.toExponential(3),
            a.hold,
            a.extra,
          ]),
        )}`;
  const flagged = j.venues.filter((v) => v.liquidatable).map((v) => v.venue);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Plimsoll clearing view</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:0.5em 0 1.5em}th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}.bad{color:#b00020;font-weight:600}
</style></head><body>
<h1>Clearing view</h1>
<p>Band ${esc(pct(j.band))} · total collateral ${esc(j.totalCollateral)} USD · total equity ${esc(j.totalEquity)} USD${
    j.closest
      ? ` · closest to liquidation: ${esc(j.closest.venue)} ${esc(j.closest.market)} at ${esc(pct(j.closest.distance))}`
      : ''
  }</p>
${flagged.length > 0 ? `<p class="bad">Already liquidatable: ${esc(flagged.join(', '))}.</p>` : ''}
<h2>Venues</h2>${venues}
<h2>Positions</h2>${positions}
<h2>Transfers</h2>${plan}
<h2>Netting</h2>${netting}
${arrivalHtml}
<p><small>Generated by plimsoll clearing. Amounts exact; USDT and USDC taken at par.</small></p>
</body></html>
`;
}
