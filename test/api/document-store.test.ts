import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import S3rver from 's3rver';
import { LocalDocumentStore } from '../../src/documents/local-store';
import { S3DocumentStore } from '../../src/documents/s3-store';
import type { DocumentStore } from '../../src/documents/store';
import { SigV4Proxy } from '../support/sigv4-proxy';

/**
 * One contract, both stores. The S3 store runs against s3rver, an S3-compatible server from npm (a
 * real HTTP server speaking the S3 REST protocol, path-style, objects on disk): no MinIO is shipped
 * by Debian or npm here. s3rver checks the access key id but does not recompute Signature V4, so
 * the requests pass through SigV4Proxy, which does (written from the specification, not the SDK).
 * Not exercised: multipart uploads (documents are sent in one PUT), checksum trailers (turned off),
 * virtual-host-style addressing, a real MinIO's or AWS's own quirks.
 */

const BUCKET = 'tai-lieu-hop';
const KEY = '0f8fad5b-d9cb-469f-a165-70867728950e';
const CONTENT = 'Chương trình họp giao ban — bản chính thức';

function contract(name: string, open: () => Promise<{ store: DocumentStore; close(): Promise<void> }>) {
  describe(`document store: ${name}`, () => {
    let store: DocumentStore;
    let close: () => Promise<void>;
    before(async () => ({ store, close } = await open()));
    after(async () => close?.());

    it('puts, gets whole and by byte range, and deletes', async () => {
      const bytes = Buffer.from(CONTENT, 'utf8');
      await store.put(KEY, Readable.from([bytes]), bytes.length, 'application/pdf');
      assert.equal(await text(await store.get(KEY)), CONTENT);
      assert.equal(await text(await store.get(KEY, { start: 0, end: 'Chương'.length + 1 })), 'Chương');
      await store.delete(KEY);
      await assert.rejects(async () => text(await store.get(KEY)));
      await store.delete(KEY); // gone already: not an error
    });
  });
}

contract('local directory', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-store-'));
  return { store: new LocalDocumentStore(dir), close: () => rm(dir, { recursive: true, force: true }) };
});

const SECRET = 'bí-mật-của-kho-tài-liệu';

/** s3rver (with its default account S3RVER) behind the signature-checking proxy, which knows the real secret. */
async function startS3() {
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-s3rver-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: BUCKET }] });
  const address = (await server.run()) as AddressInfo;
  const proxy = await SigV4Proxy.start(`http://127.0.0.1:${address.port}`, { S3RVER: SECRET });
  return {
    proxy,
    store: (secretAccessKey: string) =>
      new S3DocumentStore({
        bucket: BUCKET,
        region: 'ap-southeast-1',
        endpoint: proxy.endpoint,
        pathStyle: true,
        credentials: { accessKeyId: 'S3RVER', secretAccessKey },
      }),
    close: async () => {
      await proxy.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

let s3: Awaited<ReturnType<typeof startS3>>;

contract('S3 (s3rver behind a Signature V4 check, path-style)', async () => {
  s3 = await startS3();
  const store = s3.store(SECRET);
  return {
    store,
    close: async () => {
      // Every request was signed for the region and s3, addressed path-style, and verified.
      assert.ok(s3.proxy.seen.length >= 4);
      for (const r of s3.proxy.seen) {
        assert.ok(r.verified, JSON.stringify(r));
        assert.match(r.scope, /^\d{8}\/ap-southeast-1\/s3\/aws4_request$/);
        assert.equal(r.path, `/${BUCKET}/${KEY}`);
      }
      assert.deepEqual(
        s3.proxy.seen.map((r) => r.method),
        ['PUT', 'GET', 'GET', 'DELETE', 'GET', 'DELETE'],
      );
      store.destroy();
      await s3.close();
    },
  };
});

describe('document store: S3 refusals come back as errors', () => {
  it('a wrong secret fails the signature check, and the refusal reaches the caller', async () => {
    const s3 = await startS3();
    const store = s3.store('not-the-secret');
    try {
      await assert.rejects(store.put(KEY, Readable.from([Buffer.from('x')]), 1, 'image/png'), (err: Error) => err.name === 'SignatureDoesNotMatch');
      assert.deepEqual(
        s3.proxy.seen.map((r) => r.verified),
        [false],
      );
    } finally {
      store.destroy();
      await s3.close();
    }
  });
});
