import type { Config } from '../config/env';
import { LocalDocumentStore } from './local-store';
import { S3DocumentStore } from './s3-store';
import type { DocumentStore } from './store';

export function openDocumentStore(config: Config['documents']['store']): DocumentStore {
  return 'dir' in config ? new LocalDocumentStore(config.dir) : new S3DocumentStore(config.s3);
}
