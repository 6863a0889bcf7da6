import { parse } from 'csv-parse/sync';
import type { DataSource } from 'typeorm';
import { In } from 'typeorm';
import { recordAudit, type Actor } from '../audit/audit';
import { unstorableText } from '../db/values';
import { ConflictError, ValidationError } from '../errors';
import { NO_USERNAME } from './site-credentials';
import { SiteEntity } from './site.entity';
import { siteCsvColumns } from './site-csv-columns';
import { siteCreateSchema, siteUpdateSchema, type SiteCreate } from './site.schema';
import type { SiteDirectory } from './sites';

/**
 * CSV import of sites, all or nothing: a file with any bad line changes nothing, and the answer names
 * every bad line with its reason, so the IT officer fixes the file and sends it again. Rows are matched
 * to existing sites by `code`; an existing site is updated, a new one created.
 */

export interface ImportLineError {
  line: number;
  field?: string;
  message: string;
}

export interface ImportReport {
  created: number;
  updated: number;
  dryRun: boolean;
}

export class SiteImportError extends ValidationError {
  constructor(readonly lines: ImportLineError[]) {
    super(
      lines.map((l) => ({ field: `line ${l.line}${l.field ? `.${l.field}` : ''}`, message: l.message })),
      `${lines.length} line(s) of the file are invalid; nothing was imported`,
    );
    this.name = 'SiteImportError';
  }
}

export interface ParsedRow {
  line: number;
  input: SiteCreate;
}

const truthy = new Set(['true', '1', 'yes', 'y', 'có', 'x']);
const falsy = new Set(['false', '0', 'no', 'n', 'không']);

/** Parses and validates the file without touching the database. */
export function parseSiteCsv(text: string): { header: string[]; rows: ParsedRow[]; errors: ImportLineError[] } {
  let records: { record: Record<string, string>; info: { lines: number } }[];
  let header: string[] = [];
  try {
    records = parse(text, {
      columns: (names: string[]) => (header = names.map((h) => h.trim())),
      bom: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
      relax_column_count: false,
    });
  } catch (err) {
    const line = (err as { lines?: number }).lines ?? 0;
    return { header: [], rows: [], errors: [{ line, message: `not valid CSV: ${(err as Error).message}` }] };
  }
  const errors: ImportLineError[] = [];
  const unknown = header.filter((h) => !(siteCsvColumns as readonly string[]).includes(h));
  if (unknown.length) {
    errors.push({ line: 1, message: `unknown column(s) ${unknown.join(', ')}; known: ${siteCsvColumns.join(', ')}` });
  }
  for (const required of ['code', 'name'] as const) {
    if (!header.includes(required)) errors.push({ line: 1, message: `column "${required}" is required` });
  }
  if (errors.length) return { header, rows: [], errors };
  if (!records.length) return { header, rows: [], errors: [{ line: 2, message: 'the file has no sites' }] };

  const rows: ParsedRow[] = [];
  const seen = new Map<string, number>();
  for (const { record, info } of records) {
    const line = info.lines;
    const candidate: Record<string, unknown> = {};
    const badCells = new Set<string>();
    for (const [key, raw] of Object.entries(record)) {
      const value = cell(key, raw.normalize('NFC'));
      if (value instanceof Error) {
        errors.push({ line, field: key, message: value.message });
        badCells.add(key);
      } else if (value !== undefined) candidate[key] = value;
    }
    const parsed = siteCreateSchema.safeParse(candidate);
    if (!parsed.success) {
      // A bad cell is left out of the candidate: that the schema then misses it says nothing new.
      for (const issue of parsed.error.issues.filter((i) => !badCells.has(String(i.path[0])))) {
        errors.push({ line, field: issue.path.join('.') || undefined, message: issue.message } as ImportLineError);
      }
      continue;
    }
    const dup = seen.get(parsed.data.code);
    if (dup) {
      errors.push({ line, field: 'code', message: `code "${parsed.data.code}" already appears on line ${dup}` });
      continue;
    }
    seen.set(parsed.data.code, line);
    rows.push({ line, input: parsed.data });
  }
  return { header, rows, errors };
}

/** One CSV cell as the API would receive it: absent when empty, typed where the schema wants a type. */
function cell(key: string, raw: string): unknown {
  if (raw === '') return undefined;
  const unstorable = unstorableText(raw);
  if (unstorable) return new Error(unstorable);
  switch (key) {
    case 'bandwidthKbps':
    case 'h264PacketizationMode':
      return /^-?\d+$/.test(raw) ? Number(raw) : new Error(`"${raw}" is not a whole number`);
    case 'enabled': {
      const v = raw.toLowerCase();
      if (truthy.has(v)) return true;
      if (falsy.has(v)) return false;
      return new Error(`"${raw}" is not true/false`);
    }
    case 'allowedNetworks':
      return raw.split(/[\s;]+/).filter(Boolean);
    default:
      return raw;
  }
}

export async function importSites(ds: DataSource, directory: SiteDirectory, text: string, actor: Actor, options: { dryRun: boolean }): Promise<ImportReport> {
  const { header, rows, errors } = parseSiteCsv(text);
  if (errors.length) throw new SiteImportError(errors);

  return ds
    .transaction(async (em) => {
      const existing = await em.find(SiteEntity, { where: { code: In(rows.map((r) => r.input.code)) } });
      const byCode = new Map(existing.map((s) => [s.code, s]));
      const lineErrors: ImportLineError[] = [];
      let created = 0;
      let updated = 0;
      for (const { line, input } of rows) {
        const current = byCode.get(input.code);
        try {
          if (current) {
            // A row describes the whole site for the columns the file has: an empty cell clears the
            // field. The password may be left empty to keep the stored credentials.
            const given = input as Record<string, unknown>;
            const update = siteUpdateSchema.parse(
              Object.fromEntries(
                header.filter((c) => c !== 'sipPassword' || given[c] !== undefined).map((c) => [c, given[c] ?? (clearable(c) ? null : undefined)]),
              ),
            );
            await em.query('SAVEPOINT import_row');
            await directory.save(em, current, update);
            updated++;
          } else {
            await em.query('SAVEPOINT import_row');
            await directory.insert(em, input);
            created++;
          }
        } catch (err) {
          if (err instanceof ValidationError) {
            lineErrors.push(...err.errors.map((e) => ({ line, field: e.field, message: e.message })));
          } else if (err instanceof ConflictError) {
            lineErrors.push({ line, field: String(err.extra['field'] ?? ''), message: err.message });
          } else {
            throw err;
          }
          await em.query('ROLLBACK TO SAVEPOINT import_row');
        }
      }
      if (lineErrors.length) throw new SiteImportError(lineErrors);
      await recordAudit(em, actor, {
        action: 'site.import',
        resourceType: 'site',
        resourceId: null,
        detail: { created, updated, codes: rows.map((r) => r.input.code) },
      });
      if (options.dryRun) {
        // Everything was checked against the real tables; now undo it.
        throw new DryRunDone({ created, updated, dryRun: true });
      }
      return { created, updated, dryRun: false };
    })
    .then((report) => {
      if (report.updated) directory.changed(null);
      else if (report.created) directory.changed(NO_USERNAME);
      return report;
    })
    .catch((err: unknown) => {
      if (err instanceof DryRunDone) return err.report;
      throw err;
    });
}

const notClearable = new Set(['code', 'name', 'protocol', 'allowedNetworks', 'enabled', 'sipPassword']);
const clearable = (column: string) => !notClearable.has(column);

class DryRunDone extends Error {
  constructor(readonly report: ImportReport) {
    super('dry run');
  }
}
