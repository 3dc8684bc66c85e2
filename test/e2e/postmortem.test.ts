/**
 * `scrumops postmortem --stack ID [--at T]` end to end on the demo's files: the command functions with
 * a captured CliEnv (temp dir as cwd, a fixed clock), errors mapped to exit codes as the bin does, and
 * the argument wiring through the real commander program.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { postmortemCommand, reportCommand, type CliEnv } from '../../src/cli/commands';
import { exitCodeFor } from '../../src/cli/main';
import { parseCli } from '../support/parse-cli';

const repo = resolve(__dirname, '../..');
const demoConfig = join(repo, 'config/demo.yaml');
/** 08:30 UTC on 26 Nov 2026: 09:30 in Berlin, half an hour after the demo's report.at. */
const now = Date.parse('2026-11-26T08:30:00.000Z');

let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'scrumops-postmortem-'));
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

async function run(command: (cli: CliEnv) => Promise<number>) {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliEnv = {
    env: {},
    now: () => now,
    logger: { info: (m) => err.push(`${m}\n`), warn: (m) => err.push(`warning: ${m}\n`), debug: () => {} },
    stdout: (text) => out.push(text),
    cwd,
  };
  let code: number;
  try {
    code = await command(cli);
  } catch (error) {
    code = exitCodeFor(error, 'normal', (text) => err.push(text));
  }
  return { code, stdout: out.join(''), stderr: err.join('') };
}

const postmortem = (stack: string[], at?: string) => (cli: CliEnv) =>
  postmortemCommand({ config: demoConfig, stack, ...(at ? { at } : {}) }, cli);

describe('scrumops postmortem', () => {
  it('writes the starter of a bad stack, the same file `report` writes beside report.md', async () => {
    const result = await run(postmortem(['checkout'], '2026-11-26'));

    expect(result.code).toBe(0);
    const path = join(cwd, 'out/postmortem/2026-11-26-checkout.md');
    expect(result.stdout).toBe(`${path}\n`);
    expect(readdirSync(join(cwd, 'out'))).toEqual(['postmortem']);
    const written = readFileSync(path, 'utf8');
    expect(written).toMatch(/^# Post-mortem: Checkout — /);
    expect(written).toContain('detected in the scrum-ops review');

    const reportDir = join(cwd, 'report-out');
    const report = await run((cli) =>
      reportCommand(
        {
          config: demoConfig,
          at: '2026-11-26',
          stack: [],
          out: reportDir,
          format: 'md',
          send: false,
          dryRun: false,
        },
        cli,
      ),
    );
    expect(report.code).toBe(0);
    expect(readFileSync(join(reportDir, 'postmortem/2026-11-26-checkout.md'), 'utf8')).toBe(written);
  });

  it('writes one for a stack that is not bad today too, and says so honestly', async () => {
    const result = await run(postmortem(['search'], '2026-11-26'));

    expect(result.code).toBe(0);
    const text = readFileSync(join(cwd, 'out/postmortem/2026-11-26-search.md'), 'utf8');
    expect(text).toContain('**Impact:** none seen in the report: the stack is good today.');
    expect(text).toContain('good today, not bad: written on request (scrumops postmortem)');
    expect(text).not.toContain('detected in the scrum-ops review');
    expect(text).toContain('## What contributed');
  });

  it('takes --at as the report day', async () => {
    const result = await run(postmortem(['checkout'], '2026-11-20'));

    expect(result.code).toBe(0);
    expect(existsSync(join(cwd, 'out/postmortem/2026-11-20-checkout.md'))).toBe(true);
  });

  it('refuses an unknown stack with a usage error naming it, before writing anything', async () => {
    const result = await run(postmortem(['checkout', 'no-such-stack']));

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--stack no-such-stack: no such stack (known: checkout, payments');
    expect(existsSync(join(cwd, 'out'))).toBe(false);
  });

  describe('on the command line', () => {
    const parse = parseCli;

    it('is listed in --help and documents its options', () => {
      expect(parse(['--help']).out).toMatch(/postmortem \[options\]/);
      expect(parse(['postmortem', '--help']).out).toMatch(/--stack <id>[\s\S]*--at <time>[\s\S]*--out <dir>/);
    });

    it('needs --stack (usage error, exit 2)', () => {
      const result = parse(['postmortem']);

      expect(result.code).toBe(2);
      expect(result.err).toContain("required option '--stack <id>' not specified");
      expect(result.ran).toBe(false);
    });
  });
});
