import type { EntityManager } from 'typeorm';

/** Whoever asked for a change: an API key, or the command line on the server itself. */
export interface Actor {
  name: string;
  apiKeyId: string | null;
}

export const cliActor: Actor = { name: 'cli', apiKeyId: null };

export interface AuditEntry {
  action: string;
  resourceType: string;
  resourceId: string | null;
  detail?: Record<string, unknown>;
}

/** Call inside the transaction that makes the change, so the record and the change stand or fall together. */
export async function recordAudit(em: EntityManager, actor: Actor, entry: AuditEntry): Promise<void> {
  await em.query(
    `INSERT INTO audit_event (actor, api_key_id, action, resource_type, resource_id, detail)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb)`,
    [actor.name, actor.apiKeyId, entry.action, entry.resourceType, entry.resourceId, JSON.stringify(entry.detail ?? {})],
  );
}
