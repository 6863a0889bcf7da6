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

/**
 * One contract, both stores. The S3 store runs against s3rver, an S3-compatible server from npm (a
 * real HTTP server speaking the S3 REST protocol, path-style, objects on disk): no MinIO is shipped
 * by Debian or npm here. s3rver parses the Signature V4 Authorization header and checks its access
 * key id, but does not recompute the signature — so a wrong secret is NOT caught here; nor are
 * checksum trailers or multipart uploads exercised.
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

async function startS3rver() {
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-s3rver-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: BUCKET }] });
  const address = (await server.run()) as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    close: async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

contract('S3 (s3rver, path-style, signed with its credentials)', async () => {
  const s3 = await startS3rver();
  const store = new S3DocumentStore({
    bucket: BUCKET,
    region: 'us-east-1',
    endpoint: s3.endpoint,
    pathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  return {
    store,
    close: async () => {
      store.destroy();
      await s3.close();
    },
  };
});

describe('document store: S3 refusals come back as errors', () => {
  it('an unknown access key is refused by the server, and the refusal reaches the caller', async () => {
    const s3 = await startS3rver();
    const store = new S3DocumentStore({
      bucket: BUCKET,
      region: 'us-east-1',
      endpoint: s3.endpoint,
      pathStyle: true,
      credentials: { accessKeyId: 'NOT-A-KEY', secretAccessKey: 'S3RVER' },
    });
    try {
      await assert.rejects(store.put(KEY, Readable.from([Buffer.from('x')]), 1, 'image/png'), /Access Key Id/i);
    } finally {
      store.destroy();
      await s3.close();
    }
  });
});
