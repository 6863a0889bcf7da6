import busboy from 'busboy';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Context } from 'koa';
import type { SpooledFile } from '../documents/documents';
import { HttpProblem } from './problem';

/** The form field an upload's file is sent in. */
export const FILE_FIELD = 'file';

export interface SpooledUpload extends SpooledFile {
  /** Removes the spool file; call when done with it, whatever happened. */
  discard(): Promise<void>;
}

/**
 * Reads a `multipart/form-data` body with one file part named `file` into a spool file, counting
 * its size and SHA-256 on the way and stopping at `maxBytes` (413, nothing kept). Other parts are
 * read past. Every client mistake is a 4xx problem.
 */
export async function readFileUpload(ctx: Context, maxBytes: number): Promise<SpooledUpload> {
  const type = (ctx.get('content-type').split(';')[0] ?? '').trim().toLowerCase();
  if (type !== 'multipart/form-data') {
    throw new HttpProblem(415, 'Unsupported Media Type', `send the document as multipart/form-data, in a part named "${FILE_FIELD}"`);
  }
  // A body this much larger than the file may be cannot be a form with an acceptable file in it.
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > maxBytes + 64 * 1024) throw tooLarge(maxBytes);

  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: ctx.req.headers,
      defParamCharset: 'utf8',
      limits: { files: 1, fileSize: maxBytes, fields: 10, fieldSize: 4096, parts: 20, headerPairs: 20 },
    });
  } catch (err) {
    throw new HttpProblem(400, 'Bad Request', `not a readable multipart/form-data request: ${(err as Error).message}`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-upload-'));
  const path = join(dir, 'file');
  const discard = () => rm(dir, { recursive: true, force: true });

  try {
    const file = await new Promise<SpooledFile>((resolve, reject) => {
      let written: Promise<SpooledFile> | null = null;
      let fileStream: Readable | null = null;
      let failure: HttpProblem | null = null;
      const fail = (problem: HttpProblem) => (failure ??= problem);
      parser.on('file', (field: string, stream: Readable, info: busboy.FileInfo) => {
        if (field !== FILE_FIELD || written) {
          stream.resume();
          return;
        }
        fileStream = stream;
        stream.once('limit', () => fail(tooLarge(maxBytes)));
        written = spool(stream, path, info.filename ?? '');
        written.catch(() => undefined);
      });
      parser.once('error', (err: Error) => fail(new HttpProblem(400, 'Bad Request', `the multipart body could not be read: ${err.message}`)));
      parser.once('close', async () => {
        try {
          const result = written ? await written : null;
          if (failure) return reject(failure);
          if (!result) return reject(new HttpProblem(400, 'Bad Request', `the form has no file part named "${FILE_FIELD}"`));
          if (result.size === 0) return reject(new HttpProblem(400, 'Bad Request', 'the file is empty'));
          resolve(result);
        } catch (err) {
          reject(failure ?? err);
        }
      });
      // A client gone mid-upload ends no form: stop here rather than wait for a part that never ends.
      ctx.req.once('close', () => {
        if (ctx.req.complete) return;
        fail(new HttpProblem(400, 'Bad Request', 'the upload was interrupted'));
        fileStream?.destroy();
        parser.destroy();
      });
      ctx.req.pipe(parser);
    });
    return { ...file, discard };
  } catch (err) {
    // What the client still sends is read and dropped, so it gets the answer instead of a reset.
    ctx.req.unpipe(parser);
    ctx.req.resume();
    await discard();
    throw err;
  }
}

async function spool(stream: Readable, path: string, givenName: string): Promise<SpooledFile> {
  const hash = createHash('sha256');
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(stream, counter, createWriteStream(path, { flags: 'wx' }));
  return { path, size, sha256: hash.digest('hex'), givenName };
}

function tooLarge(maxBytes: number): HttpProblem {
  return new HttpProblem(413, 'Payload Too Large', `a document may be at most ${formatMiB(maxBytes)} (DOCUMENT_MAX_MB)`, { maxBytes });
}

const formatMiB = (bytes: number) => (bytes >= 1024 * 1024 ? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB` : `${bytes} bytes`);
