import type { DataSource, EntityManager } from 'typeorm';
import { recordAudit, type Actor } from '../audit/audit';
import { isSqlState, SqlState } from '../db/errors';
import { isUuid } from '../directory/sites';
import { ConflictError, InvalidStateError, NotFoundError, ValidationError } from '../errors';
import type { Role } from './api-key.entity';
import { OperatorEntity, OperatorSessionEntity, type Operator } from './operator.entity';
import { DEFAULT_SCRYPT, hashPassword, needsRehash, passwordProblem, verifyPassword, type ScryptParams } from './passwords';

/** What a username may be (after `normalizeUsername`); the migration checks the same. */
export const USERNAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** Usernames are case-insensitive: "Lan" and "lan" are one account. */
export function normalizeUsername(username: string): string {
  return username.trim().toLowerCase();
}

/** How an operator appears in the audit log: the account and the person's name. */
export function operatorActor(op: Pick<Operator, 'id' | 'username' | 'name'>): Actor {
  return { name: `operator:${op.username} (${op.name})`, apiKeyId: null, operatorId: op.id };
}

export interface OperatorCreate {
  username: string;
  name: string;
  role: Role;
  password: string;
}

export interface OperatorUpdate {
  name?: string | undefined;
  role?: Role | undefined;
  enabled?: boolean | undefined;
  /** A reset by an admin: every session of the account ends. */
  password?: string | undefined;
}

/** Operator accounts: every change audited; passwords only ever stored as scrypt hashes. */
export class Operators {
  readonly #scrypt: ScryptParams;
  /** Verified against when the username is unknown, so that such a sign-in costs what a real one does. */
  #dummyHash: Promise<string> | undefined;

  constructor(
    private readonly ds: DataSource,
    options: { scrypt?: ScryptParams } = {},
  ) {
    this.#scrypt = options.scrypt ?? DEFAULT_SCRYPT;
  }

  async list(): Promise<Operator[]> {
    return this.ds.manager.find(OperatorEntity, { order: { username: 'ASC' } });
  }

  async get(id: string): Promise<Operator> {
    const op = isUuid(id) ? await this.ds.manager.findOneBy(OperatorEntity, { id }) : null;
    if (!op) throw new NotFoundError('operator', id);
    return op;
  }

  async byUsername(username: string): Promise<Operator | null> {
    return this.ds.manager.findOneBy(OperatorEntity, { username: normalizeUsername(username) });
  }

  async create(input: OperatorCreate, actor: Actor): Promise<Operator> {
    const username = normalizeUsername(input.username);
    if (!USERNAME.test(username)) {
      throw new ValidationError([{ field: 'username', message: 'letters a-z, digits, ".", "_" or "-", at most 64, starting with a letter or digit' }]);
    }
    const passwordHash = await this.hash(input.password, 'password');
    return this.ds.transaction(async (em) => {
      let op: Operator;
      try {
        op = await em.save(OperatorEntity, em.create(OperatorEntity, { username, name: input.name, role: input.role, passwordHash, enabled: true }));
      } catch (err) {
        if (isSqlState(err, SqlState.uniqueViolation, 'operator_username_key')) {
          throw new ConflictError(`an operator with username "${username}" already exists`, { field: 'username' });
        }
        throw err;
      }
      await recordAudit(em, actor, { action: 'operator.create', resourceType: 'operator', resourceId: op.id, detail: { username, role: op.role } });
      return op;
    });
  }

  /**
   * Changes an account. Disabling it or resetting its password ends its sessions at once (a role
   * change needs no such thing: sessions read the role afresh on every request). `keepSessionId`
   * spares the session of an admin resetting their own password.
   */
  async update(id: string, input: OperatorUpdate, actor: Actor, keepSessionId?: string): Promise<Operator> {
    const passwordHash = input.password === undefined ? undefined : await this.hash(input.password, 'password');
    return this.ds.transaction(async (em) => {
      const admins = input.role !== undefined || input.enabled !== undefined ? await lockEnabledAdmins(em) : [];
      const op = isUuid(id) ? await em.findOne(OperatorEntity, { where: { id }, lock: { mode: 'pessimistic_write' } }) : null;
      if (!op) throw new NotFoundError('operator', id);
      if ((input.role ?? op.role) !== 'admin' || (input.enabled ?? op.enabled) === false) refuseLastAdmin(op, admins);
      if (input.name !== undefined) op.name = input.name;
      if (input.role !== undefined) op.role = input.role;
      if (input.enabled !== undefined) op.enabled = input.enabled;
      if (passwordHash !== undefined) op.passwordHash = passwordHash;
      const saved = await em.save(OperatorEntity, op);
      if (input.enabled === false || passwordHash !== undefined) await endSessions(em, id, keepSessionId);
      const fields = Object.entries(input)
        .filter(([, v]) => v !== undefined)
        .map(([k]) => (k === 'password' ? 'password(reset)' : k));
      await recordAudit(em, actor, { action: 'operator.update', resourceType: 'operator', resourceId: id, detail: { username: op.username, fields } });
      return saved;
    });
  }

  /** Deletes an account that never acted; one the audit log names is disabled instead, as sites are. */
  async delete(id: string, actor: Actor): Promise<void> {
    await this.ds.transaction(async (em) => {
      const admins = await lockEnabledAdmins(em);
      const op = isUuid(id) ? await em.findOneBy(OperatorEntity, { id }) : null;
      if (!op) throw new NotFoundError('operator', id);
      refuseLastAdmin(op, admins);
      try {
        await em.delete(OperatorEntity, { id });
      } catch (err) {
        if (isSqlState(err, SqlState.foreignKeyViolation) || isSqlState(err, SqlState.restrictViolation)) {
          throw new InvalidStateError(
            `operator ${op.username} has acted, and the audit log keeps their name; disable the account with {"enabled": false} instead`,
          );
        }
        throw err;
      }
      await recordAudit(em, actor, { action: 'operator.delete', resourceType: 'operator', resourceId: id, detail: { username: op.username } });
    });
  }

  /**
   * The enabled operator `username` and `password` name, or null — after the same work whether the
   * account exists, is disabled, or the password is wrong, so that timing tells an attacker nothing.
   * A hash made with weaker parameters than today's is replaced on the way.
   */
  async authenticate(username: string, password: string): Promise<Operator | null> {
    const op = await this.byUsername(username);
    this.#dummyHash ??= hashPassword('no such operator', this.#scrypt);
    const ok = await verifyPassword(password, op?.passwordHash ?? (await this.#dummyHash));
    if (!op || !ok || !op.enabled) return null;
    if (needsRehash(op.passwordHash, this.#scrypt)) {
      op.passwordHash = await hashPassword(password, this.#scrypt);
      await this.ds.manager.update(OperatorEntity, { id: op.id }, { passwordHash: op.passwordHash });
    }
    return op;
  }

  /** True when `password` is the operator's current one. */
  async passwordMatches(id: string, password: string): Promise<boolean> {
    return verifyPassword(password, (await this.get(id)).passwordHash);
  }

  /**
   * Sets a password: the operator's own change (keeping the session it was made from), or the
   * command line's (ending every session).
   */
  async setPassword(id: string, password: string, actor: Actor, options: { field?: string; keepSessionId?: string } = {}): Promise<void> {
    const op = await this.get(id);
    const passwordHash = await this.hash(password, options.field ?? 'password');
    await this.ds.transaction(async (em) => {
      await em.update(OperatorEntity, { id }, { passwordHash });
      const ended = await endSessions(em, id, options.keepSessionId);
      await recordAudit(em, actor, {
        action: 'operator.password',
        resourceType: 'operator',
        resourceId: id,
        detail: { username: op.username, sessionsEnded: ended },
      });
    });
  }

  /** A failed sign-in, for admins to see; the account it named, if there is one. */
  async recordFailedSignIn(username: string, source: string, extra: Record<string, unknown> = {}): Promise<void> {
    const op = await this.byUsername(username);
    await this.ds.transaction((em) =>
      recordAudit(
        em,
        { name: `anonymous@${source}`, apiKeyId: null, operatorId: null },
        {
          action: 'session.fail',
          resourceType: 'operator',
          resourceId: op?.id ?? null,
          detail: { username: normalizeUsername(username), source, ...extra },
        },
      ),
    );
  }

  private async hash(password: string, field: string): Promise<string> {
    const problem = passwordProblem(password);
    if (problem) throw new ValidationError([{ field, message: problem }]);
    return hashPassword(password, this.#scrypt);
  }
}

/**
 * The ids of the enabled admin accounts, locked until the transaction ends: two admins demoting
 * each other at once are then taken one after the other (always in the same order, so they cannot
 * deadlock), and the second sees the first's change.
 */
async function lockEnabledAdmins(em: EntityManager): Promise<string[]> {
  const rows: { id: string }[] = await em.query(`SELECT id FROM operator WHERE role = 'admin' AND enabled ORDER BY id FOR UPDATE`);
  return rows.map((r) => r.id);
}

/** Refuses to take away the last enabled admin account: nobody could then manage accounts from the console. */
function refuseLastAdmin(op: Operator, enabledAdmins: string[]): void {
  if (enabledAdmins.includes(op.id) && enabledAdmins.length === 1) {
    throw new ConflictError(`${op.username} is the last enabled admin account; make another account admin first`);
  }
}

/** Deletes the operator's sessions but `keep`; returns how many ended. */
async function endSessions(em: EntityManager, operatorId: string, keep?: string): Promise<number> {
  const qb = em.createQueryBuilder().delete().from(OperatorSessionEntity).where('operator_id = :operatorId', { operatorId });
  if (keep) qb.andWhere('id <> :keep', { keep });
  return (await qb.execute()).affected ?? 0;
}
