/**
 * A real SMTP server in-process (smtp-server on 127.0.0.1, a free port) that parses what arrives
 * with mailparser, plus scripted failures: a reply code for the next DATA commands or for a given
 * recipient, and a required login. Everything a test asserts on arrived over a real socket.
 *
 * STARTTLS is disabled: smtp-server's bundled test certificate has expired. A message is parsed and
 * stored before the server answers DATA, so it is in `messages` by the time sendMail resolves.
 */
import net from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  /** Envelope sender and recipients, as given in MAIL FROM / RCPT TO. */
  from: string;
  to: string[];
  raw: Buffer;
  parsed: ParsedMail;
}

export interface TestSmtpServer {
  port: number;
  /** smtp://127.0.0.1:port, with user:pass when the server requires a login. */
  url: string;
  messages: ReceivedMail[];
  /** How many times a client tried to log in (AUTH), successful or not. */
  authAttempts: () => number;
  /** Every RCPT TO address the server was asked for, in order (accepted or not). */
  rcptLog: string[];
  /** Answer the next `times` DATA commands with this code (e.g. 451, 554). */
  failData(code: number, text: string, times?: number): void;
  /**
   * Take the next `times` messages whole (the final dot included), store them, then drop the
   * connection without a reply: the client cannot know whether the message was accepted.
   */
  dropAfterData(times?: number): void;
  /** Answer RCPT TO for `address` with this code, `times` times. */
  rejectRecipient(address: string, code: number, text: string, times?: number): void;
  close(): Promise<void>;
}

function smtpError(code: number, text: string): Error {
  return Object.assign(new Error(text), { responseCode: code });
}

export async function startSmtpServer(
  options: { user?: string; pass?: string } = {},
): Promise<TestSmtpServer> {
  const messages: ReceivedMail[] = [];
  const rcptLog: string[] = [];
  const dataFailures: { code: number; text: string; left: number }[] = [];
  const rcptFailures = new Map<string, { code: number; text: string; left: number }>();
  const needsAuth = options.user !== undefined;
  let drops = 0;
  let authAttempts = 0;

  const server = new SMTPServer({
    disabledCommands: needsAuth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !needsAuth,
    // Plain-text AUTH without TLS is fine on loopback in a test.
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      authAttempts++;
      if (auth.username === options.user && auth.password === options.pass)
        return callback(null, { user: auth.username });
      return callback(smtpError(535, 'Authentication credentials invalid'));
    },
    onRcptTo(address, _session, callback) {
      rcptLog.push(address.address);
      const rule = rcptFailures.get(address.address);
      if (rule && rule.left > 0) {
        rule.left--;
        return callback(smtpError(rule.code, rule.text));
      }
      return callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (drops > 0) {
          drops--;
          messages.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks),
            parsed: undefined as unknown as ParsedMail,
          });
          // smtp-server keeps its connections in a Set; the one of this session is dropped unanswered.
          const connections = (server as unknown as { connections: Set<{ id: string; _socket: net.Socket }> })
            .connections;
          for (const c of connections) if (c.id === session.id) c._socket.destroy();
          return;
        }
        const failure = dataFailures.find((f) => f.left > 0);
        if (failure) {
          failure.left--;
          return callback(smtpError(failure.code, failure.text));
        }
        const raw = Buffer.concat(chunks);
        simpleParser(raw, { keepCidLinks: true })
          .then((parsed) => {
            messages.push({
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              raw,
              parsed,
            });
            callback();
          })
          .catch((error: Error) => callback(error));
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as net.AddressInfo).port;
  const auth = needsAuth
    ? `${encodeURIComponent(options.user!)}:${encodeURIComponent(options.pass ?? '')}@`
    : '';

  return {
    port,
    url: `smtp://${auth}127.0.0.1:${port}`,
    messages,
    rcptLog,
    authAttempts: () => authAttempts,
    failData(code, text, times = 1) {
      dataFailures.push({ code, text, left: times });
    },
    dropAfterData(times = 1) {
      drops += times;
    },
    rejectRecipient(address, code, text, times = 1) {
      rcptFailures.set(address, { code, text, left: times });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A port nothing listens on: bind one, note it, close it. Connecting there is refused at once. */
export async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** A TCP server that accepts connections and never says a word: an SMTP greeting timeout. */
export async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
