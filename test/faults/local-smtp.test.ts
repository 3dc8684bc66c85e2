/**
 * Fault suite, SMTP (issue 10): the real report command with --send against the repo's in-process SMTP
 * server (test/support/smtp-server.ts). The password never crosses an unencrypted line unless the
 * config says allowInsecureAuth; a message the server may have taken is never sent twice; 4xx is
 * retried, 5xx is not; the files are written whatever the mail does; no secret leaks.
 */
import { writeFileSync } from 'node:fs';

import { closedPort, startSmtpServer, type TestSmtpServer } from '../support/smtp-server';
import {
  boundMs,
  configYaml,
  everything,
  expectCompleteFiles,
  expectNoSecret,
  runReport,
  workspace,
  type Workspace,
} from './local-harness';

const user = 'mailer';
const password = 'Sm7p-Pa55word-NotShown';

interface SmtpCase {
  name: string;
  auth: boolean;
  allowInsecureAuth?: boolean;
  /** Script the server before the run. */
  arrange?: (server: TestSmtpServer) => void;
  /** Point at a closed port instead. */
  refused?: boolean;
  code: number;
  /** Messages the server holds afterwards (sent whole, accepted or dropped). */
  messages: number;
  authAttempts?: number;
  stderr?: string;
}

const cases: SmtpCase[] = [
  {
    name: 'credentials on smtp:// and no STARTTLS: refused, the password never sent',
    auth: true,
    code: 1,
    messages: 0,
    authAttempts: 0,
    stderr: 'refused to send the SMTP password over an unencrypted connection',
  },
  {
    name: 'credentials without STARTTLS but allowInsecureAuth: true: sent',
    auth: true,
    allowInsecureAuth: true,
    code: 0,
    messages: 1,
    authAttempts: 1,
  },
  {
    name: 'the connection drops after the final dot: "may have been delivered", never resent',
    auth: false,
    arrange: (s) => s.dropAfterData(5),
    code: 1,
    messages: 1,
    stderr: 'it may have been delivered, so it was not sent again',
  },
  {
    name: 'a 451 on DATA once: retried, delivered once',
    auth: false,
    arrange: (s) => s.failData(451, 'Try again later'),
    code: 0,
    messages: 1,
  },
  {
    name: 'a 554 on DATA: permanent, not retried',
    auth: false,
    arrange: (s) => s.failData(554, 'Message rejected', 5),
    code: 1,
    messages: 0,
    stderr: '554',
  },
  {
    name: 'a 550 for the only recipient: failed, named',
    auth: false,
    arrange: (s) => s.rejectRecipient('leads@example.com', 550, 'No such user', 5),
    code: 1,
    messages: 0,
    stderr: 'leads@example.com',
  },
  {
    name: 'a wrong password (535) with allowInsecureAuth: failed, the password scrubbed',
    auth: true,
    allowInsecureAuth: true,
    arrange: () => undefined,
    code: 1,
    messages: 0,
    stderr: '535',
  },
  {
    name: 'nothing listening: the files are still there, exit 1',
    auth: false,
    refused: true,
    code: 1,
    messages: 0,
    stderr: 'connection refused',
  },
];

describe('fault suite: SMTP', () => {
  let ws: Workspace | undefined;
  let server: TestSmtpServer | undefined;
  afterEach(async () => {
    ws?.cleanup();
    await server?.close();
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const wrongPassword = c.name.includes('535');
    server = await startSmtpServer(c.auth ? { user, pass: wrongPassword ? 'another-one' : password } : {});
    c.arrange?.(server);
    const port = c.refused ? await closedPort() : server.port;
    const url = c.auth ? `smtp://${user}:${password}@127.0.0.1:${port}` : `smtp://127.0.0.1:${port}`;
    ws = workspace();
    const insecure = c.allowInsecureAuth ? ', allowInsecureAuth: true' : '';
    writeFileSync(
      ws.path('scrumops.yaml'),
      configYaml({
        delivery: `delivery:\n  githubSummary: false\n  email: { smtp: "\${SMTP_URL}", from: "ops@example.com", to: [leads@example.com]${insecure} }`,
      }),
    );

    const result = await runReport(ws, { send: true }, { SMTP_URL: url });

    expect(result.code).toBe(c.code);
    expect(result.ms).toBeLessThan(boundMs);
    expectCompleteFiles(ws.out);
    expect(server.messages).toHaveLength(c.messages);
    if (c.authAttempts !== undefined) expect(server.authAttempts()).toBe(c.authAttempts);
    if (c.stderr) expect(result.stderr).toContain(c.stderr);
    expectNoSecret([password], ...everything(ws, result));
  });
});
