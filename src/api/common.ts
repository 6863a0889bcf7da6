import { z } from 'zod';

/** Shapes shared by several resources' responses. */

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 7807 problem details' });

export function pageOf<T extends z.ZodType>(item: T, id: string) {
  return z.object({ items: z.array(item), total: z.number().int(), limit: z.number().int(), offset: z.number().int() }).meta({ id });
}

export const problems = {
  400: { description: 'Malformed request', schema: problemSchema, contentType: 'application/problem+json' },
  401: { description: 'No valid API key', schema: problemSchema, contentType: 'application/problem+json' },
  403: { description: 'The key\u2019s role does not allow this', schema: problemSchema, contentType: 'application/problem+json' },
  404: { description: 'No such resource', schema: problemSchema, contentType: 'application/problem+json' },
  409: { description: 'Conflicts with stored data or state', schema: problemSchema, contentType: 'application/problem+json' },
  413: { description: 'Body too large', schema: problemSchema, contentType: 'application/problem+json' },
  415: { description: 'Wrong content type', schema: problemSchema, contentType: 'application/problem+json' },
  422: { description: 'Invalid fields, each named', schema: problemSchema, contentType: 'application/problem+json' },
  429: { description: 'Too many failed authentications', schema: problemSchema, contentType: 'application/problem+json' },
} as const;

/** The error answers every authenticated route can give. */
export const authProblems = { 401: problems[401], 403: problems[403], 429: problems[429] };
export const writeProblems = { ...authProblems, 400: problems[400], 413: problems[413], 415: problems[415], 422: problems[422] };

export const iso = (d: Date) => d.toISOString();
