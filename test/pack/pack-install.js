#!/usr/bin/env node
/**
 * The package as a user gets it: build from scratch, `npm pack`, install the tarball into an empty
 * temporary project, then run from there what the README tells a new user to run:
 * `npx scrumops --version`, `npx scrumops init --datadog --email --slack`, `npx scrumops validate`
 * on what init wrote, and the demo report.
 *
 * Not part of jest: the install resolves ~250 production packages through npm (the registry, or
 * npm's cache with --prefer-offline), which takes longer than the whole unit suite. `.ci/run` runs it
 * after `npm test`; `npm run test:pack` runs it alone. Exit 0 when every step held, 1 otherwise.
 */
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');

const root = resolve(__dirname, '../..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const work = mkdtempSync(join(tmpdir(), 'scrumops-pack-'));
const project = join(work, 'project');
const timings = [];
let failed = false;

function step(name, fn) {
  const started = Date.now();
  try {
    fn();
    timings.push(`${name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    process.stdout.write(`✔ ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  } catch (error) {
    failed = true;
    process.stdout.write(`✘ ${name}: ${error.message}\n`);
    throw error;
  }
}

/** Run a command; throw with its output when the exit code is not the expected one. */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? project,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
  });
  const expected = options.status ?? 0;
  if (result.status !== expected) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.status} (expected ${expected})\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result.stdout;
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

try {
  let tarball;
  step('build from scratch and pack', () => {
    // A clean dist: files of deleted sources must not ship.
    rmSync(join(root, 'dist'), { recursive: true, force: true });
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
    const out = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {
      cwd: root,
    });
    const [info] = JSON.parse(out);
    tarball = join(work, info.filename);
    const paths = info.files.map((f) => f.path);
    for (const needed of [
      'dist/cli/main.js',
      'templates/email.mjml',
      'templates/fonts/DejaVuSans.ttf',
      'config/scrumops.schema.json',
      'config/scrumops.example.yaml',
      'config/demo.yaml',
    ]) {
      assert(paths.includes(needed), `the tarball lacks ${needed}`);
    }
    const stray = paths.filter((p) => /^(src|test|node_modules|\.github|out)\//.test(p));
    assert(stray.length === 0, `the tarball holds files a user does not need: ${stray.join(', ')}`);
    process.stdout.write(
      `  ${info.filename}: ${info.entryCount} files, ${(info.size / 1024).toFixed(0)} KB\n`,
    );
  });

  step('install the tarball into an empty project', () => {
    execFileSync('mkdir', ['-p', project]);
    writeFileSync(join(project, 'package.json'), '{ "name": "my-team-ops", "private": true }\n');
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball]);
  });

  step('npx scrumops --version', () => {
    const out = run('npx', ['--no-install', 'scrumops', '--version']);
    assert(out.trim() === version, `--version printed "${out.trim()}", expected ${version}`);
  });

  step('npx scrumops init --datadog --email --slack, then validate', () => {
    const out = run('npx', [
      '--no-install',
      'scrumops',
      'init',
      '--datadog',
      '--email',
      '--slack',
      '--timezone',
      'Europe/Berlin',
    ]);
    assert(out.includes('npx scrumops doctor'), 'init does not say what to run next');
    const config = readFileSync(join(project, 'config/scrumops.yaml'), 'utf8');
    const schema = /\$schema=(\S+)/.exec(config)?.[1];
    assert(
      schema === '../node_modules/scrumops/config/scrumops.schema.json',
      `the config's $schema is ${schema}, not the installed schema`,
    );
    assert(existsSync(join(project, 'config', schema)), `${schema} does not exist`);
    assert(existsSync(join(project, '.github/workflows/daily-report.yml')), 'no workflow written');
    const validated = run('npx', ['--no-install', 'scrumops', 'validate'], {
      env: {
        DD_API_KEY: 'x'.repeat(32),
        DD_APP_KEY: 'y'.repeat(40),
        SMTP_URL: 'smtp://127.0.0.1:2525',
        SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/X',
      },
    });
    assert(/: ok — 1 source, 1 stack, 4 metrics/.test(validated), `validate said: ${validated}`);
    run('npx', ['--no-install', 'scrumops', 'init', '--datadog'], { status: 2 });
  });

  step('the demo report from the installed package', () => {
    run('npx', [
      '--no-install',
      'scrumops',
      'report',
      '--config',
      'node_modules/scrumops/config/demo.yaml',
      '--out',
      'out',
      '--quiet',
    ]);
    const report = JSON.parse(readFileSync(join(project, 'out/report.json'), 'utf8'));
    assert(report.stacks.length === 7, `the demo report has ${report.stacks.length} stacks, not 7`);
    assert(existsSync(join(project, 'out/report.html')), 'no report.html');
  });
} catch {
  // Already said by step().
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.stdout.write(`${failed ? 'FAILED' : 'ok'}: ${timings.join(', ')}\n`);
process.exitCode = failed ? 1 : 0;
