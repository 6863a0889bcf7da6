import { EntitySchema } from 'typeorm';
import type { Role } from './api-key.entity';

/** A person who signs in to the console. Their role means what an API key's role means. */
export interface Operator {
  id: string;
  /** Lower-case, unique; what they type to sign in. */
  username: string;
  /** Their full name, as the audit log shows it. */
  name: string;
  role: Role;
  /** `scrypt$N$r$p$salt$hash` (see passwords.ts); never leaves the server. */
  passwordHash: string;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
  lastSignInAt: Date | null;
}

export const OperatorEntity = new EntitySchema<Operator>({
  name: 'Operator',
  tableName: 'operator',
  columns: {
    id: { type: 'uuid', primary: true, default: () => 'gen_random_uuid()' },
    username: { type: 'text' },
    name: { type: 'text' },
    role: { type: 'text' },
    passwordHash: { type: 'text', name: 'password_hash' },
    enabled: { type: 'boolean' },
    createdAt: { type: 'timestamptz', name: 'created_at', createDate: true },
    updatedAt: { type: 'timestamptz', name: 'updated_at', updateDate: true },
    lastSignInAt: { type: 'timestamptz', nullable: true, name: 'last_sign_in_at' },
  },
});

/** One signed-in browser. The token itself is only in the browser's cookie; the row has its SHA-256. */
export interface OperatorSession {
  id: string;
  operatorId: string;
  tokenHash: string;
  /** Sent back by the console in X-CSRF-Token; worthless without the cookie, so kept as is. */
  csrfToken: string;
  createdAt: Date;
  lastSeenAt: Date;
  /** The absolute end, whatever the activity. */
  expiresAt: Date;
}

export const OperatorSessionEntity = new EntitySchema<OperatorSession>({
  name: 'OperatorSession',
  tableName: 'operator_session',
  columns: {
    id: { type: 'uuid', primary: true, default: () => 'gen_random_uuid()' },
    operatorId: { type: 'uuid', name: 'operator_id' },
    tokenHash: { type: 'text', name: 'token_hash' },
    csrfToken: { type: 'text', name: 'csrf_token' },
    createdAt: { type: 'timestamptz', name: 'created_at' },
    lastSeenAt: { type: 'timestamptz', name: 'last_seen_at' },
    expiresAt: { type: 'timestamptz', name: 'expires_at' },
  },
});
