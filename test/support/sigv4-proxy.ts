import { createHash, createHmac } from 'node:crypto';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy in front of an S3-compatible test server that checks AWS Signature Version 4 itself,
 * written from the specification (canonical request, string to sign, derived key), independently of
 * the SDK that signs: s3rver does not recompute signatures. A request that does not verify is
 * answered 403 SignatureDoesNotMatch, as S3 would; a signed payload hash must match the body.
 * Every request seen is kept for the test to look at.
 */

export interface SeenRequest {
  method: string;
  path: string;
  scope: string;
  payloadHash: string;
  verified: boolean;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export function verifySigV4(
  req: IncomingMessage,
  body: Buffer,
  secrets: Record<string, string>,
): { ok: boolean; why: string; seen: Omit<SeenRequest, 'verified'> } {
  const url = new URL(req.url ?? '/', 'http://x');
  const seen = { method: req.method ?? '', path: url.pathname, scope: '', payloadHash: String(req.headers['x-amz-content-sha256'] ?? '') };
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(String(req.headers.authorization ?? ''));
  if (!m) return { ok: false, why: 'no AWS4-HMAC-SHA256 authorization', seen };
  const [, keyId, scope, signedHeaders, signature] = m as unknown as [string, string, string, string, string];
  seen.scope = scope;
  const secret = secrets[keyId];
  if (secret === undefined) return { ok: false, why: 'unknown key', seen };
  const [date, region, service, terminator] = scope.split('/');
  if (terminator !== 'aws4_request' || !date || !region || !service) return { ok: false, why: 'bad scope', seen };
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  if (!amzDate.startsWith(date)) return { ok: false, why: 'x-amz-date is not the scope date', seen };
  if (seen.payloadHash !== 'UNSIGNED-PAYLOAD') {
    if (!/^[0-9a-f]{64}$/.test(seen.payloadHash)) return { ok: false, why: `payload hash ${seen.payloadHash} not handled`, seen };
    if (sha256(body) !== seen.payloadHash) return { ok: false, why: 'body does not match x-amz-content-sha256', seen };
  }
  const query = [...url.searchParams.entries()]
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const headers = signedHeaders
    .split(';')
    .map(
      (h) =>
        `${h}:${String(req.headers[h] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const canonical = [req.method, url.pathname, query, headers, signedHeaders, seen.payloadHash].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
  const expected = hmac(key, toSign).toString('hex');
  return expected === signature ? { ok: true, why: '', seen } : { ok: false, why: 'signature does not match', seen };
}

export class SigV4Proxy {
  readonly seen: SeenRequest[] = [];

  private constructor(
    readonly server: Server,
    readonly endpoint: string,
  ) {}

  static async start(target: string, secrets: Record<string, string>): Promise<SigV4Proxy> {
    const upstream = new URL(target);
    let proxy: SigV4Proxy | null = null;
    const server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks);
      const result = verifySigV4(req, body, secrets);
      proxy?.seen.push({ ...result.seen, verified: result.ok });
      if (!result.ok) {
        res.writeHead(403, { 'content-type': 'application/xml' });
        res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code><Message>${result.why}</Message></Error>`);
        return;
      }
      const forward = request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, 'content-length': String(body.length) } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      forward.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    proxy = new SigV4Proxy(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return proxy;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}
