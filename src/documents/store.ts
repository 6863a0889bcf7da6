import type { Readable } from 'node:stream';

/** Bytes `start`..`end`, both inclusive, as in an HTTP Range header. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Where document bytes live, by key; the database keeps what they are. A local directory by
 * default, an S3-compatible bucket by configuration (see `openDocumentStore`).
 */
export interface DocumentStore {
  readonly kind: 'local' | 's3';
  /** Stores `body` (exactly `size` bytes) under `key`, replacing nothing: keys are new ids. */
  put(key: string, body: Readable, size: number, mediaType: string): Promise<void>;
  get(key: string, range?: ByteRange): Promise<Readable>;
  /** Deleting a key that is not there is not an error. */
  delete(key: string): Promise<void>;
}
