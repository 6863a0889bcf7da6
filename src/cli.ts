#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { roles, type Role } from './access/api-key.entity';
import { openContext, version } from './app-context';
import { cliActor } from './audit/audit';
import { ConfigError, loadConfig } from './config/env';
import { migrate } from './db/data-source';
import { ConflictError, ValidationError } from './errors';
import { PasswordInputError, readPassword } from './password-input';
import { EmbeddedDatabaseBusyError } from './db/embedded-lock';
import { seedDemo } from './directory/demo-seed';
import { createLogger } from './log';
import { serve } from './server';

const usage = `diemcau ${version} — SIP/H.323 video conference bridge

Usage:
  diemcau serve                                  run the bridge (migrates the database first)
  diemcau migrate                                apply pending database migrations
  diemcau apikey create --name N --role R        issue an API key (role: ${roles.join(', ')}); prints it once
  diemcau user create --username U --name "Full Name" --role R
                                                 create a console account; the password is asked for
                                                 (or read from standard input when it is not a terminal)
  diemcau user passwd --username U               set an account's password; its sessions end
  diemcau seed --demo                            load the demo district (15 sites, one meeting)

Configuration comes from environment variables; see README.md.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${usage}\n`);
    return command ? 0 : 2;
  }
  if (command === '--version') {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  const config = loadConfig();
  const log = createLogger(config.log, command === 'serve' ? 1 : 2);

  switch (command) {
    case 'serve':
      noArgs(rest);
      await serve(config, log);
      // Everything of ours is closed; sockets FreeSWITCH keeps to calls left running must not
      // hold the process.
      return process.exit(0);
    case 'migrate': {
      noArgs(rest);
      const ctx = await openContext(config, log, { migrate: false });
      try {
        const ran = await migrate(ctx.ds);
        process.stdout.write(ran.length ? `applied: ${ran.join(', ')}\n` : 'database is up to date\n');
      } finally {
        await ctx.close();
      }
      return 0;
    }
    case 'apikey': {
      const [sub, ...args] = rest;
      const { values } = parseArgs({ args, options: { name: { type: 'string' }, role: { type: 'string' } }, strict: true });
      if (sub !== 'create' || !values.name || !values.role) throw new UsageError('apikey create --name N --role R');
      if (!(roles as readonly string[]).includes(values.role)) {
        throw new UsageError(`--role must be one of ${roles.join(', ')}`);
      }
      const ctx = await openContext(config, log, { migrate: true });
      try {
        const { key, token } = await ctx.keys.issue(values.name, values.role as Role, cliActor);
        process.stderr.write(`API key "${key.name}" (${key.role}) created; it is shown only now:\n`);
        process.stdout.write(`${token}\n`);
      } finally {
        await ctx.close();
      }
      return 0;
    }
    case 'user': {
      const [sub, ...args] = rest;
      const { values } = parseArgs({
        args,
        options: { username: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' } },
        strict: true,
      });
      if (sub === 'create') {
        if (!values.username || !values.name || !values.role) throw new UsageError('user create --username U --name "Full Name" --role R');
        if (!(roles as readonly string[]).includes(values.role)) throw new UsageError(`--role must be one of ${roles.join(', ')}`);
        const password = await readPassword(`Password for ${values.username}`);
        const ctx = await openContext(config, log, { migrate: true });
        try {
          const op = await ctx.accounts.operators.create({ username: values.username, name: values.name, role: values.role as Role, password }, cliActor);
          process.stdout.write(`operator ${op.username} (${op.role}) created, id ${op.id}\n`);
        } finally {
          await ctx.close();
        }
        return 0;
      }
      if (sub === 'passwd') {
        if (!values.username || values.name || values.role) throw new UsageError('user passwd --username U');
        const ctx = await openContext(config, log, { migrate: true });
        try {
          const op = await ctx.accounts.operators.byUsername(values.username);
          if (!op) throw new UsageError(`no operator "${values.username}"`);
          const password = await readPassword(`New password for ${op.username}`);
          await ctx.accounts.operators.setPassword(op.id, password, cliActor);
          process.stdout.write(`password of ${op.username} changed; their sessions have ended\n`);
        } finally {
          await ctx.close();
        }
        return 0;
      }
      throw new UsageError('user create … | user passwd --username U');
    }
    case 'seed': {
      const { values } = parseArgs({ args: rest, options: { demo: { type: 'boolean' } }, strict: true });
      if (!values.demo) throw new UsageError('seed --demo');
      const ctx = await openContext(config, log, { migrate: true });
      try {
        const result = await seedDemo(ctx);
        const out = process.stdout;
        out.write(`sites: ${result.created.length} created, ${result.existing} already present\n`);
        for (const s of result.created) {
          out.write(`  ${s.code.padEnd(12)} ${s.name.padEnd(18)} ${s.sipUsername ? `SIP ${s.sipUsername} / ${s.sipPassword}` : 'H.323'}\n`);
        }
        if (result.created.some((s) => s.sipPassword)) out.write('(SIP passwords are shown once; only their digest is stored)\n');
        if (result.meeting) {
          const m = result.meeting;
          out.write(
            `meeting: room ${m.roomNumber}${m.pin ? `, PIN ${m.pin}` : ''} — dial sip:${m.roomNumber}@${config.sip.domain} ` +
              `(${m.created ? 'booked' : 'already booked'}, id ${m.id})\n`,
          );
        }
      } finally {
        await ctx.close();
      }
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

class UsageError extends Error {}

function noArgs(args: string[]): void {
  if (args.length) throw new UsageError(`unexpected argument(s): ${args.join(' ')}`);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ValidationError) {
      process.stderr.write(`diemcau: ${err.errors.map((e) => `${e.field} ${e.message}`).join('; ')}\n`);
      process.exitCode = 2;
    } else if (
      err instanceof ConfigError ||
      err instanceof UsageError ||
      err instanceof EmbeddedDatabaseBusyError ||
      err instanceof PasswordInputError ||
      err instanceof ConflictError
    ) {
      process.stderr.write(`diemcau: ${err.message}\n`);
      if (err instanceof UsageError) process.stderr.write(`\n${usage}\n`);
      process.exitCode = 2;
    } else if (err instanceof TypeError && (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      process.stderr.write(`diemcau: ${err.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`diemcau: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
