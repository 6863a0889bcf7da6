/**
 * Runs Erlang's asn1 (aligned PER, maps) on the ITU-T modules as a second implementation.
 * The compiled modules are cached in the OS temp directory keyed by the modules' contents,
 * since compiling H.245 takes about half a minute.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MODULES = ['MULTIMEDIA-SYSTEM-CONTROL.asn', 'H235-SECURITY-MESSAGES.asn', 'H323-MESSAGES.asn'];

export function compileErlangModules(asn1Dir: string): string {
  const hash = createHash('sha256');
  for (const m of MODULES) hash.update(readFileSync(join(asn1Dir, m)));
  hash.update(XCHECK);
  const out = join(tmpdir(), `diemcau-h323-erl-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(join(out, 'H323-MESSAGES.beam')) && existsSync(join(out, 'xcheck.beam'))) return out;
  mkdirSync(out, { recursive: true });
  const r = spawnSync('erlc', ['-bper', '+maps', '-I', out, '-o', out, ...MODULES.map((m) => join(asn1Dir, m))], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`erlc failed: ${r.stderr || r.stdout || r.error}`);
  writeFileSync(join(out, 'xcheck.erl'), XCHECK);
  const c = spawnSync('erlc', ['-o', out, join(out, 'xcheck.erl')], { encoding: 'utf8', timeout: 60_000 });
  if (c.status !== 0) throw new Error(`erlc xcheck failed: ${c.stderr}`);
  return out;
}

export interface ErlangResult {
  /** Erlang's encoding, or undefined when it refused the value. */
  readonly hex?: string;
  /** Whether Erlang decoded our encoding back to the same term. */
  readonly decodesOurs: boolean;
  /**
   * Whether Erlang decodes its own encoding back to the value. Erlang's asn1 (OTP 25) has
   * encoder bugs where it does not (e.g. Setup-UUIE with hopCount present comes out as a
   * truncated PDU); such values say nothing about our codec and are counted apart.
   */
  readonly selfConsistent: boolean;
  readonly error?: string;
}

/**
 * Each case: [module, type, Erlang term of the value, our encoding]. Erlang encodes the term and
 * decodes our octets; one line per case comes back.
 */
export function runErlang(dir: string, cases: readonly { module: string; type: string; term: string; ours: Uint8Array }[]): ErlangResult[] {
  const input = join(dir, `cases-${process.pid}.txt`);
  const output = join(dir, `results-${process.pid}.txt`);
  writeFileSync(input, cases.map((c) => `{'${c.module}', '${c.type}', ${c.term}, <<${[...c.ours].join(',')}>>}.\n`).join(''));
  const r = spawnSync('erl', ['-noshell', '-pa', dir, '-eval', `xcheck:run("${input}", "${output}"), halt().`], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`erl failed: ${r.stderr || r.stdout}`);
  const text = readFileSync(output, 'utf8');
  rmSync(input, { force: true });
  rmSync(output, { force: true });
  return text
    .trimEnd()
    .split('\n')
    .map((line) => {
      const [hex, self, dec, ...rest] = line.split(' ');
      if (hex === 'ERROR') return { decodesOurs: false, selfConsistent: false, error: [self, dec, ...rest].join(' ') };
      return {
        hex: hex!.toLowerCase(),
        selfConsistent: self === 'self-ok',
        decodesOurs: dec === 'same',
        ...(dec === 'same' ? {} : { error: [dec, ...rest].join(' ') }),
      };
    });
}

const XCHECK = `-module(xcheck).
-export([run/2]).
run(In, Out) ->
    {ok, Cases} = file:consult(In),
    {ok, F} = file:open(Out, [write]),
    lists:foreach(fun({Mod, Type, Val, Ours}) -> io:format(F, "~s~n", [one(Mod, Type, Val, Ours)]) end, Cases),
    ok = file:close(F).
one(Mod, Type, Val, Ours) ->
    try Mod:encode(Type, Val) of
        {ok, Enc} ->
            Dec = try Mod:decode(Type, Ours) of
                      {ok, V2} when V2 =:= Val -> "same";
                      {ok, V2} -> io_lib:format("differs ~0p", [V2]);
                      Other -> io_lib:format("decode-error ~0p", [Other])
                  catch C2:R2 -> io_lib:format("decode-crash ~0p:~0p", [C2, R2]) end,
            Bin = iolist_to_binary(Enc),
            Self = case catch Mod:decode(Type, Bin) of {ok, Val} -> "self-ok"; _ -> "self-broken" end,
            [binary:encode_hex(Bin), " ", Self, " ", Dec];
        Err -> io_lib:format("ERROR ~0p", [Err])
    catch C:R -> io_lib:format("ERROR ~0p:~0p", [C, R])
    end.
`;
