import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import type { S3StoreConfig } from '../config/env';
import type { ByteRange, DocumentStore } from './store';

/** Documents as objects in an S3-compatible bucket (MinIO, Ceph, AWS…), through the official client. */
export class S3DocumentStore implements DocumentStore {
  readonly kind = 's3';
  readonly #client: S3Client;
  readonly #bucket: string;

  constructor(config: S3StoreConfig, client?: S3Client) {
    this.#bucket = config.bucket;
    this.#client =
      client ??
      new S3Client({
        region: config.region,
        forcePathStyle: config.pathStyle,
        // Checksums only where S3 requires them: the SDK's default (a CRC trailer on every upload)
        // is not understood by many S3-compatible stores.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        ...(config.endpoint ? { endpoint: config.endpoint } : {}),
        ...(config.credentials ? { credentials: config.credentials } : {}),
      });
  }

  async put(key: string, body: Readable, size: number, mediaType: string): Promise<void> {
    await this.#client.send(new PutObjectCommand({ Bucket: this.#bucket, Key: key, Body: body, ContentLength: size, ContentType: mediaType }));
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const out = await this.#client.send(
      new GetObjectCommand({ Bucket: this.#bucket, Key: key, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
    );
    if (!(out.Body instanceof Readable)) throw new Error('the object store answered without a body');
    return out.Body;
  }

  async delete(key: string): Promise<void> {
    await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key }));
  }

  destroy(): void {
    this.#client.destroy();
  }
}
