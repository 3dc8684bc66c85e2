/**
 * A local HTTP server (127.0.0.1, port 0) whose every answer a test decides: for the failure modes a
 * real server will not produce on demand (401, 429, 5xx, a hang, a body that is not JSON).
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type Answer = { status: number; body?: unknown; headers?: Record<string, string> } | 'hang';

export interface ScriptedServer {
  url: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

/** `answer` is called for each request, with the requests seen so far (this one included). */
export async function startScriptedServer(
  answer: (request: SeenRequest, seen: SeenRequest[]) => Answer,
): Promise<ScriptedServer> {
  const requests: SeenRequest[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      requests.push(seen);
      const a = answer(seen, requests);
      if (a === 'hang') return; // never answers; the client's timeout must end it
      const text = typeof a.body === 'string' ? a.body : JSON.stringify(a.body ?? {});
      res.writeHead(a.status, { 'Content-Type': 'application/json', ...a.headers });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
