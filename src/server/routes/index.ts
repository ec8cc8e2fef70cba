/** Every route group of the HTTP API, in the order they are documented. */
import type { RouteDef } from '../route.ts';
import { accountRoutes } from './accounts.ts';
import { agentDecisionRoutes } from './agent-decisions.ts';
import { calculatorRoutes } from './calculator.ts';
import { dashboardRoutes } from './dashboard.ts';
import { fundRoutes } from './funds.ts';
import { marketDataRoutes } from './market-data.ts';
import { operatorRoutes } from './operator.ts';
import { orderRoutes } from './orders.ts';
import { riskRoutes } from './risk.ts';
import { systemRoutes } from './system.ts';
import { tradingRoutes } from './trading.ts';

export function allRoutes(openApi: () => unknown): RouteDef[] {
  return [
    ...systemRoutes(openApi),
    ...marketDataRoutes,
    ...accountRoutes,
    ...fundRoutes,
    ...orderRoutes,
    ...tradingRoutes,
    ...riskRoutes,
    ...calculatorRoutes,
    ...operatorRoutes,
    ...dashboardRoutes,
    ...agentDecisionRoutes,
  ];
}
