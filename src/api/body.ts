import type { Context } from 'koa';
import { HttpProblem } from './problem';

export type BodyFormat = 'json' | 'csv';

const limits: Record<BodyFormat, number> = { json: 256 * 1024, csv: 4 * 1024 * 1024 };
const mediaTypes: Record<BodyFormat, string[]> = {
  json: ['application/json'],
  csv: ['text/csv', 'text/plain'],
};

/** Reads the request body within a size limit and parses it; every failure is a 4xx problem. */
export async function readBody(ctx: Context, format: BodyFormat): Promise<unknown> {
  const type = (ctx.get('content-type').split(';')[0] ?? '').trim().toLowerCase();
  if (!mediaTypes[format].includes(type)) {
    throw new HttpProblem(415, 'Unsupported Media Type', `send the body as ${mediaTypes[format].join(' or ')}`);
  }
  const limit = limits[format];
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new HttpProblem(400, 'Bad Request', 'the body is not valid UTF-8 (save the file as UTF-8)');
  }
  if (format === 'csv') return text;
  if (!text.trim()) throw new HttpProblem(400, 'Bad Request', 'the body is empty; send a JSON object');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpProblem(400, 'Bad Request', `the body is not valid JSON: ${(err as Error).message}`);
  }
}

function tooLarge(limit: number): HttpProblem {
  return new HttpProblem(413, 'Payload Too Large', `the body is larger than ${Math.round(limit / 1024)} KiB`);
}
