import { EntitySchema } from 'typeorm';

export const roles = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof roles)[number];

export interface ApiKey {
  id: string;
  name: string;
  role: Role;
  /** Public, unique part of the key, used to find the row without scanning hashes. */
  prefix: string;
  /** SHA-256 of the secret part; the secret itself is shown once and never stored. */
  secretHash: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export const ApiKeyEntity = new EntitySchema<ApiKey>({
  name: 'ApiKey',
  tableName: 'api_key',
  columns: {
    id: { type: 'uuid', primary: true, default: () => 'gen_random_uuid()' },
    name: { type: 'text' },
    role: { type: 'text' },
    prefix: { type: 'text' },
    secretHash: { type: 'text', name: 'secret_hash' },
    createdAt: { type: 'timestamptz', name: 'created_at', createDate: true },
    lastUsedAt: { type: 'timestamptz', nullable: true, name: 'last_used_at' },
    revokedAt: { type: 'timestamptz', nullable: true, name: 'revoked_at' },
  },
});
