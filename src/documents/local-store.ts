import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ByteRange, DocumentStore } from './store';

const KEY = /^[0-9a-f-]{36}$/;

/** Documents as files in one directory, named by their id; written aside and renamed, so never seen half-written. */
export class LocalDocumentStore implements DocumentStore {
  readonly kind = 'local';

  constructor(readonly dir: string) {}

  async put(key: string, body: Readable): Promise<void> {
    const path = this.#path(key);
    await mkdir(this.dir, { recursive: true });
    const partial = `${path}.partial`;
    try {
      await pipeline(body, createWriteStream(partial, { flags: 'wx' }));
      await rename(partial, path);
    } catch (err) {
      await rm(partial, { force: true });
      throw err;
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const stream = createReadStream(this.#path(key), range ? { start: range.start, end: range.end } : {});
    // Open before answering, so a missing file is an error here and not half a response.
    await new Promise<void>((resolve, reject) => stream.once('open', () => resolve()).once('error', reject));
    return stream;
  }

  async delete(key: string): Promise<void> {
    await rm(this.#path(key), { force: true });
  }

  #path(key: string): string {
    if (!KEY.test(key)) throw new Error(`not a document key: ${key}`);
    return join(this.dir, key);
  }
}
