/**
 * GET /openapi.json: an OpenAPI 3.1 document generated from the route table and the zod schemas the
 * server validates with (zod's JSON Schema output), so it cannot drift from what is accepted.
 */
import { z } from 'zod';
import { HTTP_STATUS } from './errors.ts';
import type { RouteDef } from './route.ts';

/** /v1/accounts/:account → /v1/accounts/{account} */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): unknown {
  return z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' });
}

const ErrorSchema = z.object({
  code: z.enum(Object.keys(HTTP_STATUS) as [string, ...string[]]),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});

export function openApiDocument(routes: readonly RouteDef[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const p = openApiPath(r.path);
    const params: unknown[] = [...r.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    if (r.query) {
      const qs = jsonSchema(r.query, 'input') as {
        properties?: Record<string, unknown>;
        required?: string[];
      };
      for (const [name, schema] of Object.entries(qs.properties ?? {}))
        params.push({ name, in: 'query', required: qs.required?.includes(name) === true, schema });
    }
    const op: Record<string, unknown> = {
      operationId: `${r.method}${p.replace(/[^A-Za-z0-9]+(.)?/g, (_m, ch: string | undefined) => (ch ?? '').toUpperCase())}`,
      tags: [r.tag],
      summary: r.summary,
      security: r.auth === 'public' ? [] : [{ plimsollSignature: [] }],
      'x-scopes': r.auth === 'public' ? [] : [...r.auth],
      ...(params.length > 0 ? { parameters: params } : {}),
      responses: {
        [String(r.status ?? 200)]: {
          description: 'OK',
          ...(r.response
            ? { content: { 'application/json': { schema: jsonSchema(r.response, 'output') } } }
            : {}),
        },
        default: {
          description: 'Error: {code, message, details?}',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    };
    if (r.body)
      op.requestBody = {
        required: true,
        content: { 'application/json': { schema: jsonSchema(r.body, 'input') } },
      };
    paths[p] = { ...(paths[p] ?? {}), [r.method]: op };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Plimsoll',
      version,
      description:
        'Margin and liquidation engine HTTP API. Money, prices and sizes are decimal strings. Signed requests: docs/server.md.',
    },
    paths,
    components: {
      schemas: { Error: jsonSchema(ErrorSchema, 'output') },
      securitySchemes: {
        plimsollSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'PLIM-KEY',
          description:
            'With PLIM-TIMESTAMP (ms), PLIM-NONCE and PLIM-SIGNATURE = hex HMAC-SHA256(secret, timestamp\\nnonce\\nMETHOD\\npath?query\\nbody).',
        },
      },
    },
  };
}
