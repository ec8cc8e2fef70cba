/** GET /openapi.json documents every mounted route, with the request schemas the server validates with. */
import { describe, expect, it } from 'vitest';
import { openApiPath } from './openapi.ts';
import { harness } from './server.testkit.ts';

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1 and lists every route the app serves, and only those', async () => {
    const h = harness();
    const r = await h.call(undefined, 'GET', '/openapi.json');
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe('3.1.0');
    const documented = new Set<string>();
    for (const [path, ops] of Object.entries(r.body.paths as Record<string, Record<string, unknown>>))
      for (const method of Object.keys(ops)) documented.add(`${method.toUpperCase()} ${path}`);
    const mounted = new Set(
      h.app.routes.filter((x) => x.method !== 'ALL').map((x) => `${x.method} ${openApiPath(x.path)}`),
    );
    expect(mounted.size).toBeGreaterThan(25);
    expect([...documented].sort()).toEqual([...mounted].sort());
  });

  it('documents request bodies from the zod schemas: strict objects, decimals as strings, scopes', async () => {
    const h = harness();
    const doc = (await h.call(undefined, 'GET', '/openapi.json')).body;
    const deposit = doc.paths['/v1/deposits'].post;
    const schema = deposit.requestBody.content['application/json'].schema;
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.amount.type).toBe('string');
    expect(schema.required).toEqual(expect.arrayContaining(['account', 'asset', 'amount']));
    expect(deposit['x-scopes']).toEqual(['operator']);
    expect(doc.paths['/v1/markets'].get.security).toEqual([]);
    expect(doc.paths['/v1/accounts/{account}'].get.parameters[0]).toMatchObject({
      name: 'account',
      in: 'path',
    });
  });
});
