import { EntitySchema } from 'typeorm';

/** Who did what to which resource, written in the same transaction as the change itself. */
export interface AuditEvent {
  id: string;
  at: Date;
  actor: string;
  apiKeyId: string | null;
  operatorId: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  detail: Record<string, unknown>;
}

export const AuditEventEntity = new EntitySchema<AuditEvent>({
  name: 'AuditEvent',
  tableName: 'audit_event',
  columns: {
    id: { type: 'bigint', primary: true, generated: 'increment' },
    at: { type: 'timestamptz', createDate: true },
    actor: { type: 'text' },
    apiKeyId: { type: 'uuid', nullable: true, name: 'api_key_id' },
    operatorId: { type: 'uuid', nullable: true, name: 'operator_id' },
    action: { type: 'text' },
    resourceType: { type: 'text', name: 'resource_type' },
    resourceId: { type: 'text', nullable: true, name: 'resource_id' },
    detail: { type: 'jsonb' },
  },
});
