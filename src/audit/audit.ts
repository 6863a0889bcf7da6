import type { DataSource, EntityManager } from 'typeorm';

/** Whoever asked for a change: an API key, a signed-in operator, or the command line on the server itself. */
export interface Actor {
  name: string;
  apiKeyId: string | null;
  operatorId: string | null;
}

export const cliActor: Actor = { name: 'cli', apiKeyId: null, operatorId: null };

export interface AuditEntry {
  action: string;
  resourceType: string;
  resourceId: string | null;
  detail?: Record<string, unknown>;
}

/** Call inside the transaction that makes the change, so the record and the change stand or fall together. */
export async function recordAudit(em: EntityManager, actor: Actor, entry: AuditEntry): Promise<void> {
  await em.query(
    `INSERT INTO audit_event (actor, api_key_id, operator_id, action, resource_type, resource_id, detail)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)`,
    [actor.name, actor.apiKeyId, actor.operatorId, entry.action, entry.resourceType, entry.resourceId, JSON.stringify(entry.detail ?? {})],
  );
}

/** For a change made outside the database (a call muted, a room locked): recorded on its own, once it is done. */
export async function recordAuditAfter(ds: DataSource, actor: Actor, entry: AuditEntry): Promise<void> {
  await ds.transaction((em) => recordAudit(em, actor, entry));
}
