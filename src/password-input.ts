/**
 * Reads a password for the command line, never from its arguments (they show in `ps` and in shell
 * history): typed at a terminal without echo, asked twice; or the first line of standard input when
 * it is not a terminal (`printf '%s\n' "$PW" | diemcau user create …`).
 */
export async function readPassword(what: string): Promise<string> {
  if (!process.stdin.isTTY) return firstLine(await readAll(process.stdin));
  const first = await promptHidden(`${what}: `);
  const again = await promptHidden(`${what} again: `);
  if (first !== again) throw new PasswordInputError('the two passwords differ');
  return first;
}

export class PasswordInputError extends Error {}

/** Up to the first line break; no line at all is an error rather than an empty password. */
export function firstLine(text: string): string {
  const line = text.split(/\r?\n/, 1)[0] ?? '';
  if (!line) throw new PasswordInputError('no password on standard input');
  return line;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** One line from the terminal in raw mode, nothing echoed; Ctrl-C and Ctrl-D abort. */
function promptHidden(prompt: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(prompt);
  input.setRawMode(true);
  input.setEncoding('utf8');
  input.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const done = (err?: Error) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (data: string) => {
      for (const ch of data) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004') return done(new PasswordInputError('cancelled'));
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
    };
    input.on('data', onData);
  });
}
