import { runComparison } from '/work/wt/science/src/sim/lab/compare.ts';
import { policiesByName, REPORT_POLICY_NAMES } from '/work/wt/science/src/sim/lab/policy-registry.ts';
for (const crash of ['2020-03-12','2021-05-19','2025-10-10']) {
  for (const accounts of [50, 200]) {
    const t0 = performance.now();
    const c = runComparison({ crash, accounts, seed: 1, policies: policiesByName(REPORT_POLICY_NAMES.join(',')) });
    console.log(crash, accounts, ((performance.now()-t0)/1000).toFixed(2)+'s', c.rows.map(r=>`${r.policy}:${r.badDebt.total}/${r.liquidations.count}/${r.cascade.peakDepth}`).join(' '));
  }
}
