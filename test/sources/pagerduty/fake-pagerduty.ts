/**
 * A local server speaking the two PagerDuty REST API v2 endpoints the pagerduty source uses, shaped
 * as PagerDuty's API reference shows them (see src/sources/pagerduty/readme.md):
 *
 * - `GET /oncalls`: `schedule_ids[]` / `escalation_policy_ids[]` filters, `since`/`until` (entries
 *   overlapping the range), classic pagination `limit`/`offset` answered with `limit`, `offset`,
 *   `more`, `total: null`. `user` is a reference (`{ id, type: "user_reference", summary, self,
 *   html_url }`); the full user (with email and contact methods) only with `include[]=users`.
 * - `GET /incidents`: `service_ids[]`, `statuses[]`, `since`/`until` on `created_at`, same pagination.
 * - `Authorization: Token token=…` checked: 401 `{"error":{"message":"Unauthorized","code":2006}}`.
 *
 * `script` holds canned answers served first, one per request.
 */
import { createServer } from 'node:http';

export interface FakeUser {
  id: string;
  name: string;
  email: string;
  phone: string;
}

export interface FakeOncall {
  user: FakeUser;
  schedule?: { id: string; name: string };
  escalationPolicy: { id: string; name: string };
  level: number;
  /** epoch ms; undefined: no bound */
  start?: number;
  end?: number;
}

export interface FakeIncident {
  id: string;
  number: number;
  title: string;
  service: string;
  status: 'triggered' | 'acknowledged' | 'resolved';
  urgency: 'high' | 'low';
  createdAt: number;
  resolvedAt?: number;
}

export type Canned = { status: number; body?: unknown; headers?: Record<string, string> } | 'hang';

export interface FakePagerduty {
  url: string;
  requests: { path: string; query: URLSearchParams; authorization?: string }[];
  script: Canned[];
  oncalls: FakeOncall[];
  incidents: FakeIncident[];
  close(): Promise<void>;
}

const base = 'https://acme.pagerduty.com';
const api = 'https://api.pagerduty.com';
const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');

export async function startFakePagerduty(options: { token: string }): Promise<FakePagerduty> {
  const fake: Omit<FakePagerduty, 'url' | 'close'> = { requests: [], script: [], oncalls: [], incidents: [] };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    fake.requests.push({
      path: url.pathname,
      query: url.searchParams,
      authorization: req.headers.authorization,
    });
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const canned = fake.script.shift();
    if (canned === 'hang') return;
    if (canned) return send(canned.status, canned.body ?? {}, canned.headers);
    if (req.headers.authorization !== `Token token=${options.token}`)
      return send(401, { error: { message: 'Unauthorized', code: 2006 } });

    const q = url.searchParams;
    const limit = Math.min(Number(q.get('limit') ?? 25), 100);
    const offset = Number(q.get('offset') ?? 0);
    const since = q.get('since') ? Date.parse(q.get('since')!) : -Infinity;
    const until = q.get('until') ? Date.parse(q.get('until')!) : Infinity;
    const page = <T>(key: string, items: T[]) =>
      send(200, {
        [key]: items.slice(offset, offset + limit),
        limit,
        offset,
        more: offset + limit < items.length,
        total: null,
      });

    if (url.pathname === '/oncalls') {
      const schedules = q.getAll('schedule_ids[]');
      const policies = q.getAll('escalation_policy_ids[]');
      const full = q.getAll('include[]').includes('users');
      const found = fake.oncalls
        .filter((o) => schedules.length === 0 || (o.schedule && schedules.includes(o.schedule.id)))
        .filter((o) => policies.length === 0 || policies.includes(o.escalationPolicy.id))
        .filter((o) => (o.start ?? -Infinity) < until && (o.end ?? Infinity) > since)
        .map((o) => ({
          escalation_policy: {
            id: o.escalationPolicy.id,
            type: 'escalation_policy_reference',
            summary: o.escalationPolicy.name,
            self: `${api}/escalation_policies/${o.escalationPolicy.id}`,
            html_url: `${base}/escalation_policies/${o.escalationPolicy.id}`,
          },
          escalation_level: o.level,
          schedule: o.schedule
            ? {
                id: o.schedule.id,
                type: 'schedule_reference',
                summary: o.schedule.name,
                self: `${api}/schedules/${o.schedule.id}`,
                html_url: `${base}/schedules/${o.schedule.id}`,
              }
            : null,
          user: full
            ? {
                id: o.user.id,
                type: 'user',
                name: o.user.name,
                summary: o.user.name,
                email: o.user.email,
                contact_methods: [{ type: 'phone_contact_method_reference', summary: o.user.phone }],
              }
            : {
                id: o.user.id,
                type: 'user_reference',
                summary: o.user.name,
                self: `${api}/users/${o.user.id}`,
                html_url: `${base}/users/${o.user.id}`,
              },
          start: o.start === undefined ? null : iso(o.start),
          end: o.end === undefined ? null : iso(o.end),
        }));
      return page('oncalls', found);
    }
    if (url.pathname === '/incidents') {
      const services = q.getAll('service_ids[]');
      const statuses = q.getAll('statuses[]');
      const found = fake.incidents
        .filter((i) => services.length === 0 || services.includes(i.service))
        .filter((i) => statuses.length === 0 || statuses.includes(i.status))
        .filter((i) => i.createdAt >= since && i.createdAt < until)
        .sort((a, b) => b.createdAt - a.createdAt)
        .map((i) => ({
          id: i.id,
          type: 'incident',
          summary: `[#${i.number}] ${i.title}`,
          self: `${api}/incidents/${i.id}`,
          html_url: `${base}/incidents/${i.id}`,
          incident_number: i.number,
          title: i.title,
          created_at: iso(i.createdAt),
          updated_at: iso(i.resolvedAt ?? i.createdAt),
          status: i.status,
          urgency: i.urgency,
          last_status_change_at: iso(i.resolvedAt ?? i.createdAt),
          ...(i.resolvedAt ? { resolved_at: iso(i.resolvedAt) } : { resolved_at: null }),
          service: {
            id: i.service,
            type: 'service_reference',
            summary: `service ${i.service}`,
            self: `${api}/services/${i.service}`,
            html_url: `${base}/service-directory/${i.service}`,
          },
          assignments: [],
        }));
      return page('incidents', found);
    }
    send(404, { error: { message: 'Not Found', code: 2100 } });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
